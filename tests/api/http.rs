//! HTTP and query parsing (behaviour.md section 1).

use crate::common::*;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

#[test]
fn unknown_path_is_404_with_a_fault() {
    let cam = Cam::start();
    assert_fault(&cam.get("/cgi-bin/nothing?uid=1"), 404, "/cgi-bin/nothing", "not found");
    assert_fault(&cam.get("/cgi-bin/"), 404, "/cgi-bin/", "not found");
    assert_fault(&cam.get("/index.htm"), 404, "/index.htm", "not found");
}

#[test]
fn other_methods_are_405() {
    let cam = Cam::start();
    let r = request(cam.port(), "DELETE", "/cgi-bin/image", "");
    assert_fault(&r, 405, "/cgi-bin/image", "method not allowed");
    assert_eq!(r.header("Allow"), Some("GET, HEAD"));
}

#[test]
fn head_answers_like_get_without_a_body() {
    let cam = Cam::start();
    let uid = cam.admin();
    let r = request(cam.port(), "HEAD", &format!("/cgi-bin/image?uid={uid}"), "");
    assert_eq!(r.status, 200);
    assert!(r.body.is_empty());
    assert_eq!(r.header("Content-Type"), Some("text/xml; charset=UTF-8"));
}

#[test]
fn undecodable_queries_are_parse_errors() {
    let cam = Cam::start();
    let uid = cam.admin();
    for q in ["brightness=%zz", "brightness=%", "title=%ff%fe"] {
        assert_fault(&cam.get(&format!("/cgi-bin/image?{q}&uid={uid}")), 400, "/cgi-bin/image", "error, parse parameters");
    }
}

#[test]
fn duplicated_and_unknown_parameters_are_faults() {
    let cam = Cam::start();
    let uid = cam.admin();
    let r = cam.get(&format!("/cgi-bin/image?brightness=1&brightness=2&uid={uid}"));
    assert_fault(&r, 400, "/cgi-bin/image", "brightness: duplicated");
    let r = cam.get(&format!("/cgi-bin/image?gamma=1&uid={uid}"));
    assert_fault(&r, 400, "/cgi-bin/image", "gamma: unknown parameter");
    let r = cam.get(&format!("/cgi-bin/image?uid={uid}&uid={uid}"));
    assert_fault(&r, 400, "/cgi-bin/image", "uid: duplicated");
    assert_eq!(cam.mock.image_value(camcgi_hal::ImageControl::Brightness), 128);
}

#[test]
fn cache_busters_and_empty_pairs_are_ignored() {
    let cam = Cam::start();
    let uid = cam.admin();
    let r = cam.get(&format!("/cgi-bin/image?&&timestamp=1&xtamp=2&_=3&uid={uid}&"));
    let r = assert_ok(r, "image");
    assert_eq!(r.attr("brightness").as_deref(), Some("128"));
    // A query with only cache-busters is still a query, not a set.
    let user = cam.user_with("viewer", "User");
    assert_ok(cam.get(&format!("/cgi-bin/image?_=1&uid={user}")), "image");
}

#[test]
fn plus_is_a_literal_plus() {
    let cam = Cam::start();
    let uid = cam.admin();
    let r = assert_ok(cam.get(&format!("/cgi-bin/time?timezone=GMT+05:45&uid={uid}")), "time");
    assert_eq!(r.attr("timezone").as_deref(), Some("GMT+05:45"));
    let r = assert_ok(cam.get(&format!("/cgi-bin/time?timezone=GMT%2B08:00&uid={uid}")), "time");
    assert_eq!(r.attr("timezone").as_deref(), Some("GMT+08:00"));
}

#[test]
fn answers_start_with_the_declaration_and_a_line_break() {
    let cam = Cam::start();
    let r = cam.get("/cgi-bin/getuid?username=admin&password=123456");
    assert!(r.text().starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<uid>"));
    // Clients split on whitespace to find <uid>.
    assert!(r.text().split_whitespace().any(|t| t.starts_with("<uid>") && t.ends_with("</uid>")));
    assert_eq!(r.header("Cache-Control"), Some("no-store"));
}

fn read_one(stream: &mut TcpStream) -> Resp {
    let mut raw = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = stream.read(&mut buf).unwrap();
        assert!(n > 0, "connection closed early");
        raw.extend_from_slice(&buf[..n]);
        if let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&raw[..end]).to_lowercase();
            let len: usize = head.lines().find_map(|l| l.strip_prefix("content-length:")).map(|v| v.trim().parse().unwrap()).unwrap_or(0);
            if raw.len() >= end + 4 + len {
                return parse_response(&raw);
            }
        }
    }
}

#[test]
fn keep_alive_serves_several_requests_on_one_connection() {
    let cam = Cam::start();
    let uid = cam.admin();
    let mut stream = TcpStream::connect(("127.0.0.1", cam.port())).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    for v in [10, 20, 30] {
        write!(stream, "GET /cgi-bin/image?brightness={v}&uid={uid} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").unwrap();
        let r = read_one(&mut stream);
        assert_eq!(r.attr("brightness"), Some(v.to_string()));
    }
    // HTTP/1.0 with keep-alive asked for.
    write!(stream, "GET /cgi-bin/keep_alive?uid={uid} HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").unwrap();
    assert_eq!(read_one(&mut stream).element("keep_alive").as_deref(), Some("true"));
}

#[test]
fn http_1_0_is_answered() {
    let cam = Cam::start();
    let mut stream = TcpStream::connect(("127.0.0.1", cam.port())).unwrap();
    write!(stream, "GET /cgi-bin/getuid?username=admin&password=123456 HTTP/1.0\r\n\r\n").unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let r = parse_response(&raw);
    assert_eq!(r.status, 200);
    assert!(r.element("uid").is_some());
}

#[test]
fn an_idle_connection_is_closed_at_the_timeout() {
    let cam = Cam::start();
    let mut stream = TcpStream::connect(("127.0.0.1", cam.port())).unwrap();
    stream.set_read_timeout(Some(TIMEOUT * 5)).unwrap();
    write!(stream, "GET /cgi-bin/getuid?username=admin&password=123456 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").unwrap();
    assert!(read_one(&mut stream).element("uid").is_some());
    let idle = std::time::Instant::now();
    let mut buf = [0u8; 16];
    let n = stream.read(&mut buf).unwrap_or(0);
    assert_eq!(n, 0, "the server closed the idle connection");
    let waited = idle.elapsed();
    assert!(waited >= TIMEOUT - Duration::from_millis(200) && waited < TIMEOUT * 3, "{waited:?}");
}

#[test]
fn accepting_goes_on_after_idle_periods_longer_than_the_timeout() {
    let cam = Cam::start();
    for _ in 0..2 {
        std::thread::sleep(TIMEOUT + Duration::from_millis(700));
        assert_ok(cam.get("/cgi-bin/getuid?username=admin&password=123456"), "uid");
    }
}

/// Issue 13: the timeout was set on the listening socket, so an idle accept
/// failed at every timeout and logged an error each time.
#[test]
fn an_idle_camera_logs_nothing() {
    let dir = TempDir::new();
    let mut cam = Process::start(&dir.0, &["--timeout", "1"]);
    let uid = cam.uid("123456");
    // The last words of the start: the boot slot confirmed (or not).
    let mut started = cam.logged();
    for _ in 0..100 {
        if started.iter().any(|l| l.contains("confirmed")) {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
        started.extend(cam.logged());
    }
    assert!(started.iter().any(|l| l.contains("confirmed")), "{started:?}");
    std::thread::sleep(Duration::from_millis(4500));
    let logged = cam.logged();
    assert!(logged.is_empty(), "an idle camera logged: {logged:?}");
    assert_ok(cam.get(&format!("/cgi-bin/keep_alive?uid={uid}")), "keep_alive");
}

#[test]
fn a_busy_connection_is_answered_through_idle_accept_periods() {
    let cam = Cam::start();
    let uid = cam.admin();
    let mut stream = TcpStream::connect(("127.0.0.1", cam.port())).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    // No new connection for several timeouts; this connection never idles that long.
    let until = std::time::Instant::now() + TIMEOUT * 3;
    let mut answered = 0;
    while std::time::Instant::now() < until {
        write!(stream, "GET /cgi-bin/keep_alive?uid={uid} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").unwrap();
        let r = read_one(&mut stream);
        assert_eq!(r.element("keep_alive").as_deref(), Some("true"), "answer {answered}: {} {}", r.status, r.text());
        answered += 1;
        std::thread::sleep(TIMEOUT / 4);
    }
    assert!(answered >= 10);
    assert_ok(cam.get(&format!("/cgi-bin/keep_alive?uid={uid}")), "keep_alive");
}

/// Issue 13: tiny-http closed connections after an answer without saying so,
/// and clients tried the closed connection again.
#[test]
fn an_answer_after_which_the_connection_closes_says_so() {
    let cam = Cam::start();
    let uid = cam.admin();
    let port = cam.port();
    let keep_alive = format!("GET /cgi-bin/keep_alive?uid={uid} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    stream.write_all(keep_alive.as_bytes()).unwrap();
    let r = read_one(&mut stream);
    assert_eq!((r.status, r.header("Connection")), (200, None), "a kept connection says nothing");
    let cases = [
        format!("GET /cgi-bin/keep_alive?uid={uid} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"),
        format!("GET /cgi-bin/keep_alive?uid={uid} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n"),
        // A body camcgi does not read: nothing after it can be read either.
        format!("GET /cgi-bin/keep_alive?uid={uid} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5000\r\n\r\n"),
        "GET /cgi-bin/keep_alive HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: -1\r\n\r\n".to_string(),
        "GET /cgi-bin/keep_alive HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: teapot\r\n\r\n".to_string(),
    ];
    for case in cases {
        let answer = raw_request(port, &case);
        let r = parse_response(answer.as_bytes());
        assert_eq!(r.header("Connection"), Some("close"), "{case}: {answer}");
    }
}

#[test]
fn no_answer_names_the_http_stack() {
    let cam = Cam::start();
    let port = cam.port();
    let cases = [
        (200, "GET /cgi-bin/getuid?username=admin&password=123456 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".to_string()),
        (401, "GET /cgi-bin/snapshot.cgi HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".to_string()),
        (404, "GET /cgi-bin/nothing HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".to_string()),
        (200, "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n".to_string()),
        // Answered by the HTTP front itself, before camcgi's router.
        (400, "GET /cgi-bin/keep_alive HTTP/1.1\nHost: 127.0.0.1\n\n\r\n\r\n".to_string()),
        (431, format!("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: {}\r\n\r\n", "a".repeat(9000))),
    ];
    for (status, case) in cases {
        let answer = raw_request(port, &case);
        let r = parse_response(answer.as_bytes());
        assert_eq!(r.status, status, "{answer}");
        assert!(r.header("Date").is_some(), "{answer}");
        assert_eq!(r.header("Server"), None, "{answer}");
        assert!(!answer.to_ascii_lowercase().contains("tiny"), "{answer}");
    }
}

/// The camera's own end of a client's connection: a descriptor of this test
/// process, where the camera on the mock board runs.
fn server_end(client: &TcpStream, port: u16) -> std::os::fd::RawFd {
    use nix::sys::socket::{getpeername, getsockname, SockaddrIn};
    let ours = client.local_addr().unwrap().port();
    std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .find(|&fd| {
            let peer = getpeername::<SockaddrIn>(fd).map(|a| a.port());
            let local = getsockname::<SockaddrIn>(fd).map(|a| a.port());
            peer == Ok(ours) && local == Ok(port)
        })
        .expect("the camera's end of the connection")
}

#[test]
fn answers_are_sent_without_waiting_for_acknowledgements() {
    // TCP_NODELAY: Nagle's algorithm held an answer's last segment back for
    // the client's delayed ACK, 40 ms on keep-alive.
    use nix::sys::socket::{getsockopt, sockopt};
    let cam = Cam::start();
    let mut client = TcpStream::connect(("127.0.0.1", cam.port())).unwrap();
    client.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    client.write_all(b"GET /cgi-bin/getuid?username=admin&password=123456 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").unwrap();
    assert_eq!(read_one(&mut client).status, 200);
    let fd = server_end(&client, cam.port());
    // SAFETY: the descriptor is the camera's open connection, which the
    // client holds open while it is borrowed here.
    let fd = unsafe { std::os::fd::BorrowedFd::borrow_raw(fd) };
    assert!(getsockopt(&fd, sockopt::TcpNoDelay).unwrap(), "TCP_NODELAY is not set on the camera's connections");
}
