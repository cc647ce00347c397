//! What keeps a WS-Security UsernameToken from opening the camera twice:
//! the nonces of the tokens that verified, and the clock their `Created`
//! is judged by.
//!
//! A token is accepted only when all of these hold:
//! - its `Created` is within [`SKEW_SECONDS`] of the wall clock;
//! - it is not older than that on the *forward clock*, which follows the
//!   wall clock forward but never back (setting the clock back reopens no
//!   token), and which is written down when the wall clock is found set
//!   back, so that a restart does not forget it;
//! - it was created at or after the second the camera started (the nonces
//!   seen before a restart are gone, so a token from before is refused);
//! - its nonce has not verified before, and it is not older than a fresh
//!   token whose nonce had to be forgotten to make room.

use serde::{Deserialize, Serialize};
use sha1::{Digest, Sha1};
use std::time::Duration;

/// How far a token's `Created` may be from the camera's clock.
pub const SKEW_SECONDS: i64 = 300;
/// Nonces of verified tokens remembered: while more than this many verify
/// within a token's lifetime, the oldest still-fresh one is forgotten and
/// every token created at or before it is refused.
pub const CAPACITY: usize = 1024;
/// The settings file the forward clock is written to when the wall clock
/// is found set back.
pub const MARK_FILE: &str = "clock-mark.xml";

/// What the forward clock read when it was written down.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename = "clock_mark")]
pub struct Mark {
    /// Unix seconds.
    #[serde(rename = "@forward")]
    pub forward: i64,
}

/// Why a token is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenRefusal {
    /// `Created` is more than the skew from the wall clock.
    TooFar,
    /// `Created` is older than the skew on the forward clock.
    ClockSetBack,
    /// `Created` is before the camera started.
    BeforeStart,
    /// Its nonce verified before.
    UsedBefore,
    /// It is no newer than a fresh nonce that was forgotten.
    Forgotten,
}

impl TokenRefusal {
    /// The fault's reason.
    pub fn reason(self) -> &'static str {
        match self {
            TokenRefusal::TooFar => "the token's Created is too far from the camera's clock",
            TokenRefusal::ClockSetBack => "the token was created before the camera's clock was set back",
            TokenRefusal::BeforeStart => "the token was created before the camera started",
            TokenRefusal::UsedBefore => "the token's nonce was used before",
            TokenRefusal::Forgotten => "the token is older than the nonces the camera remembers",
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Seen {
    key: [u8; 16],
    created: i64,
}

fn key(nonce: &[u8]) -> [u8; 16] {
    let sum = Sha1::digest(nonce);
    let mut key = [0; 16];
    key.copy_from_slice(&sum[..16]);
    key
}

/// The forward clock and the nonces seen.
#[derive(Debug)]
pub struct Tokens {
    /// The wall clock's second when the camera started (or the mark, if later).
    started: i64,
    /// The forward clock read `base_wall` at the monotonic time `base_mono`.
    base_wall: i64,
    base_mono: Duration,
    /// How far the wall clock was behind the forward clock when it was last
    /// written down; 0 while the wall clock keeps up.
    marked_gap: i64,
    seen: Vec<Seen>,
    /// The newest `Created` of a fresh nonce forgotten to make room.
    forgotten_up_to: Option<i64>,
}

impl Tokens {
    /// The state at start: the wall clock then (if it could be read), the
    /// mark written before, and the monotonic time.
    pub fn new(wall: i64, mark: Option<Mark>, mono: Duration) -> Tokens {
        let started = mark.map_or(wall, |m| m.forward.max(wall));
        Tokens {
            started,
            base_wall: started,
            base_mono: mono,
            marked_gap: started.saturating_sub(wall),
            seen: Vec::new(),
            forgotten_up_to: None,
        }
    }

    /// Reads the forward clock at wall time `wall`, and the mark to write
    /// down when the wall clock has newly gone back by more than the skew.
    pub fn forward(&mut self, wall: i64, mono: Duration) -> (i64, Option<Mark>) {
        let run = i64::try_from(mono.saturating_sub(self.base_mono).as_secs()).unwrap_or(i64::MAX);
        let advanced = self.base_wall.saturating_add(run);
        if wall >= advanced {
            self.base_wall = wall;
            self.base_mono = mono;
            self.marked_gap = 0;
            return (wall, None);
        }
        let gap = advanced.saturating_sub(wall);
        if gap <= SKEW_SECONDS {
            self.marked_gap = 0;
            return (advanced, None);
        }
        if gap > self.marked_gap.saturating_add(SKEW_SECONDS) {
            self.marked_gap = gap;
            return (advanced, Some(Mark { forward: advanced }));
        }
        (advanced, None)
    }

    /// Checks a token before its password is: its `Created` (if it has
    /// one) at wall time `wall` and forward time `forward`, and its nonce.
    pub fn check(&self, created: Option<i64>, nonce: Option<&[u8]>, wall: i64, forward: i64) -> Result<(), TokenRefusal> {
        if let Some(at) = created {
            if at.saturating_sub(wall).saturating_abs() > SKEW_SECONDS {
                return Err(TokenRefusal::TooFar);
            }
            if at < forward.saturating_sub(SKEW_SECONDS) {
                return Err(TokenRefusal::ClockSetBack);
            }
            if at < self.started {
                return Err(TokenRefusal::BeforeStart);
            }
            if self.forgotten_up_to.is_some_and(|f| at <= f) {
                return Err(TokenRefusal::Forgotten);
            }
        }
        match nonce {
            Some(n) if self.seen.iter().any(|s| s.key == key(n)) => Err(TokenRefusal::UsedBefore),
            _ => Ok(()),
        }
    }

    /// Records the nonce of a token that verified, created at `created`
    /// (the forward time when it has no `Created`). Refused when a copy
    /// verified first. When full, the entry created first makes room; if
    /// that token is still fresh, tokens created up to it are refused from
    /// then on.
    pub fn record(&mut self, nonce: &[u8], created: Option<i64>, forward: i64) -> Result<(), TokenRefusal> {
        let key = key(nonce);
        if self.seen.iter().any(|s| s.key == key) {
            return Err(TokenRefusal::UsedBefore);
        }
        if self.seen.len() >= CAPACITY {
            let oldest = self.seen.iter().enumerate().min_by_key(|(_, s)| s.created).map(|(i, s)| (i, s.created));
            if let Some((i, at)) = oldest {
                if at >= forward.saturating_sub(SKEW_SECONDS) {
                    self.forgotten_up_to = Some(self.forgotten_up_to.map_or(at, |f| f.max(at)));
                }
                self.seen.swap_remove(i);
            }
        }
        self.seen.push(Seen { key, created: created.unwrap_or(forward) });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: i64 = 1_800_000_000;
    const S: fn(u64) -> Duration = Duration::from_secs;

    #[test]
    fn the_forward_clock_follows_the_wall_forward_but_not_back() {
        let mut t = Tokens::new(T0, None, S(0));
        assert_eq!(t.forward(T0 + 10, S(10)), (T0 + 10, None));
        assert_eq!(t.forward(T0 + 3600, S(11)), (T0 + 3600, None), "set forward");
        assert_eq!(t.forward(T0 + 100, S(12)), (T0 + 3601, Some(Mark { forward: T0 + 3601 })), "set back: written down");
        assert_eq!(t.forward(T0 + 101, S(13)), (T0 + 3602, None), "written once");
        assert_eq!(t.forward(T0 - 3600, S(14)), (T0 + 3603, Some(Mark { forward: T0 + 3603 })), "set back further");
    }

    #[test]
    fn tokens_are_judged_on_the_forward_clock() {
        let mut t = Tokens::new(T0, None, S(0));
        let (forward, _) = t.forward(T0 + 3600, S(0));
        assert_eq!(t.check(Some(T0 + 3600), Some(b"a"), T0 + 3600, forward), Ok(()));
        let (forward, _) = t.forward(T0 + 10, S(1));
        assert_eq!(t.check(Some(T0 + 10), Some(b"b"), T0 + 10, forward), Err(TokenRefusal::ClockSetBack));
        assert_eq!(t.check(Some(T0 + 4000), Some(b"b"), T0 + 10, forward), Err(TokenRefusal::TooFar));
        assert_eq!(t.check(Some(T0 - 1), None, T0, T0), Err(TokenRefusal::BeforeStart));
        let later = Tokens::new(T0, Some(Mark { forward: T0 + 3600 }), S(0));
        assert_eq!(later.check(Some(T0), None, T0, T0 + 3600), Err(TokenRefusal::ClockSetBack), "the mark outlives a restart");
    }

    #[test]
    fn a_fresh_nonce_is_forgotten_only_with_every_token_up_to_it() {
        let mut t = Tokens::new(T0, None, S(0));
        t.record(b"first", Some(T0), T0).unwrap();
        assert_eq!(t.record(b"first", Some(T0), T0), Err(TokenRefusal::UsedBefore));
        for i in 0..CAPACITY as u32 {
            t.record(&i.to_le_bytes(), Some(T0 + 1), T0 + 1).unwrap();
        }
        assert_eq!(t.check(Some(T0), Some(b"first"), T0 + 1, T0 + 1), Err(TokenRefusal::Forgotten));
        assert_eq!(t.check(Some(T0 + 2), Some(b"new"), T0 + 2, T0 + 2), Ok(()));
        let mut quiet = Tokens::new(T0, None, S(0));
        quiet.record(b"old", Some(T0), T0).unwrap();
        for i in 0..CAPACITY as u32 {
            quiet.record(&i.to_le_bytes(), Some(T0 + 400), T0 + 400).unwrap();
        }
        assert_eq!(quiet.forgotten_up_to, None, "a stale nonce makes room freely");
    }
}
