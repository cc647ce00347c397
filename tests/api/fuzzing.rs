//! The fuzz targets' inputs kept in `fuzz/regressions/TARGET/`: the seeds,
//! and every input a fuzzer ever found a fault with, run through the same
//! readers on every test run.

use std::path::PathBuf;

fn inputs(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions").join(target);
    let mut found: Vec<(PathBuf, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            (p, bytes)
        })
        .collect();
    found.sort();
    assert!(!found.is_empty(), "no inputs in {}", dir.display());
    found
}

#[test]
fn query_strings() {
    for (path, bytes) in inputs("query") {
        let raw = String::from_utf8_lossy(&bytes);
        if let Ok(params) = camcgi::api::query::Params::parse(&raw) {
            let names: Vec<&str> = params.names().collect();
            for (i, name) in names.iter().enumerate() {
                assert!(!names[..i].contains(name), "{}: {name} twice", path.display());
            }
        }
        let _ = camcgi::api::query::redacted(&raw);
    }
}

#[test]
fn auth_cgi_data_documents() {
    for (path, bytes) in inputs("auth_data") {
        let data = String::from_utf8_lossy(&bytes);
        let read = camcgi::interfaces::auth::read_data(&data, "encrypt");
        if data.contains("<!DOCTYPE") {
            assert_eq!(read, None, "{}", path.display());
        }
        let _ = camcgi::interfaces::auth::read_data(&data, "authid");
    }
}

#[test]
fn firmware_headers() {
    for (path, bytes) in inputs("firmware_header") {
        if let Ok(header) = camcgi_fwimage::Header::parse(&bytes) {
            assert!(bytes.len() >= camcgi_fwimage::HEADER_LEN, "{}", path.display());
            let _ = header.signature_valid(&[0; 32]);
        }
    }
}

#[test]
fn soap_envelopes_and_digest_headers() {
    use camcgi::interfaces::onvif::soap::Envelope;
    use camcgi::interfaces::onvif::xsd::{datetime, duration_ms};
    let mut parsed = 0;
    for (path, bytes) in inputs("soap") {
        if let Ok(env) = Envelope::parse(&bytes) {
            parsed += 1;
            assert!(!env.operation().is_empty(), "{}", path.display());
            let _ = env.within("Velocity");
            let _ = env.text("Timeout").map(duration_ms);
            let _ = env.text("Created").map(datetime);
        }
        if let Some(answer) = camcgi::api::digest::parse(&String::from_utf8_lossy(&bytes)) {
            assert!(!answer.is_right("password", "GET"), "{}", path.display());
        }
    }
    assert!(parsed >= 2, "the seeds include envelopes that parse");
}

#[test]
fn soap_times() {
    use camcgi::interfaces::onvif::xsd::{datetime, duration_ms};
    for (path, bytes) in inputs("soap_time") {
        let text = String::from_utf8_lossy(&bytes);
        if let Some(unix) = datetime(&text) {
            assert!((-62_168_000_000..=253_403_400_000).contains(&unix), "{}: {unix}", path.display());
        }
        let _ = duration_ms(&text);
    }
    let huge = inputs("soap_time").into_iter().find(|(p, _)| p.ends_with("huge_year")).expect("the seed");
    assert_eq!(datetime(&String::from_utf8_lossy(&huge.1)), None);
}

#[test]
fn http_heads() {
    let mut seen = std::collections::BTreeMap::new();
    for (path, bytes) in inputs("http_head") {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        seen.insert(name, camcgi_http::check_head(&bytes));
    }
    assert_eq!(seen["get"], Ok(Some(27)));
    assert_eq!(seen["listed_length"], Ok(Some(61)), "the head ends before the body");
    for refused in ["two_hosts", "nul", "bare_lf", "empty"] {
        assert_eq!(seen[refused], Err(400), "{refused}");
    }
    assert_eq!(seen["long_line"], Err(414));
}

#[test]
fn certificate_uploads() {
    for (path, bytes) in inputs("certificate") {
        let text = String::from_utf8_lossy(&bytes);
        if let Ok(identity) = camcgi_tls::Identity::from_pem(&text, &text) {
            assert!(!identity.chain().is_empty() && identity.chain().len() <= camcgi_tls::MAX_CHAIN, "{}", path.display());
        }
        let point = camcgi_tls::der::certificate_p256_point(&bytes);
        if path.ends_with("cert.der") {
            assert_eq!(point.map(|p| p.len()), Some(65), "the seed certificate's key");
        }
    }
}
