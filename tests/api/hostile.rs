//! What an outside attack found (issue 12), continued: hostile upload
//! servers and upload starvation (4-6), answers and logs whatever a request
//! carries (11), request framing (12), hex (13), the upgrade status (14).

use crate::common::*;
use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

const TARGETS: &str = "/cgi-bin/upload_targets";
const SNAPSHOT: &str = "/cgi-bin/snapshot";

/// A server on loopback that runs `serve` on every connection, each in its
/// own thread, until the test ends (every loop it runs is bounded).
fn hostile_server(serve: fn(TcpStream)) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    thread::spawn(move || {
        for stream in listener.incoming().flatten().take(16) {
            thread::spawn(move || serve(stream));
        }
    });
    port
}

/// A reply line that never ends: up to 256 MB, or until the camera hangs up.
fn endless_line(mut s: TcpStream) {
    let chunk = [b'A'; 64 * 1024];
    let _ = s.write_all(b"220");
    for _ in 0..4096 {
        if s.write_all(&chunk).is_err() {
            return;
        }
    }
}

/// A multi-line reply that never ends.
fn endless_reply(mut s: TcpStream) {
    let _ = s.write_all(b"220 hello\r\n");
    for _ in 0..1_000_000 {
        if s.write_all(b"250-more\r\n").is_err() {
            return;
        }
    }
}

/// A byte a second, never a whole line, for at most a minute.
fn trickle(mut s: TcpStream) {
    for _ in 0..60 {
        if s.write_all(b"2").is_err() {
            return;
        }
        thread::sleep(Duration::from_secs(1));
    }
}

/// Every reply comes just inside the step's 5 s, for at most a minute.
fn slow_but_steady(s: TcpStream) {
    let mut out = s.try_clone().unwrap();
    let mut input = std::io::BufReader::new(s);
    thread::sleep(Duration::from_millis(4500));
    let _ = out.write_all(b"220 slow\r\n");
    for _ in 0..12 {
        let mut line = String::new();
        if std::io::BufRead::read_line(&mut input, &mut line).unwrap_or(0) == 0 {
            return;
        }
        thread::sleep(Duration::from_millis(4500));
        let reply: &[u8] = match line.get(..4).unwrap_or("") {
            "USER" => b"331 pass\r\n",
            "PASS" => b"230 in\r\n",
            _ => b"200 ok\r\n",
        };
        if out.write_all(reply).is_err() {
            return;
        }
    }
}

fn upload_to(cam: &Process, uid: &str, protocol: &str, port: u16) -> Resp {
    let set = match protocol {
        // By name: the lookup runs in a thread of its own, with its own deadline.
        "ftp" => format!("{TARGETS}?ftp_server=localhost&ftp_port={port}&uid={uid}"),
        _ => format!("{TARGETS}?smtp_server=127.0.0.1&smtp_port={port}&email_from=cam@example.net&email_to=a@example.net&uid={uid}"),
    };
    assert_ok(cam.get(&set), "upload_targets");
    let upload = if protocol == "ftp" { 1 } else { 2 };
    cam.get(&format!("/cgi-bin/snapshot.cgi?upload={upload}&uid={uid}"))
}

#[test]
fn point4_a_reply_without_end_is_cut_before_it_is_buffered() {
    let dir = TempDir::new();
    let cam = Process::start(&dir.0, &[]);
    let uid = cam.uid("123456");
    let before = cam.status("VmRSS");
    let started = Instant::now();
    let r = upload_to(&cam, &uid, "ftp", hostile_server(endless_line));
    assert_fault(&r, 500, SNAPSHOT, "upload failed: ftp greeting (reply line too long)");
    let r = upload_to(&cam, &uid, "email", hostile_server(endless_reply));
    assert_fault(&r, 500, SNAPSHOT, "upload failed: email hello (reply too long)");
    assert!(started.elapsed() < Duration::from_secs(15), "{:?}", started.elapsed());
    if !emulated() {
        let peak = cam.status("VmHWM");
        eprintln!("RSS {before} KiB before, peak {peak} KiB");
        assert!(peak < before + 8 * 1024, "peak RSS {peak} KiB");
    }
}

#[test]
fn point4_a_trickling_server_is_held_to_the_step_deadline() {
    let dir = TempDir::new();
    let cam = Process::start(&dir.0, &[]);
    let uid = cam.uid("123456");
    let started = Instant::now();
    let r = upload_to(&cam, &uid, "ftp", hostile_server(trickle));
    assert_fault(&r, 500, SNAPSHOT, "upload failed: ftp greeting (timed out)");
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(4900) && took < Duration::from_secs(9), "{took:?}");
}

#[test]
fn point5_a_whole_upload_has_a_deadline_however_steady_the_server() {
    let dir = TempDir::new();
    let cam = Process::start(&dir.0, &[]);
    let uid = cam.uid("123456");
    let set = format!("{TARGETS}?ftp_user=cam&ftp_password=pw&uid={uid}");
    let started = Instant::now();
    assert_ok(cam.get(&set), "upload_targets");
    let r = upload_to(&cam, &uid, "ftp", hostile_server(slow_but_steady));
    let took = started.elapsed();
    assert_eq!(r.status, 500, "{}", r.text());
    assert!(r.element("reason").unwrap().ends_with("(timed out)"), "{}", r.text());
    assert!(took >= Duration::from_secs(19) && took < Duration::from_secs(24), "{took:?}");
}

#[test]
fn point5_one_upload_at_a_time_and_the_camera_answers_meanwhile() {
    let dir = TempDir::new();
    let cam = Process::start(&dir.0, &[]);
    let uid = cam.uid("123456");
    let port = hostile_server(trickle);
    assert_ok(cam.get(&format!("{TARGETS}?ftp_server=127.0.0.1&ftp_port={port}&uid={uid}")), "upload_targets");
    let cam_port = cam.port;
    let first_uid = uid.clone();
    let first = thread::spawn(move || request(cam_port, "GET", &format!("/cgi-bin/snapshot.cgi?upload=1&uid={first_uid}"), ""));
    thread::sleep(Duration::from_millis(800));
    // E-mail is not set up here: it would answer `Email not deploy` first.
    for upload in [0, 1, 3] {
        let r = cam.get(&format!("/cgi-bin/snapshot.cgi?upload={upload}&username=admin&password=123456"));
        assert_fault(&r, 503, SNAPSHOT, "upload busy");
    }
    // Everyone else is answered at once: no worker, no lock is held by the upload.
    for path in ["/cgi-bin/image?", "/cgi-bin/videoencoder?", "/cgi-bin/user_management?action=get_user&", "/cgi-bin/upload_targets?"] {
        let started = Instant::now();
        let r = cam.get(&format!("{path}uid={uid}"));
        assert_eq!(r.status, 200, "{path}: {}", r.text());
        assert!(started.elapsed() < Duration::from_secs(1), "{path} took {:?}", started.elapsed());
    }
    assert!(cam.get("/cgi-bin/snapshot.cgi?username=admin&password=123456").body.starts_with(&[0xff, 0xd8]));
    let r = first.join().unwrap();
    assert_fault(&r, 500, SNAPSHOT, "upload failed: ftp greeting (timed out)");
    let r = cam.get("/cgi-bin/snapshot.cgi?upload=0&username=admin&password=123456");
    assert_ok(r, "upload");
}

#[test]
fn point6_ftp_dir_stays_below_the_login_directory() {
    let cam = Cam::start();
    let uid = cam.admin();
    for dir in ["..%5C..%5Cx", "%5C..%5Cx", "%2Fetc", "%5Cwindows", "C:%5Cx", "a%5C..%5C..%5Cb", "a/%20..%20/b"] {
        assert_fault(&cam.get(&format!("{TARGETS}?ftp_dir={dir}&uid={uid}")), 400, TARGETS, "ftp_dir error");
    }
    assert_eq!(cam.get(&format!("{TARGETS}?uid={uid}")).attr("ftp_dir").as_deref(), Some(""));
    assert_ok(cam.get(&format!("{TARGETS}?ftp_dir=cams/gate%5Cnorth&uid={uid}")), "upload_targets");
}

/// Whether a body is an XML 1.0 document: every character allowed, and it parses.
fn is_xml_document(body: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(body) else { return false };
    let allowed = |c: char| !matches!(c, '\0'..='\x08' | '\x0b' | '\x0c' | '\x0e'..='\x1f' | '\u{fffe}' | '\u{ffff}');
    if !text.chars().all(allowed) {
        return false;
    }
    let mut reader = quick_xml::Reader::from_str(text);
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Eof) => return true,
            Ok(_) => {}
            Err(_) => return false,
        }
    }
}

#[test]
fn point11_every_answer_is_xml_whatever_the_request_carried() {
    let dir = std::sync::Arc::new(TempDir::new());
    let cam = Cam::start_in(dir.clone());
    let uid = cam.admin();
    for title in ["%EF%BF%BE", "%EF%BF%BF", "a%EF%BF%BFb", "%1B%5B31m", "%C2%85"] {
        let r = cam.get(&format!("/cgi-bin/osd?title_utf8={title}&uid={uid}"));
        assert_fault(&r, 400, "/cgi-bin/osd", "title_utf8 error");
    }
    assert!(is_xml_document(&cam.get(&format!("/cgi-bin/osd?uid={uid}")).body));
    for target in [
        format!("/cgi-bin/%01%EF%BF%BF?uid={uid}"),
        format!("/cgi-bin/image?%01%EF%BF%BE=1&uid={uid}"),
        "/cgi-bin/\u{1}\u{1b}[2J".to_string(),
        format!("/cgi-bin/image?%08=1&uid={uid}"),
    ] {
        let r = cam.get(&target);
        assert!(r.status >= 400, "{target}");
        assert!(is_xml_document(&r.body), "{target}: {:?}", r.text());
    }
    // A title an older camcgi stored does not survive a restart.
    assert_ok(cam.get(&format!("/cgi-bin/osd?title_utf8=POISON&uid={uid}")), "osd");
    drop(cam);
    let stored = std::fs::read_to_string(dir.0.join("osd.xml")).unwrap();
    std::fs::write(dir.0.join("osd.xml"), stored.replace("POISON", "POISON\u{ffff}")).unwrap();
    let cam = Cam::start_in(dir);
    let uid = cam.admin();
    assert!(is_xml_document(&cam.get(&format!("/cgi-bin/osd?uid={uid}")).body));
}

#[test]
fn point11_the_log_escapes_control_bytes() {
    let dir = TempDir::new();
    let mut cam = Process::start(&dir.0, &["--log-level", "debug"]);
    cam.get("/cgi-bin/%1B[2Jnowhere");
    cam.get("/cgi-bin/image?a%1B%5B31m=1&%0AINFO%20forged=1");
    raw_request(cam.port, "GET /cgi-bin/\x1b[31mred HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    thread::sleep(Duration::from_millis(300));
    let lines = cam.logged();
    assert!(lines.iter().any(|l| l.contains("\\x1b")), "{lines:?}");
    for line in &lines {
        assert!(!line.chars().any(|c| c.is_control()), "{line:?}");
        assert!(!line.starts_with("INFO forged"), "{line:?}");
    }
}

#[test]
fn point12_a_request_of_doubtful_length_is_refused_and_nothing_after_it_is_read() {
    let cam = Cam::start();
    let smuggled = "GET /cgi-bin/getuid?username=admin&password=123456 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    let framings = [
        "Content-Length: 0\r\nContent-Length: 70\r\n",
        "Content-Length: 0, 70\r\n",
        "Transfer-Encoding: xchunked\r\n",
        "Transfer-Encoding: chunked, identity\r\n",
        "Transfer-Encoding: chunked\r\nContent-Length: 70\r\n",
        "Content-Length: -1\r\n",
        "Content-Length: +5\r\n",
        "Content-Length: 0x10\r\n",
        "Content-Length: 99999999999999999999999\r\n",
    ];
    for framing in framings {
        let answer = raw_request(cam.port(), &format!("GET /cgi-bin/keep_alive HTTP/1.1\r\nHost: 127.0.0.1\r\n{framing}\r\n{smuggled}"));
        assert_eq!(answer.matches("HTTP/1.1").count(), 1, "{framing}: {answer}");
        let r = parse_response(answer.as_bytes());
        assert_fault(&r, 400, "/cgi-bin/keep_alive", "content length error");
        assert!(!answer.contains("<uid>"), "{framing}: the body was read as a request");
    }
    let answer = raw_request(cam.port(), "POST /cgi-bin/image HTTP/1.0\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
    assert_fault(&parse_response(answer.as_bytes()), 400, "/cgi-bin/image", "content length error");
    // Plain keep-alive still works.
    let answer = raw_request(
        cam.port(),
        &format!(
            "GET /cgi-bin/keep_alive HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n{}",
            smuggled.replace("\r\n\r\n", "\r\nConnection: close\r\n\r\n")
        ),
    );
    assert_eq!(answer.matches("HTTP/1.1").count(), 2, "{answer}");
}

#[test]
fn point13_hex_takes_no_sign() {
    let cam = Cam::start();
    let uid = cam.admin();
    let zeros = "00".repeat(49);
    for area in [format!("%2Bf{zeros}"), format!("-0{zeros}"), format!("+0{zeros}")] {
        let r = cam.get(&format!("/cgi-bin/motion?areavalue={area}&uid={uid}"));
        assert_fault(&r, 400, "/cgi-bin/motion", "areavalue error");
    }
    assert_fault(&cam.get("/cgi-bin/getuid?username=%+41dmin&password=1"), 400, "/cgi-bin/getuid", "error, parse parameters");
    assert_fault(&cam.get("/cgi-bin/getuid?username=%-1dmin&password=1"), 400, "/cgi-bin/getuid", "error, parse parameters");
}

#[test]
fn point14_the_status_after_a_refused_upload_shows_the_refusal() {
    let cam = Cam::start();
    let uid = cam.admin();
    let path = "/cgi-bin/OnvifFirmwareUpgrade";
    // A refusal after the image was under way leaves figures behind...
    let garbage = "x".repeat(300);
    let answer = raw_request(
        cam.port(),
        &format!("POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Basic YWRtaW46MTIzNDU2\r\nContent-Length: 300\r\nConnection: close\r\n\r\n{garbage}"),
    );
    assert_fault(&parse_response(answer.as_bytes()), 400, path, "bad magic");
    let status = cam.get(&format!("/cgi-bin/upgrade_status?uid={uid}"));
    assert_eq!(status.attr("total").as_deref(), Some("300"));
    // ...which the next refusal does not leave standing.
    let answer = raw_request(
        cam.port(),
        &format!("POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Basic YWRtaW46MTIzNDU2\r\nContent-Length: 2000000000\r\nConnection: close\r\n\r\n0123456789"),
    );
    assert_fault(&parse_response(answer.as_bytes()), 413, path, "image too large");
    let status = cam.get(&format!("/cgi-bin/upgrade_status?uid={uid}")).text();
    assert_eq!(
        status,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<upgrade_status state=\"failed\" received=\"0\" total=\"0\" percent=\"0\" reason=\"image too large\"/>\n"
    );
    let answer = raw_request(
        cam.port(),
        &format!("POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Basic YWRtaW46MTIzNDU2\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n0\r\n\r\n"),
    );
    assert_fault(&parse_response(answer.as_bytes()), 411, path, "length required");
    let status = cam.get(&format!("/cgi-bin/upgrade_status?uid={uid}"));
    assert_eq!((status.attr("state").as_deref(), status.attr("reason").as_deref()), (Some("failed"), Some("length required")));
}
