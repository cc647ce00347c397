//! The board configuration file (TOML). `board.example.toml` beside this
//! crate is a complete, commented example; a test keeps it parsing.

use crate::handoff::Handoff;
use serde::Deserialize;
use std::path::PathBuf;

/// A whole board.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BoardConfig {
    /// The id firmware images for this board carry.
    pub board_id: String,
    /// Versions, serial number, reboot.
    pub system: SystemConfig,
    /// The PTZ head; leave out for a fixed camera (`ptz="0"`).
    #[serde(default)]
    pub ptz: Option<PtzConfig>,
    /// ISP controls.
    pub image: ImageConfig,
    /// Network.
    pub network: NetworkConfig,
    /// Time zone and synchronisation hand-off.
    #[serde(default)]
    pub clock: Handoff,
    /// Video encoder.
    pub video: VideoConfig,
    /// Audio encoder; leave out for a camera without audio.
    #[serde(default)]
    pub audio: Option<AudioConfig>,
    /// OSD hand-off.
    #[serde(default)]
    pub osd: Handoff,
    /// Motion detection.
    #[serde(default)]
    pub motion: MotionConfig,
    /// Snapshot storage.
    #[serde(default)]
    pub storage: StorageConfig,
    /// Firmware slots and boot selection.
    pub firmware: FirmwareConfig,
}

/// Versions, serial number and reset.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SystemConfig {
    /// A file holding the serial number.
    pub serial_file: PathBuf,
    /// A file holding the filesystem (firmware) version.
    pub firmware_version_file: PathBuf,
    /// A file holding the OEM model `getmodel` answers.
    pub model_file: PathBuf,
    /// Run by a factory reset after camcgi restored its own settings (e.g. to wipe vendor data).
    #[serde(default)]
    pub factory_reset_command: Vec<String>,
}

/// A Pelco-D controller on a serial port.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PtzConfig {
    /// The serial device.
    pub port: PathBuf,
    /// Baud rate (2400 and 9600 are usual).
    #[serde(default = "default_baud")]
    pub baud: u32,
    /// The controller's address (1-255).
    #[serde(default = "default_address")]
    pub address: u8,
}

fn default_baud() -> u32 {
    9600
}

fn default_address() -> u8 {
    1
}

/// The V4L2 device whose controls are the ISP's.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImageConfig {
    /// `/dev/videoN`.
    pub device: PathBuf,
}

/// The network interface and how settings are applied.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkConfig {
    /// The interface (`eth0`).
    pub interface: String,
    /// Where `nameserver` lines are written.
    pub resolv_conf: PathBuf,
    /// The network settings file and the command that applies it.
    #[serde(flatten)]
    pub handoff: Handoff,
    /// Where interface files live (`/sys/class/net`); tests point it elsewhere.
    #[serde(default = "default_sys_net")]
    pub sys_class_net: PathBuf,
}

fn default_sys_net() -> PathBuf {
    PathBuf::from("/sys/class/net")
}

/// A range as the capability documents print it.
#[derive(Debug, Clone, Copy, Deserialize)]
pub struct SpanConfig(pub u32, pub u32);

/// One resolution of an encode mode.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResolutionConfig {
    /// `1080P`, `2592X1944`, …
    pub name: String,
    /// Frames per second, `[low, high]`.
    pub framerate: SpanConfig,
    /// Kbit/s, `[low, high]`.
    pub bitrate: SpanConfig,
}

/// One encode mode of a stream.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModeConfig {
    /// `H264`, `H265`.
    pub mode: String,
    /// Its resolutions.
    pub resolutions: Vec<ResolutionConfig>,
}

/// The video encoder.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VideoConfig {
    /// Stream settings file and command.
    #[serde(flatten)]
    pub handoff: Handoff,
    /// Prints a JPEG of a stream on standard output; `stream1` or `stream2` is appended.
    pub snapshot_command: Vec<String>,
    /// `stream1`'s capabilities.
    pub stream1: Vec<ModeConfig>,
    /// `stream2`'s capabilities.
    pub stream2: Vec<ModeConfig>,
    /// The port of the camera's RTSP streamer (another process).
    #[serde(default = "default_rtsp_port")]
    pub rtsp_port: u16,
    /// The streamer's paths for `stream1` and `stream2` (default `/stream1`, `/stream2`).
    #[serde(default)]
    pub rtsp_paths: Option<[String; 2]>,
}

fn default_rtsp_port() -> u16 {
    554
}

/// One audio encoding.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AudioTypeConfig {
    /// `G.711`, `AAC`, …
    pub name: String,
    /// Sample rate in Hz.
    pub samplerate: u32,
    /// Allowed bitrates in bit/s.
    pub bitrates: Vec<u32>,
}

/// The audio encoder.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AudioConfig {
    /// Settings file and command.
    #[serde(flatten)]
    pub handoff: Handoff,
    /// The encodings offered.
    pub types: Vec<AudioTypeConfig>,
}

/// Motion detection.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MotionConfig {
    /// Grid rows.
    #[serde(default = "default_rows")]
    pub rows: u16,
    /// Grid columns.
    #[serde(default = "default_cols")]
    pub cols: u16,
    /// Settings file and command.
    #[serde(flatten)]
    pub handoff: Handoff,
    /// A file the vendor integration keeps at `1` while the SDK's motion
    /// detector sees motion and `0` otherwise (on a tmpfs); read once per tick.
    #[serde(default)]
    pub state_file: Option<PathBuf>,
}

impl Default for MotionConfig {
    fn default() -> Self {
        MotionConfig { rows: default_rows(), cols: default_cols(), handoff: Handoff::default(), state_file: None }
    }
}

fn default_rows() -> u16 {
    22
}

fn default_cols() -> u16 {
    18
}

/// Snapshot storage targets: mount points that must be mounted.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StorageConfig {
    /// The SD card's mount point.
    #[serde(default)]
    pub sd_mount: Option<PathBuf>,
    /// The NFS mount point.
    #[serde(default)]
    pub nfs_mount: Option<PathBuf>,
    /// The mount table (`/proc/mounts`); tests point it elsewhere.
    #[serde(default = "default_mounts")]
    pub mounts_file: PathBuf,
}

impl Default for StorageConfig {
    fn default() -> Self {
        StorageConfig { sd_mount: None, nfs_mount: None, mounts_file: default_mounts() }
    }
}

fn default_mounts() -> PathBuf {
    PathBuf::from("/proc/mounts")
}

/// Firmware slots (two MTD partitions, or two files on a filesystem) and the boot selection.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FirmwareConfig {
    /// MTD partition of slot A (`/dev/mtd4`).
    #[serde(default)]
    pub mtd_a: Option<PathBuf>,
    /// MTD partition of slot B.
    #[serde(default)]
    pub mtd_b: Option<PathBuf>,
    /// Or: a directory holding the slots as files (eMMC, development boards).
    #[serde(default)]
    pub slot_dir: Option<PathBuf>,
    /// Size of each file slot in bytes.
    #[serde(default = "default_slot_size")]
    pub slot_size: u64,
    /// The U-Boot environment as a `key=value` file …
    #[serde(default)]
    pub uboot_env_file: Option<PathBuf>,
    /// … or through libubootenv's programs.
    #[serde(default)]
    pub fw_printenv: Option<PathBuf>,
    /// `fw_setenv`, run with `-s SCRIPT`.
    #[serde(default)]
    pub fw_setenv: Option<PathBuf>,
    /// Where the `-s` script is written.
    #[serde(default = "default_scratch")]
    pub scratch_file: PathBuf,
}

fn default_slot_size() -> u64 {
    64 * 1024 * 1024
}

fn default_scratch() -> PathBuf {
    PathBuf::from("/tmp/camcgi-fw_setenv.script")
}

/// Reads a board configuration file.
pub fn load(path: &std::path::Path) -> Result<BoardConfig, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_example_parses() {
        let c: BoardConfig = toml::from_str(include_str!("../board.example.toml")).unwrap();
        assert_eq!(c.board_id, "acme-ptz-v2");
        assert_eq!(c.ptz.as_ref().map(|p| (p.baud, p.address)), Some((9600, 1)));
        assert_eq!(c.video.stream1.len(), 2);
        assert_eq!(c.video.stream1[0].resolutions[0].framerate.1, 15);
        assert_eq!(c.audio.as_ref().map(|a| a.types.len()), Some(3));
        assert_eq!((c.motion.rows, c.motion.cols), (22, 18));
        assert_eq!(c.storage.mounts_file, PathBuf::from("/proc/mounts"));
        assert!(c.firmware.fw_setenv.is_some());
        assert_eq!(c.network.handoff.apply_command.len(), 2);
    }

    #[test]
    fn unknown_keys_are_refused() {
        let text = include_str!("../board.example.toml").replace("[image]", "[image]\nexposure = 3");
        let e = toml::from_str::<BoardConfig>(&text).unwrap_err();
        assert!(e.to_string().contains("exposure"), "{e}");
    }
}
