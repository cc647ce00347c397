#![no_main]
//! Any firmware image's first bytes: a header or a refusal, never a panic.

use camcgi_fwimage::{Header, HEADER_LEN};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    if let Ok(header) = Header::parse(bytes) {
        assert!(bytes.len() >= HEADER_LEN);
        let _ = header.signature_valid(&[0; 32]);
    }
});
