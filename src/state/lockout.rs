//! Failed-login tracking: per client and per account, in fixed-size tables
//! that fail safe when full.
//!
//! - A **client** is an IPv4 address or an IPv6 /64 (one host owns a whole /64,
//!   so counting single IPv6 addresses would hand an attacker 2^64 fresh
//!   counters). Five failures from a client within a minute refuse every login
//!   from it for a minute (behaviour.md 3), the right password included.
//! - A success forgives only the failures its client made *on the account
//!   that succeeded*: a user's own good login does not launder guesses at
//!   another account's password.
//! - An **account** that collects five failures within a minute, from
//!   anywhere, is locked for a minute, doubling with each lock that follows
//!   within half an hour, up to 30 minutes. The lock does not apply to the
//!   clients that last logged in to that account successfully, so the real
//!   administrator is slowed by an attack on their account but never locked
//!   out of their own camera by it. Logins by digest (`auth.cgi`) name no
//!   account; they count on one shared "digest" account, whose lock spares
//!   the clients any account trusts as long as they have failed nothing lately
//!   themselves (otherwise a user's own good logins would buy guesses at
//!   every account's digest).
//! - A name that is no account locks exactly as one that is: the answers
//!   never tell which names exist (behaviour.md).
//! - The client table never drops a client that has live failures or a lock.
//!   When it is full of them, failures from untracked clients count on one
//!   shared overflow entry, which locks every untracked client together:
//!   rotating addresses fills the table and then locks, it never unlocks.
//!   The account table does the same for names: spraying names fills it and
//!   then locks every untracked name together (sparing, as the digest account
//!   does, clients an account trusts that have failed nothing lately).

use heapless::Vec as FixedVec;
use std::net::IpAddr;
use std::time::Duration;

/// Failed logins that lock a client or an account.
pub const FAILURES: usize = 5;
/// The window the failures must fall in, and how long a client's lock lasts.
pub const WINDOW: Duration = Duration::from_secs(60);
/// The longest an account stays locked (Hikvision's 30 minutes).
pub const MAX_ACCOUNT_LOCK: Duration = Duration::from_secs(30 * 60);
/// Clients tracked at once.
const CLIENTS: usize = 64;
/// Accounts tracked at once: every account the camera may hold, the digest
/// account, and room for names deleted lately.
const ACCOUNTS: usize = 24;
/// Clients an account trusts: the most recent ones that logged in to it.
const TRUSTED: usize = 4;

/// Who sent a login: an IPv4 address or an IPv6 /64 prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Client(u128);

impl Client {
    /// The client an address belongs to (an IPv4-mapped IPv6 address is its IPv4 address).
    pub fn of(addr: IpAddr) -> Client {
        match addr {
            IpAddr::V4(v4) => Client(u128::from(u32::from(v4))),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => Client(u128::from(u32::from(v4))),
                // The /64, kept apart from every IPv4 value by its top bit.
                None => Client((u128::from(v6) >> 64) | 1 << 127),
            },
        }
    }
}

/// What a login attempt named.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim<'a> {
    /// A user name (`getuid`, `snapshot.cgi`, HTTP Basic).
    Account(&'a str),
    /// Only an MD5 digest of `name:password` (`auth.cgi`).
    Digest,
}

impl Claim<'_> {
    /// The key a failure is recorded under: a hash of the name, so a client's
    /// failures cost a few bytes each.
    fn key(self) -> u64 {
        match self {
            Claim::Digest => 0,
            Claim::Account(name) => name_key(name),
        }
    }
}

/// FNV-1a of a name, never 0 (0 is the digest account).
fn name_key(name: &str) -> u64 {
    let hash = name.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3));
    hash.max(1)
}

/// Recent failures and a lock.
#[derive(Debug, Default)]
struct Strikes<T> {
    /// When each failure happened, with what it concerned.
    failures: FixedVec<(Duration, T), FAILURES>,
    locked_until: Option<Duration>,
}

impl<T: Copy> Strikes<T> {
    fn locked(&self, now: Duration) -> bool {
        self.locked_until.is_some_and(|t| now < t)
    }

    /// Whether anything here still matters at `now`.
    fn live(&self, now: Duration) -> bool {
        self.locked(now) || self.failures.iter().any(|(t, _)| now.saturating_sub(*t) < WINDOW)
    }

    /// Records a failure; true when it completes a lock.
    fn strike(&mut self, now: Duration, what: T) -> bool {
        if self.locked_until.is_some_and(|t| now >= t) {
            self.locked_until = None;
            self.failures.clear();
        }
        self.failures.retain(|(t, _)| now.saturating_sub(*t) < WINDOW);
        if self.failures.is_full() {
            self.failures.remove(0);
        }
        let _ = self.failures.push((now, what));
        self.failures.is_full() && self.locked_until.is_none()
    }
}

struct ClientEntry {
    client: Client,
    /// Each failure remembers the account it named.
    strikes: Strikes<u64>,
}

struct AccountEntry {
    key: u64,
    strikes: Strikes<()>,
    /// Consecutive locks, for the growing lock time.
    locks: u32,
    /// When the last lock ended (or ends).
    last_lock_end: Option<Duration>,
    /// The clients that logged in to it lately, most recent last.
    trusted: FixedVec<Client, TRUSTED>,
}

impl AccountEntry {
    fn trusts(&self, client: Client) -> bool {
        self.trusted.contains(&client)
    }
}

/// Login failures per client and per account.
#[derive(Default)]
pub struct Lockout {
    clients: FixedVec<ClientEntry, CLIENTS>,
    /// Every client the client table had no room for.
    overflow: Strikes<u64>,
    accounts: FixedVec<AccountEntry, ACCOUNTS>,
    /// Every name the account table had no room for.
    account_overflow: Strikes<()>,
}

impl Lockout {
    fn client(&self, client: Client) -> Option<&ClientEntry> {
        self.clients.iter().find(|e| e.client == client)
    }

    fn account(&self, key: u64) -> Option<&AccountEntry> {
        self.accounts.iter().find(|e| e.key == key)
    }

    fn trusted_anywhere(&self, client: Client) -> bool {
        self.accounts.iter().any(|a| a.trusts(client))
    }

    /// Whether a client some account trusts has failed nothing lately: it is
    /// spared the locks that no single account's trust decides.
    fn trusted_and_clean(&self, client: Client, now: Duration) -> bool {
        self.trusted_anywhere(client) && self.client(client).is_none_or(|e| !e.strikes.live(now))
    }

    /// Whether a login from `addr` naming `claim` is refused now, before its
    /// credentials are looked at.
    pub fn is_locked(&self, addr: IpAddr, claim: Claim, now: Duration) -> bool {
        let client = Client::of(addr);
        let client_locked = match self.client(client) {
            Some(entry) => entry.strikes.locked(now),
            None => self.overflow.locked(now) && !self.trusted_anywhere(client),
        };
        if client_locked {
            return true;
        }
        let Some(account) = self.account(claim.key()) else {
            return self.account_overflow.locked(now) && !self.trusted_and_clean(client, now);
        };
        let spared = match claim {
            Claim::Account(_) => account.trusts(client),
            // Any account's trust would do here, so an account holder's own
            // good logins could buy guesses at every digest: a trusted client
            // is spared only while it has failed nothing itself.
            Claim::Digest => self.trusted_and_clean(client, now),
        };
        account.strikes.locked(now) && !spared
    }

    /// Records a failed login, for the client and for the name it claimed,
    /// whether or not that name is an account.
    pub fn failure(&mut self, addr: IpAddr, claim: Claim, now: Duration) {
        let client = Client::of(addr);
        let key = claim.key();
        let slot = self.client_slot(client, now);
        let (strikes, tracked) = match slot.and_then(|i| self.clients.get_mut(i)) {
            Some(entry) => (&mut entry.strikes, true),
            None => (&mut self.overflow, false),
        };
        if strikes.strike(now, key) {
            strikes.locked_until = Some(now + WINDOW);
            if tracked {
                log::warn!("{addr}: {FAILURES} failed logins within {}s; locked out", WINDOW.as_secs());
            } else {
                log::warn!("{FAILURES} failed logins within {}s from clients beyond the table: all of them locked out", WINDOW.as_secs());
            }
        }
        self.account_failure(key, now);
    }

    /// The index of a client's entry, made if there is room (a stale entry
    /// makes room; a live one never does).
    fn client_slot(&mut self, client: Client, now: Duration) -> Option<usize> {
        if let Some(i) = self.clients.iter().position(|e| e.client == client) {
            return Some(i);
        }
        if self.clients.is_full() {
            let stale = self.clients.iter().position(|e| !e.strikes.live(now))?;
            self.clients.swap_remove(stale);
        }
        self.clients.push(ClientEntry { client, strikes: Strikes::default() }).ok()?;
        Some(self.clients.len() - 1)
    }

    fn account_slot(&mut self, key: u64, now: Duration) -> Option<&mut AccountEntry> {
        if let Some(i) = self.accounts.iter().position(|e| e.key == key) {
            return self.accounts.get_mut(i);
        }
        if self.accounts.is_full() {
            // Only an entry with nothing live and nobody trusted may go.
            let stale = self.accounts.iter().position(|e| !e.strikes.live(now) && e.trusted.is_empty())?;
            self.accounts.swap_remove(stale);
        }
        let fresh = AccountEntry { key, strikes: Strikes::default(), locks: 0, last_lock_end: None, trusted: FixedVec::new() };
        self.accounts.push(fresh).ok()?;
        self.accounts.last_mut()
    }

    fn account_failure(&mut self, key: u64, now: Duration) {
        let Some(account) = self.account_slot(key, now) else {
            if self.account_overflow.strike(now, ()) {
                self.account_overflow.locked_until = Some(now + WINDOW);
                log::warn!("{FAILURES} failed logins within {}s on names beyond the table: all of them locked", WINDOW.as_secs());
            }
            return;
        };
        if !account.strikes.strike(now, ()) {
            return;
        }
        // Locks close together double; after a quiet half hour they start over.
        let quiet = account.last_lock_end.is_none_or(|end| now.saturating_sub(end) >= MAX_ACCOUNT_LOCK);
        account.locks = if quiet { 1 } else { account.locks.saturating_add(1) };
        let factor = 1u32 << account.locks.saturating_sub(1).min(5);
        let lock = (WINDOW * factor).min(MAX_ACCOUNT_LOCK);
        account.strikes.locked_until = Some(now + lock);
        account.last_lock_end = Some(now + lock);
        log::warn!("{FAILURES} failed logins on one account within {}s: locked for {}s except from its trusted clients", WINDOW.as_secs(), lock.as_secs());
    }

    /// Records a successful login to `account`: the client's failures on that
    /// account are forgiven, and the account trusts the client from now on.
    pub fn success(&mut self, addr: IpAddr, account: &str, now: Duration) {
        let client = Client::of(addr);
        let key = name_key(account);
        if let Some(entry) = self.clients.iter_mut().find(|e| e.client == client) {
            entry.strikes.failures.retain(|(_, k)| *k != key);
        }
        let Some(entry) = self.account_slot(key, now) else { return };
        entry.trusted.retain(|c| *c != client);
        if entry.trusted.is_full() {
            entry.trusted.remove(0);
        }
        let _ = entry.trusted.push(client);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: fn(u64) -> Duration = Duration::from_secs;
    const ADMIN: Claim = Claim::Account("admin");

    fn v4(n: u8) -> IpAddr {
        [10, 0, 0, n].into()
    }

    #[test]
    fn five_failures_in_a_minute_lock_the_client_for_a_minute() {
        let mut l = Lockout::default();
        for i in 0..4 {
            l.failure(v4(1), ADMIN, S(i * 10));
        }
        assert!(!l.is_locked(v4(1), ADMIN, S(40)));
        l.failure(v4(1), ADMIN, S(59));
        assert!(l.is_locked(v4(1), Claim::Account("other"), S(60)));
        assert!(l.is_locked(v4(1), ADMIN, S(118)));
        assert!(!l.is_locked(v4(1), Claim::Account("other"), S(119)));
        for i in 0..5 {
            l.failure(v4(2), Claim::Account("nobody"), S(200 + i * 20));
        }
        assert!(!l.is_locked(v4(2), ADMIN, S(281)), "failures spread over more than a minute");
    }

    #[test]
    fn an_own_success_forgives_only_the_own_account() {
        let mut l = Lockout::default();
        for round in 0..2 {
            for i in 0..2 {
                l.failure(v4(1), ADMIN, S(round * 10 + i));
            }
            l.success(v4(1), "mallory", S(round * 10 + 5));
        }
        assert!(!l.is_locked(v4(1), ADMIN, S(30)));
        l.failure(v4(1), ADMIN, S(31));
        assert!(l.is_locked(v4(1), ADMIN, S(32)), "four admin failures and one more lock despite mallory's logins");
        let mut l = Lockout::default();
        for i in 0..4 {
            l.failure(v4(1), ADMIN, S(i));
        }
        l.success(v4(1), "admin", S(5));
        l.failure(v4(1), ADMIN, S(6));
        assert!(!l.is_locked(v4(1), ADMIN, S(7)), "the account's own login forgives its typos");
    }

    #[test]
    fn ipv6_counts_by_64_and_mapped_ipv4_as_ipv4() {
        let a: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        let other: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(Client::of(a), Client::of(b));
        assert_ne!(Client::of(a), Client::of(other));
        assert_eq!(Client::of("::ffff:10.0.0.1".parse().unwrap()), Client::of(v4(1)));
        assert_ne!(Client::of(v4(0)), Client::of("::".parse().unwrap()));
    }

    #[test]
    fn an_attacked_account_locks_for_longer_each_time_but_not_for_its_trusted_client() {
        let mut l = Lockout::default();
        l.success(v4(200), "admin", S(0));
        let mut now = 10;
        for (round, lock) in [60u64, 120, 240].into_iter().enumerate() {
            for i in 0..5u8 {
                l.failure(v4(i + 10 * round as u8), ADMIN, S(now));
            }
            assert!(l.is_locked(v4(99), ADMIN, S(now)), "round {round}");
            assert!(!l.is_locked(v4(200), ADMIN, S(now)), "the trusted client still logs in");
            assert!(!l.is_locked(v4(99), Claim::Account("other"), S(now)));
            assert!(l.is_locked(v4(99), ADMIN, S(now + lock - 1)), "round {round} lock {lock}");
            assert!(!l.is_locked(v4(99), ADMIN, S(now + lock)));
            now += lock;
        }
        assert!(now < 1000);
    }

    #[test]
    fn a_full_client_table_locks_the_untracked_instead_of_forgetting() {
        let mut l = Lockout::default();
        let addr = |i: u32| -> IpAddr { IpAddr::V6(std::net::Ipv6Addr::from(u128::from(i) << 64)) };
        for i in 0..5 {
            l.failure(addr(0), Claim::Account("x"), S(i));
        }
        assert!(l.is_locked(addr(0), ADMIN, S(5)));
        for i in 1..200u32 {
            l.failure(addr(i), Claim::Account("x"), S(6));
        }
        assert!(l.is_locked(addr(0), ADMIN, S(7)), "rotating addresses never unlock a locked one");
        assert!(l.is_locked(addr(500), ADMIN, S(7)), "an untracked client is locked once the overflow is");
        assert!(!l.is_locked(addr(500), ADMIN, S(6 + 60)));
    }

    #[test]
    fn a_name_that_is_no_account_locks_as_one_that_is() {
        let mut l = Lockout::default();
        for i in 0..5u8 {
            l.failure(v4(i), Claim::Account("ghost"), S(1));
            l.failure(v4(i + 10), ADMIN, S(1));
        }
        assert!(l.is_locked(v4(50), Claim::Account("ghost"), S(2)));
        assert!(l.is_locked(v4(50), ADMIN, S(2)));
        assert!(!l.is_locked(v4(50), Claim::Account("other"), S(2)));
    }

    #[test]
    fn a_full_account_table_locks_untracked_names_together_except_for_trusted_clients() {
        let mut l = Lockout::default();
        l.success(v4(200), "admin", S(0));
        // Each name once, from clients that stay under their own limit.
        for i in 0..(ACCOUNTS as u32 + 5) {
            let name = format!("name{i}");
            l.failure(IpAddr::V4(std::net::Ipv4Addr::from(0x0a00_0100 + i)), Claim::Account(&name), S(1));
        }
        assert!(l.is_locked(v4(50), Claim::Account("never-seen"), S(2)), "names beyond the table lock together");
        assert!(!l.is_locked(v4(200), Claim::Account("never-seen"), S(2)), "a trusted client that failed nothing is spared");
        assert!(!l.is_locked(v4(50), Claim::Account("never-seen"), S(61)));
    }

    #[test]
    fn digest_failures_lock_digest_logins_except_from_trusted_clients() {
        let mut l = Lockout::default();
        l.success(v4(200), "operator", S(0));
        for i in 0..5u8 {
            l.failure(v4(i), Claim::Digest, S(1));
        }
        assert!(l.is_locked(v4(50), Claim::Digest, S(2)));
        assert!(!l.is_locked(v4(50), ADMIN, S(2)));
        assert!(!l.is_locked(v4(200), Claim::Digest, S(2)));
        // A user who logs in and then guesses digests loses the exemption at the first guess.
        l.success(v4(60), "mallory", S(3));
        assert!(!l.is_locked(v4(60), Claim::Digest, S(3)));
        l.failure(v4(60), Claim::Digest, S(3));
        assert!(l.is_locked(v4(60), Claim::Digest, S(4)));
    }
}
