#![no_main]
//! Any certificate upload's body: an identity or a refusal, never a panic;
//! and any bytes as a DER certificate.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let text = String::from_utf8_lossy(bytes);
    if let Ok(identity) = camcgi_tls::Identity::from_pem(&text, &text) {
        assert!(!identity.chain().is_empty() && identity.chain().len() <= camcgi_tls::MAX_CHAIN);
    }
    let _ = camcgi_tls::der::certificate_p256_point(bytes);
});
