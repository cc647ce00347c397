//! The mock board's device parts, each a view onto the shared [`MockBoard`] state.

use super::{image_index, snapshot, system_unix_time, target_index, Call, Device, MockBoard, MockError, StoredFile};
use super::{MOCK_BOARD_ID, MOCK_GRID, MOCK_MAC, MOCK_MODEL};
use crate::error::{Error, ErrorKind, ErrorType};
use crate::firmware::{BootControl, BootState, FirmwareFlash, FlashGeometry, Slot};
use crate::host::{FileBootControl, FileFlash, HostError};
use crate::parts::*;

pub(super) struct MockPtz(pub MockBoard);
pub(super) struct MockImage(pub MockBoard);
pub(super) struct MockVideo(pub MockBoard);
pub(super) struct MockSnapshots(pub MockBoard);
pub(super) struct MockAudio(pub MockBoard);
pub(super) struct MockOsd(pub MockBoard);
pub(super) struct MockMotion(pub MockBoard);
pub(super) struct MockNetwork(pub MockBoard);
pub(super) struct MockClock(pub MockBoard);
pub(super) struct MockSystem(pub MockBoard);
pub(super) struct MockStorage(pub MockBoard);
pub(super) struct MockFlash(pub MockBoard);
pub(super) struct MockBoot(pub MockBoard);

macro_rules! mock_error_type {
    ($($part:ident),*) => {$(
        impl ErrorType for $part {
            type Error = MockError;
        }
    )*};
}
mock_error_type!(
    MockPtz,
    MockImage,
    MockVideo,
    MockAudio,
    MockOsd,
    MockMotion,
    MockNetwork,
    MockClock,
    MockSystem,
    MockStorage,
    MockFlash,
    MockBoot
);

impl PtzDriver for MockPtz {
    fn execute(&mut self, command: PtzCommand) -> Result<(), MockError> {
        let now = self.0.clock.now();
        let present = self.0.act(Device::Ptz, "ptz command", Some(Call::Ptz(command)), |s| {
            if s.capabilities.ptz {
                // Like a real controller, an unknown preset is silently ignored.
                s.ptz.execute(command, now);
            }
            s.capabilities.ptz
        })?;
        if present {
            Ok(())
        } else {
            Err(MockError { kind: ErrorKind::NotSupported, operation: "ptz command" })
        }
    }

    fn position(&self) -> Result<Option<Spot>, MockError> {
        let now = self.0.clock.now();
        let s = self.0.lock();
        Ok(s.capabilities.ptz.then(|| s.ptz.position(now).spot()))
    }

    fn field_of_view(&self) -> Result<Option<FieldOfView>, MockError> {
        let now = self.0.clock.now();
        let s = self.0.lock();
        Ok(s.capabilities.ptz.then(|| s.ptz.position(now).field_of_view()))
    }
}

impl ImageControls for MockImage {
    fn supports(&self, control: ImageControl) -> bool {
        !self.0.lock().missing_controls.contains(&control)
    }
    fn set(&mut self, control: ImageControl, value: u8) -> Result<(), MockError> {
        if self.0.lock().missing_controls.contains(&control) {
            return Err(MockError { kind: ErrorKind::NotSupported, operation: "image control" });
        }
        self.0.act(Device::Image, "image control", Some(Call::Image(control, value)), |s| {
            s.image[image_index(control)] = value;
        })
    }
}

fn span(lo: u32, hi: u32) -> Span {
    Span { lo, hi }
}

fn res(name: &str, framerate: Span, bitrate: Span) -> ResolutionCaps {
    ResolutionCaps { name: name.to_string(), framerate, bitrate }
}

/// The video capability table printed in the CGI document (section 3.9).
pub(super) fn video_capabilities() -> VideoCapabilities {
    let sub = |mode: &str| EncodeModeCaps {
        name: mode.to_string(),
        resolutions: vec![res("VGA", span(1, 30), span(50, 2000)), res("480X360", span(1, 30), span(50, 2000))],
    };
    VideoCapabilities {
        main: vec![
            EncodeModeCaps {
                name: "H264".to_string(),
                resolutions: vec![res("2592X1944", span(1, 15), span(500, 8000)), res("1080P", span(1, 30), span(500, 6000))],
            },
            EncodeModeCaps {
                name: "H265".to_string(),
                resolutions: vec![res("2592X1944", span(1, 15), span(500, 6000)), res("1080P", span(1, 30), span(500, 4000))],
            },
        ],
        sub: vec![sub("H264"), sub("H265")],
    }
}

/// The stream settings of the CGI document's example answer (section 3.10).
pub(super) fn default_stream(id: StreamId) -> StreamConfig {
    let (resolution, bitrate) = match id {
        StreamId::Main => ("1080P", 2500),
        StreamId::Sub => ("480X360", 200),
    };
    StreamConfig {
        encode_mode: "H265".to_string(),
        resolution: resolution.to_string(),
        framerate: 25,
        govlength: 100,
        bitrate,
        bitrate_control: BitrateControl::Cbr,
    }
}

fn stream_index(id: StreamId) -> usize {
    match id {
        StreamId::Main => 0,
        StreamId::Sub => 1,
    }
}

impl VideoEncoder for MockVideo {
    fn capabilities(&self) -> VideoCapabilities {
        video_capabilities()
    }
    fn configure(&mut self, stream: StreamId, config: &StreamConfig) -> Result<(), MockError> {
        let call = Call::Video(stream, config.clone());
        self.0.act(Device::Video, "video configure", Some(call), |s| {
            s.streams[stream_index(stream)] = config.clone();
        })
    }
}

impl ErrorType for MockSnapshots {
    type Error = MockError;
}

/// The test pattern at the stream's resolution, encoded outside the mock's lock.
impl SnapshotSource for MockSnapshots {
    fn snapshot(&self, stream: StreamId, out: &mut Vec<u8>) -> Result<(), MockError> {
        let resolution =
            self.0.act(Device::Video, "snapshot", Some(Call::Snapshot(stream)), |s| s.streams[stream_index(stream)].resolution.clone())?;
        snapshot::encode(&resolution, out).map_err(|_| MockError { kind: ErrorKind::Other, operation: "jpeg encode" })
    }
}

/// The audio capability table printed in the CGI document (section 3.11).
pub(super) fn audio_capabilities() -> Vec<AudioTypeCaps> {
    let one = |name: &str, rate: u32, bitrate: u32| AudioTypeCaps {
        name: name.to_string(),
        samplerates: vec![SampleRateCaps { rate, bitrates: vec![bitrate] }],
    };
    vec![one("G.711", 8000, 64000), one("G.711A", 8000, 64000), one("AAC", 16000, 16000)]
}

impl AudioEncoder for MockAudio {
    fn capabilities(&self) -> Vec<AudioTypeCaps> {
        audio_capabilities()
    }
    fn configure(&mut self, config: &AudioConfig) -> Result<(), MockError> {
        self.0.act(Device::Audio, "audio configure", Some(Call::Audio(config.clone())), |s| {
            s.audio = Some(config.clone());
        })
    }
}

impl OsdOverlay for MockOsd {
    fn configure(&mut self, config: &OsdConfig) -> Result<(), MockError> {
        self.0.act(Device::Osd, "osd configure", Some(Call::Osd(config.clone())), |s| {
            s.osd = Some(config.clone());
        })
    }
}

impl MotionDetector for MockMotion {
    fn grid(&self) -> MotionGrid {
        MOCK_GRID
    }
    fn configure(&mut self, config: &MotionConfig) -> Result<(), MockError> {
        if config.area.len() != MOCK_GRID.mask_len() {
            return Err(MockError { kind: ErrorKind::InvalidInput, operation: "motion area" });
        }
        self.0.act(Device::Motion, "motion configure", Some(Call::Motion(config.clone())), |s| {
            s.motion = Some(config.clone());
        })
    }

    /// Motion in the simulated scene, or `1` as the first byte of the file
    /// `motion` in the data directory (as the Linux board's `state_file`):
    /// someone trying the camera drives its motion events from outside.
    fn motion(&self) -> Result<bool, MockError> {
        let (moving, dir) = {
            let s = self.0.lock();
            (s.moving_scene, s.storage_dir.clone())
        };
        let from_file = dir.is_some_and(|dir| {
            let mut first = [0u8; 1];
            std::fs::File::open(dir.join("motion")).and_then(|mut f| std::io::Read::read(&mut f, &mut first)).is_ok_and(|n| n == 1)
                && first[0] == b'1'
        });
        Ok(moving || from_file)
    }
}

impl NetworkInterface for MockNetwork {
    fn mac_address(&self) -> Result<[u8; 6], MockError> {
        self.0.act(Device::Network, "mac address", None, |_| MOCK_MAC)
    }
    fn apply(&mut self, config: &NetworkConfig) -> Result<(), MockError> {
        self.0.act(Device::Network, "network apply", Some(Call::Network(config.clone())), |s| {
            s.network = Some(config.clone());
        })
    }
}

impl WallClock for MockClock {
    fn now(&self) -> Result<i64, MockError> {
        self.0.act(Device::Clock, "clock read", None, |s| system_unix_time() + s.clock_offset)
    }
    fn set(&mut self, unix_seconds: i64) -> Result<(), MockError> {
        self.0.act(Device::Clock, "clock set", Some(Call::ClockSet(unix_seconds)), |s| {
            s.clock_offset = unix_seconds - system_unix_time();
        })
    }
    fn configure(&mut self, settings: &TimeSettings) -> Result<(), MockError> {
        self.0.act(Device::Clock, "clock configure", Some(Call::ClockConfigure(settings.clone())), |s| {
            s.time = Some(settings.clone());
        })
    }
}

impl SystemControl for MockSystem {
    fn info(&self) -> Result<SystemInfo, MockError> {
        self.0.act(Device::System, "system info", None, |_| SystemInfo {
            kernel: "4.9.37-mock".to_string(),
            filesystem: concat!("camcgi-mock-", env!("CARGO_PKG_VERSION")).to_string(),
            serial: "MOCK0000000001".to_string(),
        })
    }
    fn model(&self) -> Result<String, MockError> {
        self.0.act(Device::System, "model", None, |_| MOCK_MODEL.to_string())
    }
    fn capabilities(&self) -> Capabilities {
        self.0.lock().capabilities
    }
    fn reboot(&mut self) -> Result<(), MockError> {
        // The mock records the reboot and keeps running, so tests can observe it.
        self.0.wait_for_reboot_gate();
        self.0.act(Device::System, "reboot", Some(Call::Reboot), |_| ())
    }
    fn factory_defaults(&mut self) -> Result<(), MockError> {
        self.0.act(Device::System, "factory defaults", Some(Call::FactoryDefaults), |s| {
            s.ptz = Default::default();
        })
    }
}

impl StorageTargets for MockStorage {
    fn store(&self, target: StorageTarget, name: &str, data: &[u8]) -> Result<(), MockError> {
        let call = Call::Store(target, name.to_string(), data.len());
        let present = self.0.act(Device::Storage, "store", None, |s| {
            let sub = match target {
                StorageTarget::SdCard => Some("sd"),
                StorageTarget::Nfs => Some("nfs"),
                _ => None,
            };
            if let (Some(dir), Some(sub)) = (&s.storage_dir, sub) {
                // A directory counts as the mounted card or share.
                s.targets[target_index(target)] = dir.join(sub).is_dir();
            }
            let present = s.targets[target_index(target)];
            if let (true, Some(dir), Some(sub)) = (present, &s.storage_dir, sub) {
                if name.contains('/') || crate::host::write_atomically(&dir.join(sub).join(name), data, 0o644).is_err() {
                    return Err(());
                }
            }
            if present {
                s.keep_file(StoredFile { target, name: name.to_string(), data: data.to_vec() });
                s.record(call);
            }
            Ok(present)
        })?;
        match present {
            Ok(true) => return Ok(()),
            Err(()) => return Err(MockError { kind: ErrorKind::Io, operation: "store" }),
            Ok(false) => {}
        }
        let kind = match target {
            StorageTarget::SdCard | StorageTarget::Nfs => ErrorKind::NotMounted,
            StorageTarget::Ftp | StorageTarget::Email => ErrorKind::NotConfigured,
        };
        Err(MockError { kind, operation: "store" })
    }
}

/// Runs `op` on the attached firmware files, mapping their errors to the mock's.
fn with_firmware<T>(
    board: &MockBoard,
    device: Device,
    operation: &'static str,
    call: Option<Call>,
    op: impl FnOnce(&mut FileFlash, &mut FileBootControl) -> Result<T, HostError>,
) -> Result<T, MockError> {
    let result = board.act(device, operation, None, |s| match &mut s.firmware {
        Some((flash, boot)) => {
            let out = op(flash, boot);
            if let (Ok(_), Some(call)) = (&out, call) {
                s.record(call);
            }
            out.map_err(|e| e.kind())
        }
        None => Err(ErrorKind::NotSupported),
    })?;
    result.map_err(|kind| MockError { kind, operation })
}

impl FirmwareFlash for MockFlash {
    fn board_id(&self) -> String {
        MOCK_BOARD_ID.to_string()
    }
    fn geometry(&self, slot: Slot) -> FlashGeometry {
        self.0.lock().firmware.as_ref().map_or(FlashGeometry { erase_size: 1, capacity: 0 }, |(f, _)| f.geometry(slot))
    }
    fn erase(&mut self, slot: Slot, offset: u64, len: u64) -> Result<(), MockError> {
        with_firmware(&self.0, Device::Flash, "flash erase", Some(Call::FlashErase(slot, offset, len)), |f, _| f.erase(slot, offset, len))
    }
    fn write_size(&self, _slot: Slot) -> u32 {
        self.0.lock().flash_page
    }
    fn write(&mut self, slot: Slot, offset: u64, data: &[u8]) -> Result<(), MockError> {
        let page = u64::from(self.0.lock().flash_page);
        if !offset.is_multiple_of(page) || !(data.len() as u64).is_multiple_of(page) {
            // As NAND's MTD driver answers a write that is not whole pages.
            return Err(MockError { kind: ErrorKind::InvalidInput, operation: "flash write" });
        }
        with_firmware(&self.0, Device::Flash, "flash write", Some(Call::FlashWrite(slot, offset, data.len())), |f, _| {
            f.write(slot, offset, data)
        })
    }
    fn read(&mut self, slot: Slot, offset: u64, buf: &mut [u8]) -> Result<(), MockError> {
        with_firmware(&self.0, Device::Flash, "flash read", None, |f, _| f.read(slot, offset, buf))?;
        if self.0.lock().corrupt_reads {
            if let Some(b) = buf.first_mut() {
                *b ^= 0x01;
            }
        }
        Ok(())
    }
}

impl BootControl for MockBoot {
    fn state(&self) -> Result<BootState, MockError> {
        with_firmware(&self.0, Device::Boot, "boot state", None, |_, b| b.state())
    }
    fn select(&mut self, slot: Slot) -> Result<(), MockError> {
        with_firmware(&self.0, Device::Boot, "boot select", Some(Call::BootSelect(slot)), |_, b| b.select(slot))
    }
    fn confirm(&mut self) -> Result<(), MockError> {
        with_firmware(&self.0, Device::Boot, "boot confirm", Some(Call::BootConfirm), |_, b| b.confirm())
    }
}
