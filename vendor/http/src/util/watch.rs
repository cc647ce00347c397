//! camcgi: the server's open connections, each with the time it may take.
//!
//! Upstream bounded a connection only by the timeout of each read and write,
//! which a client defeats by sending a byte now and then (slowloris) or by
//! reading its answer a byte at a time, and it kept every connection a client
//! opened, each with a thread. Here every accepted connection is registered
//! with its phase, when that phase began and when it last made progress (a
//! byte received or taken), and one thread per server (the police) closes,
//! by `shutdown`, which wakes the connection's blocked read or write:
//! - a connection that has not sent a whole request head within the timeout
//!   of opening or of its last answer (idle, stalled and slowloris alike);
//! - a connection whose request body, once the timeout has passed, has come
//!   slower than `MIN_BODY_RATE` on average since it began (a body sent a
//!   byte now and then, whatever its length);
//! - a connection whose answer has not been written within the timeout;
//! - when the server is closing, every connection waiting for a request.
//!
//! The application's own work on a request (after its body) is left to the
//! application, which bounds it.
//!
//! At the connection limit the accept loop closes the connection that makes
//! the least progress: of a client holding more than its share (a quarter
//! of the connections; a client is an IPv4 address or an IPv6 /64) at once,
//! otherwise the one furthest behind (see `Watch::behind`) once that is
//! `EVICTION_GRACE` for a connection waiting for a request and `STALL_GRACE`
//! for one whose body or answer is on its way. A connection the application
//! is working on is never closed this way. If none qualifies, it waits for
//! one to end or to qualify.

use std::convert::TryFrom;
use std::net::{IpAddr, Shutdown};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::connection::Connection;

/// What a server allows its connections.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// The time a connection has to send a request head (from opening or from
    /// its last answer) and to take its answer, and after which its body must
    /// have kept `MIN_BODY_RATE`; also each read's and write's timeout.
    /// `None`: no limit.
    pub timeout: Option<Duration>,
    /// Connections open at most.
    pub max_connections: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits { timeout: None, max_connections: usize::MAX }
    }
}

/// A connection's phase, in the low bits of its state; the milliseconds since
/// the monotonic clock's start at which the phase began are in the rest.
const WAITING: u64 = 0;
const HANDLING: u64 = 1;
const WRITING: u64 = 2;
/// The application reads the request's body from the socket.
const BODY: u64 = 3;
const SHUT: u64 = 4;
const PHASE_BITS: u32 = 3;
const PHASE_MASK: u64 = (1 << PHASE_BITS) - 1;

/// The slowest a request body may come, on average from its start, once the
/// connection's timeout has passed: a body of N bytes has `timeout + N /
/// MIN_BODY_RATE` at most. A 16 MB firmware image on a link this slow would
/// take over an hour; a byte every few seconds is cut after the timeout.
pub const MIN_BODY_RATE: u64 = 4096;

/// How long a connection must have waited for a request before a new one
/// may take its place at the limit: a keep-alive client between two requests
/// keeps its connection, while a flood's connections (or the idle) go in turn.
const EVICTION_GRACE: Duration = Duration::from_millis(10);

/// How long a body or an answer on its way must have made no progress (or
/// a body been behind its rate) before a new connection may take its place
/// at the limit: a client reading or sending steadily moves within it.
const STALL_GRACE: Duration = Duration::from_millis(250);

/// The connections a client may hold at the limit before its own go first:
/// a quarter of them.
const SHARE_DIVISOR: usize = 4;

/// Milliseconds on the monotonic clock, read coarsely: a phase changes three
/// or four times per request, and the deadlines need no finer grain than the
/// clock's tick (a few milliseconds) at a fraction of the precise clock's cost.
fn now_millis() -> u64 {
    use nix::time::{clock_gettime, ClockId};
    clock_gettime(ClockId::CLOCK_MONOTONIC_COARSE).map_or(0, |t| {
        let millis = i128::from(t.tv_sec()) * 1000 + i128::from(t.tv_nsec()) / 1_000_000;
        u64::try_from(millis).unwrap_or(0).min(u64::MAX >> PHASE_BITS)
    })
}

/// The client a peer belongs to: an IPv4 address, or an IPv6 /64.
fn client_of(peer: IpAddr) -> u128 {
    match peer {
        IpAddr::V4(v4) => u128::from(u32::from(v4)),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => u128::from(u32::from(v4)),
            None => u128::from(v6) >> 64 | 1 << 127,
        },
    }
}

/// One accepted connection as the police sees it.
pub(crate) struct Watch {
    socket: Arc<Connection>,
    /// The client (see `client_of`); `None` for a Unix socket.
    client: Option<u128>,
    state: AtomicU64,
    /// When a byte last came or went, in `now_millis`.
    progress: AtomicU64,
    /// Body bytes received since the body phase began.
    body_received: AtomicU64,
    /// It has had a request.
    served: AtomicBool,
    /// The connection ends after the request being answered.
    ending: AtomicBool,
}

impl Watch {
    /// Enters `phase`, unless the connection is shut (it stays shut) or
    /// `only_from` names another phase than the current one.
    fn enter_from(&self, phase: u64, only_from: Option<u64>) {
        let since = now_millis();
        let _ = self.state.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |s| {
            let current = s & PHASE_MASK;
            (current != SHUT && only_from.is_none_or(|p| p == current)).then_some(since << PHASE_BITS | phase)
        });
    }

    fn enter(&self, phase: u64) {
        self.enter_from(phase, None);
    }

    fn phase(&self) -> (u64, u64) {
        let s = self.state.load(Ordering::SeqCst);
        (s & PHASE_MASK, s >> PHASE_BITS)
    }

    /// Closes the connection: a request head or body not sent in time, or an
    /// idle one, ends with a FIN; an answer not taken in time is discarded
    /// (a reset), or the kernel would go on delivering it from the socket's
    /// buffer for as long as the client takes.
    fn shut(&self) {
        let was = self.state.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |s| Some(s & !PHASE_MASK | SHUT));
        let was = was.unwrap_or_else(|s| s);
        if was & PHASE_MASK == WRITING {
            self.socket.abort();
        } else {
            let _ = self.socket.shutdown(Shutdown::Both);
        }
    }

    /// The connection waits for its next request.
    pub(crate) fn waiting(&self) {
        self.enter(WAITING);
    }

    /// A request's head is in; the application has it.
    pub(crate) fn handling(&self) {
        self.served.store(true, Ordering::Relaxed);
        self.enter(HANDLING);
    }

    /// An answer is being written.
    pub(crate) fn writing(&self) {
        self.enter(WRITING);
    }

    /// The application reads the request's body from the socket: from now
    /// on it must come at `MIN_BODY_RATE` on average, once the timeout has
    /// passed.
    pub(crate) fn reading_body(&self) {
        if self.phase().0 == HANDLING {
            self.body_received.store(0, Ordering::SeqCst);
            self.enter_from(BODY, Some(HANDLING));
        }
    }

    /// The request's body has been read to its end.
    pub(crate) fn body_read(&self) {
        self.enter_from(HANDLING, Some(BODY));
    }

    /// Bytes came or went.
    pub(crate) fn progressed(&self) {
        self.progress.store(now_millis(), Ordering::Relaxed);
    }

    /// Body bytes came.
    pub(crate) fn body_progressed(&self, bytes: usize) {
        self.progressed();
        self.body_received.fetch_add(u64::try_from(bytes).unwrap_or(u64::MAX), Ordering::Relaxed);
    }

    /// How long since a byte last came or went.
    fn stalled_for(&self, now: u64) -> Duration {
        Duration::from_millis(now.saturating_sub(self.progress.load(Ordering::Relaxed)))
    }

    /// Nothing more is read from the connection; it ends after this answer.
    pub(crate) fn stop_reading(&self) {
        self.ending.store(true, Ordering::SeqCst);
        let _ = self.socket.shutdown(Shutdown::Read);
    }

    /// The connection ends after the request being answered.
    /// Whether the client has closed its side of the connection.
    pub(crate) fn peer_gone(&self) -> bool {
        self.socket.peer_gone()
    }

    pub(crate) fn end_after_answer(&self) {
        self.ending.store(true, Ordering::SeqCst);
    }

    pub(crate) fn ending(&self) -> bool {
        self.ending.load(Ordering::SeqCst) || self.phase().0 == SHUT
    }

    /// How long, from now, until this connection's body falls below
    /// `MIN_BODY_RATE` if no more of it comes: zero once it has.
    fn body_time_left(&self, timeout: Duration, elapsed: Duration) -> Duration {
        let received = self.body_received.load(Ordering::Relaxed);
        let earned = Duration::from_millis(received.saturating_mul(1000) / MIN_BODY_RATE);
        timeout.saturating_add(earned).saturating_sub(elapsed)
    }

    /// How far behind this connection is, and whether that is past its
    /// grace, for a new connection to take its place at the limit: for a
    /// connection waiting for a request, how long it has waited for a whole
    /// one (idle and slow heads alike); for a body, how long since its last
    /// byte, or how far it is behind `MIN_BODY_RATE`, whichever is more; for
    /// an answer, how long since the client last took a byte. `None` while
    /// the application works on its request. A new connection has
    /// `STALL_GRACE` for its first head (the server may not have read it
    /// yet), a kept-alive one `EVICTION_GRACE` between requests.
    fn behind(&self, now: u64) -> Option<(Duration, bool)> {
        let (phase, since) = self.phase();
        let elapsed = Duration::from_millis(now.saturating_sub(since));
        let stalled = self.stalled_for(now);
        let (behind, grace) = match phase {
            WAITING if self.served.load(Ordering::Relaxed) => (elapsed, EVICTION_GRACE),
            WAITING => (elapsed, STALL_GRACE),
            BODY => {
                let received = self.body_received.load(Ordering::Relaxed);
                let earned = Duration::from_millis(received.saturating_mul(1000) / MIN_BODY_RATE);
                (stalled.max(elapsed.saturating_sub(earned)), STALL_GRACE)
            }
            WRITING => (stalled, STALL_GRACE),
            _ => return None,
        };
        Some((behind, behind >= grace))
    }
}

/// The connections of one server, and the police that bounds them.
pub(crate) struct Registry {
    open: Mutex<Vec<Arc<Watch>>>,
    /// A connection ended while the accept loop or `wait_empty` may wait.
    changed: Condvar,
    /// The first connection came, or the server closes: the police wakes.
    bell: Condvar,
    limits: Limits,
    /// Connections are still accepted.
    admitting: AtomicBool,
    /// No more connections come; those waiting for a request are closed.
    closing: AtomicBool,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Registry {
    pub(crate) fn new(limits: Limits) -> Arc<Registry> {
        Arc::new(Registry {
            open: Mutex::new(Vec::new()),
            changed: Condvar::new(),
            bell: Condvar::new(),
            limits: Limits { max_connections: limits.max_connections.max(1), ..limits },
            admitting: AtomicBool::new(true),
            closing: AtomicBool::new(false),
        })
    }

    pub(crate) fn limits(&self) -> Limits {
        self.limits
    }

    /// Registers a new connection from `peer` once there is room for it:
    /// at the limit, the connection making the least progress is closed to
    /// make room (see the module's notes), or, when none may be, this waits
    /// for one to end or to qualify. `None` when the server closes meanwhile.
    pub(crate) fn admit(&self, socket: Arc<Connection>, peer: Option<IpAddr>) -> Option<Arc<Watch>> {
        let mut open = lock(&self.open);
        loop {
            if !self.admitting.load(Ordering::SeqCst) {
                return None;
            }
            let live = open.iter().filter(|w| w.phase().0 != SHUT).count();
            if live < self.limits.max_connections {
                break;
            }
            match self.least_progress(&open) {
                Some(w) => w.shut(),
                None => {
                    open = self
                        .changed
                        .wait_timeout(open, EVICTION_GRACE.max(Duration::from_millis(50)))
                        .map_or_else(|p| p.into_inner().0, |r| r.0);
                }
            }
        }
        let now = now_millis();
        let watch = Arc::new(Watch {
            socket,
            client: peer.map(client_of),
            state: AtomicU64::new(now << PHASE_BITS | WAITING),
            progress: AtomicU64::new(now),
            body_received: AtomicU64::new(0),
            served: AtomicBool::new(false),
            ending: AtomicBool::new(false),
        });
        open.push(watch.clone());
        let first = open.len() == 1;
        drop(open);
        if first {
            self.bell.notify_one();
        }
        Some(watch)
    }

    /// The connection to close for a new one at the limit: one of a client
    /// holding more than its share of the connections if it has one that
    /// is not being worked on, whatever its grace; otherwise one past its
    /// grace. Of those, the one furthest behind.
    fn least_progress<'a>(&self, open: &'a [Arc<Watch>]) -> Option<&'a Arc<Watch>> {
        let now = now_millis();
        let share = (self.limits.max_connections / SHARE_DIVISOR).max(1);
        let held = |client: Option<u128>| match client {
            Some(c) => open.iter().filter(|w| w.client == Some(c) && w.phase().0 != SHUT).count(),
            None => 0,
        };
        open.iter()
            .filter_map(|w| {
                let (behind, past_grace) = w.behind(now)?;
                let over_share = held(w.client) > share;
                (over_share || past_grace).then_some((over_share, behind, w))
            })
            .max_by_key(|(over_share, behind, _)| (*over_share, *behind))
            .map(|(_, _, w)| w)
    }

    pub(crate) fn connections(&self) -> usize {
        lock(&self.open).len()
    }

    /// A connection has ended.
    pub(crate) fn release(&self, watch: &Arc<Watch>) {
        let mut open = lock(&self.open);
        if let Some(i) = open.iter().position(|w| Arc::ptr_eq(w, watch)) {
            open.swap_remove(i);
        }
        // Only a full registry or a closing server has anyone waiting.
        let awaited = open.len() + 1 >= self.limits.max_connections || !self.admitting.load(Ordering::SeqCst);
        drop(open);
        if awaited {
            self.changed.notify_all();
            self.bell.notify_one();
        }
    }

    /// No more connections come; the police ends with the last one. Whether
    /// connections were admitted until now.
    pub(crate) fn stop_admitting(&self) -> bool {
        let was = self.admitting.swap(false, Ordering::SeqCst);
        let _open = lock(&self.open);
        self.changed.notify_all();
        self.bell.notify_one();
        was
    }

    pub(crate) fn admitting(&self) -> bool {
        self.admitting.load(Ordering::SeqCst)
    }

    pub(crate) fn closing(&self) -> bool {
        self.closing.load(Ordering::SeqCst)
    }

    /// No more connections: those waiting for a request close now, the others
    /// after their answer.
    pub(crate) fn close(&self) {
        self.closing.store(true, Ordering::SeqCst);
        let _open = lock(&self.open);
        self.changed.notify_all();
        self.bell.notify_one();
    }

    /// Waits until every connection has ended, or `limit` has passed; whether
    /// they all ended.
    pub(crate) fn wait_empty(&self, limit: Duration) -> bool {
        let end = Instant::now() + limit;
        let mut open = lock(&self.open);
        while !open.is_empty() {
            let left = end.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            open = self.changed.wait_timeout(open, left).map_or_else(|p| p.into_inner().0, |r| r.0);
        }
        true
    }

    /// The police: runs until the server has closed and its last connection
    /// has ended. It sleeps while no connection is open, and otherwise wakes
    /// at the next deadline, or after one timeout at the latest (a phase that
    /// began since it last looked is due no earlier than that).
    pub(crate) fn police(&self) {
        let mut open = lock(&self.open);
        loop {
            let closing = self.closing.load(Ordering::SeqCst);
            if !self.admitting.load(Ordering::SeqCst) && open.is_empty() {
                return;
            }
            let now = now_millis();
            let mut next: Option<Duration> = None;
            for w in open.iter() {
                let (phase, since) = w.phase();
                if phase == SHUT || phase == HANDLING {
                    continue;
                }
                if closing && phase == WAITING {
                    w.shut();
                    continue;
                }
                let Some(timeout) = self.limits.timeout else { continue };
                let elapsed = Duration::from_millis(now.saturating_sub(since));
                let left = if phase == BODY { w.body_time_left(timeout, elapsed) } else { timeout.saturating_sub(elapsed) };
                if left.is_zero() {
                    if phase == BODY {
                        log::debug!("connection closed: its body came slower than {} bytes a second", MIN_BODY_RATE);
                    } else {
                        log::debug!("connection closed: no request, or its answer not taken, within {:?}", timeout);
                    }
                    w.shut();
                } else {
                    next = Some(next.map_or(left, |n| n.min(left)));
                }
            }
            let wait = match (next, self.limits.timeout) {
                (Some(next), _) => Some(next + Duration::from_millis(5)),
                (None, Some(timeout)) if !open.is_empty() => Some(timeout),
                _ => None,
            };
            open = match wait {
                Some(wait) => self.bell.wait_timeout(open, wait).map_or_else(|p| p.into_inner().0, |r| r.0),
                None => self.bell.wait(open).unwrap_or_else(|p| p.into_inner()),
            };
        }
    }
}
