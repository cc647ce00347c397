//! Hostile clients on loopback: each attack bounded in count and time.

use crate::common::*;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

#[test]
fn a_thousand_failed_logins_are_throttled_without_harm() {
    let cam = Cam::start();
    let mut locked = 0;
    for i in 0..1000 {
        let r = cam.get(&format!("/cgi-bin/getuid?username=admin&password=guess{i}"));
        assert_eq!(r.status, 400);
        if r.element("reason").as_deref() == Some("too many failed logins") {
            locked += 1;
        }
    }
    assert_eq!(locked, 995, "all but the first five are refused unseen");
    // The right password is refused too while locked, and accepted after the minute.
    assert_fault(&cam.get("/cgi-bin/getuid?username=admin&password=123456"), 400, "/cgi-bin/getuid", "too many failed logins");
    cam.clock.advance(Duration::from_secs(61));
    assert_ok(cam.get("/cgi-bin/getuid?username=admin&password=123456"), "uid");
}

/// tiny-http 0.12.0's task pool served such a burst four connections at a
/// time (vendor/README.md).
#[test]
fn fifty_idle_keep_alive_connections_are_closed_at_the_timeout() {
    let cam = Cam::start();
    let uid = cam.admin();
    let mut conns: Vec<TcpStream> = (0..50)
        .map(|_| {
            let mut s = TcpStream::connect(("127.0.0.1", cam.port())).unwrap();
            s.set_read_timeout(Some(TIMEOUT * 5)).unwrap();
            s.write_all(format!("GET /cgi-bin/keep_alive?uid={uid} HTTP/1.1\r\nHost: c\r\n\r\n").as_bytes()).unwrap();
            s
        })
        .collect();
    let start = Instant::now();
    for s in conns.iter_mut() {
        let mut buf = vec![0u8; 4096];
        let mut got = Vec::new();
        // The answer, then the close.
        loop {
            match s.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
                Err(e) => panic!("not closed: {e}"),
            }
        }
        assert!(String::from_utf8_lossy(&got).contains("<keep_alive>true</keep_alive>"));
    }
    eprintln!("50 idle connections closed after {:?}", start.elapsed());
    assert!(start.elapsed() < TIMEOUT * 3, "{:?}", start.elapsed());
    assert_ok(cam.get(&format!("/cgi-bin/keep_alive?uid={uid}")), "keep_alive");
}

#[test]
fn strings_are_taken_literally_and_start_no_process() {
    let cam = Cam::start();
    let uid = cam.admin();
    // Relative to the server's working directory, which is this test's.
    let marker = std::path::Path::new("pwned-by-camcgi-test");
    let hostile = "%3B%20touch%20pwned-by-camcgi-test%20%60touch%20pwned-by-camcgi-test%60";
    let r = assert_ok(cam.get(&format!("/cgi-bin/osd?title_utf8={hostile}&uid={uid}")), "osd");
    assert_eq!(r.attr("title_utf8").as_deref(), Some("; touch pwned-by-camcgi-test `touch pwned-by-camcgi-test`"));
    for q in [
        format!("/cgi-bin/user_management?action=add&name=..%2F..%2Fetc&newpasswd=x&privilege=User&enable=Enable&uid={uid}"),
        format!("/cgi-bin/time?ntpaddr=pool.ntp.org%3Breboot&uid={uid}"),
        format!("/cgi-bin/network?dns1=8.8.8.8%00&uid={uid}"),
        format!("/cgi-bin/upload_targets?ftp_dir=a%0D%0ADELE%20x&uid={uid}"),
    ] {
        assert_eq!(cam.get(&q).status, 400, "{q}");
    }
    assert_ok(cam.get(&format!("/cgi-bin/user_management?action=add&name=a.b-c_d%40e&newpasswd=%24(reboot)%3B%60x%60&privilege=User&enable=Enable&uid={uid}")), "user_management");
    cam.login("a.b-c_d@e", "$(reboot);`x`");
    assert!(!marker.exists(), "no shell ever ran");
}

#[test]
fn an_unknown_expectation_is_refused_and_service_goes_on() {
    let cam = Cam::start();
    let mut s = TcpStream::connect(("127.0.0.1", cam.port())).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(b"GET /cgi-bin/getuid?username=admin&password=123456 HTTP/1.1\r\nHost: c\r\nExpect: teapot\r\nConnection: close\r\n\r\n").unwrap();
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let text = String::from_utf8_lossy(&raw);
    assert!(text.is_empty() || text.starts_with("HTTP/1.1 417"), "{text}");
    assert_ok(cam.get("/cgi-bin/getuid?username=admin&password=123456"), "uid");
}
