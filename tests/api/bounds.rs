//! Every phase of a request bounded, slots shared fairly, long-polls that
//! stall no one: the points of the integrators' and attackers' findings,
//! each named `pointN_…` after its point.

use crate::common::*;
use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, TcpStream, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const BASIC_ADMIN: &str = "Authorization: Basic YWRtaW46MTIzNDU2\r\n";
const EVENTS: &str = "/onvif/events_service";
const GETUID: &str = "/cgi-bin/getuid?username=admin&password=123456";

/// A TCP connection to the camera from `source` (an address of the loopback
/// range), with a receive buffer of `receive_buffer` bytes if given.
pub fn connect_from(source: Ipv4Addr, port: u16, receive_buffer: Option<usize>) -> TcpStream {
    use nix::sys::socket::{bind, connect, setsockopt, socket, sockopt, AddressFamily, SockFlag, SockType, SockaddrIn};
    use std::os::fd::AsRawFd;
    let fd = socket(AddressFamily::Inet, SockType::Stream, SockFlag::SOCK_CLOEXEC, None).unwrap();
    if let Some(size) = receive_buffer {
        setsockopt(&fd, sockopt::RcvBuf, &size).unwrap();
    }
    bind(fd.as_raw_fd(), &SockaddrIn::from(std::net::SocketAddrV4::new(source, 0))).unwrap();
    connect(fd.as_raw_fd(), &SockaddrIn::from(std::net::SocketAddrV4::new(Ipv4Addr::LOCALHOST, port))).unwrap();
    TcpStream::from(fd)
}

/// A GET on a fresh connection: its answer, or none within `limit`, and how
/// long it took.
pub fn timed_get(port: u16, target: &str, limit: Duration) -> (Option<Resp>, Duration) {
    let started = Instant::now();
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else { return (None, started.elapsed()) };
    s.set_read_timeout(Some(limit)).unwrap();
    let _ = write!(s, "GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let answered = raw.windows(4).any(|w| w == b"\r\n\r\n");
    (answered.then(|| parse_response(&raw)), started.elapsed())
}

fn subscribe(port: u16, headers: &str) -> Resp {
    soap(
        port,
        EVENTS,
        "<CreatePullPointSubscription xmlns=\"http://www.onvif.org/ver10/events/wsdl\"><InitialTerminationTime>PT600S</InitialTerminationTime></CreatePullPointSubscription>",
        headers,
    )
}

fn pull(timeout: &str) -> String {
    format!("<PullMessages xmlns=\"http://www.onvif.org/ver10/events/wsdl\"><Timeout>{timeout}</Timeout><MessageLimit>10</MessageLimit></PullMessages>")
}

/// A pull on its own thread and connection, read for up to a minute: its
/// answer and how long it took.
fn pull_in_background(port: u16, path: &str, timeout: &'static str) -> std::thread::JoinHandle<(Resp, Duration)> {
    let path = path.to_string();
    std::thread::spawn(move || {
        let started = Instant::now();
        let envelope = soap_envelope("", &pull(timeout));
        let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
        write!(
            s,
            "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/soap+xml\r\n{BASIC_ADMIN}Content-Length: {}\r\nConnection: close\r\n\r\n{envelope}",
            envelope.len()
        )
        .unwrap();
        let mut raw = Vec::new();
        let _ = s.read_to_end(&mut raw);
        (parse_response(&raw), started.elapsed())
    })
}

#[test]
fn point1_a_new_connection_after_a_quiet_spell_is_read_while_a_long_poll_waits() {
    let cam = Cam::start();
    let port = cam.port();
    let path = subscription_path(&subscribe(port, BASIC_ADMIN));
    // The subscription's first message, so that the long-poll waits.
    assert!(soap(port, &path, &pull("PT1S"), BASIC_ADMIN).text().contains("Initialized"));
    let long_poll = pull_in_background(port, &path, "PT50S");
    // Quiet for longer than an idle spare thread lingers (10 s).
    std::thread::sleep(Duration::from_secs(12));
    let (answer, took) = timed_get(port, GETUID, Duration::from_secs(5));
    assert_eq!(answer.map(|r| r.status), Some(200), "a new connection after 12 s of quiet, while a long-poll waits (after {took:?})");
    assert!(took < Duration::from_secs(2), "answered after {took:?}");
    // A second pull on the subscription answers the first at once.
    assert_eq!(soap(port, &path, &pull("PT1S"), BASIC_ADMIN).status, 200);
    let (first, waited) = long_poll.join().unwrap();
    assert_eq!(first.status, 200, "{}", first.text());
    assert!(waited < Duration::from_secs(20), "the long-poll ended when the next pull came, after {waited:?}");
}

/// A POST of a 30000-byte envelope whose body then comes a byte every
/// `every`, from `source`, on a thread that stops with `stop`.
fn slow_body(port: u16, source: Ipv4Addr, path: &str, headers: &str, every: Duration, stop: Arc<AtomicBool>) -> TcpStream {
    let mut s = connect_from(source, port, None);
    write!(s, "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{headers}Content-Type: application/soap+xml\r\nContent-Length: 30000\r\n\r\n<")
        .unwrap();
    let mut writer = s.try_clone().unwrap();
    std::thread::spawn(move || {
        while !stop.load(Ordering::Relaxed) {
            std::thread::sleep(every);
            if writer.write_all(b" ").is_err() {
                return;
            }
        }
    });
    s
}

fn closed_within(mut s: &TcpStream, limit: Duration) -> bool {
    s.set_read_timeout(Some(limit)).unwrap();
    let mut buf = [0u8; 4096];
    let until = Instant::now() + limit;
    while Instant::now() < until {
        match s.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => {}
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => return false,
            Err(_) => return true,
        }
    }
    false
}

#[test]
fn point2_slow_bodies_are_cut_at_their_rate_and_make_room_for_others() {
    let dir = TempDir::new();
    let cam = Process::start(&dir.0, &["--timeout", "3", "--max-connections", "8"]);
    let stop = Arc::new(AtomicBool::new(false));
    let attacker = Ipv4Addr::new(127, 0, 0, 2);
    let slow: Vec<TcpStream> =
        (0..8).map(|_| slow_body(cam.port, attacker, "/onvif/device_service", "", Duration::from_millis(300), stop.clone())).collect();
    std::thread::sleep(Duration::from_millis(1500));
    // Every slot holds a slow body: the one furthest behind makes room.
    let (answer, took) = timed_get(cam.port, GETUID, Duration::from_secs(5));
    assert_eq!(answer.map(|r| r.status), Some(200), "a client while 8 slow bodies hold every slot (after {took:?})");
    assert!(took < Duration::from_secs(2), "answered after {took:?}");
    // Without a newcomer, each is cut once the timeout has passed and its
    // body is behind the least rate, though a byte keeps coming.
    for (i, s) in slow.iter().enumerate() {
        assert!(closed_within(s, Duration::from_secs(6)), "slow body {i} still read 7.5 s after it began");
    }
    stop.store(true, Ordering::Relaxed);
}

#[test]
fn point3_connections_that_never_read_their_answers_make_room() {
    let dir = TempDir::new();
    // The default timeout (15 s): room must come sooner than the reset.
    let cam = Process::start(&dir.0, &["--max-connections", "8"]);
    let attacker = Ipv4Addr::new(127, 0, 0, 3);
    let pipeliners: Vec<TcpStream> = (0..8)
        .map(|_| {
            let s = connect_from(attacker, cam.port, Some(1024));
            let mut writer = s.try_clone().unwrap();
            std::thread::spawn(move || {
                let one = "GET /app.js HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept-Encoding: gzip\r\n\r\n";
                for _ in 0..300 {
                    if writer.write_all(one.as_bytes()).is_err() {
                        return;
                    }
                }
            });
            s
        })
        .collect();
    std::thread::sleep(Duration::from_millis(2000));
    let mut slowest = Duration::ZERO;
    for _ in 0..5 {
        let (answer, took) = timed_get(cam.port, GETUID, Duration::from_secs(10));
        assert_eq!(answer.map(|r| r.status), Some(200), "a client while 8 connections never read (after {took:?})");
        slowest = slowest.max(took);
    }
    assert!(slowest < Duration::from_secs(3), "slowest answer {slowest:?}");
    drop(pipeliners);
}

#[test]
fn point4_one_pull_waits_per_subscription_and_a_flood_of_pulls_holds_no_one_up() {
    let cam = Cam::start();
    let port = cam.port();
    let path = subscription_path(&subscribe(port, BASIC_ADMIN));
    assert!(soap(port, &path, &pull("PT1S"), BASIC_ADMIN).text().contains("Initialized"));
    let started = Instant::now();
    let pulls: Vec<_> = (0..70)
        .map(|_| {
            let p = pull_in_background(port, &path, "PT30S");
            std::thread::sleep(Duration::from_millis(20));
            p
        })
        .collect();
    let (answer, took) = timed_get(port, GETUID, Duration::from_secs(10));
    assert_eq!(answer.map(|r| r.status), Some(200), "the administrator while 70 pulls came on one subscription (after {took:?})");
    assert!(took < Duration::from_secs(2), "answered after {took:?}");
    // The last pull waits; a short one answers it.
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(soap(port, &path, &pull("PT1S"), BASIC_ADMIN).status, 200);
    for (i, p) in pulls.into_iter().enumerate() {
        let (r, _) = p.join().unwrap();
        assert_eq!(r.status, 200, "pull {i}: {}", r.text());
        assert!(!r.text().contains("NotificationMessage"), "pull {i}: nothing happened");
    }
    assert!(started.elapsed() < Duration::from_secs(20), "every pull answered by the next, in {:?}", started.elapsed());
}

#[test]
fn point5_no_holder_can_hoard_the_subscriptions() {
    let cam = Cam::start();
    let port = cam.port();
    let unsubscribe = "<Unsubscribe xmlns=\"http://docs.oasis-open.org/wsn/b-2\"/>";
    cam.user_with("hoarder", "User");
    let hoarder = basic("hoarder", "pwhoarder");
    let paths: Vec<String> = (0..32).map(|_| subscription_path(&assert_ok_soap(subscribe(port, &hoarder)))).collect();
    // One holder keeps its 8 most recent; its older ones ended.
    assert_soap_fault(&soap(port, &paths[0], &pull("PT0S"), &hoarder), 500, "wsrf-rw:ResourceUnknownFault", "no such subscription");
    assert_soap_fault(&soap(port, &paths[23], &pull("PT0S"), &hoarder), 500, "wsrf-rw:ResourceUnknownFault", "no such subscription");
    for path in &paths[24..] {
        assert_eq!(soap(port, path, &pull("PT0S"), &hoarder).status, 200);
    }
    // Three more accounts fill the table; the administrator still gets one,
    // from the holder with the most.
    for name in ["second", "third", "fourth"] {
        cam.user_with(name, "User");
        for _ in 0..8 {
            assert_ok_soap(subscribe(port, &basic(name, &format!("pw{name}"))));
        }
    }
    let admins = subscription_path(&assert_ok_soap(subscribe(port, BASIC_ADMIN)));
    assert_eq!(soap(port, &admins, &pull("PT0S"), BASIC_ADMIN).status, 200);
    assert_eq!(soap(port, &paths[24], unsubscribe, &hoarder).status, 500, "the hoarder's oldest made room (ResourceUnknownFault)");
    assert_eq!(soap(port, &paths[25], unsubscribe, &hoarder).status, 200);
}

fn assert_ok_soap(r: Resp) -> Resp {
    assert_eq!(r.status, 200, "{}", r.text());
    r
}

#[test]
fn point5_when_every_holder_has_its_share_a_new_one_is_refused() {
    let cam = Cam::start();
    let port = cam.port();
    let uid = cam.admin();
    assert_ok(cam.get(&format!("/cgi-bin/onvif?auth=0&uid={uid}")), "onvif");
    // 32 anonymous clients, one subscription each, from 32 addresses.
    let create = |source: Ipv4Addr| {
        let body = soap_envelope(
            "",
            "<CreatePullPointSubscription xmlns=\"http://www.onvif.org/ver10/events/wsdl\"><InitialTerminationTime>PT600S</InitialTerminationTime></CreatePullPointSubscription>",
        );
        let mut s = connect_from(source, port, None);
        write!(s, "POST {EVENTS} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/soap+xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len()).unwrap();
        let mut raw = Vec::new();
        s.read_to_end(&mut raw).unwrap();
        parse_response(&raw)
    };
    for i in 0..32u8 {
        assert_ok_soap(create(Ipv4Addr::new(127, 0, 1, 10 + i)));
    }
    assert_soap_fault(&create(Ipv4Addr::new(127, 0, 1, 200)), 500, "ter:TooManySubscriptions", "32 subscriptions are live");
    // Nor may one of them hold a second.
    assert_soap_fault(&create(Ipv4Addr::new(127, 0, 1, 10)), 500, "ter:TooManySubscriptions", "32 subscriptions are live");
}

#[test]
fn point6_identical_content_length_values_are_one_length_and_the_body_stays_a_body() {
    let cam = Cam::start();
    let inner = "GET /cgi-bin/getuid?username=admin&password=123456 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    let raw = raw_request(
        cam.port(),
        &format!("POST /cgi-bin/getuid HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {0}, {0}\r\n\r\n{inner}", inner.len()),
    );
    assert_eq!(raw.matches("HTTP/1.1 ").count(), 1, "one answer, the body not run as a request: {raw}");
    assert!(!raw.contains("<uid>"), "{raw}");
    let differing = raw_request(
        cam.port(),
        &format!("POST /cgi-bin/getuid HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {}, 5\r\n\r\n{inner}", inner.len()),
    );
    assert!(differing.starts_with("HTTP/1.1 400 "), "{differing}");
    assert_eq!(differing.matches("HTTP/1.1 ").count(), 1, "{differing}");
    assert!(differing.contains("Connection: close"), "{differing}");
}

#[test]
fn point7_a_firmware_upload_that_trickles_is_cut_and_frees_the_upgrade() {
    let cam = Cam::start();
    let port = cam.port();
    let stop = Arc::new(AtomicBool::new(false));
    let trickle =
        slow_body(port, Ipv4Addr::LOCALHOST, "/cgi-bin/OnvifFirmwareUpgrade", BASIC_ADMIN, Duration::from_millis(300), stop.clone());
    cam.eventually("the upload is receiving", || {
        let uid = cam.admin();
        cam.get(&format!("/cgi-bin/upgrade_status?uid={uid}")).attr("state").as_deref() == Some("receiving")
    });
    let started = Instant::now();
    assert!(closed_within(&trickle, Duration::from_secs(6)), "a trickling upload still read after {:?}", started.elapsed());
    stop.store(true, Ordering::Relaxed);
    let uid = cam.admin();
    cam.eventually("the upgrade is free again", || {
        cam.get(&format!("/cgi-bin/upgrade_status?uid={uid}")).attr("state").as_deref() != Some("receiving")
    });
    let r = raw_request(
        port,
        &format!("POST /cgi-bin/OnvifFirmwareUpgrade HTTP/1.1\r\nHost: 127.0.0.1\r\n{BASIC_ADMIN}Content-Length: 3\r\n\r\nabc"),
    );
    assert!(!r.contains("upgrade in progress"), "{r}");
}

/// A WS-Discovery Probe as clients send it: SOAP 1.2, WS-Addressing's
/// Action, the discovery namespace.
pub fn probe(id: &str) -> String {
    format!("<?xml version=\"1.0\"?><s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" xmlns:a=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\" xmlns:d=\"http://schemas.xmlsoap.org/ws/2005/04/discovery\" xmlns:dn=\"http://www.onvif.org/ver10/network/wsdl\"><s:Header><a:MessageID>urn:uuid:{id}</a:MessageID><a:To>urn:schemas-xmlsoap-org:ws:2005:04:discovery</a:To><a:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe</a:Action></s:Header><s:Body><d:Probe><d:Types>dn:NetworkVideoTransmitter</d:Types></d:Probe></s:Body></s:Envelope>")
}

/// A camera whose discovery responder is on a loopback port, and that port.
pub fn discoverable_camera() -> (Cam, u16) {
    let port = UdpSocket::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let cam =
        Cam::start_configured(Arc::new(TempDir::new()), camcgi_hal::mock::MockBoard::new(), camcgi_hal::ManualMonotonic::new(), |c| {
            c.discovery = Some(format!("127.0.0.1:{port}").parse().unwrap())
        });
    (cam, port)
}

/// Sends `datagram` from `client` and waits `wait` for an answer.
pub fn answered(client: &UdpSocket, port: u16, datagram: &str, wait: Duration) -> Option<Vec<u8>> {
    client.set_read_timeout(Some(wait)).unwrap();
    client.send_to(datagram.as_bytes(), ("127.0.0.1", port)).unwrap();
    let mut buf = [0u8; 8192];
    client.recv_from(&mut buf).ok().map(|(n, _)| buf[..n].to_vec())
}

#[test]
fn point8_discovery_answers_only_namespaced_probes_with_their_action() {
    let (_cam, port) = discoverable_camera();
    let client = UdpSocket::bind("127.0.0.4:0").unwrap();
    let bare = "<Envelope><Body><Probe/></Body></Envelope>";
    assert!(answered(&client, port, bare, Duration::from_millis(800)).is_none(), "a probe without namespaces");
    let no_action = probe("no-action").replace("<a:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe</a:Action>", "");
    assert!(answered(&client, port, &no_action, Duration::from_millis(800)).is_none(), "a probe without its Action");
    let client = UdpSocket::bind("127.0.0.5:0").unwrap();
    // The smallest probe answered, and what it brings back.
    let smallest = "<e:Envelope xmlns:e=\"http://www.w3.org/2003/05/soap-envelope\" xmlns:a=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\" xmlns:d=\"http://schemas.xmlsoap.org/ws/2005/04/discovery\"><e:Header><a:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe</a:Action></e:Header><e:Body><d:Probe/></e:Body></e:Envelope>";
    let answer = answered(&client, port, smallest, Duration::from_secs(3)).expect("the smallest well-formed probe is answered");
    let factor = answer.len() as f64 / smallest.len() as f64;
    say(&format!("WS-Discovery amplification: a {}-byte probe brings back {} bytes ({factor:.1}x)", smallest.len(), answer.len()));
    assert!(factor < 4.0, "{factor:.1}x");
}

#[test]
fn point8_discovery_budgets_each_source_before_it_parses_and_a_flood_leaves_a_prober_answered() {
    use camcgi::front::discovery::{ANSWERS_PER_SECOND, SOURCE_BURST};
    let (cam, port) = discoverable_camera();
    let stop = Arc::new(AtomicBool::new(false));
    // Ten other addresses flood probes, 200 a second each (50 under qemu,
    // where the emulated responder drains fewer and the kernel would drop
    // datagrams whatever their source: the budgets are tested here, the
    // throughput by the attack bench).
    let every = if emulated() { Duration::from_millis(20) } else { Duration::from_millis(5) };
    let flooders: Vec<_> = (0..10u8)
        .map(|i| {
            let stop = stop.clone();
            std::thread::spawn(move || {
                let socket = UdpSocket::bind((IpAddr::V4(Ipv4Addr::new(127, 0, 2, 10 + i)), 0)).unwrap();
                let mut n = 0;
                while !stop.load(Ordering::Relaxed) {
                    n += 1;
                    let _ = socket.send_to(probe(&format!("flood-{i}-{n}")).as_bytes(), ("127.0.0.1", port));
                    std::thread::sleep(every);
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    let prober = UdpSocket::bind("127.0.0.1:0").unwrap();
    let mut got = 0;
    for i in 0..10 {
        cam.clock.advance(Duration::from_secs(1));
        // A prober repeats an unanswered probe, as SOAP-over-UDP has it
        // (UDP_REPEAT): a datagram the flood crowds out of a full socket
        // buffer on a loaded machine is the kernel's loss, not the budget's.
        let message = probe(&format!("real-{i}"));
        if (0..2).any(|_| answered(&prober, port, &message, Duration::from_millis(1500)).is_some()) {
            got += 1;
        }
    }
    stop.store(true, Ordering::Relaxed);
    for f in flooders {
        f.join().unwrap();
    }
    assert_eq!(got, 10, "a prober spacing its probes a second apart, during a flood from 10 addresses");
    // One source gets its burst, then waits; another source is not held back.
    cam.clock.advance(Duration::from_secs(60));
    let one = UdpSocket::bind("127.0.0.6:0").unwrap();
    for i in 0..SOURCE_BURST {
        assert!(answered(&one, port, &probe(&format!("burst-{i}")), Duration::from_secs(3)).is_some(), "probe {i} of a burst");
    }
    assert!(answered(&one, port, &probe("past-burst"), Duration::from_millis(800)).is_none(), "past its burst");
    let other = UdpSocket::bind("127.0.0.7:0").unwrap();
    assert!(answered(&other, port, &probe("other"), Duration::from_secs(3)).is_some(), "another source");
    // The whole socket answers at most ANSWERS_PER_SECOND at once, from any number of sources.
    cam.clock.advance(Duration::from_secs(60));
    let mut all = 0;
    for source in 0..(ANSWERS_PER_SECOND + 4) {
        let s = UdpSocket::bind((IpAddr::V4(Ipv4Addr::new(127, 0, 3, 10 + source as u8)), 0)).unwrap();
        if answered(&s, port, &probe(&format!("many-{source}")), Duration::from_millis(800)).is_some() {
            all += 1;
        }
    }
    assert_eq!(all, ANSWERS_PER_SECOND);
}
