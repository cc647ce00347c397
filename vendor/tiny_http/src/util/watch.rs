//! camcgi: the server's open connections, each with the time it may take.
//!
//! Upstream bounded a connection only by the timeout of each read and write,
//! which a client defeats by sending a byte now and then (slowloris) or by
//! reading its answer a byte at a time, and it kept every connection a client
//! opened, each with a thread. Here every accepted connection is registered
//! with its phase and when that phase began, and one thread per server (the
//! police) closes, by `shutdown`, which wakes the connection's blocked read or
//! write:
//! - a connection that has not sent a whole request head within the timeout
//!   of opening or of its last answer (idle, stalled and slowloris alike);
//! - a connection whose answer has not been written within the timeout;
//! - when the server is closing, every connection waiting for a request.
//! A request being handled (its body being read, the application at work) is
//! left to the per-read timeout and to the application.
//!
//! At the connection limit the accept loop closes the connection that has
//! waited longest for a request; if every connection is being answered, it
//! waits for one to end.

use std::convert::TryFrom;
use std::net::Shutdown;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::connection::Connection;

/// What a server allows its connections.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// The time a connection has to send a request head (from opening or from
    /// its last answer) and to take its answer; also each read's and write's
    /// timeout. `None`: no limit.
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
const SHUT: u64 = 3;
const PHASE_BITS: u32 = 2;

/// How long a connection must have waited for a request before a new one
/// may take its place at the limit: a keep-alive client between two requests
/// keeps its connection, while a flood's connections (or the idle) go in turn.
const EVICTION_GRACE: Duration = Duration::from_millis(10);

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

/// One accepted connection as the police sees it.
pub(crate) struct Watch {
    socket: Arc<Connection>,
    state: AtomicU64,
    /// The connection ends after the request being answered.
    ending: AtomicBool,
}

impl Watch {
    fn enter(&self, phase: u64) {
        let since = now_millis();
        // A connection shut by the police stays shut.
        let _ = self.state.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |s| {
            (s & 3 != SHUT).then_some(since << PHASE_BITS | phase)
        });
    }

    fn phase(&self) -> (u64, u64) {
        let s = self.state.load(Ordering::SeqCst);
        (s & 3, s >> PHASE_BITS)
    }

    /// Closes the connection: a request head not sent in time, or an idle
    /// one, ends with a FIN; an answer not taken in time is discarded (a
    /// reset), or the kernel would go on delivering it from the socket's
    /// buffer for as long as the client takes.
    fn shut(&self) {
        let was = self.state.fetch_or(SHUT, Ordering::SeqCst);
        if was & 3 == WRITING {
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
        self.enter(HANDLING);
    }

    /// An answer is being written.
    pub(crate) fn writing(&self) {
        self.enter(WRITING);
    }

    /// Nothing more is read from the connection; it ends after this answer.
    pub(crate) fn stop_reading(&self) {
        self.ending.store(true, Ordering::SeqCst);
        let _ = self.socket.shutdown(Shutdown::Read);
    }

    /// The connection ends after the request being answered.
    pub(crate) fn end_after_answer(&self) {
        self.ending.store(true, Ordering::SeqCst);
    }

    pub(crate) fn ending(&self) -> bool {
        self.ending.load(Ordering::SeqCst) || self.phase().0 == SHUT
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

    /// Registers a new connection once there is room for it: the connection
    /// waiting longest for a request is closed to make room, or, when every
    /// connection is being answered, this waits for one to end. `None` when
    /// the server closes meanwhile.
    pub(crate) fn admit(&self, socket: Arc<Connection>) -> Option<Arc<Watch>> {
        let mut open = lock(&self.open);
        loop {
            if !self.admitting.load(Ordering::SeqCst) {
                return None;
            }
            let live = open.iter().filter(|w| w.phase().0 != SHUT).count();
            if live < self.limits.max_connections {
                break;
            }
            let now = now_millis();
            let longest_waiting = open.iter().filter(|w| w.phase().0 == WAITING).min_by_key(|w| w.phase().1);
            let waited = longest_waiting.map(|w| Duration::from_millis(now.saturating_sub(w.phase().1)));
            match (longest_waiting, waited) {
                (Some(w), Some(waited)) if waited >= EVICTION_GRACE => w.shut(),
                _ => {
                    let wait = waited.map_or(Duration::from_millis(100), |waited| EVICTION_GRACE - waited);
                    open = self.changed.wait_timeout(open, wait).map_or_else(|p| p.into_inner().0, |r| r.0);
                }
            }
        }
        let watch = Arc::new(Watch {
            socket,
            state: AtomicU64::new(0),
            ending: AtomicBool::new(false),
        });
        watch.waiting();
        open.push(watch.clone());
        let first = open.len() == 1;
        drop(open);
        if first {
            self.bell.notify_one();
        }
        Some(watch)
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
                match timeout.checked_sub(elapsed).filter(|left| !left.is_zero()) {
                    None => {
                        log::debug!("connection closed: no request, or its answer not taken, within {:?}", timeout);
                        w.shut();
                    }
                    Some(left) => next = Some(next.map_or(left, |n| n.min(left))),
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
