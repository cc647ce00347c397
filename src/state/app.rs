//! What every interface shares (the clock, the settings store, accounts,
//! sessions and the login lockout), and the device unit every interface
//! family keeps: its hardware and the configuration in force on it.

use crate::api::origin::Sites;
use crate::api::refusal::Refusal;
use crate::state::access::{self, Access};
use crate::state::accounts::{self, Accounts};
use crate::state::lockout::Lockout;
use crate::state::secret::DeviceKey;
use crate::state::session::{Session, Sessions, Token};
use crate::state::store::{Guarded, Store, COPY_SUFFIX};
use crate::state::tokens::{self, Tokens};
use camcgi_hal::{DeviceError, Monotonic};
use serde::Serialize;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// A device part and the configuration in force on it.
pub struct Unit<H: ?Sized, C> {
    /// The hardware.
    pub hal: Box<H>,
    /// What is applied and on disk.
    pub config: C,
}

impl<H: ?Sized, C: Serialize + Clone> Unit<H, C> {
    /// Applies `new` to the hardware, then writes it to `file`. If either step
    /// fails the hardware gets the old configuration back and nothing changes.
    /// `apply(hal, config)` puts a configuration on the hardware.
    pub fn commit(
        &mut self,
        store: &Store,
        file: &str,
        new: C,
        apply: impl Fn(&mut H, &C) -> Result<(), DeviceError>,
    ) -> Result<(), Refusal> {
        if let Err(e) = apply(&mut self.hal, &new) {
            log::error!("{file}: {e}; restoring the previous configuration");
            if let Err(e) = apply(&mut self.hal, &self.config) {
                log::error!("{file}: restoring failed too: {e}");
            }
            return Err(Refusal::device(&e));
        }
        if let Err(e) = store.save(file, &new) {
            log::error!("{file}: not saved ({e}); restoring the previous configuration");
            if let Err(e) = apply(&mut self.hal, &self.config) {
                log::error!("{file}: restoring failed too: {e}");
            }
            return Err(Refusal::storage(&e));
        }
        self.config = new;
        Ok(())
    }
}

/// Takes a lock even if a thread panicked while holding it: every unit's
/// state is replaced whole on commit, so it is never half-updated.
pub fn lock<T: ?Sized>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// What every interface may reach: the clock, the settings store, the
/// accounts, sessions and login lockout, and which sites may call. The
/// device units are the camera's (`interfaces::camera::App`), which
/// hands each interface its own.
pub struct Shared {
    /// The monotonic clock sessions and the PTZ watchdog run on.
    pub clock: Arc<dyn Monotonic>,
    /// The data directory.
    pub store: Store,
    /// The address given with `--listen`; its port is the default HTTP port.
    pub listen: SocketAddr,
    /// Live sessions.
    pub sessions: Mutex<Sessions>,
    /// Login failures per client and per account.
    pub lockout: Mutex<Lockout>,
    /// Accounts, as logins read them.
    pub accounts: Mutex<Accounts>,
    /// Held while the accounts are changed and written.
    pub accounts_writer: Mutex<()>,
    /// Origins and host names allowed beyond the camera's own.
    pub sites: Sites,
    /// What account passwords are sealed with.
    pub key: DeviceKey,
    /// The ONVIF, discovery and HTTP Basic switches.
    pub access: Mutex<Access>,
    /// Digest nonces given out.
    pub nonces: Mutex<crate::state::nonces::Nonces>,
    /// WS-Security's forward clock and the nonces of tokens that verified.
    pub tokens: Mutex<Tokens>,
}

impl Shared {
    /// The shared state of a camera whose settings live in `store`.
    /// `wall` is the wall clock at start (Unix seconds).
    pub fn load(store: Store, listen: SocketAddr, clock: Arc<dyn Monotonic>, sites: Sites, wall: i64) -> Shared {
        let mark = store.load(tokens::MARK_FILE, |_: &tokens::Mark| true);
        let tokens = Tokens::new(wall, mark, clock.now());
        let key = DeviceKey::load_or_create(store.dir());
        let access = match store.load_guarded(access::FILE, |_: &Access| true) {
            Guarded::Loaded(access) => access,
            Guarded::Missing => Access::default(),
            Guarded::Unusable => {
                log::error!("{}: ONVIF, discovery and HTTP Basic are off until an Administrator turns them on", access::FILE);
                Access::closed()
            }
        };
        let accounts = match store.load_guarded(accounts::FILE, Accounts::is_valid) {
            Guarded::Loaded(accounts) => accounts,
            Guarded::Missing => Accounts::initial(&key),
            Guarded::Unusable => {
                log::error!(
                    "{0}: every login is refused; to recover, remove {0} and {0}{1} from the data directory \
                     (or reset the board to factory settings) and restart: the initial account comes back",
                    accounts::FILE,
                    COPY_SUFFIX
                );
                Accounts::none()
            }
        };
        if accounts.default_password_in_use() {
            log::warn!("the initial password of '{}' is still in use: change it", accounts::DEFAULT_USER);
        }
        Shared {
            accounts: Mutex::new(accounts),
            accounts_writer: Mutex::new(()),
            sessions: Mutex::new(Sessions::default()),
            lockout: Mutex::new(Lockout::default()),
            clock,
            store,
            listen,
            sites,
            key,
            nonces: Mutex::new(Default::default()),
            tokens: Mutex::new(tokens),
            access: Mutex::new(access),
        }
    }

    /// Now, on the monotonic clock.
    pub fn now(&self) -> Duration {
        self.clock.now()
    }

    /// The live session a `uid` names, or the documents' faults.
    pub fn session(&self, uid: Option<&str>) -> Result<Session, Refusal> {
        match uid {
            None | Some("") => Err(Refusal::bad("error, parse uid")),
            Some(uid) => lock(&self.sessions).find(uid, self.now()).ok_or(Refusal::bad("uid error")),
        }
    }

    /// Reads WS-Security's forward clock at wall time `wall`, writing it
    /// down when the wall clock is found set back.
    pub fn forward_clock(&self, wall: i64) -> i64 {
        let (forward, mark) = lock(&self.tokens).forward(wall, self.now());
        if let Some(mark) = mark {
            log::warn!("the clock was set back to {wall}: UsernameTokens created before {} are refused", forward - tokens::SKEW_SECONDS);
            if let Err(e) = self.store.save(tokens::MARK_FILE, &mark) {
                log::error!("{}: not saved: {e}", tokens::MARK_FILE);
            }
        }
        forward
    }

    /// Restarts a session's lifetime after a successful request.
    pub fn touch(&self, token: Token) {
        lock(&self.sessions).touch(token, self.now());
    }

    /// Seals the password of an account that has none sealed yet (its file
    /// predates sealing), once it has logged in with that password.
    pub fn seal_on_login(&self, name: &str, password: &str) {
        if lock(&self.accounts).get(name).is_none_or(|a| a.opens(&self.key)) {
            return;
        }
        let _writing = lock(&self.accounts_writer);
        let mut updated = lock(&self.accounts).clone();
        let Some(account) = updated.get_mut(name) else { return };
        if account.digest != accounts::digest(name, password) {
            return;
        }
        account.sealed = self.key.seal(password);
        match self.store.save_guarded(accounts::FILE, &updated) {
            Ok(()) => *lock(&self.accounts) = updated,
            Err(e) => log::error!("{}: not saved: {e}", accounts::FILE),
        }
    }

    /// The default accounts again, every session ended.
    pub fn reset_accounts(&self) {
        {
            let _writing = lock(&self.accounts_writer);
            *lock(&self.accounts) = Accounts::initial(&self.key);
            if let Err(e) = self.store.remove_guarded(accounts::FILE) {
                log::error!("{}: not removed: {e}", accounts::FILE);
            }
        }
        lock(&self.sessions).clear();
    }
}

/// Restores a unit to defaults: hardware first, then the file is removed so
/// the next start uses defaults too.
pub fn reset_unit<H: ?Sized, C: Clone>(
    unit: &mut Unit<H, C>,
    store: &Store,
    file: &str,
    defaults: C,
    apply: impl Fn(&mut H, &C) -> Result<(), DeviceError>,
) {
    if let Err(e) = apply(&mut unit.hal, &defaults) {
        log::error!("{file}: defaults not applied: {e}");
    }
    if let Err(e) = store.remove(file) {
        log::error!("{file}: not removed: {e}");
    }
    unit.config = defaults;
}

/// Loads a unit's configuration and applies it to the hardware at start.
pub fn load_unit<H: ?Sized, C: serde::de::DeserializeOwned + Clone>(
    hal: Box<H>,
    store: &Store,
    file: &str,
    defaults: C,
    valid: impl FnOnce(&C) -> bool,
    apply: impl Fn(&mut H, &C) -> Result<(), DeviceError>,
) -> Unit<H, C> {
    let config = store.load(file, valid).unwrap_or_else(|| defaults.clone());
    let mut unit = Unit { hal, config };
    if let Err(e) = apply(&mut unit.hal, &unit.config) {
        log::error!("{file}: not applied at start: {e}");
    }
    unit
}
