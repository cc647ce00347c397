#![no_main]
//! Any text as an `xs:dateTime` (a WS-Security `Created`, a termination
//! time) or an `xs:duration` (a pull's `Timeout`): a time within years
//! 0-9999 or none, never a panic or an overflow, read before any login.

use camcgi::interfaces::onvif::xsd::{datetime, duration_ms};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Some(unix) = datetime(text) {
            assert!((-62_168_000_000..=253_403_400_000).contains(&unix), "{text}: {unix}");
        }
        let _ = duration_ms(text);
    }
});
