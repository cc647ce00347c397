//! The mock board: a faithful simulation of every device part, for host runs and tests.
//!
//! Every call that reaches a part is recorded as a [`Call`]; any part can be told
//! to fail its next call with [`MockBoard::fail_next`], so error paths are
//! tested. The PTZ head moves with speed and elapsed time on an injectable
//! [`Monotonic`] clock, presets remember positions, the encoders offer the
//! capability tables of the CGI document, and snapshots are real JPEGs.
//! Clones of a [`MockBoard`] share one state, so a test keeps a clone after
//! handing the [`Board`] to the server.

mod parts;
mod ptz;
mod snapshot;

use crate::board::Board;
use crate::error::{Error, ErrorKind};
use crate::firmware::{FlashGeometry, Slot};
use crate::host::{FileBootControl, FileFlash};
use crate::monotonic::{Monotonic, SystemMonotonic};
use crate::parts::*;
use std::fmt;
use std::path::Path;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

pub use ptz::PtzPosition;

/// A device part of the mock board, for failure injection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Device {
    /// The PTZ motors.
    Ptz,
    /// The ISP.
    Image,
    /// The video encoder.
    Video,
    /// The audio encoder.
    Audio,
    /// The OSD overlay.
    Osd,
    /// The motion detector.
    Motion,
    /// The network interface.
    Network,
    /// The wall clock.
    Clock,
    /// The system.
    System,
    /// The storage targets.
    Storage,
    /// The firmware flash.
    Flash,
    /// The boot selection.
    Boot,
}

/// One call that reached the mock hardware.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Call {
    /// A PTZ command.
    Ptz(PtzCommand),
    /// An image control set.
    Image(ImageControl, u8),
    /// A stream reconfigured.
    Video(StreamId, StreamConfig),
    /// A snapshot taken.
    Snapshot(StreamId),
    /// The audio encoder reconfigured.
    Audio(AudioConfig),
    /// The OSD reconfigured.
    Osd(OsdConfig),
    /// Motion detection reconfigured.
    Motion(MotionConfig),
    /// The network reconfigured.
    Network(NetworkConfig),
    /// The clock set (UTC seconds).
    ClockSet(i64),
    /// Zone and synchronisation reconfigured.
    ClockConfigure(TimeSettings),
    /// A reboot.
    Reboot,
    /// The board's factory defaults restored.
    FactoryDefaults,
    /// A file stored on a target (name, bytes).
    Store(StorageTarget, String, usize),
    /// A firmware slot range erased (offset, length).
    FlashErase(Slot, u64, u64),
    /// A firmware slot range written (offset, length).
    FlashWrite(Slot, u64, usize),
    /// The boot selection switched to a slot.
    BootSelect(Slot),
    /// The running slot confirmed good.
    BootConfirm,
}

/// The error every mock part reports: the kind injected and the operation it hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MockError {
    kind: ErrorKind,
    operation: &'static str,
}

impl Error for MockError {
    fn kind(&self) -> ErrorKind {
        self.kind
    }
}

impl fmt::Display for MockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "mock {} failed", self.operation)
    }
}

/// A file a storage target received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFile {
    /// Where it went.
    pub target: StorageTarget,
    /// Its name.
    pub name: String,
    /// Its bytes.
    pub data: Vec<u8>,
}

/// Calls kept in the record, the most recent: a test looks at a few, and a
/// mock camera left running (`cargo run`) must not grow without end.
const RECORDED_CALLS: usize = 1024;
/// Files kept in the record of what was stored, the most recent.
const RECORDED_FILES: usize = 64;

struct State {
    calls: std::collections::VecDeque<Call>,
    /// Injected failures: the part, how many calls to let through first, the kind.
    failures: Vec<(Device, usize, ErrorKind)>,
    /// Parts whose next call panics.
    panics: Vec<Device>,
    capabilities: Capabilities,
    ptz: ptz::Head,
    image: [u8; 4],
    /// Image controls the ISP does not have.
    missing_controls: Vec<ImageControl>,
    /// The firmware flash's write unit (NAND's page).
    flash_page: u32,
    streams: [StreamConfig; 2],
    audio: Option<AudioConfig>,
    osd: Option<OsdConfig>,
    motion: Option<MotionConfig>,
    /// Whether the simulated scene has motion in it.
    moving_scene: bool,
    network: Option<NetworkConfig>,
    clock_offset: i64,
    time: Option<TimeSettings>,
    targets: [bool; 4],
    stored: std::collections::VecDeque<StoredFile>,
    firmware: Option<(FileFlash, FileBootControl)>,
    /// Flash reads come back with a flipped bit, as NAND after an ECC failure.
    corrupt_reads: bool,
    /// Where SD and NFS files are written too (`DIR/sd`, `DIR/nfs`), if anywhere.
    storage_dir: Option<std::path::PathBuf>,
}

impl State {
    fn record(&mut self, call: Call) {
        log::debug!("mock hardware: {call:?}");
        if self.calls.len() == RECORDED_CALLS {
            self.calls.pop_front();
        }
        self.calls.push_back(call);
    }

    fn keep_file(&mut self, file: StoredFile) {
        if self.stored.len() == RECORDED_FILES {
            self.stored.pop_front();
        }
        self.stored.push_back(file);
    }
}

/// The mock board. Clones share the same simulated hardware.
#[derive(Clone)]
pub struct MockBoard {
    state: Arc<Mutex<State>>,
    clock: Arc<dyn Monotonic>,
    /// While true, a reboot waits: tests use it to see the answer arrive first.
    reboot_gate: Arc<(Mutex<bool>, Condvar)>,
}

impl Default for MockBoard {
    fn default() -> Self {
        Self::new()
    }
}

/// The grid of the mock motion detector, as the CGI document's example (`22x18`).
pub const MOCK_GRID: MotionGrid = MotionGrid { rows: 22, cols: 18 };
/// The mock board's model name, as the CGI document's example.
pub const MOCK_MODEL: &str = "MC200J6";
/// The board id firmware images for the mock board carry.
pub const MOCK_BOARD_ID: &str = "camcgi-mock";
/// The mock board's MAC address.
pub const MOCK_MAC: [u8; 6] = [0x00, 0x12, 0x34, 0x56, 0x78, 0x9a];

impl MockBoard {
    /// A mock PTZ camera on the operating system's monotonic clock.
    pub fn new() -> Self {
        Self::with_clock(Arc::new(SystemMonotonic::new()))
    }

    /// A mock PTZ camera whose motors move on the given clock.
    pub fn with_clock(clock: Arc<dyn Monotonic>) -> Self {
        let state = State {
            calls: Default::default(),
            failures: Vec::new(),
            panics: Vec::new(),
            capabilities: Capabilities { video: true, audio: true, ptz: true },
            ptz: ptz::Head::default(),
            image: [128; 4],
            missing_controls: Vec::new(),
            flash_page: 1,
            streams: [parts::default_stream(StreamId::Main), parts::default_stream(StreamId::Sub)],
            audio: None,
            osd: None,
            motion: None,
            moving_scene: false,
            network: None,
            clock_offset: 0,
            time: None,
            // SD card mounted; FTP, e-mail and NFS not set up.
            targets: [true, false, false, false],
            stored: Default::default(),
            firmware: None,
            corrupt_reads: false,
            storage_dir: None,
        };
        MockBoard { state: Arc::new(Mutex::new(state)), clock, reboot_gate: Arc::default() }
    }

    /// The board for the server; its parts share this mock's state.
    pub fn board(&self) -> Board {
        Board::new(
            parts::MockPtz(self.clone()),
            parts::MockImage(self.clone()),
            parts::MockVideo(self.clone()),
            parts::MockSnapshots(self.clone()),
            parts::MockAudio(self.clone()),
            parts::MockOsd(self.clone()),
            parts::MockMotion(self.clone()),
            parts::MockNetwork(self.clone()),
            parts::MockClock(self.clone()),
            parts::MockSystem(self.clone()),
            parts::MockStorage(self.clone()),
            parts::MockFlash(self.clone()),
            parts::MockBoot(self.clone()),
        )
    }

    /// Gives the board two firmware slots as files in `dir`, and powers on:
    /// the simulated boot loader picks the slot to run from `dir/boot.state`.
    pub fn attach_firmware(&self, dir: &Path, geometry: FlashGeometry) -> std::io::Result<()> {
        let flash = FileFlash::open(dir, MOCK_BOARD_ID, geometry)?;
        let boot = FileBootControl::power_on(dir)?;
        self.lock().firmware = Some((flash, boot));
        Ok(())
    }

    /// Makes the firmware flash take writes in whole pages of `page` bytes
    /// only, as NAND's MTD driver does (1, the default, takes any write).
    pub fn set_flash_page(&self, page: u32) {
        self.lock().flash_page = page.max(1);
    }

    /// Makes flash reads return data with a flipped bit and no error, as NAND
    /// does after an uncorrectable ECC failure.
    pub fn corrupt_flash_reads(&self, corrupt: bool) {
        self.lock().corrupt_reads = corrupt;
    }

    /// Writes SD card and NFS files into `dir/sd` and `dir/nfs` as well, atomically;
    /// a target counts as mounted while its directory exists. The file
    /// `dir/motion` starting with `1` is motion in the scene.
    pub fn store_in(&self, dir: &Path) {
        let mut s = self.lock();
        s.targets[target_index(StorageTarget::SdCard)] = dir.join("sd").is_dir();
        s.targets[target_index(StorageTarget::Nfs)] = dir.join("nfs").is_dir();
        s.storage_dir = Some(dir.to_path_buf());
    }

    /// While held, a reboot blocks until released.
    pub fn hold_reboots(&self, hold: bool) {
        let (held, wake) = &*self.reboot_gate;
        *held.lock().unwrap_or_else(|p| p.into_inner()) = hold;
        wake.notify_all();
    }

    fn wait_for_reboot_gate(&self) {
        let (held, wake) = &*self.reboot_gate;
        let mut h = held.lock().unwrap_or_else(|p| p.into_inner());
        while *h {
            h = wake.wait(h).unwrap_or_else(|p| p.into_inner());
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panicking test thread must not hide the record from the others.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The calls that reached the hardware (the most recent 1024), oldest first.
    pub fn calls(&self) -> Vec<Call> {
        self.lock().calls.iter().cloned().collect()
    }

    /// Forgets the recorded calls.
    pub fn clear_calls(&self) {
        self.lock().calls.clear();
    }

    /// Makes the next call to `device` fail with `kind`.
    pub fn fail_next(&self, device: Device, kind: ErrorKind) {
        self.fail_after(device, 0, kind);
    }

    /// Makes the next call to `device` panic, as a faulty driver might.
    pub fn panic_next(&self, device: Device) {
        self.lock().panics.push(device);
    }

    /// Lets `successes` calls to `device` through, then fails the next one with `kind`.
    pub fn fail_after(&self, device: Device, successes: usize, kind: ErrorKind) {
        self.lock().failures.push((device, successes, kind));
    }

    /// Makes the ISP one without `control` (as a V4L2 device without
    /// sharpness): setting it fails as not supported.
    pub fn remove_image_control(&self, control: ImageControl) {
        self.lock().missing_controls.push(control);
    }

    /// Whether the camera reports a PTZ head (on by default).
    pub fn set_ptz_present(&self, present: bool) {
        self.lock().capabilities.ptz = present;
    }

    /// Whether a storage target is mounted or set up.
    pub fn set_target_present(&self, target: StorageTarget, present: bool) {
        self.lock().targets[target_index(target)] = present;
    }

    /// Puts motion in the simulated scene, or takes it out: what the motion
    /// detector reports from then on.
    pub fn set_motion(&self, moving: bool) {
        self.lock().moving_scene = moving;
    }

    /// Where the simulated head points.
    pub fn ptz_position(&self) -> PtzPosition {
        let now = self.clock.now();
        self.lock().ptz.position(now)
    }

    /// The value last set on an image control (128 at power-on).
    pub fn image_value(&self, control: ImageControl) -> u8 {
        self.lock().image[image_index(control)]
    }

    /// How many reboots were asked for.
    pub fn reboots(&self) -> usize {
        self.lock().calls.iter().filter(|c| **c == Call::Reboot).count()
    }

    /// Files the storage targets received (the most recent 64).
    pub fn stored_files(&self) -> Vec<StoredFile> {
        self.lock().stored.iter().cloned().collect()
    }

    /// The wall clock now, in UTC seconds.
    pub fn wall_clock(&self) -> i64 {
        system_unix_time() + self.lock().clock_offset
    }

    /// Runs `act` on the state unless a failure was injected for `device`,
    /// recording `call` when it succeeds.
    fn act<T>(
        &self,
        device: Device,
        operation: &'static str,
        call: Option<Call>,
        act: impl FnOnce(&mut State) -> T,
    ) -> Result<T, MockError> {
        let mut state = self.lock();
        if let Some(i) = state.panics.iter().position(|d| *d == device) {
            state.panics.remove(i);
            drop(state);
            panic!("mock board: {operation} panicked, as asked");
        }
        if let Some(i) = state.failures.iter().position(|(d, _, _)| *d == device) {
            match state.failures.get_mut(i) {
                Some((_, countdown, _)) if *countdown > 0 => *countdown -= 1,
                _ => {
                    let (_, _, kind) = state.failures.remove(i);
                    return Err(MockError { kind, operation });
                }
            }
        }
        let out = act(&mut state);
        if let Some(call) = call {
            state.record(call);
        }
        Ok(out)
    }
}

fn image_index(control: ImageControl) -> usize {
    match control {
        ImageControl::Brightness => 0,
        ImageControl::Contrast => 1,
        ImageControl::Saturation => 2,
        ImageControl::Sharpness => 3,
    }
}

fn target_index(target: StorageTarget) -> usize {
    match target {
        StorageTarget::SdCard => 0,
        StorageTarget::Ftp => 1,
        StorageTarget::Email => 2,
        StorageTarget::Nfs => 3,
    }
}

fn system_unix_time() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX)).unwrap_or(0)
}
