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
            s.write_all(format!("GET /cgi-bin/keep_alive?uid={uid} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").as_bytes()).unwrap();
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
    assert_ok(
        cam.get(&format!(
            "/cgi-bin/user_management?action=add&name=a.b-c_d%40e&newpasswd=%24(reboot)%3B%60x%60&privilege=User&enable=Enable&uid={uid}"
        )),
        "user_management",
    );
    cam.login("a.b-c_d@e", "$(reboot);`x`");
    assert!(!marker.exists(), "no shell ever ran");
}

#[test]
fn an_unknown_expectation_is_refused_and_service_goes_on() {
    let cam = Cam::start();
    let mut s = TcpStream::connect(("127.0.0.1", cam.port())).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(
        b"GET /cgi-bin/getuid?username=admin&password=123456 HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: teapot\r\nConnection: close\r\n\r\n",
    )
    .unwrap();
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let text = String::from_utf8_lossy(&raw);
    assert!(text.is_empty() || text.starts_with("HTTP/1.1 417"), "{text}");
    assert_ok(cam.get("/cgi-bin/getuid?username=admin&password=123456"), "uid");
}

fn raise_file_limit() {
    use nix::sys::resource::{getrlimit, setrlimit, Resource};
    if let Ok((_, hard)) = getrlimit(Resource::RLIMIT_NOFILE) {
        let _ = setrlimit(Resource::RLIMIT_NOFILE, hard.min(8192), hard);
    }
}

/// Whether the server has closed `s` (EOF, reset, or refused writes).
fn closed_by_server(mut s: &TcpStream) -> bool {
    s.set_nonblocking(true).unwrap();
    let mut buf = [0u8; 1024];
    let closed = loop {
        match s.read(&mut buf) {
            Ok(0) => break true,
            Ok(_) => continue,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break false,
            Err(_) => break true,
        }
    };
    s.set_nonblocking(false).unwrap();
    closed
}

/// `count` connections that each send the start of a request head and stop there.
fn slowloris(port: u16, count: usize) -> Vec<TcpStream> {
    (0..count)
        .map(|_| {
            let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
            s.write_all(b"GET /cgi-bin/ima").unwrap();
            s
        })
        .collect()
}

/// Whether the server closes `stream` after what it had sent: read until the
/// end (true), a read timeout of 0.5 s (false), or 10 s of data still coming (false).
fn drained_to_close(mut stream: TcpStream) -> bool {
    stream.set_read_timeout(Some(Duration::from_millis(500))).unwrap();
    let draining = Instant::now();
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        match stream.read(&mut chunk) {
            Ok(0) => break true,
            Ok(_) if draining.elapsed() < Duration::from_secs(10) => {}
            Ok(_) => break false,
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => break false,
            Err(_) => break true,
        }
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1]
}

#[test]
fn idle_and_slowloris_floods_are_shed_while_a_client_is_served() {
    raise_file_limit();
    let dir = TempDir::new();
    let cam = Process::start(&dir.0, &["--timeout", "3"]);
    let port = cam.port;
    let uid = cam.uid("123456");
    let (threads0, rss0) = (cam.status("Threads"), cam.status("VmRSS"));
    let idle: Vec<TcpStream> = (0..500).map(|_| TcpStream::connect(("127.0.0.1", port)).unwrap()).collect();
    let mut slow = slowloris(port, 200);
    let start = Instant::now();
    let (mut peak_threads, mut peak_rss) = (0, 0);
    let mut latencies = Vec::new();
    let mut next_byte = start + Duration::from_secs(5);
    while start.elapsed() < Duration::from_secs(9) {
        if Instant::now() >= next_byte {
            for s in slow.iter_mut() {
                let _ = s.write_all(b"g");
            }
            next_byte += Duration::from_secs(5);
        }
        let t = Instant::now();
        let r = request(port, "GET", &format!("/cgi-bin/image?uid={uid}"), "");
        latencies.push(t.elapsed());
        assert_eq!(r.status, 200, "{}", r.text());
        peak_threads = peak_threads.max(cam.status("Threads"));
        peak_rss = peak_rss.max(cam.status("VmRSS"));
        std::thread::sleep(Duration::from_millis(50));
    }
    // Spare threads of the event loop end 10 s after their last event.
    let settle = Instant::now();
    while cam.status("Threads") > threads0 + 16 && settle.elapsed() < Duration::from_secs(15) {
        std::thread::sleep(Duration::from_millis(250));
    }
    let (threads, rss) = (cam.status("Threads"), cam.status("VmRSS"));
    latencies.sort();
    let (p50, p99) = (percentile(&latencies, 0.5), percentile(&latencies, 0.99));
    let idle_closed = idle.iter().filter(|s| closed_by_server(s)).count();
    let slow_closed = slow.iter().filter(|s| closed_by_server(s)).count();
    eprintln!(
        "flood of 500 idle + 200 slowloris: {} requests, p50 {p50:?}, p99 {p99:?}; threads {threads0} -> peak {peak_threads} -> {threads} {:?} later; \
         RSS {rss0} -> peak {peak_rss} -> {rss} KiB; closed by the server: {idle_closed} idle, {slow_closed} slowloris",
        latencies.len(),
        settle.elapsed()
    );
    assert_eq!((idle_closed, slow_closed), (500, 200));
    let limit = if emulated() { Duration::from_secs(1) } else { Duration::from_millis(100) };
    assert!(p99 < limit, "p99 {p99:?}");
    assert!(threads <= threads0 + 16, "{threads} threads after the flood, {threads0} before");
    // What stays is heap the allocator keeps in pieces; a second flood reuses it.
    // Under qemu-user the RSS is the emulator's: its translated code and its
    // per-thread state, not camcgi's.
    assert!(emulated() || rss < rss0 + 6 * 1024, "RSS {rss} KiB after the flood, {rss0} KiB before");
}

#[test]
fn a_slowloris_connection_is_closed_at_the_timeout_though_bytes_keep_coming() {
    let cam = Cam::start();
    let mut conns: Vec<TcpStream> = (0..20)
        .map(|_| {
            let mut s = TcpStream::connect(("127.0.0.1", cam.port())).unwrap();
            s.write_all(b"GET /cgi-bin/getuid?u").unwrap();
            s
        })
        .collect();
    let start = Instant::now();
    let mut open = conns.len();
    while open > 0 && start.elapsed() < TIMEOUT * 3 {
        std::thread::sleep(TIMEOUT / 4);
        open = 0;
        for s in conns.iter_mut() {
            // A byte every half a timeout: the per-read timeout never trips.
            if s.write_all(b"s").is_ok() && !closed_by_server(s) {
                open += 1;
            }
        }
    }
    eprintln!("20 slowloris connections closed after {:?}", start.elapsed());
    assert_eq!(open, 0, "still open after {:?}", start.elapsed());
    assert!(start.elapsed() >= TIMEOUT, "closed before the timeout: {:?}", start.elapsed());
    assert_ok(cam.get("/cgi-bin/getuid?username=admin&password=123456"), "uid");
}

/// Sends `head` (and `tail` repeated `count` times) from a thread of its own,
/// ignoring the write errors of a closed connection, and reads the answer.
fn answer_to_flood(port: u16, head: &'static [u8], tail: &'static [u8], count: usize) -> String {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let mut writer = s.try_clone().unwrap();
    let sender = std::thread::spawn(move || {
        let _ = writer.write_all(head);
        for _ in 0..count {
            if writer.write_all(tail).is_err() {
                break;
            }
        }
    });
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    drop(s);
    let _ = sender.join();
    String::from_utf8_lossy(&raw).into_owned()
}

#[test]
fn huge_request_lines_and_heads_are_refused_early() {
    let dir = TempDir::new();
    let cam = Process::start(&dir.0, &[]);
    let rss0 = cam.status("VmRSS");
    let line = answer_to_flood(cam.port, b"GET /cgi-bin/getuid?x=", &[b'a'; 1024], 10 * 1024);
    assert!(line.starts_with("HTTP/1.1 414"), "{line}");
    let header = answer_to_flood(cam.port, b"GET / HTTP/1.1\r\nX-Big: ", &[b'a'; 1024], 10 * 1024);
    assert!(header.starts_with("HTTP/1.1 431"), "{header}");
    let many = answer_to_flood(cam.port, b"GET / HTTP/1.1\r\n", b"X-Many: 1\r\n", 10_000);
    assert!(many.starts_with("HTTP/1.1 431"), "{many}");
    let rss = cam.status("VmRSS");
    eprintln!("a 10 MB request line, a 10 MB header line, 10,000 headers: RSS {rss0} -> {rss} KiB");
    assert!(emulated() || rss < rss0 + 1024, "RSS {rss} KiB, {rss0} KiB before");
    assert_eq!(cam.get("/cgi-bin/getuid?username=admin&password=123456").status, 200);
}

#[test]
fn unauthenticated_gigabyte_posts_are_refused_without_reading_them() {
    let dir = TempDir::new();
    let cam = Process::start(&dir.0, &[]);
    let rss0 = cam.status("VmRSS");
    let mut conns: Vec<TcpStream> = (0..6)
        .map(|i| {
            let mut s = TcpStream::connect(("127.0.0.1", cam.port)).unwrap();
            s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            let (path, expect) = match i % 3 {
                0 => ("/cgi-bin/OnvifFirmwareUpgrade", "Expect: 100-continue\r\n"),
                1 => ("/cgi-bin/OnvifFirmwareUpgrade", ""),
                _ => ("/cgi-bin/getuid?username=admin&password=123456", ""),
            };
            write!(s, "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{expect}Content-Length: 1000000000\r\n\r\n123456789").unwrap();
            s
        })
        .collect();
    let started = Instant::now();
    for (i, s) in conns.iter_mut().enumerate() {
        let mut raw = Vec::new();
        let _ = s.read_to_end(&mut raw);
        let text = String::from_utf8_lossy(&raw);
        assert!(!text.contains("100 Continue"), "{text}");
        if i % 3 == 2 {
            assert!(text.starts_with("HTTP/1.1 405") || text.starts_with("HTTP/1.1 200"), "{text}");
        } else {
            assert!(text.starts_with("HTTP/1.1 401"), "{text}");
        }
    }
    let rss = cam.status("VmRSS");
    eprintln!("6 posts declaring 1e9 bytes: answered and closed in {:?}; RSS {rss0} -> {rss} KiB", started.elapsed());
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
    assert!(emulated() || rss < rss0 + 1024, "RSS {rss} KiB, {rss0} KiB before");
    assert_eq!(cam.get("/cgi-bin/getuid?username=admin&password=123456").status, 200);
}

#[test]
fn service_resumes_after_a_burst_exhausts_64_file_descriptors() {
    let dir = TempDir::new();
    let mut cam = Process::start_with_file_limit(64, &dir.0, &["--timeout", "2"]);
    let burst: Vec<TcpStream> = (0..100).filter_map(|_| TcpStream::connect(("127.0.0.1", cam.port)).ok()).collect();
    std::thread::sleep(Duration::from_secs(3));
    drop(burst);
    let start = Instant::now();
    let served = loop {
        let ok = std::panic::catch_unwind(|| cam.get("/cgi-bin/getuid?username=admin&password=123456").status == 200);
        if ok.unwrap_or(false) {
            break true;
        }
        if start.elapsed() > Duration::from_secs(20) {
            break false;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    eprintln!("served again {:?} after the burst ended", start.elapsed());
    assert!(cam.running(), "camcgi ended: {}", cam.logged().join("\n"));
    assert!(served, "{}", cam.logged().join("\n"));
}

/// Issue 13's stall: one connection pipelines a thousand requests for the
/// page's script with a tiny receive window and never reads. tiny-http 0.12.0
/// queued them all, and every worker waited on that connection's writes: a
/// normal client got no answer until the attacker closed (70 s).
#[test]
fn a_client_that_never_reads_holds_one_worker_at_most() {
    let dir = TempDir::new();
    let cam = Process::start(&dir.0, &["--timeout", "2"]);
    let attacker = small_window_pipeline(cam.port, 1000);
    std::thread::sleep(Duration::from_millis(500));
    let until = Instant::now() + Duration::from_secs(6);
    let mut slowest = Duration::ZERO;
    while Instant::now() < until {
        let started = Instant::now();
        assert_eq!(cam.get("/cgi-bin/getuid?username=admin&password=123456").status, 200);
        slowest = slowest.max(started.elapsed());
        std::thread::sleep(Duration::from_millis(200));
    }
    eprintln!("slowest answer to a normal client while a connection never read: {slowest:?}");
    let limit = if emulated() { Duration::from_secs(2) } else { Duration::from_secs(1) };
    assert!(slowest < limit, "{slowest:?}");
    // The server gave up on the connection at its write timeout: reading now
    // drains what it had sent (its close comes behind that), then ends. A
    // server still answering would keep it coming.
    assert!(drained_to_close(attacker), "the connection that never read is still open");
}

/// A connection with a tiny receive window, which pipelines `count` requests
/// for the page's script from a thread of its own.
fn small_window_pipeline(port: u16, count: usize) -> TcpStream {
    use nix::sys::socket::{connect, setsockopt, socket, sockopt, AddressFamily, SockFlag, SockType, SockaddrIn};
    let fd = socket(AddressFamily::Inet, SockType::Stream, SockFlag::empty(), None).unwrap();
    setsockopt(&fd, sockopt::RcvBuf, &1024).unwrap();
    let addr = SockaddrIn::from(std::net::SocketAddrV4::new(std::net::Ipv4Addr::LOCALHOST, port));
    connect(std::os::fd::AsRawFd::as_raw_fd(&fd), &addr).unwrap();
    let stream = TcpStream::from(fd);
    let mut writer = stream.try_clone().unwrap();
    std::thread::spawn(move || {
        let one = "GET /app.js HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept-Encoding: gzip\r\n\r\n";
        for _ in 0..count {
            if writer.write_all(one.as_bytes()).is_err() {
                return;
            }
        }
    });
    stream
}

/// A client that reads its answers, but a few hundred bytes at a time: every
/// write of the server makes progress, so no per-write timeout trips. The
/// answer as a whole has the timeout; then the connection is closed.
#[test]
fn an_answer_not_taken_within_the_timeout_ends_its_connection() {
    let dir = TempDir::new();
    let cam = Process::start(&dir.0, &["--timeout", "2"]);
    let mut slow = small_window_pipeline(cam.port, 50);
    slow.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let started = Instant::now();
    let mut taken = 0usize;
    let mut slowest = Duration::ZERO;
    let mut next_check = Instant::now();
    let mut chunk = [0u8; 256];
    let ended = loop {
        match slow.read(&mut chunk) {
            Ok(0) | Err(_) => break started.elapsed(),
            Ok(n) => taken += n,
        }
        if started.elapsed() > Duration::from_secs(30) {
            panic!("still open after {:?}, {taken} bytes taken", started.elapsed());
        }
        if Instant::now() >= next_check {
            let t = Instant::now();
            assert_eq!(cam.get("/cgi-bin/getuid?username=admin&password=123456").status, 200);
            slowest = slowest.max(t.elapsed());
            next_check = Instant::now() + Duration::from_millis(500);
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    eprintln!(
        "a client taking its answers at about 2.5 KB/s: closed after {ended:?}, {taken} bytes taken; slowest normal answer {slowest:?}"
    );
    // 50 answers of the script are far more than it took.
    assert!(taken < 50 * 4096, "{taken} bytes");
    // The timeout, and the time to notice: per-write timeouts alone let it
    // go on for 10 s here.
    let bound = if emulated() { Duration::from_secs(7) } else { Duration::from_secs(5) };
    assert!(ended < bound, "{ended:?}");
    let limit = if emulated() { Duration::from_secs(2) } else { Duration::from_secs(1) };
    assert!(slowest < limit, "{slowest:?}");
}

/// A port change moves everything: the old port stops accepting at once, and
/// the connections still open there (idle, slowloris, a client that never
/// reads) end within the timeout, while the new port serves.
#[test]
fn a_port_change_closes_the_old_port_and_drains_it_within_the_timeout() {
    let dir = TempDir::new();
    let cam = Process::start(&dir.0, &["--timeout", "2"]);
    let old = cam.port;
    let uid = cam.uid("123456");
    let threads0 = cam.status("Threads");
    let idle: Vec<TcpStream> = (0..20).map(|_| TcpStream::connect(("127.0.0.1", old)).unwrap()).collect();
    let mut slow = slowloris(old, 20);
    let stalled = small_window_pipeline(old, 200);
    std::thread::sleep(Duration::from_millis(200));
    let new = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let r = request(old, "GET", &format!("/cgi-bin/network?port={new}&uid={uid}"), "");
    assert_eq!(r.status, 200, "{}", r.text());
    let changed = Instant::now();
    let mut slowest = Duration::ZERO;
    let mut refused_after = None;
    while changed.elapsed() < Duration::from_secs(5) {
        for s in slow.iter_mut() {
            let _ = s.write_all(b"g");
        }
        if refused_after.is_none() && TcpStream::connect(("127.0.0.1", old)).is_err() {
            refused_after = Some(changed.elapsed());
        }
        let t = Instant::now();
        let r = request(new, "GET", &format!("/cgi-bin/image?uid={uid}"), "");
        assert_eq!(r.status, 200, "{}", r.text());
        slowest = slowest.max(t.elapsed());
        std::thread::sleep(Duration::from_millis(250));
    }
    let idle_closed = idle.iter().filter(|s| closed_by_server(s)).count();
    let slow_closed = slow.iter().filter(|s| closed_by_server(s)).count();
    let stalled_closed = drained_to_close(stalled);
    let settle = Instant::now();
    while cam.status("Threads") > threads0 + 8 && settle.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(250));
    }
    eprintln!(
        "port change: old port refused after {refused_after:?}; closed by 5 s: {idle_closed}/20 idle, {slow_closed}/20 slowloris, \
         the stalled one: {stalled_closed}; slowest answer on the new port {slowest:?}; threads {threads0} -> {}",
        cam.status("Threads")
    );
    assert!(refused_after.is_some_and(|t| t < Duration::from_secs(1)), "{refused_after:?}");
    assert_eq!((idle_closed, slow_closed, stalled_closed), (20, 20, true));
    let limit = if emulated() { Duration::from_secs(2) } else { Duration::from_secs(1) };
    assert!(slowest < limit, "{slowest:?}");
    assert!(cam.status("Threads") <= threads0 + 8, "{} threads, {threads0} before", cam.status("Threads"));
}
