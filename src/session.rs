//! The session table (30 slots shared by `uid` and `authid`) and login lockout.

use crate::accounts::Privilege;
use heapless::Vec as FixedVec;
use std::net::IpAddr;
use std::time::Duration;
use uuid::Uuid;

/// Slots in the session table.
pub const CAPACITY: usize = 30;
/// A `/cgi-bin/getuid` session ends this long after its last successful request.
pub const UID_IDLE: Duration = Duration::from_secs(60);
/// A `/cgi/auth.cgi` session ends this long after login or its last renewal.
pub const AUTHID_LIFETIME: Duration = Duration::from_secs(30 * 60);

/// How a session was opened, which decides how long it lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// From `/cgi-bin/getuid`.
    Uid,
    /// From `/cgi/auth.cgi`.
    AuthId,
}

impl Kind {
    fn lifetime(self) -> Duration {
        match self {
            Kind::Uid => UID_IDLE,
            Kind::AuthId => AUTHID_LIFETIME,
        }
    }
}

/// A 128-bit session token, shown as 32 lowercase hex digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token(Uuid);

impl Token {
    /// No session: what a snapshot authenticated by password carries.
    pub const NONE: Token = Token(Uuid::nil());

    /// Reads a token as clients send it back: exactly 32 hex digits.
    pub fn parse(s: &str) -> Option<Token> {
        if s.len() != 32 {
            return None;
        }
        Uuid::try_parse(s).ok().map(Token)
    }
}

impl std::fmt::Display for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0.simple())
    }
}

/// Who a live session belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// Its token.
    pub token: Token,
    /// The account name.
    pub user: String,
    /// The account's privilege when the session was opened.
    pub privilege: Privilege,
}

struct Slot {
    session: Session,
    kind: Kind,
    last_used: Duration,
    expires: Duration,
}

/// The fixed-capacity session table.
#[derive(Default)]
pub struct Sessions {
    slots: FixedVec<Slot, CAPACITY>,
}

impl Sessions {
    /// Opens a session, evicting expired ones, then the least recently used.
    pub fn open(&mut self, user: &str, privilege: Privilege, kind: Kind, now: Duration) -> Token {
        self.slots.retain(|s| s.expires > now);
        if self.slots.is_full() {
            if let Some(lru) = self.slots.iter().enumerate().min_by_key(|(_, s)| s.last_used).map(|(i, _)| i) {
                let evicted = self.slots.swap_remove(lru);
                log::info!("session table full: evicted the least recently used session of {}", evicted.session.user);
            }
        }
        let token = Token(Uuid::new_v4());
        let slot = Slot {
            session: Session { token, user: user.to_string(), privilege },
            kind,
            last_used: now,
            expires: now + kind.lifetime(),
        };
        // The table cannot be full here: one slot was just freed.
        let _ = self.slots.push(slot);
        token
    }

    /// The live session a token names.
    pub fn find(&self, token: &str, now: Duration) -> Option<Session> {
        let token = Token::parse(token)?;
        self.slots.iter().find(|s| s.session.token == token && s.expires > now).map(|s| s.session.clone())
    }

    /// Restarts a session's lifetime after a successful request.
    pub fn touch(&mut self, token: Token, now: Duration) -> bool {
        match self.slots.iter_mut().find(|s| s.session.token == token && s.expires > now) {
            Some(slot) => {
                slot.last_used = now;
                slot.expires = now + slot.kind.lifetime();
                true
            }
            None => false,
        }
    }

    /// Ends one session.
    pub fn close(&mut self, token: Token) -> bool {
        let before = self.slots.len();
        self.slots.retain(|s| s.session.token != token);
        before != self.slots.len()
    }

    /// Ends every session of an account.
    pub fn revoke_user(&mut self, user: &str) {
        self.slots.retain(|s| s.session.user != user);
    }

    /// Ends every session.
    pub fn clear(&mut self) {
        self.slots.clear();
    }

    /// Live sessions.
    pub fn live(&self, now: Duration) -> usize {
        self.slots.iter().filter(|s| s.expires > now).count()
    }
}

/// Failed logins that lock an address out.
pub const LOCKOUT_FAILURES: usize = 5;
/// The window the failures must fall in, and how long the lock lasts.
pub const LOCKOUT_WINDOW: Duration = Duration::from_secs(60);
/// Client addresses tracked at once; the stalest entry makes room.
const LOCKOUT_TRACKED: usize = 64;

struct Strikes {
    addr: IpAddr,
    failures: FixedVec<Duration, LOCKOUT_FAILURES>,
    locked_until: Option<Duration>,
}

impl Strikes {
    fn last(&self) -> Duration {
        self.failures.last().copied().unwrap_or_default()
    }
}

/// Per-address login failure tracking.
#[derive(Default)]
pub struct Lockout {
    entries: FixedVec<Strikes, LOCKOUT_TRACKED>,
}

impl Lockout {
    /// Whether logins from `addr` are refused now.
    pub fn is_locked(&self, addr: IpAddr, now: Duration) -> bool {
        self.entries.iter().any(|e| e.addr == addr && e.locked_until.is_some_and(|t| now < t))
    }

    /// Records a failed login; the fifth within the window locks the address.
    pub fn failure(&mut self, addr: IpAddr, now: Duration) {
        let index = match self.entries.iter().position(|e| e.addr == addr) {
            Some(i) => i,
            None => {
                if self.entries.is_full() {
                    let stalest = self.entries.iter().enumerate().min_by_key(|(_, e)| e.last()).map(|(i, _)| i);
                    if let Some(i) = stalest {
                        self.entries.swap_remove(i);
                    }
                }
                let fresh = Strikes { addr, failures: FixedVec::new(), locked_until: None };
                if self.entries.push(fresh).is_err() {
                    return;
                }
                self.entries.len() - 1
            }
        };
        let Some(entry) = self.entries.get_mut(index) else { return };
        if entry.locked_until.is_some_and(|t| now >= t) {
            entry.locked_until = None;
            entry.failures.clear();
        }
        entry.failures.retain(|t| now.saturating_sub(*t) < LOCKOUT_WINDOW);
        if entry.failures.is_full() {
            entry.failures.remove(0);
        }
        let _ = entry.failures.push(now);
        if entry.failures.is_full() && entry.locked_until.is_none() {
            entry.locked_until = Some(now + LOCKOUT_WINDOW);
            log::warn!("{addr}: {LOCKOUT_FAILURES} failed logins within {}s; locked out", LOCKOUT_WINDOW.as_secs());
        }
    }

    /// Forgets an address's failures after a successful login.
    pub fn success(&mut self, addr: IpAddr) {
        self.entries.retain(|e| e.addr != addr);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: fn(u64) -> Duration = Duration::from_secs;

    #[test]
    fn uid_expires_after_idle_minute_and_touch_extends() {
        let mut t = Sessions::default();
        let tok = t.open("admin", Privilege::Administrator, Kind::Uid, S(0));
        let hex = tok.to_string();
        assert_eq!(hex.len(), 32);
        assert!(t.find(&hex, S(59)).is_some());
        assert!(t.touch(tok, S(59)));
        assert!(t.find(&hex, S(118)).is_some());
        assert!(t.find(&hex, S(119)).is_none());
    }

    #[test]
    fn full_table_evicts_least_recently_used() {
        let mut t = Sessions::default();
        let first = t.open("u0", Privilege::User, Kind::AuthId, S(0));
        let second = t.open("u1", Privilege::User, Kind::AuthId, S(1));
        for i in 2..CAPACITY as u64 {
            t.open("u", Privilege::User, Kind::AuthId, S(i));
        }
        t.touch(first, S(100));
        t.open("new", Privilege::User, Kind::AuthId, S(101));
        assert!(t.find(&first.to_string(), S(101)).is_some());
        assert!(t.find(&second.to_string(), S(101)).is_none());
        assert_eq!(t.live(S(101)), CAPACITY);
    }

    #[test]
    fn lockout_after_five_failures_in_a_minute() {
        let mut l = Lockout::default();
        let a: IpAddr = [10, 0, 0, 1].into();
        for i in 0..4 {
            l.failure(a, S(i * 10));
        }
        assert!(!l.is_locked(a, S(40)));
        l.failure(a, S(59));
        assert!(l.is_locked(a, S(60)));
        assert!(l.is_locked(a, S(118)));
        assert!(!l.is_locked(a, S(119)));
        let b: IpAddr = [10, 0, 0, 2].into();
        for i in 0..5 {
            l.failure(b, S(i * 20));
        }
        assert!(!l.is_locked(b, S(81)), "failures spread over more than a minute");
    }
}
