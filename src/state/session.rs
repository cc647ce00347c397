//! The session table: 30 slots shared by `uid` and `authid`, at most
//! [`PER_ACCOUNT`] of them held by one account.

use crate::state::accounts::{Account, Privilege};
use heapless::Vec as FixedVec;
use std::time::Duration;
use uuid::Uuid;

/// Slots in the session table.
pub const CAPACITY: usize = 30;
/// Sessions one account may hold: its next login ends its own least recently
/// used one, so no account can push another's sessions out of the table
/// (a browser tab holds one, an NVR a few).
pub const PER_ACCOUNT: usize = 8;
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

impl Session {
    /// An account authenticated by the credentials one request carries: it
    /// has no token and lasts that request.
    pub fn for_request(account: Account) -> Session {
        Session { token: Token::NONE, user: account.name, privilege: account.privilege }
    }

    /// Anyone, where ONVIF authentication is switched off: a User with no
    /// name and no token.
    pub fn anonymous() -> Session {
        Session { token: Token::NONE, user: String::new(), privilege: Privilege::User }
    }
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
    /// Opens a session, evicting expired ones, then the account's own least
    /// recently used one when it holds [`PER_ACCOUNT`], then the least recently
    /// used of all when the table is full.
    pub fn open(&mut self, user: &str, privilege: Privilege, kind: Kind, now: Duration) -> Token {
        self.slots.retain(|s| s.expires > now);
        let own = self.slots.iter().filter(|s| s.session.user == user).count();
        let evict = if own >= PER_ACCOUNT {
            self.least_recently_used(|s| s.session.user == user)
        } else if self.slots.is_full() {
            self.least_recently_used(|_| true)
        } else {
            None
        };
        if let Some(lru) = evict {
            let evicted = self.slots.swap_remove(lru);
            log::info!("session of {} evicted: least recently used", evicted.session.user);
        }
        let token = Token(Uuid::new_v4());
        let slot =
            Slot { session: Session { token, user: user.to_string(), privilege }, kind, last_used: now, expires: now + kind.lifetime() };
        // The table cannot be full here: one slot was just freed.
        let _ = self.slots.push(slot);
        token
    }

    fn least_recently_used(&self, among: impl Fn(&Slot) -> bool) -> Option<usize> {
        self.slots.iter().enumerate().filter(|(_, s)| among(s)).min_by_key(|(_, s)| s.last_used).map(|(i, _)| i)
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
            t.open(&format!("u{}", i % 5), Privilege::User, Kind::AuthId, S(i));
        }
        t.touch(first, S(100));
        t.open("new", Privilege::User, Kind::AuthId, S(101));
        assert!(t.find(&first.to_string(), S(101)).is_some());
        assert!(t.find(&second.to_string(), S(101)).is_none());
        assert_eq!(t.live(S(101)), CAPACITY);
    }

    #[test]
    fn an_account_at_its_cap_evicts_its_own_sessions_only() {
        let mut t = Sessions::default();
        let admin = t.open("admin", Privilege::Administrator, Kind::Uid, S(0));
        let first = t.open("user", Privilege::User, Kind::Uid, S(1));
        for i in 0..40 {
            t.open("user", Privilege::User, Kind::Uid, S(2 + i));
        }
        assert!(t.find(&admin.to_string(), S(50)).is_some());
        assert!(t.find(&first.to_string(), S(50)).is_none());
        assert_eq!(t.live(S(50)), 1 + PER_ACCOUNT);
    }
}
