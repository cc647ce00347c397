//! The device parts, their data, and their traits.

use crate::error::ErrorType;
use std::net::Ipv4Addr;

/// A direction on one axis: backwards, still, or forwards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dir {
    /// Left, down, wide, near or close, depending on the axis.
    Negative,
    /// No movement on this axis.
    Still,
    /// Right, up, tele, far or open, depending on the axis.
    Positive,
}

impl Dir {
    /// -1, 0 or 1.
    pub fn sign(self) -> i8 {
        match self {
            Dir::Negative => -1,
            Dir::Still => 0,
            Dir::Positive => 1,
        }
    }
}

/// A lens motor of a PTZ head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LensPart {
    /// Zoom (positive: tele).
    Zoom,
    /// Focus (positive: near, as the CGI document names `focus=1`).
    Focus,
    /// Iris (positive: open).
    Iris,
}

/// One command to a PTZ motor controller. Speeds are 1 (slowest) to 10.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PtzCommand {
    /// Stop every motor.
    Stop,
    /// Pan and tilt continuously until the next command.
    Move {
        /// Pan direction (positive: right).
        pan: Dir,
        /// Tilt direction (positive: up).
        tilt: Dir,
        /// 1-10.
        speed: u8,
    },
    /// Drive a lens motor continuously until the next command.
    Lens {
        /// Which motor.
        part: LensPart,
        /// Which way.
        dir: Dir,
        /// 1-10.
        speed: u8,
    },
    /// Store the current position as preset N (1-255).
    SetPreset(u8),
    /// Go to preset N.
    CallPreset(u8),
    /// Forget preset N.
    ClearPreset(u8),
    /// Turn to a position (sent only to a driver that reports one).
    GoTo(Spot),
}

/// Where a PTZ head points, in ONVIF's generic spaces scaled to whole
/// numbers: pan and tilt -10000 (full left, full down) to 10000, zoom 0
/// (wide) to 10000 (tele).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Spot {
    /// Pan.
    pub pan: i16,
    /// Tilt.
    pub tilt: i16,
    /// Zoom.
    pub zoom: i16,
}

impl Spot {
    /// The end of each axis.
    pub const FULL: i16 = 10000;
}

/// What the camera sees at the current zoom, in hundredths of a degree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldOfView {
    /// Across.
    pub horizontal: u16,
    /// Up and down.
    pub vertical: u16,
}

/// A PTZ motor driver. One required method; the rest are built on it.
pub trait PtzDriver: ErrorType {
    /// Sends one command to the motors.
    fn execute(&mut self, command: PtzCommand) -> Result<(), Self::Error>;

    /// Stops every motor.
    fn stop(&mut self) -> Result<(), Self::Error> {
        self.execute(PtzCommand::Stop)
    }

    /// Where the head points, when its controller reports it.
    fn position(&self) -> Result<Option<Spot>, Self::Error> {
        Ok(None)
    }

    /// The field of view at the current zoom, when the board knows its lens
    /// (moves measured in fields of view, as autotrackers make them).
    fn field_of_view(&self) -> Result<Option<FieldOfView>, Self::Error> {
        Ok(None)
    }

    /// How long a continuous move runs without a new command before the
    /// server stops it (its watchdog).
    fn move_limit(&self) -> core::time::Duration {
        DEFAULT_MOVE_LIMIT
    }
}

/// The PTZ watchdog's limit unless the board says otherwise: a minute.
pub const DEFAULT_MOVE_LIMIT: core::time::Duration = core::time::Duration::from_secs(60);

/// One ISP image control, each 0-255 in the API's terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageControl {
    /// Brightness.
    Brightness,
    /// Contrast.
    Contrast,
    /// Saturation.
    Saturation,
    /// Sharpness.
    Sharpness,
}

impl ImageControl {
    /// Every control, in the order the API lists them.
    pub const ALL: [ImageControl; 4] =
        [ImageControl::Brightness, ImageControl::Contrast, ImageControl::Saturation, ImageControl::Sharpness];
}

/// The ISP's image controls. One required method.
pub trait ImageControls: ErrorType {
    /// Sets one control to a value in 0-255; the board maps it onto its own range.
    fn set(&mut self, control: ImageControl, value: u8) -> Result<(), Self::Error>;

    /// Whether the ISP has the control (a V4L2 device may lack sharpness).
    fn supports(&self, _control: ImageControl) -> bool {
        true
    }
}

/// An inclusive range of whole numbers, as the capability documents print them (`1-30`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// Lowest allowed value.
    pub lo: u32,
    /// Highest allowed value.
    pub hi: u32,
}

impl Span {
    /// Whether `v` lies in the range.
    pub fn contains(self, v: u32) -> bool {
        self.lo <= v && v <= self.hi
    }
}

/// What one resolution of one encode mode allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolutionCaps {
    /// The resolution's name (`1080P`, `2592X1944`).
    pub name: String,
    /// Frames per second.
    pub framerate: Span,
    /// Kbit/s.
    pub bitrate: Span,
}

/// The resolutions an encode mode offers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodeModeCaps {
    /// `H264`, `H265`.
    pub name: String,
    /// Offered resolutions.
    pub resolutions: Vec<ResolutionCaps>,
}

/// Which of the two encoder streams.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamId {
    /// `stream1`, the main stream.
    Main,
    /// `stream2`, the sub stream.
    Sub,
}

impl StreamId {
    /// Both streams, main first.
    pub const ALL: [StreamId; 2] = [StreamId::Main, StreamId::Sub];

    /// `stream1` or `stream2`.
    pub fn name(self) -> &'static str {
        match self {
            StreamId::Main => "stream1",
            StreamId::Sub => "stream2",
        }
    }
}

/// The video encoder's capabilities: per stream, the encode modes it offers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VideoCapabilities {
    /// `stream1`'s modes.
    pub main: Vec<EncodeModeCaps>,
    /// `stream2`'s modes.
    pub sub: Vec<EncodeModeCaps>,
}

impl VideoCapabilities {
    /// The modes one stream offers.
    pub fn stream(&self, id: StreamId) -> &[EncodeModeCaps] {
        match id {
            StreamId::Main => &self.main,
            StreamId::Sub => &self.sub,
        }
    }
}

/// Constant or variable bitrate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum BitrateControl {
    /// Constant bitrate.
    Cbr,
    /// Variable bitrate.
    Vbr,
}

/// One stream's encoder settings.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct StreamConfig {
    /// An encode mode from the capabilities.
    pub encode_mode: String,
    /// A resolution of that mode.
    pub resolution: String,
    /// Frames per second.
    pub framerate: u32,
    /// Frames between I-frames.
    pub govlength: u32,
    /// Kbit/s.
    pub bitrate: u32,
    /// CBR or VBR.
    pub bitrate_control: BitrateControl,
}

/// The video encoder's stream configuration.
pub trait VideoEncoder: ErrorType {
    /// What the encoder offers.
    fn capabilities(&self) -> VideoCapabilities;
    /// Reconfigures one stream.
    fn configure(&mut self, stream: StreamId, config: &StreamConfig) -> Result<(), Self::Error>;

    /// Where the camera's RTSP streamer (another process) serves a stream:
    /// its port and path.
    fn rtsp(&self, stream: StreamId) -> (u16, String) {
        (554, format!("/{}", stream.name()))
    }
}

/// JPEG snapshots of the streams. Apart from [`VideoEncoder`] and taking
/// `&self`, so that the server calls it from several requests at once and
/// without holding the encoder's settings: a snapshot may take a vendor
/// command a while, and must not stall anything else.
pub trait SnapshotSource: ErrorType {
    /// Encodes the current picture of a stream as a baseline JPEG, appended to `out`.
    fn snapshot(&self, stream: StreamId, out: &mut Vec<u8>) -> Result<(), Self::Error>;
}

/// One sample rate of an audio encoding and the bitrates it allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SampleRateCaps {
    /// Hz.
    pub rate: u32,
    /// Bit/s.
    pub bitrates: Vec<u32>,
}

/// One audio encoding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AudioTypeCaps {
    /// `G.711`, `G.711A`, `AAC`.
    pub name: String,
    /// Allowed sample rates.
    pub samplerates: Vec<SampleRateCaps>,
}

/// Audio encoder settings.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct AudioConfig {
    /// Audio on.
    pub enable: bool,
    /// An encoding from the capabilities.
    pub encode_type: String,
    /// Hz.
    pub samplerate: u32,
    /// Bit/s.
    pub bitrate: u32,
    /// 1-100.
    pub input_volume: u8,
    /// 1-100.
    pub output_volume: u8,
    /// Amplifier on.
    pub amplify: bool,
}

/// The audio encoder.
pub trait AudioEncoder: ErrorType {
    /// The encodings offered.
    fn capabilities(&self) -> Vec<AudioTypeCaps>;
    /// Reconfigures the encoder.
    fn configure(&mut self, config: &AudioConfig) -> Result<(), Self::Error>;
}

/// The on-screen display settings, as the API names them.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct OsdConfig {
    /// OSD on.
    pub enable: bool,
    /// 0-3: the text and background colour scheme.
    pub color: u8,
    /// 0 small, 1 medium, 2 large.
    pub fontsize: u8,
    /// 0: position by direction (0-2), 1: by coordinate (0-100).
    pub title_pos_type: u8,
    /// Title x.
    pub title_pos_x: u8,
    /// Title y.
    pub title_pos_y: u8,
    /// 0-3: show resolution and/or bitrate.
    pub show_res_bit: u8,
    /// As `title_pos_type`, for the time.
    pub time_pos_type: u8,
    /// Time x.
    pub time_pos_x: u8,
    /// Time y.
    pub time_pos_y: u8,
    /// Show the weekday.
    pub show_week: bool,
    /// The time format with a space (`yyyy-mm-dd hh:mm:ss`).
    pub time_format: String,
    /// The title text, UTF-8.
    pub title: String,
    /// The title overlay shown while the OSD is on (ONVIF can take one overlay away).
    #[cfg_attr(feature = "serde", serde(default = "shown"))]
    pub show_title: bool,
    /// The time overlay shown while the OSD is on.
    #[cfg_attr(feature = "serde", serde(default = "shown"))]
    pub show_time: bool,
}

/// An overlay a settings file from before `show_title`/`show_time` shows.
#[cfg(feature = "serde")]
fn shown() -> bool {
    true
}

/// The OSD overlay.
pub trait OsdOverlay: ErrorType {
    /// Applies a whole OSD configuration.
    fn configure(&mut self, config: &OsdConfig) -> Result<(), Self::Error>;
}

/// The motion detector's fixed grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MotionGrid {
    /// Rows of blocks.
    pub rows: u16,
    /// Columns of blocks.
    pub cols: u16,
}

impl MotionGrid {
    /// Number of blocks.
    pub fn cells(self) -> usize {
        usize::from(self.rows) * usize::from(self.cols)
    }

    /// Bytes of the packed area mask: one bit per block, 8 blocks a byte.
    pub fn mask_len(self) -> usize {
        self.cells().div_ceil(8)
    }
}

/// Motion detection settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MotionConfig {
    /// Detection on.
    pub enable: bool,
    /// 1-100.
    pub sensitivity: u8,
    /// 1-100.
    pub alarmthreshold: u8,
    /// Use the night values at night.
    pub enable_nighttime: bool,
    /// 1-100.
    pub night_sensitivity: u8,
    /// 1-100.
    pub night_alarmthreshold: u8,
    /// One bit per block, first block in the highest bit of the first byte.
    pub area: Vec<u8>,
}

/// The motion detector.
pub trait MotionDetector: ErrorType {
    /// The grid the detector works on.
    fn grid(&self) -> MotionGrid;
    /// Applies detection settings.
    fn configure(&mut self, config: &MotionConfig) -> Result<(), Self::Error>;

    /// Whether motion is seen now (the event source ONVIF's events read).
    fn motion(&self) -> Result<bool, Self::Error> {
        Ok(false)
    }
}

/// The camera's IPv4 network settings.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct NetworkConfig {
    /// Use DHCP.
    pub dhcp: bool,
    /// Static address.
    pub ipaddr: Ipv4Addr,
    /// Contiguous netmask.
    pub netmask: Ipv4Addr,
    /// Default gateway.
    pub gateway: Ipv4Addr,
    /// Preferred DNS server.
    pub dns1: Ipv4Addr,
    /// Standby DNS server.
    pub dns2: Ipv4Addr,
    /// HTTP port.
    pub port: u16,
    /// The host name the camera gives itself; empty keeps the system's own.
    #[cfg_attr(feature = "serde", serde(default))]
    pub hostname: String,
}

/// The network interface.
pub trait NetworkInterface: ErrorType {
    /// The interface's MAC address.
    fn mac_address(&self) -> Result<[u8; 6], Self::Error>;
    /// Applies a whole network configuration.
    fn apply(&mut self, config: &NetworkConfig) -> Result<(), Self::Error>;
    /// The address and netmask the interface has now (with DHCP, the lease's);
    /// `None` where the board cannot tell.
    fn live_address(&self) -> Result<Option<(Ipv4Addr, Ipv4Addr)>, Self::Error> {
        Ok(None)
    }
}

/// Where the camera's time comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimeSource {
    /// Set by hand.
    Manual,
    /// An NTP server.
    Ntp {
        /// Host name or address.
        server: String,
        /// UDP port.
        port: u16,
    },
    /// The vendor's P2P service.
    P2p,
}

/// Time zone and synchronisation settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeSettings {
    /// The zone's name as the API gives it (`GMT+08:00`).
    pub zone: String,
    /// The zone's offset from UTC in minutes.
    pub utc_offset_minutes: i32,
    /// Where the time comes from.
    pub source: TimeSource,
}

/// The camera's wall clock (the real-time clock, in UTC).
pub trait WallClock: ErrorType {
    /// Seconds since 1970-01-01 00:00:00 UTC.
    fn now(&self) -> Result<i64, Self::Error>;
    /// Sets the clock.
    fn set(&mut self, unix_seconds: i64) -> Result<(), Self::Error>;
    /// Applies zone and synchronisation settings.
    fn configure(&mut self, settings: &TimeSettings) -> Result<(), Self::Error>;
}

/// Versions and serial number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemInfo {
    /// Kernel version.
    pub kernel: String,
    /// Filesystem (firmware) version.
    pub filesystem: String,
    /// Serial number.
    pub serial: String,
}

/// What the camera has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capabilities {
    /// Video encoding.
    pub video: bool,
    /// Audio encoding.
    pub audio: bool,
    /// A PTZ head.
    pub ptz: bool,
}

/// The system as a whole.
pub trait SystemControl: ErrorType {
    /// Versions and serial number.
    fn info(&self) -> Result<SystemInfo, Self::Error>;
    /// The OEM model name.
    fn model(&self) -> Result<String, Self::Error>;
    /// What the camera has.
    fn capabilities(&self) -> Capabilities;
    /// Restarts the camera. On real hardware this does not return.
    fn reboot(&mut self) -> Result<(), Self::Error>;
    /// Board-specific part of a factory reset (the server restores its own settings first).
    fn factory_defaults(&mut self) -> Result<(), Self::Error>;
}

/// Where a snapshot can be stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StorageTarget {
    /// The SD card (`upload=0`).
    SdCard,
    /// An FTP server (`upload=1`).
    Ftp,
    /// E-mail (`upload=2`).
    Email,
    /// An NFS mount (`upload=3`).
    Nfs,
}

/// Snapshot storage targets. `store` takes `&self` for the same reason as
/// [`SnapshotSource::snapshot`]: a write to an NFS share can block for long.
pub trait StorageTargets: ErrorType {
    /// Stores `data` as file `name` on a target. A target that is absent fails
    /// with [`crate::ErrorKind::NotMounted`] or [`crate::ErrorKind::NotConfigured`].
    fn store(&self, target: StorageTarget, name: &str, data: &[u8]) -> Result<(), Self::Error>;
}
