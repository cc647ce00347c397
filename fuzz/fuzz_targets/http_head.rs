#![no_main]
//! The HTTP front's head parser: any bytes parse to a head within them and
//! the head bound, a refusal (400, 414, 431), or "not yet", without a panic.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = camcgi_http::check_head(data);
});
