#![no_main]
//! Any query string: decoded or refused, never a panic; decoded names are unique.

use camcgi::api::query::{redacted, Params};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|raw: &str| {
    if let Ok(params) = Params::parse(raw) {
        let names: Vec<&str> = params.names().collect();
        for (i, name) in names.iter().enumerate() {
            assert!(!names[..i].contains(name), "{name} twice");
            assert_eq!(params.get(name).is_some(), params.has(name));
        }
    }
    let _ = redacted(raw);
});
