//! The camera: the shared state, and one unit per device part, each behind
//! its own lock so a slow device never stalls the others. The CGI's route
//! table hands each interface its own unit and the shared state; ONVIF,
//! whose operations span families, is given the whole camera.

use crate::api::origin::Sites;
use crate::interfaces::firmware::{Policy, Upgrades};
use crate::interfaces::onvif::profiles::Profiles;
use crate::interfaces::onvif::scopes::Scopes;
use crate::interfaces::onvif::subscriptions::Events;
use crate::interfaces::targets::Targets;
use crate::interfaces::{audio, image, motion, network, osd, ptz, targets, time, video};
use crate::outbound::upload::Uploads;
use crate::state::app::{lock, Shared};
use crate::state::store::Store;
use camcgi_hal::{Board, DeviceError, Monotonic, SnapshotSource, StorageTargets, SystemControl};
use std::net::SocketAddr;
use std::ops::Deref;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// The whole camera.
pub struct App {
    /// What every interface may reach.
    pub shared: Shared,
    /// System control.
    pub system: Mutex<Box<dyn SystemControl<Error = DeviceError> + Send>>,
    /// Snapshots, taken without a lock.
    pub snapshots: Box<dyn SnapshotSource<Error = DeviceError> + Send + Sync>,
    /// Snapshot storage targets, written without a lock (by an upload thread).
    pub storage: Arc<dyn StorageTargets<Error = DeviceError> + Send + Sync>,
    /// The one snapshot upload that may run.
    pub uploads: Uploads,
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
    /// Firmware slots, boot selection, and the upgrade under way.
    pub firmware: Upgrades,
    /// FTP and e-mail targets for snapshots.
    pub targets: Mutex<Targets>,
    /// ONVIF's pull-point subscriptions.
    pub events: Events,
    /// ONVIF's configurable scopes.
    pub scopes: Scopes,
    /// ONVIF's media profiles.
    pub profiles: Profiles,
    /// The HTTPS identity, once HTTPS is served.
    pub https: std::sync::OnceLock<crate::state::https::Https>,
    /// Periodic checks completed (the PTZ watchdog's): a test that moves the
    /// clock waits for the next one instead of sleeping.
    ticks: AtomicU64,
}

impl Deref for App {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.shared
    }
}

impl App {
    /// Loads every setting (defaults where missing or corrupt) and applies it to the board.
    pub fn load(board: Board, store: Store, listen: SocketAddr, clock: Arc<dyn Monotonic>, policy: Policy, sites: Sites) -> App {
        let ptz_present = board.system.capabilities().ptz;
        let time = time::load(board.clock, &store);
        let wall = time.hal.now().unwrap_or_else(|e| {
            log::error!("the clock: {e}");
            0
        });
        App {
            network: Mutex::new(network::load(board.network, &store, listen.port())),
            time: Mutex::new(time),
            video: Mutex::new(video::load(board.video, &store)),
            audio: Mutex::new(audio::load(board.audio, &store)),
            osd: Mutex::new(osd::load(board.osd, &store)),
            image: Mutex::new(image::load(board.image, &store)),
            ptz: Mutex::new(ptz::load(board.ptz, &store, ptz_present)),
            motion: Mutex::new(motion::load(board.motion, &store)),
            firmware: Upgrades::new(board.flash, board.boot, policy),
            targets: Mutex::new(targets::load(&store)),
            scopes: Scopes::load(&store),
            profiles: Profiles::load(&store),
            system: Mutex::new(board.system),
            snapshots: board.snapshots,
            storage: Arc::from(board.storage),
            uploads: Default::default(),
            shared: Shared::load(store, listen, clock, sites, wall),
            events: Default::default(),
            https: Default::default(),
            ticks: AtomicU64::new(0),
        }
    }

    /// The names and addresses the camera's own certificate is made for:
    /// its host names and addresses, and loopback's.
    pub fn https_names(&self) -> crate::state::https::Names {
        let network = lock(&self.network).config.clone();
        let mut names = vec!["localhost".to_string()];
        let system_name = nix::unistd::gethostname().ok().and_then(|n| n.into_string().ok());
        for name in [Some(network.hostname.clone()), system_name].into_iter().flatten().chain(self.sites.host_names.iter().cloned()) {
            if !name.is_empty() && !names.iter().any(|n| n.eq_ignore_ascii_case(&name)) {
                names.push(name);
            }
        }
        let mut addresses: Vec<std::net::IpAddr> = vec![std::net::Ipv4Addr::LOCALHOST.into(), std::net::Ipv6Addr::LOCALHOST.into()];
        for address in [network.ipaddr.into(), self.listen.ip()] {
            if !address.is_unspecified() && !addresses.contains(&address) {
                addresses.push(address);
            }
        }
        crate::state::https::Names { names, addresses }
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
        targets::reset(&mut lock(&self.targets), store);
        self.scopes.reset(store);
        self.profiles.reset(store);
        // The certificate's key goes with the owner's settings, before plain
        // HTTP (the access switches) is served again.
        if let Some(https) = self.https.get() {
            if let Err(e) = https.regenerate(store, &self.key, &self.https_names()) {
                log::error!("{}: no new certificate: {e}", crate::state::https::FILE);
            }
        }
        self.shared.reset_accounts();
        *lock(&self.access) = Default::default();
        if let Err(e) = store.remove_guarded(crate::state::access::FILE) {
            log::error!("{}: not removed: {e}", crate::state::access::FILE);
        }
        if let Err(e) = lock(&self.system).factory_defaults() {
            log::error!("board factory defaults failed: {e}");
        }
    }

    /// Periodic work: the PTZ watchdog, and the motion detector's state for
    /// ONVIF's event subscribers (no motion while detection is switched off
    /// in `/cgi-bin/motion`).
    pub fn tick(&self) {
        ptz::watchdog(&self.shared, &self.ptz);
        if self.events.live() > 0 {
            let motion = {
                let unit = lock(&self.motion);
                unit.config.detecting()
                    && unit.hal.motion().unwrap_or_else(|e| {
                        log::debug!("motion state: {e}");
                        false
                    })
            };
            let wall = lock(&self.time).hal.now().unwrap_or(0);
            self.events.tick(motion, self.now(), wall);
        }
        self.ticks.fetch_add(1, Ordering::SeqCst);
    }

    /// How many periodic checks have been completed.
    pub fn ticks(&self) -> u64 {
        self.ticks.load(Ordering::SeqCst)
    }
}
