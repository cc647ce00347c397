//! The connection guard: what tiny-http leaves unbounded by design, bounded
//! from camcgi's side. tiny-http gives every connection a thread of its own,
//! for as long as the connection lasts, and a slow client (a byte every few
//! seconds: "slowloris") never trips the per-read timeout. The guard lists the
//! accepted connections a few times a second and closes
//! - a connection that has not completed a request within the request time
//!   of opening, or of its last answer (idle, stalled or slowloris alike);
//! - beyond the connection limit, the connections waiting longest for their
//!   next request, so that the threads stay bounded under a flood.
//!
//! A connection camcgi is answering is never closed by the guard.

use crate::sockets::{self, Lister};
use nix::sys::socket::Shutdown;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// What the guard enforces.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// How long a connection may take to complete a request, from opening
    /// or from its last answer; `None`: for ever.
    pub request_time: Option<Duration>,
    /// Open connections kept at most (requests being answered may add to it).
    pub max_connections: usize,
}

#[derive(Debug, Clone, Copy)]
struct Peer {
    /// Requests from this peer being answered now.
    answering: u32,
    /// Since when it has been waiting for a request: when first seen, or
    /// when its last answer went out.
    waiting_since: Instant,
}

/// Which connections are being answered; the guard never closes those.
#[derive(Debug, Default)]
pub struct Activity {
    peers: Mutex<HashMap<SocketAddr, Peer>>,
    /// More connections were open than the limit since the heap was last trimmed.
    flooded: AtomicBool,
}

impl Activity {
    /// A request from `peer` is being answered.
    pub fn begin(&self, peer: Option<SocketAddr>, now: Instant) {
        let Some(peer) = peer else { return };
        let mut peers = self.peers.lock().unwrap_or_else(|p| p.into_inner());
        let entry = peers.entry(peer).or_insert(Peer { answering: 0, waiting_since: now });
        entry.answering = entry.answering.saturating_add(1);
    }

    /// The answer to `peer` has gone out.
    pub fn end(&self, peer: Option<SocketAddr>, now: Instant) {
        let Some(peer) = peer else { return };
        let mut peers = self.peers.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(entry) = peers.get_mut(&peer) {
            entry.answering = entry.answering.saturating_sub(1);
            entry.waiting_since = now;
        }
    }

    /// The connections to close among `open`, at `now`. Peers no longer open
    /// are forgotten; peers seen for the first time start waiting now.
    pub fn overdue(&self, open: &[SocketAddr], now: Instant, limits: &Limits) -> Vec<SocketAddr> {
        let mut peers = self.peers.lock().unwrap_or_else(|p| p.into_inner());
        peers.retain(|peer, p| p.answering > 0 || open.contains(peer));
        let mut waiting: Vec<(Instant, SocketAddr)> = Vec::new();
        let mut answering = 0usize;
        for &peer in open {
            let p = *peers.entry(peer).or_insert(Peer { answering: 0, waiting_since: now });
            if p.answering > 0 {
                answering += 1;
            } else {
                waiting.push((p.waiting_since, peer));
            }
        }
        waiting.sort();
        let mut close = Vec::new();
        if let Some(limit) = limits.request_time {
            while let Some(&(since, peer)) = waiting.first() {
                if now.saturating_duration_since(since) < limit {
                    break;
                }
                close.push(peer);
                waiting.remove(0);
            }
        }
        let over = (answering + waiting.len()).saturating_sub(limits.max_connections);
        close.extend(waiting.iter().take(over).map(|&(_, peer)| peer));
        close
    }
}

/// One pass of the guard over the connections accepted on `port`; how many it closed.
pub fn patrol(activity: &Activity, lister: &mut Lister, port: u16, limits: &Limits) -> usize {
    let open = lister.accepted_on(port);
    let peers: Vec<SocketAddr> = open.iter().map(|c| c.peer).collect();
    if peers.len() > limits.max_connections {
        activity.flooded.store(true, Ordering::Relaxed);
    } else if peers.len() <= limits.max_connections / 2 && activity.flooded.swap(false, Ordering::Relaxed) {
        // The flood's connections have closed (by the previous patrol at the
        // latest) and their threads have freed what they held.
        crate::heap::give_back_free_memory();
    }
    let overdue = activity.overdue(&peers, Instant::now(), limits);
    let mut closed = 0;
    for peer in overdue {
        if let Some(&connection) = open.iter().find(|c| c.peer == peer) {
            if sockets::shut(connection, port, Shutdown::Both) {
                log::debug!("closed {peer}: no request within the time allowed, or over the connection limit");
                closed += 1;
            }
        }
    }
    closed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peer(n: u16) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], 40000 + n))
    }

    const LIMITS: Limits = Limits { request_time: Some(Duration::from_secs(15)), max_connections: 3 };

    #[test]
    fn a_connection_without_a_request_is_closed_at_the_request_time() {
        let a = Activity::default();
        let t0 = Instant::now();
        assert!(a.overdue(&[peer(1)], t0, &LIMITS).is_empty());
        assert!(a.overdue(&[peer(1)], t0 + Duration::from_secs(14), &LIMITS).is_empty());
        assert_eq!(a.overdue(&[peer(1)], t0 + Duration::from_secs(15), &LIMITS), [peer(1)]);
    }

    #[test]
    fn an_answer_restarts_the_wait_and_answering_is_never_overdue() {
        let a = Activity::default();
        let t0 = Instant::now();
        a.overdue(&[peer(1)], t0, &LIMITS);
        a.begin(Some(peer(1)), t0 + Duration::from_secs(10));
        assert!(a.overdue(&[peer(1)], t0 + Duration::from_secs(60), &LIMITS).is_empty());
        a.end(Some(peer(1)), t0 + Duration::from_secs(61));
        assert!(a.overdue(&[peer(1)], t0 + Duration::from_secs(75), &LIMITS).is_empty());
        assert_eq!(a.overdue(&[peer(1)], t0 + Duration::from_secs(76), &LIMITS), [peer(1)]);
    }

    #[test]
    fn over_the_limit_the_longest_waiting_go_first() {
        let a = Activity::default();
        let t0 = Instant::now();
        for n in 1..=5 {
            a.overdue(&(1..=n).map(peer).collect::<Vec<_>>(), t0 + Duration::from_secs(u64::from(n)), &LIMITS);
        }
        a.begin(Some(peer(1)), t0 + Duration::from_secs(6));
        let open: Vec<_> = (1..=5).map(peer).collect();
        // peer 1 is being answered; of the rest, 2 and 3 have waited longest.
        assert_eq!(a.overdue(&open, t0 + Duration::from_secs(7), &LIMITS), [peer(2), peer(3)]);
    }

    #[test]
    fn closed_peers_are_forgotten() {
        let a = Activity::default();
        let t0 = Instant::now();
        a.overdue(&[peer(1), peer(2)], t0, &LIMITS);
        a.overdue(&[peer(2)], t0 + Duration::from_secs(1), &LIMITS);
        // A new connection from peer 1's address starts a fresh wait.
        assert!(a.overdue(&[peer(1)], t0 + Duration::from_secs(16), &LIMITS).is_empty());
        assert_eq!(a.peers.lock().unwrap().len(), 1);
    }
}
