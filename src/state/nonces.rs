//! The HTTP Digest nonces given out: a fixed table, each nonce good for a
//! few minutes and each of its counts (`nc`) taken once.

use std::time::Duration;

/// Nonces kept; the oldest makes room for a new one.
pub const CAPACITY: usize = 64;
/// How long a nonce is good for; an answer to an older one is told `stale`.
pub const LIFETIME: Duration = Duration::from_secs(300);
/// Counts below the highest seen by more than this are refused as replays:
/// a client's requests on several connections arrive a little out of order.
const WINDOW: u32 = 64;

#[derive(Debug, Clone, Copy)]
struct Entry {
    nonce: [u8; 16],
    issued: Duration,
    highest: u32,
    /// Bit i: count `highest - i` was taken.
    seen: u64,
}

/// What a nonce and count are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Use {
    /// Good; the count is now taken.
    Fresh,
    /// Not given out, or given out too long ago: ask again with `stale=true`.
    Stale,
    /// That count of this nonce was used already.
    Replayed,
}

/// The nonces given out.
#[derive(Debug)]
pub struct Nonces {
    entries: [Option<Entry>; CAPACITY],
}

impl Default for Nonces {
    fn default() -> Self {
        Nonces { entries: [None; CAPACITY] }
    }
}

impl Nonces {
    /// A new nonce, in hex.
    pub fn issue(&mut self, now: Duration) -> String {
        let nonce = crate::state::secret::random::<16>();
        let entry = Entry { nonce, issued: now, highest: 0, seen: 0 };
        let slot = match self.entries.iter().position(|e| e.is_none_or(|e| now.saturating_sub(e.issued) >= LIFETIME)) {
            Some(free) => free,
            None => self.entries.iter().enumerate().min_by_key(|(_, e)| e.map(|e| e.issued)).map_or(0, |(i, _)| i),
        };
        self.entries[slot] = Some(entry);
        hex::encode(nonce)
    }

    /// Takes count `nc` of `nonce` (hex).
    pub fn take(&mut self, nonce: &str, nc: u32, now: Duration) -> Use {
        let Ok(bytes) = <[u8; 16]>::try_from(hex::decode(nonce).unwrap_or_default().as_slice()) else { return Use::Stale };
        let Some(entry) = self.entries.iter_mut().flatten().find(|e| e.nonce == bytes) else { return Use::Stale };
        if now.saturating_sub(entry.issued) >= LIFETIME {
            return Use::Stale;
        }
        if nc == 0 {
            return Use::Replayed;
        }
        if nc > entry.highest {
            let shift = nc - entry.highest;
            entry.seen = if shift >= 64 { 0 } else { entry.seen << shift };
            entry.seen |= 1;
            entry.highest = nc;
            return Use::Fresh;
        }
        let back = entry.highest - nc;
        if back >= WINDOW || entry.seen & (1 << back) != 0 {
            return Use::Replayed;
        }
        entry.seen |= 1 << back;
        Use::Fresh
    }
}

/// WS-Security nonces seen lately: a UsernameToken whose nonce is among
/// them is a replay. Kept as SHA-1 digests, in a ring.
#[derive(Debug, Default)]
pub struct SeenNonces {
    ring: heapless::Vec<[u8; 20], SEEN_CAPACITY>,
    next: usize,
}

/// WS-Security nonces remembered; a token's `Created` must be recent, so
/// only a flood of this many logins within that window could push a nonce
/// out before it goes stale.
pub const SEEN_CAPACITY: usize = 256;

impl SeenNonces {
    /// Records a nonce; false if it was seen already.
    pub fn first_use(&mut self, nonce: &[u8]) -> bool {
        use sha1::{Digest, Sha1};
        let key: [u8; 20] = Sha1::digest(nonce).into();
        if self.ring.contains(&key) {
            return false;
        }
        if let Err(key) = self.ring.push(key) {
            self.ring[self.next] = key;
        }
        self.next = (self.next + 1) % SEEN_CAPACITY;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: fn(u64) -> Duration = Duration::from_secs;

    #[test]
    fn each_count_is_taken_once_within_the_lifetime() {
        let mut n = Nonces::default();
        let nonce = n.issue(S(0));
        assert_eq!(n.take(&nonce, 1, S(1)), Use::Fresh);
        assert_eq!(n.take(&nonce, 1, S(1)), Use::Replayed);
        assert_eq!(n.take(&nonce, 3, S(1)), Use::Fresh);
        assert_eq!(n.take(&nonce, 2, S(1)), Use::Fresh, "a little out of order");
        assert_eq!(n.take(&nonce, 2, S(1)), Use::Replayed);
        assert_eq!(n.take(&nonce, 0, S(1)), Use::Replayed);
        assert_eq!(n.take(&nonce, 100, S(1)), Use::Fresh);
        assert_eq!(n.take(&nonce, 4, S(1)), Use::Replayed, "too far behind");
        assert_eq!(n.take(&nonce, 101, S(300)), Use::Stale);
        assert_eq!(n.take("00", 1, S(1)), Use::Stale);
        assert_eq!(n.take(&"0".repeat(32), 1, S(1)), Use::Stale);
    }

    #[test]
    fn a_token_nonce_is_taken_once() {
        let mut seen = SeenNonces::default();
        assert!(seen.first_use(b"abc"));
        assert!(!seen.first_use(b"abc"));
        for i in 0..SEEN_CAPACITY as u32 {
            assert!(seen.first_use(&i.to_le_bytes()));
        }
        assert!(seen.first_use(b"abc"), "pushed out of the ring");
    }

    #[test]
    fn the_oldest_nonce_makes_room() {
        let mut n = Nonces::default();
        let first = n.issue(S(0));
        for i in 0..CAPACITY as u64 {
            n.issue(S(1 + i));
        }
        assert_eq!(n.take(&first, 1, S(100)), Use::Stale);
    }
}
