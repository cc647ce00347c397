//! The connection layer: many connections on a few threads, and a handler
//! that blocks holding up no other connection.

use crate::common::*;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// Reads one answer with a Content-Length from a keep-alive connection.
fn read_answer(reader: &mut BufReader<TcpStream>) -> (u16, Vec<u8>) {
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    let status = line.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let mut length = 0;
    loop {
        line.clear();
        reader.read_line(&mut line).unwrap();
        if line == "\r\n" || line.is_empty() {
            break;
        }
        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            length = v.trim().parse().unwrap();
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).unwrap();
    (status, body)
}

/// A firmware upload's head and the first bytes of a body of 1000000 that
/// never come: its handler waits for them, blocking.
const UPLOAD_HEAD: &str = "POST /cgi-bin/OnvifFirmwareUpgrade HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Basic YWRtaW46MTIzNDU2\r\n\
                           Content-Length: 1000000\r\nConnection: close\r\n\r\nCAMF";

/// Whether a connection stays open and says nothing for `wait`: no answer,
/// no end.
fn silent(s: &mut TcpStream, wait: Duration) -> bool {
    s.set_read_timeout(Some(wait)).unwrap();
    let mut byte = [0u8; 1];
    matches!(s.read(&mut byte), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock)
}

#[test]
fn sixty_four_busy_keep_alive_connections_are_served_by_a_few_threads() {
    let dir = TempDir::new();
    let cam = Process::start(&dir.0, &[]);
    let uid = cam.uid("123456");
    let threads0 = cam.status("Threads");
    let clients: Vec<_> = (0..64)
        .map(|_| {
            let (port, uid) = (cam.port, uid.clone());
            std::thread::spawn(move || {
                let s = TcpStream::connect(("127.0.0.1", port)).unwrap();
                s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
                let mut writer = s.try_clone().unwrap();
                let mut reader = BufReader::new(s);
                for _ in 0..40 {
                    write!(writer, "GET /cgi-bin/image?uid={uid} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").unwrap();
                    let (status, body) = read_answer(&mut reader);
                    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
                }
                reader
            })
        })
        .collect();
    let mut peak = 0;
    while clients.iter().any(|c| !c.is_finished()) {
        peak = peak.max(cam.status("Threads"));
        std::thread::sleep(Duration::from_millis(5));
    }
    // All 64 are still open: their answers were read, their sockets are held.
    let open: Vec<_> = clients.into_iter().map(|c| c.join().unwrap()).collect();
    eprintln!("64 keep-alive connections, 40 requests each: threads {threads0} -> peak {peak}");
    assert_eq!(open.len(), 64);
    // A thread per connection would be 64 more; spares start only when a
    // handler stalls, and under qemu-user a request may take long enough.
    let spares = if emulated() { 16 } else { 4 };
    assert!(peak <= threads0 + spares, "{peak} threads for 64 connections, {threads0} before");
}

#[test]
fn an_upload_whose_body_trickles_holds_up_no_other_connection() {
    let dir = TempDir::new();
    let cam = Process::start(&dir.0, &["--timeout", "5"]);
    // The handler reads this body from the socket, blocking, for as long as
    // the client takes (each read within the timeout).
    let mut upload = TcpStream::connect(("127.0.0.1", cam.port)).unwrap();
    upload.write_all(UPLOAD_HEAD.as_bytes()).unwrap();
    let until = Instant::now() + Duration::from_secs(3);
    let mut slowest = Duration::ZERO;
    let mut answered = 0;
    while Instant::now() < until {
        let _ = upload.write_all(b"\0");
        let started = Instant::now();
        assert_eq!(cam.get("/cgi-bin/getuid?username=admin&password=123456").status, 200);
        slowest = slowest.max(started.elapsed());
        answered += 1;
        std::thread::sleep(Duration::from_millis(100));
    }
    eprintln!("while an upload trickled: {answered} answers, the slowest in {slowest:?}");
    let limit = if emulated() { Duration::from_secs(1) } else { Duration::from_millis(100) };
    assert!(slowest < limit, "{slowest:?}");
    // The upload is still being read: it has had no answer.
    assert!(silent(&mut upload, Duration::from_millis(200)), "the upload was answered");
}

#[test]
fn requests_that_arrive_with_one_that_blocks_are_answered_meanwhile() {
    use nix::sys::signal::{kill, Signal};
    use nix::unistd::Pid;
    let dir = TempDir::new();
    let cam = Process::start(&dir.0, &["--timeout", "10"]);
    let uid = cam.uid("123456");
    let pid = Pid::from_raw(cam.child.id() as i32);
    let connect = || {
        let s = TcpStream::connect(("127.0.0.1", cam.port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        s
    };
    // First with one thread serving, and more requests than it takes at
    // once; then one request, with the spare that the first round started
    // waiting for events too (and none coming to wake it), five times, as
    // the two events do not always go to the one thread.
    for (round, count) in [(1, 24), (2, 1), (3, 1), (4, 1), (5, 1), (6, 1)] {
        let mut upload = connect();
        let mut clients: Vec<TcpStream> = (0..count).map(|_| connect()).collect();
        std::thread::sleep(Duration::from_millis(200));
        // Stopped, the server finds every request there at once when it
        // goes on, the upload (whose body the handler waits for) first.
        kill(pid, Signal::SIGSTOP).unwrap();
        upload.write_all(UPLOAD_HEAD.as_bytes()).unwrap();
        for client in &mut clients {
            write!(client, "GET /cgi-bin/image?uid={uid} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").unwrap();
        }
        std::thread::sleep(Duration::from_millis(100));
        let started = Instant::now();
        kill(pid, Signal::SIGCONT).unwrap();
        for client in clients {
            let (status, body) = read_answer(&mut BufReader::new(client));
            assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
        }
        let took = started.elapsed();
        eprintln!("round {round}: {count} requests answered in {took:?} while an upload's body was awaited");
        let limit = if emulated() { Duration::from_secs(4) } else { Duration::from_secs(1) };
        assert!(took < limit, "round {round}: {took:?}");
        // The upload is still being read: it has had no answer.
        assert!(silent(&mut upload, Duration::from_millis(100)), "the upload was answered");
    }
}

#[test]
fn at_max_connections_the_connection_idle_longest_makes_room() {
    let dir = TempDir::new();
    let cam = Process::start(&dir.0, &["--max-connections", "4"]);
    let mut idle: Vec<TcpStream> = (0..4)
        .map(|_| {
            let s = TcpStream::connect(("127.0.0.1", cam.port)).unwrap();
            std::thread::sleep(Duration::from_millis(50));
            s
        })
        .collect();
    std::thread::sleep(Duration::from_millis(100));
    // A fifth connection is served; the first, idle longest, is closed for it.
    assert_eq!(cam.get("/cgi-bin/getuid?username=admin&password=123456").status, 200);
    let mut byte = [0u8; 1];
    idle[0].set_read_timeout(Some(Duration::from_secs(3))).unwrap();
    let closed = idle[0].read(&mut byte);
    assert!(
        matches!(&closed, Ok(0)) || matches!(&closed, Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset),
        "the connection idle longest is still open: {closed:?}"
    );
    for (i, s) in idle.iter_mut().enumerate().skip(1) {
        assert!(silent(s, Duration::from_millis(200)), "connection {i} was closed though the limit had room for it");
    }
    // Without the limit all four would stay open: with the default (64) they do.
    let dir = TempDir::new();
    let roomy = Process::start(&dir.0, &[]);
    let mut kept: Vec<TcpStream> = (0..4).map(|_| TcpStream::connect(("127.0.0.1", roomy.port)).unwrap()).collect();
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(roomy.get("/cgi-bin/getuid?username=admin&password=123456").status, 200);
    for s in &mut kept {
        assert!(silent(s, Duration::from_millis(200)));
    }
}
