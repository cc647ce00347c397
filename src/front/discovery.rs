//! The WS-Discovery responder: a UDP socket on port 3702 in the
//! 239.255.255.250 group, and one in ff02::c on every interface where IPv6
//! is up, answering probes (bounded, one datagram at a time) while the
//! camera is discoverable, with Hello at start and Bye at stop.

use crate::interfaces::camera::App;
use crate::interfaces::onvif::discovery::{bye, hello, probe_for, probe_matches, MAX_PROBE, MULTICAST};
use crate::state::app::lock;
use crate::state::lockout::Client;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV6, UdpSocket};
use std::sync::atomic::{AtomicBool, AtomicU16, Ordering};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::Duration;

/// A running responder.
pub struct Responder {
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
}

/// The IPv6 group.
const MULTICAST_V6: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 0xc);

/// The address this host reaches `peer` from (the route's source).
fn local_address_towards(peer: SocketAddr) -> Option<IpAddr> {
    let any: SocketAddr = if peer.is_ipv6() { (Ipv6Addr::UNSPECIFIED, 0).into() } else { (Ipv4Addr::UNSPECIFIED, 0).into() };
    let probe = UdpSocket::bind(any).ok()?;
    probe.connect(peer).ok()?;
    probe.local_addr().ok().map(|a| a.ip())
}

/// The device service's address at `ip`: over plain HTTP on `port`, or
/// over HTTPS while HTTPS is served and plain HTTP is not `on`.
fn xaddr(app: &App, ip: IpAddr, port: u16) -> String {
    let https = app.https.get().filter(|_| lock(&app.access).plain_http != crate::state::access::PlainHttp::On);
    let (scheme, port) = https.map_or(("http", port), |h| ("https", h.port));
    match ip {
        IpAddr::V6(v6) => format!("{scheme}://[{v6}]:{port}/onvif/device_service"),
        IpAddr::V4(v4) => format!("{scheme}://{v4}:{port}/onvif/device_service"),
    }
}

/// Probes answered per second on a socket, and at most that many at once.
/// An answer is about 1.2 KiB and goes where the probe says it came from.
pub const ANSWERS_PER_SECOND: u32 = 16;

/// Datagrams taken from one source (an IPv4 address or IPv6 /64) per
/// second, after a burst of [`SOURCE_BURST`]; a source past it is not read
/// further, and earns no more while it keeps sending. A client probes once
/// or twice while it searches (each probe up to four identical copies,
/// taken as one); a spoofed source can make the camera reflect at most this
/// many answers a second at its victim.
pub const PROBES_PER_SOURCE: u32 = 1;
/// What a source may send at once.
pub const SOURCE_BURST: u32 = 3;

/// Sources whose budgets are remembered; past that, the one heard from
/// longest ago is forgotten (and comes back with a whole burst).
const SOURCES: usize = 128;

/// A token bucket on the camera's clock: `burst` at once, refilled at
/// `per_second`.
#[derive(Debug, Clone, Copy)]
struct Budget {
    left: u32,
    burst: u32,
    each: Duration,
    /// When the last token was added back (or the bucket was last full).
    refilled: Duration,
}

impl Budget {
    fn new(per_second: u32, burst: u32, now: Duration) -> Budget {
        Budget { left: burst, burst, each: Duration::from_millis(1000 / u64::from(per_second.max(1))), refilled: now }
    }

    /// Takes one, if one is left.
    fn take(&mut self, now: Duration) -> bool {
        let each = self.each.as_millis().max(1);
        let earned = u32::try_from(now.saturating_sub(self.refilled).as_millis() / each).unwrap_or(u32::MAX);
        if earned > 0 {
            self.left = self.left.saturating_add(earned).min(self.burst);
            self.refilled = if self.left == self.burst { now } else { self.refilled + self.each * earned };
        }
        if self.left == 0 {
            return false;
        }
        self.left -= 1;
        true
    }

    /// Takes one, if one is left; one taken in vain puts off the next
    /// refill, so that a sender that keeps sending past its budget earns
    /// nothing until it pauses for as long as one takes to earn.
    fn take_or_wait(&mut self, now: Duration) -> bool {
        let taken = self.take(now);
        if !taken {
            self.refilled = now;
        }
        taken
    }
}

/// The sources heard from lately, each with its budget.
struct Sources {
    known: heapless::Vec<(Client, Duration, Budget), SOURCES>,
}

impl Sources {
    fn new() -> Sources {
        Sources { known: heapless::Vec::new() }
    }

    /// Takes a datagram from `source` out of its budget.
    fn take(&mut self, source: IpAddr, now: Duration) -> bool {
        let client = Client::of(source);
        let i = match self.known.iter().position(|(c, ..)| *c == client) {
            Some(i) => i,
            None => {
                let fresh = (client, now, Budget::new(PROBES_PER_SOURCE, SOURCE_BURST, now));
                if self.known.is_full() {
                    let oldest = self.known.iter().enumerate().min_by_key(|(_, (_, heard, _))| *heard).map_or(0, |(i, _)| i);
                    self.known[oldest] = fresh;
                    oldest
                } else {
                    let _ = self.known.push(fresh);
                    self.known.len() - 1
                }
            }
        };
        let (_, heard, budget) = &mut self.known[i];
        *heard = now;
        budget.take_or_wait(now)
    }
}

/// Probes answered lately, by sender and datagram: the identical copies
/// SOAP-over-UDP sends of one probe are answered once, and spend one answer.
struct Answered {
    recent: [u64; 16],
    next: usize,
    keys: std::hash::RandomState,
}

impl Answered {
    fn new() -> Answered {
        Answered { recent: [0; 16], next: 0, keys: std::hash::RandomState::new() }
    }

    /// What a datagram is remembered by (never 0, which is none).
    fn key(&self, peer: SocketAddr, datagram: &[u8]) -> u64 {
        use std::hash::BuildHasher;
        self.keys.hash_one((peer, datagram)) | 1
    }

    fn already(&self, key: u64) -> bool {
        self.recent.contains(&key)
    }

    fn remember(&mut self, key: u64) {
        self.recent[self.next] = key;
        self.next = (self.next + 1) % self.recent.len();
    }
}

/// How often a socket's thread looks whether it is to stop.
const POLL: Duration = Duration::from_millis(500);

fn discoverable(app: &App) -> bool {
    let access = *lock(&app.access);
    access.onvif && access.discoverable
}

/// An IPv6-only socket on `port` in ff02::c on each interface that has
/// IPv6 (the IPv4 socket keeps the port's IPv4 side), and those interfaces.
fn bind_v6(port: u16) -> io::Result<(UdpSocket, Vec<u32>)> {
    use nix::sys::socket::{bind, setsockopt, socket, sockopt, AddressFamily, SockFlag, SockType, SockaddrIn6};
    use std::os::fd::AsRawFd;
    let fd = socket(AddressFamily::Inet6, SockType::Datagram, SockFlag::SOCK_CLOEXEC, None)?;
    setsockopt(&fd, sockopt::Ipv6V6Only, &true)?;
    bind(fd.as_raw_fd(), &SockaddrIn6::from(SocketAddrV6::new(Ipv6Addr::UNSPECIFIED, port, 0, 0)))?;
    let socket = UdpSocket::from(fd);
    let mut joined = Vec::new();
    for interface in nix::net::if_::if_nameindex()?.iter() {
        if socket.join_multicast_v6(&MULTICAST_V6, interface.index()).is_ok() {
            joined.push(interface.index());
        }
    }
    if joined.is_empty() {
        return Err(io::Error::new(io::ErrorKind::AddrNotAvailable, "no interface has IPv6"));
    }
    Ok((socket, joined))
}

/// Answers probes on one socket until stopped; says Hello first and Bye
/// last to `groups`.
fn serve(app: Arc<App>, socket: UdpSocket, groups: Vec<SocketAddr>, port: Arc<AtomicU16>, stopping: Arc<AtomicBool>) {
    let announce = |message: &dyn Fn(&str) -> Vec<u8>| {
        if discoverable(&app) {
            for group in &groups {
                let ip = local_address_towards(*group).unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
                let _ = socket.send_to(&message(&xaddr(&app, ip, port.load(Ordering::Relaxed))), group);
            }
        }
    };
    announce(&|xaddr| hello(&app, xaddr));
    let mut buf = vec![0u8; MAX_PROBE];
    let mut budget = Budget::new(ANSWERS_PER_SECOND, ANSWERS_PER_SECOND, app.now());
    let mut sources = Sources::new();
    let mut answered = Answered::new();
    while !stopping.load(Ordering::Relaxed) {
        let (n, peer) = match socket.recv_from(&mut buf) {
            Ok(got) => got,
            Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut | io::ErrorKind::Interrupted) => continue,
            Err(e) => {
                log::error!("ws-discovery: {e}");
                thread::sleep(Duration::from_millis(500));
                continue;
            }
        };
        // The cheap checks first: copies of a probe answered, then the
        // source's budget, before anything is parsed or looked up.
        let key = answered.key(peer, &buf[..n]);
        if answered.already(key) || !discoverable(&app) {
            continue;
        }
        let now = app.now();
        if !sources.take(peer.ip(), now) {
            log::trace!("ws-discovery: {peer} not read: {PROBES_PER_SOURCE} datagrams a second per source at most");
            continue;
        }
        let read = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| probe_for(&app, &buf[..n])));
        let Ok(Some(probe)) = read else { continue };
        if !budget.take(now) {
            log::debug!("ws-discovery: {peer} not answered: {ANSWERS_PER_SECOND} answers a second at most");
            continue;
        }
        let Some(ip) = local_address_towards(peer) else { continue };
        answered.remember(key);
        if let Err(e) = socket.send_to(&probe_matches(&app, &probe, &xaddr(&app, ip, port.load(Ordering::Relaxed))), peer) {
            log::debug!("ws-discovery: no answer to {peer}: {e}");
        }
    }
    announce(&|_| bye(&app));
}

impl Responder {
    /// Binds `addr` and joins the discovery group on every interface the
    /// kernel picks (a camera has one); on the IPv4 wildcard, and when HTTP
    /// is served over IPv6 too (`--listen [::]:80`), the IPv6 group as well.
    /// `port` is the HTTP port served now.
    pub fn start(app: Arc<App>, addr: SocketAddr, port: Arc<AtomicU16>) -> io::Result<Responder> {
        let socket = UdpSocket::bind(addr)?;
        if let Err(e) = socket.join_multicast_v4(&Ipv4Addr::new(239, 255, 255, 250), &Ipv4Addr::UNSPECIFIED) {
            log::warn!("ws-discovery: not in the multicast group ({e}); unicast probes only");
        }
        socket.set_read_timeout(Some(POLL))?;
        log::info!("ws-discovery on {}", socket.local_addr()?);
        let stop = Arc::new(AtomicBool::new(false));
        let mut sockets = vec![(socket, vec![MULTICAST])];
        if addr.ip() == IpAddr::V4(Ipv4Addr::UNSPECIFIED) && app.listen.is_ipv6() {
            match bind_v6(addr.port()) {
                Ok((v6, interfaces)) => {
                    v6.set_read_timeout(Some(POLL))?;
                    let groups = interfaces.iter().map(|i| SocketAddrV6::new(MULTICAST_V6, addr.port(), 0, *i).into()).collect();
                    sockets.push((v6, groups));
                }
                Err(e) => log::info!("ws-discovery: IPv4 only ({e})"),
            }
        }
        let mut threads = Vec::new();
        for (socket, groups) in sockets {
            let (app, port, stopping) = (app.clone(), port.clone(), stop.clone());
            threads.push(thread::Builder::new().name("ws-discovery".into()).spawn(move || serve(app, socket, groups, port, stopping))?);
        }
        Ok(Responder { stop, threads })
    }

    /// Says Bye and stops.
    pub fn stop(self) {
        self.stop.store(true, Ordering::Relaxed);
        for thread in self.threads {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: fn(u64) -> Duration = Duration::from_millis;

    #[test]
    fn the_budget_is_a_burst_refilled_an_answer_an_eighth_of_a_second() {
        let mut budget = Budget::new(8, 8, MS(1000));
        assert!((0..8).all(|_| budget.take(MS(1000))));
        assert!(!budget.take(MS(1124)));
        assert!(budget.take(MS(1125)));
        assert!(!budget.take(MS(1200)));
        // What was earned but not yet whole is kept: 1125 + 2 x 125.
        assert!(budget.take(MS(1250)));
        assert!(!budget.take(MS(1374)));
        assert!(budget.take(MS(1375)));
        assert!((0..8).all(|_| budget.take(MS(60_000))));
        assert!(!budget.take(MS(60_000)), "a quiet minute earns one burst, no more");
    }

    #[test]
    fn each_source_has_a_budget_of_its_own_and_a_slash_64_is_one_source() {
        let mut sources = Sources::new();
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "2001:db8::1".parse().unwrap();
        let b_too: IpAddr = "2001:db8::2".parse().unwrap();
        assert!((0..SOURCE_BURST).all(|_| sources.take(a, MS(0))));
        assert!(!sources.take(a, MS(0)));
        assert!(sources.take(b, MS(0)), "another source is not held back");
        assert!((1..SOURCE_BURST).all(|_| sources.take(b_too, MS(0))));
        assert!(!sources.take(b, MS(0)), "one /64 is one source");
        assert!(sources.take(a, MS(1000)), "a second later, one more");
        assert!(!sources.take(a, MS(1500)));
        assert!(!sources.take(a, MS(2200)), "sending on past the budget earns nothing");
        assert!(sources.take(a, MS(3200)), "a pause of a second earns one");
        // Forgotten sources make room; a remembered one keeps its state.
        for i in 0..SOURCES as u32 {
            sources.take(IpAddr::V4(std::net::Ipv4Addr::from(0x0a00_0000 + i)), MS(2000));
        }
        assert_eq!(sources.known.len(), SOURCES);
    }
}
