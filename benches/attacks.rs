//! Attacks: camcgi (release build, mock board, its shipped limits: 64
//! connections, a 15 s timeout) under one flood at a time, each from 64 or
//! more connections or sockets on other loopback addresses, for
//! `ATTACK_SECONDS` (30 by default), while a normal client works as it
//! always does. Each row prints the normal client's answered requests,
//! failures (no answer within 5 s, or a wrong one), p50, p99 and max,
//! beside the same client with no attack, measured in the same run.
//!
//! The HTTPS rows flood the HTTPS port (garbage, TLS 1.0 hellos, stalled
//! handshakes, silent connections) while the normal client works over
//! HTTPS: a full TLS 1.3 handshake for each request, trusting only the
//! camera's own certificate.
//!
//! `cargo bench --bench attacks`; `CAMCGI_BIN=PATH` measures another build.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, SocketAddrV4, TcpStream, UdpSocket};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[path = "tls_client.rs"]
mod tls_client;

const CONNECTIONS: usize = 64;
const ADMIN: &str = "Authorization: Basic YWRtaW46MTIzNDU2\r\n";
/// The attacker's account (a User), made at start.
const USER: &str = "Authorization: Basic bWFsbG9yeTpwd21hbGxvcnk=\r\n";
const ANSWER_WITHIN: Duration = Duration::from_secs(5);

struct Camera {
    child: Child,
    port: u16,
    https: u16,
    /// A client trusting the camera's own certificate, full handshakes.
    tls: Arc<rustls::ClientConfig>,
    discovery: u16,
    _dir: TempDir,
}

impl Drop for Camera {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct TempDir(std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn camera(row: usize) -> Camera {
    let dir = std::env::temp_dir().join(format!("camcgi-attacks-{}-{row}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let discovery = UdpSocket::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let bin = std::env::var_os("CAMCGI_BIN").unwrap_or_else(|| env!("CARGO_BIN_EXE_camcgi").into());
    let mut child = Command::new(bin)
        .args(["--listen", "127.0.0.1:0", "--https-listen", "127.0.0.1:0", "--log-level", "info"])
        .args(["--discovery", &format!("127.0.0.1:{discovery}"), "--data-dir"])
        .arg(&dir)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let (mut port, mut https) = (0, 0);
    while port == 0 || https == 0 {
        let line = lines.next().unwrap().unwrap();
        if let Some(addr) = line.strip_prefix("INFO  listening on ") {
            let number = addr.trim_end_matches(" (HTTPS)").rsplit(':').next().unwrap().parse().unwrap();
            *(if addr.ends_with(" (HTTPS)") { &mut https } else { &mut port }) = number;
        }
    }
    std::thread::spawn(move || for _ in lines {});
    let uid = get(port, "/cgi-bin/getuid?username=admin&password=123456", "").1;
    let uid = uid.split("<uid>").nth(1).and_then(|r| r.split('<').next()).unwrap_or_default().to_string();
    let certificate = get(port, &format!("/cgi-bin/https?uid={uid}&action=certificate"), "").1;
    let tls = tls_client::client_config(&certificate, false);
    let cam = Camera { child, port, https, tls, discovery, _dir: TempDir(dir) };
    let add = format!("/cgi-bin/user_management?action=add&name=mallory&newpasswd=pwmallory&privilege=User&enable=Enable&uid={uid}");
    assert_eq!(get(cam.port, &add, "").0, 200, "the attacker's account");
    cam
}

/// A connection from `source`, an address of the loopback range.
fn connect_from(source: Ipv4Addr, port: u16, receive_buffer: Option<usize>) -> Option<TcpStream> {
    use nix::sys::socket::{bind, connect, setsockopt, socket, sockopt, AddressFamily, SockFlag, SockType, SockaddrIn};
    use std::os::fd::AsRawFd;
    let fd = socket(AddressFamily::Inet, SockType::Stream, SockFlag::SOCK_CLOEXEC, None).ok()?;
    if let Some(size) = receive_buffer {
        setsockopt(&fd, sockopt::RcvBuf, &size).ok()?;
    }
    bind(fd.as_raw_fd(), &SockaddrIn::from(SocketAddrV4::new(source, 0))).ok()?;
    connect(fd.as_raw_fd(), &SockaddrIn::from(SocketAddrV4::new(Ipv4Addr::LOCALHOST, port))).ok()?;
    Some(TcpStream::from(fd))
}

/// The normal client's address; the attackers' are others.
const NORMAL: Ipv4Addr = Ipv4Addr::LOCALHOST;

/// A request with `Connection: close`, as the normal client sends it.
fn raw_request(method: &str, path: &str, headers: &str, body: &str) -> String {
    let length = if body.is_empty() { String::new() } else { format!("Content-Length: {}\r\n", body.len()) };
    format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{headers}{length}Connection: close\r\n\r\n{body}")
}

/// Sends `raw` and reads the answer to the end: status and body.
fn exchange(stream: &mut (impl Read + Write), raw: &str) -> (u16, String) {
    if stream.write_all(raw.as_bytes()).is_err() {
        return (0, String::new());
    }
    let mut got = Vec::new();
    let _ = stream.read_to_end(&mut got);
    let text = String::from_utf8_lossy(&got).into_owned();
    let status = text.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    (status, text.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default())
}

/// One request on a new connection from `source`: status and body.
fn request_from(source: Ipv4Addr, port: u16, method: &str, path: &str, headers: &str, body: &str) -> (u16, String) {
    let Some(mut s) = connect_from(source, port, None) else { return (0, String::new()) };
    let _ = s.set_read_timeout(Some(ANSWER_WITHIN));
    exchange(&mut s, &raw_request(method, path, headers, body))
}

fn get(port: u16, path: &str, headers: &str) -> (u16, String) {
    request_from(NORMAL, port, "GET", path, headers, "")
}

fn envelope(body: &str) -> String {
    format!("<?xml version=\"1.0\"?><s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\"><s:Body>{body}</s:Body></s:Envelope>")
}

fn soap_from(source: Ipv4Addr, port: u16, path: &str, headers: &str, body: &str) -> (u16, String) {
    request_from(source, port, "POST", path, &format!("Content-Type: application/soap+xml\r\n{headers}"), &envelope(body))
}

fn soap(port: u16, path: &str, headers: &str, body: &str) -> (u16, String) {
    soap_from(NORMAL, port, path, headers, body)
}

const SUBSCRIBE: &str = "<CreatePullPointSubscription xmlns=\"http://www.onvif.org/ver10/events/wsdl\"><InitialTerminationTime>PT600S</InitialTerminationTime></CreatePullPointSubscription>";

fn subscription(answer: &str) -> Option<String> {
    let start = answer.find("/onvif/subscription?id=")?;
    Some(answer[start..start + answer[start..].find('<')?].to_string())
}

fn probe(id: &str) -> String {
    format!("<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" xmlns:a=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\" xmlns:d=\"http://schemas.xmlsoap.org/ws/2005/04/discovery\" xmlns:dn=\"http://www.onvif.org/ver10/network/wsdl\"><s:Header><a:MessageID>urn:uuid:{id}</a:MessageID><a:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe</a:Action></s:Header><s:Body><d:Probe><d:Types>dn:NetworkVideoTransmitter</d:Types></d:Probe></s:Body></s:Envelope>")
}

/// The floods, each run by `CONNECTIONS` threads until `stop`.
#[derive(Clone, Copy, PartialEq)]
enum Attack {
    None,
    Idle,
    SlowHeads,
    SlowBodiesCgi,
    SlowBodiesOnvif,
    SlowBodiesFirmware,
    Pipeliners,
    Pulls,
    Hoarding,
    Probes,
    TlsNone,
    TlsGarbage,
    Tls10,
    TlsStalled,
    TlsSilent,
}

impl Attack {
    /// The flood is on the HTTPS port, and the normal client works over HTTPS.
    fn on_https(self) -> bool {
        matches!(self, Attack::TlsNone | Attack::TlsGarbage | Attack::Tls10 | Attack::TlsStalled | Attack::TlsSilent)
    }
}

/// A TLS 1.0 ClientHello offering one TLS 1.0 suite.
const TLS10_HELLO: &[u8] = &[
    0x16, 0x03, 0x01, 0x00, 0x2d, 0x01, 0x00, 0x00, 0x29, 0x03, 0x01, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19,
    20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 0x00, 0x00, 0x02, 0x00, 0x2f, 0x01, 0x00,
];

/// Connects from `source`, sends `bytes`, and reads until the camera closes.
fn hit_and_wait(port: u16, source: Ipv4Addr, bytes: &[u8], stop: &AtomicBool) {
    while !stop.load(Ordering::Relaxed) {
        let Some(mut s) = connect_from(source, port, None) else { return std::thread::sleep(Duration::from_millis(100)) };
        let _ = s.set_read_timeout(Some(Duration::from_secs(20)));
        if s.write_all(bytes).is_ok() {
            let mut sink = Vec::new();
            let _ = s.read_to_end(&mut sink);
        }
    }
}

impl Attack {
    fn name(self) -> &'static str {
        match self {
            Attack::None => "no attack",
            Attack::Idle => "64 idle connections, reopened when closed",
            Attack::SlowHeads => "64 slow heads (a byte every 5 s)",
            Attack::SlowBodiesCgi => "64 slow CGI bodies (Content-Length 30000, a byte every 5 s)",
            Attack::SlowBodiesOnvif => "64 slow ONVIF envelopes (30000, a byte every 5 s)",
            Attack::SlowBodiesFirmware => "64 slow firmware uploads (a byte every 5 s)",
            Attack::Pipeliners => "64 connections pipelining, never reading",
            Attack::Pulls => "64 PullMessages PT60S at once on one subscription (a User)",
            Attack::Hoarding => "64 connections creating and renewing subscriptions (a User)",
            Attack::Probes => "64 addresses flooding WS-Discovery probes (200 a second each)",
            Attack::TlsNone => "HTTPS: no attack",
            Attack::TlsGarbage => "HTTPS: 64 connections sending plain HTTP, again and again",
            Attack::Tls10 => "HTTPS: 64 connections offering TLS 1.0, again and again",
            Attack::TlsStalled => "HTTPS: 64 stalled handshakes (a byte every 5 s)",
            Attack::TlsSilent => "HTTPS: 64 silent connections, reopened when closed",
        }
    }
}

/// Sends the start of a request, then a byte every 5 s, until closed.
fn trickle(port: u16, source: Ipv4Addr, start: &str, stop: &AtomicBool) {
    trickle_bytes(port, source, start.as_bytes(), stop)
}

/// `trickle` with any bytes first.
fn trickle_bytes(port: u16, source: Ipv4Addr, start: &[u8], stop: &AtomicBool) {
    while !stop.load(Ordering::Relaxed) {
        let Some(mut s) = connect_from(source, port, None) else { return std::thread::sleep(Duration::from_millis(100)) };
        if s.write_all(start).is_err() {
            continue;
        }
        let mut last = Instant::now();
        while !stop.load(Ordering::Relaxed) {
            std::thread::sleep(Duration::from_millis(50));
            if last.elapsed() >= Duration::from_secs(5) {
                last = Instant::now();
                if s.write_all(b" ").is_err() {
                    break;
                }
            }
            if closed(&s) {
                break;
            }
        }
    }
}

fn closed(s: &TcpStream) -> bool {
    let mut buf = [0u8; 4096];
    let _ = s.set_nonblocking(true);
    let gone = loop {
        match (&*s).read(&mut buf) {
            Ok(0) => break true,
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break false,
            Err(_) => break true,
        }
    };
    let _ = s.set_nonblocking(false);
    gone
}

fn attacker(attack: Attack, (port, https): (u16, u16), discovery: u16, n: usize, pulled: Option<String>, stop: Arc<AtomicBool>) {
    // One attacker address, as a scan from one host; `ATTACK_ADDRESSES=64`
    // spreads the connections over that many.
    let spread = std::env::var("ATTACK_ADDRESSES").ok().and_then(|s| s.parse::<usize>().ok()).unwrap_or(1).clamp(1, 200);
    let source = Ipv4Addr::new(127, 0, 4, 1 + (n % spread) as u8);
    let stop = &*stop;
    match attack {
        Attack::None => {}
        Attack::Idle => trickle(port, source, "", stop),
        Attack::SlowHeads => trickle(port, source, "GET /cgi-bin/ima", stop),
        Attack::SlowBodiesCgi => trickle(port, source, "POST /cgi-bin/image HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 30000\r\n\r\n<", stop),
        Attack::SlowBodiesOnvif => trickle(
            port,
            source,
            "POST /onvif/device_service HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/soap+xml\r\nContent-Length: 30000\r\n\r\n<",
            stop,
        ),
        Attack::SlowBodiesFirmware => trickle(port, source, "POST /cgi-bin/OnvifFirmwareUpgrade HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 30000\r\n\r\n", stop),
        Attack::Pipeliners => {
            while !stop.load(Ordering::Relaxed) {
                let Some(mut s) = connect_from(source, port, Some(1024)) else { return };
                let one = "GET /app.js HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept-Encoding: gzip\r\n\r\n";
                let _ = s.set_write_timeout(Some(Duration::from_millis(200)));
                while !stop.load(Ordering::Relaxed) && s.write_all(one.as_bytes()).is_ok() {}
                while !stop.load(Ordering::Relaxed) && !closed(&s) {
                    std::thread::sleep(Duration::from_millis(100));
                }
            }
        }
        Attack::Pulls => {
            let path = pulled.unwrap_or_default();
            let pull = "<PullMessages xmlns=\"http://www.onvif.org/ver10/events/wsdl\"><Timeout>PT60S</Timeout><MessageLimit>10</MessageLimit></PullMessages>";
            while !stop.load(Ordering::Relaxed) {
                soap_from(source, port, &path, USER, pull);
            }
        }
        Attack::Hoarding => {
            let renew = "<Renew xmlns=\"http://docs.oasis-open.org/wsn/b-2\"><TerminationTime>PT600S</TerminationTime></Renew>";
            while !stop.load(Ordering::Relaxed) {
                if let Some(path) = subscription(&soap_from(source, port, "/onvif/events_service", USER, SUBSCRIBE).1) {
                    soap_from(source, port, &path, USER, renew);
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        Attack::TlsNone => {}
        Attack::TlsGarbage => hit_and_wait(https, source, b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", stop),
        Attack::Tls10 => hit_and_wait(https, source, TLS10_HELLO, stop),
        Attack::TlsStalled => trickle_bytes(https, source, &TLS10_HELLO[..5], stop),
        Attack::TlsSilent => trickle_bytes(https, source, b"", stop),
        Attack::Probes => {
            let Ok(socket) = UdpSocket::bind((Ipv4Addr::new(127, 0, 5, 1 + n as u8), 0)) else { return };
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) {
                i += 1;
                let _ = socket.send_to(probe(&format!("flood-{n}-{i}")).as_bytes(), ("127.0.0.1", discovery));
                std::thread::sleep(Duration::from_millis(5));
            }
        }
    }
}

/// What the normal client does once; whether it succeeded.
fn normal_request(attack: Attack, cam: &Camera, turn: usize) -> bool {
    match attack {
        // Home Assistant's subscription must still be made.
        Attack::Hoarding => match subscription(&soap(cam.port, "/onvif/events_service", ADMIN, SUBSCRIBE).1) {
            Some(path) => soap(cam.port, &path, ADMIN, "<Unsubscribe xmlns=\"http://docs.oasis-open.org/wsn/b-2\"/>").0 == 200,
            None => false,
        },
        Attack::Probes => {
            let Ok(prober) = UdpSocket::bind("127.0.0.1:0") else { return false };
            let _ = prober.set_read_timeout(Some(ANSWER_WITHIN));
            let _ = prober.send_to(probe(&format!("real-{turn}")).as_bytes(), ("127.0.0.1", cam.discovery));
            let mut buf = [0u8; 8192];
            prober.recv_from(&mut buf).is_ok_and(|(n, _)| String::from_utf8_lossy(&buf[..n]).contains(&format!("real-{turn}")))
        }
        _ if attack.on_https() => {
            let (status, body) = https_request(cam, turn);
            if status != 200 {
                eprintln!("{}: status {status}: {body}", attack.name());
            }
            status == 200
        }
        _ => {
            let (status, body) = if turn.is_multiple_of(2) {
                get(cam.port, "/cgi-bin/getuid?username=admin&password=123456", "")
            } else {
                soap(cam.port, "/onvif/device_service", ADMIN, "<GetDeviceInformation xmlns=\"http://www.onvif.org/ver10/device/wsdl\"/>")
            };
            if status != 200 {
                eprintln!("{}: status {status}: {body}", attack.name());
            }
            status == 200
        }
    }
}

/// The normal client over HTTPS: a new TLS connection (a full handshake)
/// for getuid or GetDeviceInformation in turn; status and body.
fn https_request(cam: &Camera, turn: usize) -> (u16, String) {
    let Ok(mut c) = tls_client::Conn::open(cam.https, Some(&cam.tls)) else { return (0, "no TLS connection".into()) };
    let raw = if turn.is_multiple_of(2) {
        raw_request("GET", "/cgi-bin/getuid?username=admin&password=123456", "", "")
    } else {
        let body = envelope("<GetDeviceInformation xmlns=\"http://www.onvif.org/ver10/device/wsdl\"/>");
        raw_request("POST", "/onvif/device_service", &format!("Content-Type: application/soap+xml\r\n{ADMIN}"), &body)
    };
    exchange(&mut c, &raw)
}

struct Row {
    answered: usize,
    failures: usize,
    latencies: Vec<Duration>,
}

fn pct(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1].as_secs_f64() * 1000.0
}

fn run(attack: Attack, row: usize, seconds: u64) -> Row {
    let cam = camera(row);
    let pulled = (attack == Attack::Pulls).then(|| subscription(&soap(cam.port, "/onvif/events_service", USER, SUBSCRIBE).1)).flatten();
    let stop = Arc::new(AtomicBool::new(false));
    let attackers: Vec<_> = (0..if matches!(attack, Attack::None | Attack::TlsNone) { 0 } else { CONNECTIONS })
        .map(|n| {
            let (stop, pulled) = (stop.clone(), pulled.clone());
            let (ports, discovery) = ((cam.port, cam.https), cam.discovery);
            std::thread::spawn(move || attacker(attack, ports, discovery, n, pulled, stop))
        })
        .collect();
    // The flood's connections in place first.
    std::thread::sleep(Duration::from_secs(2));
    // A probe a second (a prober searching), otherwise ten requests a second.
    let every = if attack == Attack::Probes { Duration::from_secs(1) } else { Duration::from_millis(100) };
    let until = Instant::now() + Duration::from_secs(seconds);
    let mut result = Row { answered: 0, failures: 0, latencies: Vec::new() };
    let mut turn = 0;
    while Instant::now() < until {
        let started = Instant::now();
        turn += 1;
        if normal_request(attack, &cam, turn) {
            result.answered += 1;
        } else {
            result.failures += 1;
        }
        result.latencies.push(started.elapsed());
        std::thread::sleep(every.saturating_sub(started.elapsed()));
    }
    stop.store(true, Ordering::Relaxed);
    drop(cam);
    for a in attackers {
        let _ = a.join();
    }
    result.latencies.sort();
    result
}

fn main() {
    if std::env::args().any(|a| a == "--list" || a == "--test") {
        return;
    }
    let seconds = std::env::var("ATTACK_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(30u64);
    use nix::sys::resource::{getrlimit, setrlimit, Resource};
    if let Ok((_, hard)) = getrlimit(Resource::RLIMIT_NOFILE) {
        let _ = setrlimit(Resource::RLIMIT_NOFILE, hard.min(8192), hard);
    }
    let attacks = [
        Attack::None,
        Attack::Idle,
        Attack::SlowHeads,
        Attack::SlowBodiesCgi,
        Attack::SlowBodiesOnvif,
        Attack::SlowBodiesFirmware,
        Attack::Pipeliners,
        Attack::Pulls,
        Attack::Hoarding,
        Attack::Probes,
        Attack::TlsNone,
        Attack::TlsGarbage,
        Attack::Tls10,
        Attack::TlsStalled,
        Attack::TlsSilent,
    ];
    println!(
        "each flood {seconds} s; the normal client: a request on a new connection every 100 ms (getuid and GetDeviceInformation in turn;"
    );
    println!("the administrator's subscription under hoarding; a probe a second from its own address under the probe flood;");
    println!("under the HTTPS floods the same requests over HTTPS, a full TLS 1.3 handshake each)\n");
    println!("| attack | answered | failures | p50 | p99 | max |");
    println!("| --- | --- | --- | --- | --- | --- |");
    let mut worst_p99: f64 = 0.0;
    let mut failures = 0;
    // `ATTACK_ONLY=WORD` runs the rows whose description holds it (and the baseline).
    let only = std::env::var("ATTACK_ONLY").unwrap_or_default();
    for (row, attack) in
        attacks.into_iter().enumerate().filter(|(_, a)| matches!(a, Attack::None | Attack::TlsNone) || a.name().contains(only.as_str()))
    {
        let r = run(attack, row, seconds);
        let l = &r.latencies;
        println!(
            "| {} | {} | {} | {:.2} ms | {:.2} ms | {:.2} ms |",
            attack.name(),
            r.answered,
            r.failures,
            pct(l, 0.5),
            pct(l, 0.99),
            l.last().map_or(0.0, |d| d.as_secs_f64() * 1000.0)
        );
        worst_p99 = worst_p99.max(pct(l, 0.99));
        failures += r.failures;
    }
    println!("\ngoal: no failure and p99 under 50 ms in every row: {failures} failures, worst p99 {worst_p99:.2} ms");
}
