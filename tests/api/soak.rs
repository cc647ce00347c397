//! A lived-in soak: one client doing what Home Assistant's ONVIF integration
//! does with a camera, for `CAMCGI_SOAK_SECONDS` (30 by default; CI runs
//! 300, on the host and under qemu): a pull-point subscription pulled with
//! `PT60S` in a loop and renewed, a Digest snapshot every 10 s, `GetStatus`
//! and a PTZ move every 30 s, and fresh connections after quiet gaps of 1 to
//! 20 s. No request may fail, and none take over a second (a pull: over its
//! `Timeout` and a second).

use crate::common::*;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const BASIC_ADMIN: &str = "Authorization: Basic YWRtaW46MTIzNDU2\r\n";
const SNAPSHOT: &str = "/cgi-bin/snapshot.cgi?stream=1";
const PROFILE: &str = "<ProfileToken>profile_1</ProfileToken>";
/// A kept-alive connection is used again only this soon after its last
/// answer: past it, a new one (the camera closes idle ones at its timeout,
/// 15 s by default, and a request sent as it closes would be lost).
const REUSE_WITHIN: Duration = Duration::from_secs(10);

/// One request's outcome.
struct Outcome {
    what: &'static str,
    took: Duration,
    /// How long it may take.
    allowed: Duration,
    failure: Option<String>,
}

#[derive(Clone, Default)]
struct Record(Arc<Mutex<Vec<Outcome>>>);

impl Record {
    fn add(&self, what: &'static str, took: Duration, allowed: Duration, failure: Option<String>) {
        self.0.lock().unwrap().push(Outcome { what, took, allowed, failure });
    }
}

/// A client connection kept alive between requests, as aiohttp keeps one.
struct Client {
    port: u16,
    stream: Option<(TcpStream, Instant)>,
}

impl Client {
    fn new(port: u16) -> Client {
        Client { port, stream: None }
    }

    /// Sends a request and reads its answer by its `Content-Length`.
    fn send(&mut self, method: &str, target: &str, headers: &str, body: &str, wait: Duration) -> Result<Resp, String> {
        let reusable = self.stream.take().filter(|(_, last)| last.elapsed() < REUSE_WITHIN);
        let mut stream = match reusable {
            Some((s, _)) => s,
            None => TcpStream::connect(("127.0.0.1", self.port)).map_err(|e| format!("connect: {e}"))?,
        };
        stream.set_read_timeout(Some(wait)).map_err(|e| e.to_string())?;
        let length = if body.is_empty() && method == "GET" { String::new() } else { format!("Content-Length: {}\r\n", body.len()) };
        // One write: the parts in small writes would wait on Nagle's algorithm.
        let request = format!("{method} {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n{headers}{length}\r\n{body}");
        stream.write_all(request.as_bytes()).map_err(|e| format!("send: {e}"))?;
        let mut raw = Vec::new();
        let mut chunk = [0u8; 16384];
        let (head_end, length) = loop {
            let n = stream.read(&mut chunk).map_err(|e| format!("read: {e}"))?;
            if n == 0 {
                return Err("closed before an answer".into());
            }
            raw.extend_from_slice(&chunk[..n]);
            if let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&raw[..end]).to_ascii_lowercase();
                let length =
                    head.lines().find_map(|l| l.strip_prefix("content-length:")).and_then(|v| v.trim().parse::<usize>().ok()).unwrap_or(0);
                break (end + 4, length);
            }
        };
        while raw.len() < head_end + length {
            let n = stream.read(&mut chunk).map_err(|e| format!("read body: {e}"))?;
            if n == 0 {
                return Err("closed inside an answer".into());
            }
            raw.extend_from_slice(&chunk[..n]);
        }
        let resp = parse_response(&raw[..head_end + length]);
        if !resp.header("Connection").is_some_and(|c| c.eq_ignore_ascii_case("close")) {
            self.stream = Some((stream, Instant::now()));
        }
        Ok(resp)
    }

    fn soap(&mut self, path: &str, body: &str, wait: Duration) -> Result<Resp, String> {
        let headers = format!("Content-Type: application/soap+xml\r\n{BASIC_ADMIN}");
        self.send("POST", path, &headers, &soap_envelope("", body), wait)
    }
}

/// Runs `request`, and records its outcome: a failure unless it answered
/// `expect` within `allowed`.
fn timed(
    record: &Record,
    what: &'static str,
    allowed: Duration,
    expect: u16,
    request: impl FnOnce() -> Result<Resp, String>,
) -> Option<Resp> {
    let started = Instant::now();
    let result = request();
    let took = started.elapsed();
    let failure = match &result {
        Ok(r) if r.status == expect => None,
        Ok(r) => Some(format!("status {}: {}", r.status, r.text())),
        Err(e) => Some(e.clone()),
    };
    record.add(what, took, allowed, failure);
    result.ok()
}

const QUICK: Duration = Duration::from_secs(1);

fn events(port: u16, until: Instant, record: Record) {
    let mut client = Client::new(port);
    let create = "<CreatePullPointSubscription xmlns=\"http://www.onvif.org/ver10/events/wsdl\"><InitialTerminationTime>PT120S</InitialTerminationTime></CreatePullPointSubscription>";
    let Some(r) = timed(&record, "CreatePullPointSubscription", QUICK, 200, || client.soap("/onvif/events_service", create, QUICK * 5))
    else {
        return;
    };
    let text = r.text();
    let Some(start) = text.find("/onvif/subscription?id=") else {
        return record.add("subscription address", Duration::ZERO, QUICK, Some(text));
    };
    let path = text[start..start + text[start..].find('<').unwrap_or(0)].to_string();
    while Instant::now() < until {
        let wait = until.saturating_duration_since(Instant::now()).min(Duration::from_secs(60)).max(Duration::from_secs(1));
        let pull = format!("<PullMessages xmlns=\"http://www.onvif.org/ver10/events/wsdl\"><Timeout>PT{}S</Timeout><MessageLimit>100</MessageLimit></PullMessages>", wait.as_secs());
        timed(&record, "PullMessages", wait + QUICK, 200, || client.soap(&path, &pull, wait + QUICK * 5));
        let renew = "<Renew xmlns=\"http://docs.oasis-open.org/wsn/b-2\"><TerminationTime>PT120S</TerminationTime></Renew>";
        timed(&record, "Renew", QUICK, 200, || client.soap(&path, renew, QUICK * 5));
    }
    let unsubscribe = "<Unsubscribe xmlns=\"http://docs.oasis-open.org/wsn/b-2\"/>";
    timed(&record, "Unsubscribe", QUICK, 200, || client.soap(&path, unsubscribe, QUICK * 5));
}

fn snapshots(port: u16, until: Instant, record: Record) {
    let mut client = Client::new(port);
    while Instant::now() < until {
        if let Some(challenge) = timed(&record, "snapshot challenge", QUICK, 401, || client.send("GET", SNAPSHOT, "", "", QUICK * 5)) {
            let answer = digest_answer("GET", SNAPSHOT, "admin", "123456", &challenge_nonce(&challenge), 1);
            timed(&record, "Digest snapshot", QUICK, 200, || client.send("GET", SNAPSHOT, &answer, "", QUICK * 5));
        }
        std::thread::sleep(Duration::from_secs(10).min(until.saturating_duration_since(Instant::now())));
    }
}

fn ptz(port: u16, until: Instant, record: Record) {
    let mut client = Client::new(port);
    let status = format!("<GetStatus xmlns=\"http://www.onvif.org/ver20/ptz/wsdl\">{PROFILE}</GetStatus>");
    let left = format!("<ContinuousMove xmlns=\"http://www.onvif.org/ver20/ptz/wsdl\">{PROFILE}<Velocity><PanTilt xmlns=\"http://www.onvif.org/ver10/schema\" x=\"-0.5\" y=\"0\"/></Velocity></ContinuousMove>");
    let stop = format!("<Stop xmlns=\"http://www.onvif.org/ver20/ptz/wsdl\">{PROFILE}<PanTilt>true</PanTilt><Zoom>true</Zoom></Stop>");
    while Instant::now() < until {
        timed(&record, "PTZ GetStatus", QUICK, 200, || client.soap("/onvif/ptz_service", &status, QUICK * 5));
        timed(&record, "PTZ ContinuousMove", QUICK, 200, || client.soap("/onvif/ptz_service", &left, QUICK * 5));
        std::thread::sleep(Duration::from_millis(300));
        timed(&record, "PTZ Stop", QUICK, 200, || client.soap("/onvif/ptz_service", &stop, QUICK * 5));
        std::thread::sleep(Duration::from_secs(30).min(until.saturating_duration_since(Instant::now())));
    }
}

/// Quiet gaps of 1 to 20 s, each ended by a request on a new connection.
fn fresh_connections(port: u16, until: Instant, record: Record) {
    let info = "<GetDeviceInformation xmlns=\"http://www.onvif.org/ver10/device/wsdl\"/>";
    let mut seed: u32 = 0x2545_f491;
    let mut turn: u32 = 0;
    while Instant::now() < until {
        seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        let gap = Duration::from_secs(u64::from(1 + (seed >> 16) % 20));
        std::thread::sleep(gap.min(until.saturating_duration_since(Instant::now())));
        turn += 1;
        let mut client = Client::new(port);
        if turn.is_multiple_of(2) {
            timed(&record, "fresh GetDeviceInformation", QUICK, 200, || client.soap("/onvif/device_service", info, QUICK * 5));
        } else {
            timed(&record, "fresh getuid", QUICK, 200, || {
                client.send("GET", "/cgi-bin/getuid?username=admin&password=123456", "", "", QUICK * 5)
            });
        }
    }
}

#[test]
fn soak_a_home_assistant_lives_with_the_camera() {
    let seconds = std::env::var("CAMCGI_SOAK_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(30u64);
    let dir = TempDir::new();
    let cam = Process::start(&dir.0, &[]);
    let until = Instant::now() + Duration::from_secs(seconds);
    let record = Record::default();
    let workers: Vec<_> = [events as fn(u16, Instant, Record), snapshots, ptz, fresh_connections]
        .into_iter()
        .map(|work| {
            let (port, record) = (cam.port, record.clone());
            std::thread::spawn(move || work(port, until, record))
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    let outcomes = record.0.lock().unwrap();
    let mut kinds: Vec<&'static str> = outcomes.iter().map(|o| o.what).collect();
    kinds.sort_unstable();
    kinds.dedup();
    say(&format!("soak: {seconds} s, {} requests", outcomes.len()));
    for kind in kinds {
        let took: Vec<Duration> = outcomes.iter().filter(|o| o.what == kind).map(|o| o.took).collect();
        let failed = outcomes.iter().filter(|o| o.what == kind && o.failure.is_some()).count();
        say(&format!("  {kind}: {} requests, {failed} failed, slowest {:?}", took.len(), took.iter().max().unwrap()));
    }
    let bad: Vec<String> = outcomes
        .iter()
        .filter(|o| o.failure.is_some() || o.took > o.allowed)
        .map(|o| format!("{} after {:?} (allowed {:?}): {}", o.what, o.took, o.allowed, o.failure.as_deref().unwrap_or("too slow")))
        .collect();
    assert!(bad.is_empty(), "{bad:#?}");
    assert!(outcomes.iter().any(|o| o.what == "PullMessages"), "the events client pulled");
}
