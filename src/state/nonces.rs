//! HTTP Digest nonces. A nonce names when it was given out and its place
//! in the order of issue, masked and sealed with a key drawn at start (a
//! client sees random bytes: neither the uptime nor how many nonces were
//! given out), so giving one out stores nothing: anyone can make the camera give out nonces (every
//! 401 does), and a table of them would let a flood of unauthenticated
//! requests push a client's nonce out before the client answered. Only a
//! nonce answered rightly takes a place, in a fixed table that takes each of
//! its counts (`nc`) once.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use std::time::Duration;

/// Nonces in use kept; the one given out first makes room for another.
pub const CAPACITY: usize = 64;
/// How long a nonce is good for; an answer to an older one is told `stale`.
pub const LIFETIME: Duration = Duration::from_secs(300);
/// Counts below the highest seen by more than this are refused as replays:
/// a client's requests on several connections arrive a little out of order.
const WINDOW: u32 = 64;
/// What a nonce names: milliseconds since start when given out, then its
/// place in the order of issue, both big-endian.
const NAMED: usize = 16;
/// The seal's length: HMAC-SHA-256, cut to its first half.
const SEAL: usize = 16;
/// The random salt each nonce's mask is drawn for.
const SALT: usize = 8;

#[derive(Debug, Clone, Copy)]
struct InUse {
    place: u64,
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
    /// Not given out, given out too long ago, or pushed out of the table:
    /// ask again with `stale=true`.
    Stale,
    /// That count of this nonce was used already.
    Replayed,
}

/// The Digest nonces: the key they are sealed with, and those in use.
pub struct Nonces {
    /// A key of HMAC-SHA-256's block size.
    key: [u8; 64],
    next_place: u64,
    in_use: [Option<InUse>; CAPACITY],
    /// The last place pushed out of `in_use`: a nonce given out at or
    /// before it that is not in the table may have been used, and is stale.
    pushed_out: Option<u64>,
}

impl std::fmt::Debug for Nonces {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Nonces").field("next_place", &self.next_place).field("pushed_out", &self.pushed_out).finish_non_exhaustive()
    }
}

impl Default for Nonces {
    fn default() -> Self {
        Nonces { key: crate::state::secret::random(), next_place: 0, in_use: [None; CAPACITY], pushed_out: None }
    }
}

impl Nonces {
    fn mac(&self, parts: &[&[u8]]) -> Hmac<Sha256> {
        let mut mac = <Hmac<Sha256> as KeyInit>::new(&self.key.into());
        for part in parts {
            mac.update(part);
        }
        mac
    }

    /// What hides a nonce's named bytes: keyed, and different for every
    /// salt, so nonces show neither the uptime nor how many were given out.
    fn mask(&self, salt: &[u8]) -> [u8; NAMED] {
        let stream = self.mac(&[b"mask", salt]).finalize().into_bytes();
        let mut mask = [0u8; NAMED];
        mask.copy_from_slice(&stream[..NAMED]);
        mask
    }

    /// A new nonce, in hex: a random salt, what it names masked, and the
    /// seal over both.
    pub fn issue(&mut self, now: Duration) -> String {
        let millis = u64::try_from(now.as_millis()).unwrap_or(u64::MAX);
        let mut named = [0u8; NAMED];
        named[..8].copy_from_slice(&millis.to_be_bytes());
        named[8..].copy_from_slice(&self.next_place.to_be_bytes());
        self.next_place += 1;
        let salt: [u8; SALT] = crate::state::secret::random();
        let mask = self.mask(&salt);
        let mut nonce = [0u8; SALT + NAMED + SEAL];
        nonce[..SALT].copy_from_slice(&salt);
        for (out, (n, m)) in nonce[SALT..SALT + NAMED].iter_mut().zip(named.iter().zip(mask)) {
            *out = n ^ m;
        }
        let seal = self.mac(&[&nonce[..SALT + NAMED]]).finalize().into_bytes();
        nonce[SALT + NAMED..].copy_from_slice(&seal[..SEAL]);
        hex::encode(nonce)
    }

    /// When a nonce (hex) was given out and its place, if this camera
    /// sealed it since it started.
    fn open(&self, nonce: &str) -> Option<(Duration, u64)> {
        let bytes = <[u8; SALT + NAMED + SEAL]>::try_from(hex::decode(nonce).ok()?.as_slice()).ok()?;
        let (sealed, seal) = bytes.split_at(SALT + NAMED);
        self.mac(&[sealed]).verify_truncated_left(seal).ok()?;
        let (salt, masked) = sealed.split_at(SALT);
        let mut named = [0u8; NAMED];
        for (out, (c, m)) in named.iter_mut().zip(masked.iter().zip(self.mask(salt))) {
            *out = c ^ m;
        }
        let millis = u64::from_be_bytes(named[..8].try_into().ok()?);
        let place = u64::from_be_bytes(named[8..].try_into().ok()?);
        Some((Duration::from_millis(millis), place))
    }

    /// Takes count `nc` of `nonce` (hex), whose answer was right.
    pub fn take(&mut self, nonce: &str, nc: u32, now: Duration) -> Use {
        let Some((issued, place)) = self.open(nonce) else { return Use::Stale };
        let live = |issued: Duration| issued <= now && now - issued < LIFETIME;
        if !live(issued) {
            return Use::Stale;
        }
        let slot = match self.in_use.iter().position(|e| e.is_some_and(|e| e.place == place)) {
            Some(slot) => slot,
            None if self.pushed_out.is_some_and(|out| place <= out) => return Use::Stale,
            None => {
                let slot = match self.in_use.iter().position(|e| e.is_none_or(|e| !live(e.issued))) {
                    Some(free) => free,
                    None => {
                        let places = self.in_use.iter().enumerate().filter_map(|(i, e)| Some((i, (*e)?.place)));
                        let (slot, first) = places.min_by_key(|(_, place)| *place).unwrap_or((0, 0));
                        self.pushed_out = Some(self.pushed_out.map_or(first, |out| out.max(first)));
                        slot
                    }
                };
                self.in_use[slot] = Some(InUse { place, issued, highest: 0, seen: 0 });
                slot
            }
        };
        let Some(entry) = self.in_use[slot].as_mut() else { return Use::Stale };
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

#[cfg(test)]
mod tests {
    use super::*;

    const S: fn(u64) -> Duration = Duration::from_secs;

    #[test]
    fn each_count_is_taken_once_within_the_lifetime() {
        let mut n = Nonces::default();
        let nonce = n.issue(S(10));
        assert_eq!(n.take(&nonce, 1, S(11)), Use::Fresh);
        assert_eq!(n.take(&nonce, 1, S(11)), Use::Replayed);
        assert_eq!(n.take(&nonce, 3, S(11)), Use::Fresh);
        assert_eq!(n.take(&nonce, 2, S(11)), Use::Fresh, "a little out of order");
        assert_eq!(n.take(&nonce, 2, S(11)), Use::Replayed);
        assert_eq!(n.take(&nonce, 0, S(11)), Use::Replayed);
        assert_eq!(n.take(&nonce, 100, S(11)), Use::Fresh);
        assert_eq!(n.take(&nonce, 4, S(11)), Use::Replayed, "too far behind");
        assert_eq!(n.take(&nonce, 101, S(310)), Use::Stale);
        let ahead = n.issue(S(20));
        assert_eq!(n.take(&ahead, 1, S(19)), Use::Stale, "given out after now");
    }

    #[test]
    fn only_nonces_this_camera_sealed_since_it_started_are_taken() {
        let mut n = Nonces::default();
        let nonce = n.issue(S(0));
        assert_eq!(n.take("00", 1, S(1)), Use::Stale);
        assert_eq!(n.take(&"0".repeat(64), 1, S(1)), Use::Stale);
        assert_eq!(n.take(&"0".repeat(80), 1, S(1)), Use::Stale);
        let mut forged = nonce.clone().into_bytes();
        forged[15] = if forged[15] == b'0' { b'1' } else { b'0' };
        assert_eq!(n.take(std::str::from_utf8(&forged).unwrap(), 1, S(1)), Use::Stale, "its time or place changed");
        assert_eq!(Nonces::default().take(&nonce, 1, S(1)), Use::Stale, "after a restart");
        assert_eq!(n.take(&nonce.to_uppercase(), 1, S(1)), Use::Fresh);
    }

    #[test]
    fn giving_nonces_out_pushes_none_out() {
        let mut n = Nonces::default();
        let first = n.issue(S(0));
        for i in 0..10 * CAPACITY as u64 {
            n.issue(S(i / 100));
        }
        assert_eq!(n.take(&first, 1, S(100)), Use::Fresh);
    }

    #[test]
    fn a_nonce_pushed_out_of_the_table_is_stale_not_fresh_again() {
        let mut n = Nonces::default();
        let unused_early = n.issue(S(0));
        let first = n.issue(S(0));
        assert_eq!(n.take(&first, 1, S(1)), Use::Fresh);
        let later: Vec<String> = (0..CAPACITY).map(|_| n.issue(S(1))).collect();
        let unused_late = n.issue(S(1));
        for nonce in &later {
            assert_eq!(n.take(nonce, 1, S(2)), Use::Fresh);
        }
        assert_eq!(n.take(&first, 2, S(2)), Use::Stale, "pushed out: its counts are no longer known");
        assert_eq!(n.take(&first, 1, S(2)), Use::Stale, "and it cannot be replayed from 1");
        assert_eq!(n.take(&unused_early, 1, S(2)), Use::Stale, "given out before the one pushed out");
        assert_eq!(n.take(&unused_late, 1, S(2)), Use::Fresh);
        assert_eq!(n.take(&later[CAPACITY - 1], 1, S(2)), Use::Replayed, "still in the table");
    }

    #[test]
    fn places_of_expired_nonces_are_taken_first() {
        let mut n = Nonces::default();
        let old: Vec<String> = (0..CAPACITY).map(|_| n.issue(S(0))).collect();
        for nonce in &old {
            assert_eq!(n.take(nonce, 1, S(1)), Use::Fresh);
        }
        let fresh = n.issue(S(400));
        assert_eq!(n.take(&fresh, 1, S(401)), Use::Fresh);
        let also = n.issue(S(400));
        assert_eq!(n.take(&also, 1, S(401)), Use::Fresh, "nothing live was pushed out");
        assert_eq!(n.pushed_out, None);
    }
}
