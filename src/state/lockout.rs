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
        log::warn!(
            "{FAILURES} failed logins on one account within {}s: locked for {}s except from its trusted clients",
            WINDOW.as_secs(),
            lock.as_secs()
        );
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
mod tests;
