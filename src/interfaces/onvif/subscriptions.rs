//! ONVIF's pull-point subscriptions as data: the table, each holder's
//! share, the messages waiting, and the motion state they follow. The event
//! service (events.rs) answers the operations on them.

use crate::outbound::post::Endpoint;
use crate::state::app::lock;
use crate::state::lockout::Client;
use heapless::Deque;
use std::sync::{Condvar, Mutex};
use std::time::Duration;

/// Subscriptions at once.
pub const CAPACITY: usize = 32;
/// Subscriptions one holder keeps at once.
pub const PER_HOLDER: usize = 8;
/// Messages a subscription keeps until pulled; the oldest go first.
pub(super) const QUEUE: usize = 32;
/// A subscription's life when the client names none, and the longest given.
pub(super) const DEFAULT_LIFE: Duration = Duration::from_secs(60);
pub(super) const MAX_LIFE: Duration = Duration::from_secs(3600);
/// The longest a pull waits.
pub(super) const MAX_PULL: Duration = Duration::from_secs(60);
/// How long a consumer that could not be reached is left before its
/// messages (kept meanwhile, the oldest going first) are sent again.
pub(super) const RESEND_AFTER: Duration = Duration::from_secs(10);

#[derive(Debug, Clone, Copy)]
pub(super) struct Message {
    /// Wall-clock seconds.
    pub(super) at: i64,
    pub(super) motion: bool,
    /// `Initialized` (the state on subscribing) rather than `Changed`.
    pub(super) initial: bool,
}

/// Who holds a subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Holder {
    Account(String),
    /// Anonymous requests (ONVIF authentication off), by client.
    Client(Client),
}

#[derive(Debug)]
pub(super) struct Subscription {
    pub(super) id: u64,
    pub(super) holder: Holder,
    /// On the monotonic clock.
    pub(super) ends: Duration,
    pub(super) queue: Deque<Message, QUEUE>,
    /// Pulls made on it: a waiting pull whose number is no longer the last
    /// answers at once.
    pub(super) pulls: u64,
    /// Where its messages are pushed (`Subscribe`); `None` for a pull point.
    pub(super) consumer: Option<Endpoint>,
    /// On the monotonic clock: not pushed to before then.
    pub(super) resend_at: Duration,
    /// Messages queued on it so far.
    pub(super) queued: u64,
}

/// Messages to push to one subscription's consumer.
#[derive(Debug)]
pub(super) struct Delivery {
    pub(super) id: u64,
    pub(super) to: Endpoint,
    pub(super) messages: Vec<Message>,
    /// The subscription's `queued` when they were taken.
    queued: u64,
}

#[derive(Debug, Default)]
pub(super) struct Table {
    pub(super) subscriptions: heapless::Vec<Subscription, CAPACITY>,
    pub(super) motion: bool,
}

/// The subscriptions, and the motion state they follow.
#[derive(Debug, Default)]
pub struct Events {
    pub(super) table: Mutex<Table>,
    pub(super) arrived: Condvar,
}

impl Subscription {
    pub(super) fn push(&mut self, message: Message) {
        if self.queue.is_full() {
            self.queue.pop_front();
        }
        let _ = self.queue.push_back(message);
        self.queued = self.queued.wrapping_add(1);
    }
}

impl Events {
    /// Takes the detector's state: a change becomes a message for every
    /// subscription. Ended subscriptions are dropped.
    pub fn tick(&self, motion: bool, now: Duration, wall: i64) {
        let mut table = lock(&self.table);
        table.subscriptions.retain(|s| s.ends > now);
        if motion != table.motion {
            table.motion = motion;
            log::debug!("motion {}", if motion { "seen" } else { "over" });
            for s in &mut table.subscriptions {
                s.push(Message { at: wall, motion, initial: false });
            }
            self.arrived.notify_all();
        }
    }

    /// How many subscriptions are live.
    pub fn live(&self) -> usize {
        lock(&self.table).subscriptions.len()
    }

    /// The next push subscription with messages to send at `now`, waiting
    /// up to `wait` for one. Its messages stay queued until delivered.
    pub(super) fn next_delivery(&self, now: impl Fn() -> Duration, wait: Duration) -> Option<Delivery> {
        let ready = |t: &Table| {
            let now = now();
            t.subscriptions.iter().filter(|s| !s.queue.is_empty() && s.resend_at <= now && s.ends > now).find_map(|s| {
                let to = s.consumer.clone()?;
                Some(Delivery { id: s.id, to, messages: s.queue.iter().copied().collect(), queued: s.queued })
            })
        };
        let table = lock(&self.table);
        if let Some(d) = ready(&table) {
            return Some(d);
        }
        let (table, _) = self.arrived.wait_timeout(table, wait).unwrap_or_else(|p| p.into_inner());
        ready(&table)
    }

    /// What became of a delivery: delivered, its messages leave the queue
    /// (those that arrived meanwhile stay); not, they are sent again later.
    pub(super) fn delivered(&self, d: &Delivery, ok: bool, now: Duration) {
        let mut table = lock(&self.table);
        if let Some(s) = table.subscriptions.iter_mut().find(|s| s.id == d.id) {
            if ok {
                // Only those queued since stay (a full queue may have let some sent ones go).
                let since = usize::try_from(s.queued.wrapping_sub(d.queued)).unwrap_or(usize::MAX);
                while s.queue.len() > since {
                    s.queue.pop_front();
                }
            } else {
                s.resend_at = now + RESEND_AFTER;
            }
        }
    }
}

impl Table {
    /// Makes room for a subscription of `holder`: its own oldest goes when
    /// it holds its share; in a full table, the oldest of the holder with
    /// the most, when that is more than `holder` would have. Whether there
    /// is room.
    pub(super) fn make_room(&mut self, holder: &Holder) -> bool {
        let held = |table: &Table, h: &Holder| table.subscriptions.iter().filter(|s| &s.holder == h).count();
        let own = held(self, holder);
        let victim = if own >= PER_HOLDER {
            Some(holder.clone())
        } else if self.subscriptions.is_full() {
            // Of equal holders, the one whose subscription is oldest.
            let mut most: Option<(usize, &Holder)> = None;
            for s in &self.subscriptions {
                let n = held(self, &s.holder);
                if most.is_none_or(|(m, _)| n > m) {
                    most = Some((n, &s.holder));
                }
            }
            most.filter(|(n, _)| *n > own + 1).map(|(_, h)| h.clone())
        } else {
            None
        };
        if let Some(victim) = victim {
            if let Some(i) = self.subscriptions.iter().position(|s| s.holder == victim) {
                let ended = self.subscriptions.remove(i);
                log::debug!("subscription {} ended to make room", ended.id);
            }
        }
        !self.subscriptions.is_full()
    }
}
