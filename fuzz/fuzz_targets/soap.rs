#![no_main]
//! Any ONVIF envelope or WS-Discovery probe, and any `Authorization` header:
//! read or refused, never a panic, and the element list stays within bounds.

use camcgi::api::digest;
use camcgi::interfaces::onvif::soap::Envelope;
use camcgi::interfaces::onvif::xsd::{datetime, duration_ms};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(env) = Envelope::parse(data) {
        let _ = env.operation();
        let _ = env.header("UsernameToken");
        let _ = env.within("Velocity");
        let _ = env.text("Timeout").map(duration_ms);
        let _ = env.text("TerminationTime").map(datetime);
    }
    if let Ok(text) = std::str::from_utf8(data) {
        if let Some(answer) = digest::parse(text) {
            let _ = answer.count();
            let _ = answer.is_right("password", "GET");
        }
    }
});
