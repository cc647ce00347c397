#![no_main]
//! Any auth.cgi `data` document: the wanted element's text or nothing, never a panic.

use camcgi::interfaces::auth::read_data;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &str| {
    for wanted in ["encrypt", "authid"] {
        let _ = read_data(data, wanted);
    }
});
