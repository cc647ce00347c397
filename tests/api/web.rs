//! The camera's web page in headless Chromium: `tests/web/page.test.mjs`,
//! run by node's test runner through playwright-core against this build's
//! camcgi on the mock board. Screenshots of every screen go to
//! `target/tmp/web-screenshots/`.

use crate::common::*;
use std::path::Path;
use std::process::Command;

fn have(program: &str, arg: &str) -> bool {
    output(Command::new(program).arg(arg)).is_ok_and(|o| o.status.success())
}

#[test]
fn the_web_page_in_a_browser() {
    if emulated() {
        say("web::the_web_page_in_a_browser: host only (the browser drives the host build)");
        return;
    }
    let web = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/web");
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let missing: Vec<&str> = [
        (!have("node", "--version")).then_some("node"),
        (!Path::new(&chromium).exists()).then_some("chromium"),
        (!web.join("node_modules/playwright-core").exists()).then_some("tests/web/node_modules (npm ci --prefix tests/web)"),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !missing.is_empty() {
        // CI installs all three (.ci/run); anywhere else the test says what it lacks.
        client_missing(
            "web::the_web_page_in_a_browser",
            &format!("the browser tests need {}; `bash tests/web/setup.sh` installs them (Debian)", missing.join(", ")),
        );
        return;
    }
    let dir = TempDir::new();
    let firmware = dir.0.join("upgrade.img");
    let payload: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(&firmware, crate::firmware::image("camcgi-mock", "9.9.9", &payload, None)).unwrap();
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("web-screenshots");
    let out = output(
        Command::new("node")
            .arg("--test")
            .arg("--test-reporter=spec")
            .current_dir(&web)
            .env("CAMCGI_BIN", env!("CARGO_BIN_EXE_camcgi"))
            .env("CAMCGI_FIRMWARE", &firmware)
            .env("CAMCGI_SHOTS", &shots)
            .env("CHROMIUM", &chromium),
    )
    .unwrap();
    let report = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    eprintln!("{report}\nscreenshots: {}", shots.display());
    assert!(out.status.success(), "browser tests failed");
}

fn gunzip_len(gz: &[u8]) -> usize {
    // The gzip trailer ends with the uncompressed length (mod 2^32).
    u32::from_le_bytes(gz[gz.len() - 4..].try_into().unwrap()) as usize
}

#[test]
fn the_page_is_served_compressed_cached_and_read_only() {
    let cam = Cam::start();
    const GZIP: &str = "Accept-Encoding: gzip, deflate\r\n";
    let page = request(cam.port(), "GET", "/", GZIP);
    assert_eq!(page.status, 200);
    assert_eq!(page.header("Content-Type"), Some("text/html; charset=utf-8"));
    assert_eq!(page.header("Content-Encoding"), Some("gzip"));
    assert_eq!(&page.body[..2], &[0x1f, 0x8b], "a gzip stream");
    let html = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("web/index.html")).unwrap();
    assert_eq!(gunzip_len(&page.body), html.len());
    assert!(page.body.len() < html.len() / 2, "{} bytes for {}", page.body.len(), html.len());
    for (name, value) in [("X-Frame-Options", "DENY"), ("X-Content-Type-Options", "nosniff"), ("Vary", "Accept-Encoding")] {
        assert_eq!(page.header(name), Some(value), "{name}");
    }
    let csp = page.header("Content-Security-Policy").unwrap();
    assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline") && csp.contains("frame-ancestors 'none'"), "{csp}");

    // Only the compressed files are in the binary.
    let plain = request(cam.port(), "GET", "/", "");
    assert_fault(&plain, 406, "/index.html", "the page is sent gzip-compressed: open it in a browser");
    assert_eq!(request(cam.port(), "GET", "/", "Accept-Encoding: gzip;q=0\r\n").status, 406);

    let etag = page.header("ETag").unwrap().to_string();
    let again = request(cam.port(), "GET", "/", &format!("{GZIP}If-None-Match: {etag}\r\n"));
    assert_eq!((again.status, again.body.len()), (304, 0));

    let js = request(cam.port(), "HEAD", "/app.js", GZIP);
    assert_eq!((js.status, js.header("Content-Type")), (200, Some("text/javascript; charset=utf-8")));
    assert!(js.body.is_empty());
    let post = request(cam.port(), "POST", "/index.html", "Content-Length: 0\r\n");
    assert_fault(&post, 405, "/index.html", "method not allowed");
    assert_eq!(post.header("Allow"), Some("GET, HEAD"));
    assert_eq!(request(cam.port(), "GET", "/nothing.js", GZIP).status, 404);
}
