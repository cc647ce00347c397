//! The camera's state: sessions, accounts, and one unit per interface family,
//! each behind its own lock so a slow device never stalls the others.

use crate::state::accounts::{self, Accounts};
use crate::state::lockout::Lockout;
use crate::state::session::{Session, Sessions, Token};
use crate::state::store::Store;
use crate::api::xml::Fault;
use crate::interfaces::firmware::{Policy, Status};
use crate::interfaces::updater::FirmwareUnit;
use crate::interfaces::{audio, image, motion, network, osd, ptz, time, video};
use camcgi_hal::{Board, DeviceError, Monotonic, SnapshotSource, StorageTargets, SystemControl};
use serde::Serialize;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
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
    ) -> Result<(), Fault> {
        if let Err(e) = apply(&mut self.hal, &new) {
            log::error!("{file}: {e}; restoring the previous configuration");
            if let Err(e) = apply(&mut self.hal, &self.config) {
                log::error!("{file}: restoring failed too: {e}");
            }
            return Err(Fault::device(&e));
        }
        if let Err(e) = store.save(file, &new) {
            log::error!("{file}: not saved ({e}); restoring the previous configuration");
            if let Err(e) = apply(&mut self.hal, &self.config) {
                log::error!("{file}: restoring failed too: {e}");
            }
            return Err(Fault::storage(&e));
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

/// Everything a handler can reach.
pub struct App {
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
    /// System control.
    pub system: Mutex<Box<dyn SystemControl<Error = DeviceError> + Send>>,
    /// Snapshots, taken without a lock.
    pub snapshots: Box<dyn SnapshotSource<Error = DeviceError> + Send + Sync>,
    /// Snapshot storage targets, written without a lock (by an upload thread).
    pub storage: Arc<dyn StorageTargets<Error = DeviceError> + Send + Sync>,
    /// The one snapshot upload that may run.
    pub uploads: crate::interfaces::upload::Uploads,
    /// Network.
    pub network: Mutex<network::NetworkUnit>,
    /// Time.
    pub time: Mutex<time::TimeUnit>,
    /// Video encoder.
    pub video: Mutex<video::VideoUnit>,
    /// Audio encoder.
    pub audio: Mutex<audio::AudioUnit>,
    /// OSD.
    pub osd: Mutex<osd::OsdUnit>,
    /// Image.
    pub image: Mutex<image::ImageUnit>,
    /// PTZ.
    pub ptz: Mutex<ptz::PtzUnit>,
    /// Motion detection.
    pub motion: Mutex<motion::MotionUnit>,
    /// Firmware slots and boot selection.
    pub firmware: Mutex<FirmwareUnit>,
    /// Progress of the current or last upgrade.
    pub upgrade: Mutex<Status>,
    /// Set while an upgrade runs: one at a time.
    pub upgrading: AtomicBool,
    /// What upgrades must satisfy.
    pub policy: Policy,
    /// Origins and host names allowed beyond the camera's own.
    pub sites: crate::api::origin::Sites,
    /// FTP and e-mail targets for snapshots.
    pub targets: Mutex<crate::interfaces::targets::Targets>,
    /// Periodic checks completed (the PTZ watchdog's): a test that moves the
    /// clock waits for the next one instead of sleeping.
    ticks: AtomicU64,
}

impl App {
    /// Loads every setting (defaults where missing or corrupt) and applies it to the board.
    pub fn load(
        board: Board,
        store: Store,
        listen: SocketAddr,
        clock: Arc<dyn Monotonic>,
        policy: Policy,
        sites: crate::api::origin::Sites,
    ) -> App {
        let accounts = store.load::<Accounts>(accounts::FILE, Accounts::is_valid).unwrap_or_default();
        if accounts.default_password_in_use() {
            log::warn!("the initial password of '{}' is still in use: change it", accounts::DEFAULT_USER);
        }
        let ptz_present = board.system.capabilities().ptz;
        App {
            network: Mutex::new(network::load(board.network, &store, listen.port())),
            time: Mutex::new(time::load(board.clock, &store)),
            video: Mutex::new(video::load(board.video, &store)),
            audio: Mutex::new(audio::load(board.audio, &store)),
            osd: Mutex::new(osd::load(board.osd, &store)),
            image: Mutex::new(image::load(board.image, &store)),
            ptz: Mutex::new(ptz::load(board.ptz, &store, ptz_present)),
            motion: Mutex::new(motion::load(board.motion, &store)),
            firmware: Mutex::new(FirmwareUnit { flash: board.flash, boot: board.boot }),
            upgrade: Mutex::new(Status::default()),
            upgrading: AtomicBool::new(false),
            policy,
            sites,
            targets: Mutex::new(crate::interfaces::targets::load(&store)),
            system: Mutex::new(board.system),
            snapshots: board.snapshots,
            storage: Arc::from(board.storage),
            uploads: Default::default(),
            accounts: Mutex::new(accounts),
            accounts_writer: Mutex::new(()),
            sessions: Mutex::new(Sessions::default()),
            lockout: Mutex::new(Lockout::default()),
            clock,
            store,
            listen,
            ticks: AtomicU64::new(0),
        }
    }

    /// Now, on the monotonic clock.
    pub fn now(&self) -> Duration {
        self.clock.now()
    }

    /// The live session a `uid` names, or the documents' faults.
    pub fn session(&self, uid: Option<&str>) -> Result<Session, Fault> {
        match uid {
            None | Some("") => Err(Fault::bad("error, parse uid")),
            Some(uid) => lock(&self.sessions).find(uid, self.now()).ok_or(Fault::bad("uid error")),
        }
    }

    /// Restarts a session's lifetime after a successful request.
    pub fn touch(&self, token: Token) {
        lock(&self.sessions).touch(token, self.now());
    }

    /// Restores every setting and the default accounts; keeps the network when asked.
    pub fn factory_reset(&self, retain_network: bool) {
        log::warn!("factory reset (network {})", if retain_network { "kept" } else { "reset" });
        let store = &self.store;
        if !retain_network {
            network::reset(&mut lock(&self.network), store, self.listen.port());
        }
        time::reset(&mut lock(&self.time), store);
        video::reset(&mut lock(&self.video), store);
        audio::reset(&mut lock(&self.audio), store);
        osd::reset(&mut lock(&self.osd), store);
        image::reset(&mut lock(&self.image), store);
        ptz::reset(&mut lock(&self.ptz), store);
        motion::reset(&mut lock(&self.motion), store);
        crate::interfaces::targets::reset(&mut lock(&self.targets), store);
        {
            let _writing = lock(&self.accounts_writer);
            *lock(&self.accounts) = Accounts::default();
            if let Err(e) = store.remove(accounts::FILE) {
                log::error!("{}: not removed: {e}", accounts::FILE);
            }
        }
        lock(&self.sessions).clear();
        if let Err(e) = lock(&self.system).factory_defaults() {
            log::error!("board factory defaults failed: {e}");
        }
    }

    /// Periodic work: the PTZ watchdog.
    pub fn tick(&self) {
        ptz::watchdog(self);
        self.ticks.fetch_add(1, Ordering::SeqCst);
    }

    /// How many periodic checks have been completed.
    pub fn ticks(&self) -> u64 {
        self.ticks.load(Ordering::SeqCst)
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
