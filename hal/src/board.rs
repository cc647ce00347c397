//! A whole board: every part behind one error type, so the server holds any board.

use crate::error::{DeviceError, ErrorType};
use crate::firmware::{BootControl, BootState, FirmwareFlash, FlashGeometry, Slot};
use crate::parts::*;

/// Boxed device part with its error erased to [`DeviceError`].
pub type Part<T> = Box<T>;

/// Every device part of a camera, ready for the server.
pub struct Board {
    /// PTZ motors.
    pub ptz: Part<dyn PtzDriver<Error = DeviceError> + Send>,
    /// ISP image controls.
    pub image: Part<dyn ImageControls<Error = DeviceError> + Send>,
    /// Video encoder.
    pub video: Part<dyn VideoEncoder<Error = DeviceError> + Send>,
    /// Snapshots, called from any thread at once.
    pub snapshots: Part<dyn SnapshotSource<Error = DeviceError> + Send + Sync>,
    /// Audio encoder.
    pub audio: Part<dyn AudioEncoder<Error = DeviceError> + Send>,
    /// OSD overlay.
    pub osd: Part<dyn OsdOverlay<Error = DeviceError> + Send>,
    /// Motion detector.
    pub motion: Part<dyn MotionDetector<Error = DeviceError> + Send>,
    /// Network interface.
    pub network: Part<dyn NetworkInterface<Error = DeviceError> + Send>,
    /// Wall clock.
    pub clock: Part<dyn WallClock<Error = DeviceError> + Send>,
    /// System control.
    pub system: Part<dyn SystemControl<Error = DeviceError> + Send>,
    /// Snapshot storage targets, called from any thread at once.
    pub storage: Part<dyn StorageTargets<Error = DeviceError> + Send + Sync>,
    /// Firmware slots.
    pub flash: Part<dyn FirmwareFlash<Error = DeviceError> + Send>,
    /// Boot selection.
    pub boot: Part<dyn BootControl<Error = DeviceError> + Send>,
}

/// Wraps a part so that its errors become [`DeviceError`]s naming the part.
struct Erased<T>(T);

impl<T: ErrorType> ErrorType for Erased<T> {
    type Error = DeviceError;
}

fn erase<E: crate::Error>(part: &'static str) -> impl Fn(E) -> DeviceError {
    move |e| DeviceError::erase(part, e)
}

impl<T: PtzDriver> PtzDriver for Erased<T> {
    fn execute(&mut self, command: PtzCommand) -> Result<(), DeviceError> {
        self.0.execute(command).map_err(erase("ptz"))
    }
    fn position(&self) -> Result<Option<Spot>, DeviceError> {
        self.0.position().map_err(erase("ptz"))
    }
    fn field_of_view(&self) -> Result<Option<FieldOfView>, DeviceError> {
        self.0.field_of_view().map_err(erase("ptz"))
    }
    fn move_limit(&self) -> core::time::Duration {
        self.0.move_limit()
    }
}

impl<T: ImageControls> ImageControls for Erased<T> {
    fn set(&mut self, control: ImageControl, value: u8) -> Result<(), DeviceError> {
        self.0.set(control, value).map_err(erase("image"))
    }
    fn supports(&self, control: ImageControl) -> bool {
        self.0.supports(control)
    }
}

impl<T: VideoEncoder> VideoEncoder for Erased<T> {
    fn capabilities(&self) -> VideoCapabilities {
        self.0.capabilities()
    }
    fn configure(&mut self, stream: StreamId, config: &StreamConfig) -> Result<(), DeviceError> {
        self.0.configure(stream, config).map_err(erase("video encoder"))
    }
    fn rtsp(&self, stream: StreamId) -> (u16, String) {
        self.0.rtsp(stream)
    }
}

impl<T: SnapshotSource> SnapshotSource for Erased<T> {
    fn snapshot(&self, stream: StreamId, out: &mut Vec<u8>) -> Result<(), DeviceError> {
        self.0.snapshot(stream, out).map_err(erase("video encoder"))
    }
}

impl<T: AudioEncoder> AudioEncoder for Erased<T> {
    fn capabilities(&self) -> Vec<AudioTypeCaps> {
        self.0.capabilities()
    }
    fn configure(&mut self, config: &AudioConfig) -> Result<(), DeviceError> {
        self.0.configure(config).map_err(erase("audio encoder"))
    }
}

impl<T: OsdOverlay> OsdOverlay for Erased<T> {
    fn configure(&mut self, config: &OsdConfig) -> Result<(), DeviceError> {
        self.0.configure(config).map_err(erase("osd"))
    }
}

impl<T: MotionDetector> MotionDetector for Erased<T> {
    fn grid(&self) -> MotionGrid {
        self.0.grid()
    }
    fn configure(&mut self, config: &MotionConfig) -> Result<(), DeviceError> {
        self.0.configure(config).map_err(erase("motion detector"))
    }
    fn motion(&self) -> Result<bool, DeviceError> {
        self.0.motion().map_err(erase("motion detector"))
    }
}

impl<T: NetworkInterface> NetworkInterface for Erased<T> {
    fn mac_address(&self) -> Result<[u8; 6], DeviceError> {
        self.0.mac_address().map_err(erase("network"))
    }
    fn apply(&mut self, config: &NetworkConfig) -> Result<(), DeviceError> {
        self.0.apply(config).map_err(erase("network"))
    }
    fn live_address(&self) -> Result<Option<(std::net::Ipv4Addr, std::net::Ipv4Addr)>, DeviceError> {
        self.0.live_address().map_err(erase("network"))
    }
}

impl<T: WallClock> WallClock for Erased<T> {
    fn now(&self) -> Result<i64, DeviceError> {
        self.0.now().map_err(erase("clock"))
    }
    fn set(&mut self, unix_seconds: i64) -> Result<(), DeviceError> {
        self.0.set(unix_seconds).map_err(erase("clock"))
    }
    fn configure(&mut self, settings: &TimeSettings) -> Result<(), DeviceError> {
        self.0.configure(settings).map_err(erase("clock"))
    }
}

impl<T: SystemControl> SystemControl for Erased<T> {
    fn info(&self) -> Result<SystemInfo, DeviceError> {
        self.0.info().map_err(erase("system"))
    }
    fn model(&self) -> Result<String, DeviceError> {
        self.0.model().map_err(erase("system"))
    }
    fn capabilities(&self) -> Capabilities {
        self.0.capabilities()
    }
    fn reboot(&mut self) -> Result<(), DeviceError> {
        self.0.reboot().map_err(erase("system"))
    }
    fn factory_defaults(&mut self) -> Result<(), DeviceError> {
        self.0.factory_defaults().map_err(erase("system"))
    }
}

impl<T: StorageTargets> StorageTargets for Erased<T> {
    fn store(&self, target: StorageTarget, name: &str, data: &[u8]) -> Result<(), DeviceError> {
        self.0.store(target, name, data).map_err(erase("storage"))
    }
}

impl<T: FirmwareFlash> FirmwareFlash for Erased<T> {
    fn board_id(&self) -> String {
        self.0.board_id()
    }
    fn geometry(&self, slot: Slot) -> FlashGeometry {
        self.0.geometry(slot)
    }
    fn write_size(&self, slot: Slot) -> u32 {
        self.0.write_size(slot)
    }
    fn erase(&mut self, slot: Slot, offset: u64, len: u64) -> Result<(), DeviceError> {
        self.0.erase(slot, offset, len).map_err(erase("flash"))
    }
    fn write(&mut self, slot: Slot, offset: u64, data: &[u8]) -> Result<(), DeviceError> {
        self.0.write(slot, offset, data).map_err(erase("flash"))
    }
    fn read(&mut self, slot: Slot, offset: u64, buf: &mut [u8]) -> Result<(), DeviceError> {
        self.0.read(slot, offset, buf).map_err(erase("flash"))
    }
}

impl<T: BootControl> BootControl for Erased<T> {
    fn state(&self) -> Result<BootState, DeviceError> {
        self.0.state().map_err(erase("boot control"))
    }
    fn select(&mut self, slot: Slot) -> Result<(), DeviceError> {
        self.0.select(slot).map_err(erase("boot control"))
    }
    fn confirm(&mut self) -> Result<(), DeviceError> {
        self.0.confirm().map_err(erase("boot control"))
    }
}

impl Board {
    /// Replaces the PTZ driver (a board whose head is optional, or a test).
    pub fn with_ptz(mut self, ptz: impl PtzDriver + Send + 'static) -> Board {
        self.ptz = Box::new(Erased(ptz));
        self
    }

    /// Replaces the firmware flash.
    pub fn with_flash(mut self, flash: impl FirmwareFlash + Send + 'static) -> Board {
        self.flash = Box::new(Erased(flash));
        self
    }

    /// Replaces the boot control.
    pub fn with_boot(mut self, boot: impl BootControl + Send + 'static) -> Board {
        self.boot = Box::new(Erased(boot));
        self
    }

    /// Assembles a board from its parts, whatever their error types.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        ptz: impl PtzDriver + Send + 'static,
        image: impl ImageControls + Send + 'static,
        video: impl VideoEncoder + Send + 'static,
        snapshots: impl SnapshotSource + Send + Sync + 'static,
        audio: impl AudioEncoder + Send + 'static,
        osd: impl OsdOverlay + Send + 'static,
        motion: impl MotionDetector + Send + 'static,
        network: impl NetworkInterface + Send + 'static,
        clock: impl WallClock + Send + 'static,
        system: impl SystemControl + Send + 'static,
        storage: impl StorageTargets + Send + Sync + 'static,
        flash: impl FirmwareFlash + Send + 'static,
        boot: impl BootControl + Send + 'static,
    ) -> Board {
        Board {
            ptz: Box::new(Erased(ptz)),
            image: Box::new(Erased(image)),
            video: Box::new(Erased(video)),
            snapshots: Box::new(Erased(snapshots)),
            audio: Box::new(Erased(audio)),
            osd: Box::new(Erased(osd)),
            motion: Box::new(Erased(motion)),
            network: Box::new(Erased(network)),
            clock: Box::new(Erased(clock)),
            system: Box::new(Erased(system)),
            storage: Box::new(Erased(storage)),
            flash: Box::new(Erased(flash)),
            boot: Box::new(Erased(boot)),
        }
    }
}
