//! The board configuration file (TOML, read by `crate::toml`).
//! `board.example.toml` beside this crate is a complete, commented example;
//! a test keeps it parsing. Unknown keys are refused, so a misspelt setting
//! is never silently left at its default.

use crate::handoff::Handoff;
use crate::toml::{self, Fields, FromValue, Value};
use std::path::PathBuf;

/// A whole board.
#[derive(Debug, Clone)]
pub struct BoardConfig {
    /// The id firmware images for this board carry.
    pub board_id: String,
    /// Versions, serial number, reboot.
    pub system: SystemConfig,
    /// The PTZ head; leave out for a fixed camera (`ptz="0"`).
    pub ptz: Option<PtzConfig>,
    /// ISP controls.
    pub image: ImageConfig,
    /// Network.
    pub network: NetworkConfig,
    /// Time zone and synchronisation hand-off.
    pub clock: Handoff,
    /// Video encoder.
    pub video: VideoConfig,
    /// Audio encoder; leave out for a camera without audio.
    pub audio: Option<AudioConfig>,
    /// OSD hand-off.
    pub osd: Handoff,
    /// Motion detection.
    pub motion: MotionConfig,
    /// Snapshot storage.
    pub storage: StorageConfig,
    /// Firmware slots and boot selection.
    pub firmware: FirmwareConfig,
}

/// Versions, serial number and reset.
#[derive(Debug, Clone)]
pub struct SystemConfig {
    /// A file holding the serial number.
    pub serial_file: PathBuf,
    /// A file holding the filesystem (firmware) version.
    pub firmware_version_file: PathBuf,
    /// A file holding the OEM model `getmodel` answers.
    pub model_file: PathBuf,
    /// Run by a factory reset after camcgi restored its own settings (e.g. to wipe vendor data).
    pub factory_reset_command: Vec<String>,
}

/// A Pelco-D controller on a serial port.
#[derive(Debug, Clone)]
pub struct PtzConfig {
    /// The serial device.
    pub port: PathBuf,
    /// Baud rate (2400 and 9600 are usual).
    pub baud: u32,
    /// The controller's address (1-255).
    pub address: u8,
    /// Seconds a continuous move runs without a new command before camcgi
    /// stops it (1-3600; 60 unless given).
    pub watchdog_seconds: u32,
}

fn default_baud() -> u32 {
    9600
}

fn default_address() -> u8 {
    1
}

/// The V4L2 device whose controls are the ISP's.
#[derive(Debug, Clone)]
pub struct ImageConfig {
    /// `/dev/videoN`.
    pub device: PathBuf,
}

/// The network interface and how settings are applied.
#[derive(Debug, Clone)]
pub struct NetworkConfig {
    /// The interface (`eth0`).
    pub interface: String,
    /// Where `nameserver` lines are written.
    pub resolv_conf: PathBuf,
    /// The network settings file and the command that applies it.
    pub handoff: Handoff,
    /// Where interface files live (`/sys/class/net`); tests point it elsewhere.
    pub sys_class_net: PathBuf,
}

fn default_sys_net() -> PathBuf {
    PathBuf::from("/sys/class/net")
}

/// A range as the capability documents print it.
#[derive(Debug, Clone, Copy)]
pub struct SpanConfig(pub u32, pub u32);

/// One resolution of an encode mode.
#[derive(Debug, Clone)]
pub struct ResolutionConfig {
    /// `1080P`, `2592X1944`, …
    pub name: String,
    /// Frames per second, `[low, high]`.
    pub framerate: SpanConfig,
    /// Kbit/s, `[low, high]`.
    pub bitrate: SpanConfig,
}

/// One encode mode of a stream.
#[derive(Debug, Clone)]
pub struct ModeConfig {
    /// `H264`, `H265`.
    pub mode: String,
    /// Its resolutions.
    pub resolutions: Vec<ResolutionConfig>,
}

/// The video encoder.
#[derive(Debug, Clone)]
pub struct VideoConfig {
    /// Stream settings file and command.
    pub handoff: Handoff,
    /// Prints a JPEG of a stream on standard output; `stream1` or `stream2` is appended.
    pub snapshot_command: Vec<String>,
    /// `stream1`'s capabilities.
    pub stream1: Vec<ModeConfig>,
    /// `stream2`'s capabilities.
    pub stream2: Vec<ModeConfig>,
    /// The port of the camera's RTSP streamer (another process).
    pub rtsp_port: u16,
    /// The streamer's paths for `stream1` and `stream2` (default `/stream1`, `/stream2`).
    pub rtsp_paths: Option<[String; 2]>,
}

fn default_rtsp_port() -> u16 {
    554
}

/// One audio encoding.
#[derive(Debug, Clone)]
pub struct AudioTypeConfig {
    /// `G.711`, `AAC`, …
    pub name: String,
    /// Sample rate in Hz.
    pub samplerate: u32,
    /// Allowed bitrates in bit/s.
    pub bitrates: Vec<u32>,
}

/// The audio encoder.
#[derive(Debug, Clone)]
pub struct AudioConfig {
    /// Settings file and command.
    pub handoff: Handoff,
    /// The encodings offered.
    pub types: Vec<AudioTypeConfig>,
}

/// Motion detection.
#[derive(Debug, Clone)]
pub struct MotionConfig {
    /// Grid rows.
    pub rows: u16,
    /// Grid columns.
    pub cols: u16,
    /// Settings file and command.
    pub handoff: Handoff,
    /// A file the vendor integration keeps at `1` while the SDK's motion
    /// detector sees motion and `0` otherwise (on a tmpfs); read once per tick.
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
#[derive(Debug, Clone)]
pub struct StorageConfig {
    /// The SD card's mount point.
    pub sd_mount: Option<PathBuf>,
    /// The NFS mount point.
    pub nfs_mount: Option<PathBuf>,
    /// The mount table (`/proc/mounts`); tests point it elsewhere.
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
#[derive(Debug, Clone)]
pub struct FirmwareConfig {
    /// MTD partition of slot A (`/dev/mtd4`).
    pub mtd_a: Option<PathBuf>,
    /// MTD partition of slot B.
    pub mtd_b: Option<PathBuf>,
    /// Or: a directory holding the slots as files (eMMC, development boards).
    pub slot_dir: Option<PathBuf>,
    /// Size of each file slot in bytes.
    pub slot_size: u64,
    /// The U-Boot environment as a `key=value` file …
    pub uboot_env_file: Option<PathBuf>,
    /// … or through libubootenv's programs.
    pub fw_printenv: Option<PathBuf>,
    /// `fw_setenv`, run with `-s SCRIPT`.
    pub fw_setenv: Option<PathBuf>,
    /// Where the `-s` script is written.
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
    parse(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// Reads a board configuration from its text.
pub fn parse(text: &str) -> Result<BoardConfig, String> {
    let mut f = Fields::root(toml::parse(text)?);
    let config = BoardConfig {
        board_id: f.required("board_id")?,
        system: f.required("system")?,
        ptz: f.optional("ptz")?,
        image: f.required("image")?,
        network: f.required("network")?,
        clock: f.or("clock", Handoff::default())?,
        video: f.required("video")?,
        audio: f.optional("audio")?,
        osd: f.or("osd", Handoff::default())?,
        motion: f.or("motion", MotionConfig::default())?,
        storage: f.or("storage", StorageConfig::default())?,
        firmware: f.required("firmware")?,
    };
    f.finish()?;
    Ok(config)
}

/// Implements `FromValue` for a table type from a reader of its fields.
macro_rules! table {
    ($t:ty, |$f:ident| $read:expr) => {
        impl FromValue for $t {
            fn from_value(value: Value, name: &str) -> Result<Self, String> {
                let mut $f = Fields::new(value, name)?;
                let read = $read;
                $f.finish()?;
                Ok(read)
            }
        }
    };
}

/// The `control_file` and `apply_command` of a table that hands settings to the vendor.
fn handoff(f: &mut Fields) -> Result<Handoff, String> {
    Ok(Handoff { control_file: f.optional("control_file")?, apply_command: f.or("apply_command", Vec::new())? })
}

table!(Handoff, |f| handoff(&mut f)?);
table!(SystemConfig, |f| SystemConfig {
    serial_file: f.required("serial_file")?,
    firmware_version_file: f.required("firmware_version_file")?,
    model_file: f.required("model_file")?,
    factory_reset_command: f.or("factory_reset_command", Vec::new())?,
});
table!(PtzConfig, |f| PtzConfig {
    port: f.required("port")?,
    baud: f.or("baud", default_baud())?,
    address: f.or("address", default_address())?,
    watchdog_seconds: f.or("watchdog_seconds", 60)?
});
table!(ImageConfig, |f| ImageConfig { device: f.required("device")? });
table!(NetworkConfig, |f| NetworkConfig {
    interface: f.required("interface")?,
    resolv_conf: f.required("resolv_conf")?,
    handoff: handoff(&mut f)?,
    sys_class_net: f.or("sys_class_net", default_sys_net())?,
});
table!(ResolutionConfig, |f| ResolutionConfig {
    name: f.required("name")?,
    framerate: f.required("framerate")?,
    bitrate: f.required("bitrate")?,
});
table!(ModeConfig, |f| ModeConfig { mode: f.required("mode")?, resolutions: f.required("resolutions")? });
table!(VideoConfig, |f| VideoConfig {
    handoff: handoff(&mut f)?,
    snapshot_command: f.required("snapshot_command")?,
    stream1: f.required("stream1")?,
    stream2: f.required("stream2")?,
    rtsp_port: f.or("rtsp_port", default_rtsp_port())?,
    rtsp_paths: f.optional("rtsp_paths")?,
});
table!(AudioTypeConfig, |f| AudioTypeConfig {
    name: f.required("name")?,
    samplerate: f.required("samplerate")?,
    bitrates: f.required("bitrates")?,
});
table!(AudioConfig, |f| AudioConfig { handoff: handoff(&mut f)?, types: f.required("types")? });
table!(MotionConfig, |f| MotionConfig {
    rows: f.or("rows", default_rows())?,
    cols: f.or("cols", default_cols())?,
    handoff: handoff(&mut f)?,
    state_file: f.optional("state_file")?,
});
table!(StorageConfig, |f| StorageConfig {
    sd_mount: f.optional("sd_mount")?,
    nfs_mount: f.optional("nfs_mount")?,
    mounts_file: f.or("mounts_file", default_mounts())?,
});
table!(FirmwareConfig, |f| FirmwareConfig {
    mtd_a: f.optional("mtd_a")?,
    mtd_b: f.optional("mtd_b")?,
    slot_dir: f.optional("slot_dir")?,
    slot_size: f.or("slot_size", default_slot_size())?,
    uboot_env_file: f.optional("uboot_env_file")?,
    fw_printenv: f.optional("fw_printenv")?,
    fw_setenv: f.optional("fw_setenv")?,
    scratch_file: f.or("scratch_file", default_scratch())?,
});

impl FromValue for SpanConfig {
    fn from_value(value: Value, name: &str) -> Result<Self, String> {
        let [low, high] = <[u32; 2]>::from_value(value, name)?;
        Ok(SpanConfig(low, high))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_arm_rigs_board_file_parses() {
        let c: BoardConfig = parse(include_str!("../../../cross/vm/board.toml")).unwrap();
        assert_eq!(c.ptz.as_ref().map(|p| p.watchdog_seconds), Some(3));
    }

    #[test]
    fn the_documented_example_parses() {
        let c: BoardConfig = parse(include_str!("../board.example.toml")).unwrap();
        assert_eq!(c.board_id, "acme-ptz-v2");
        assert_eq!(c.ptz.as_ref().map(|p| (p.baud, p.address, p.watchdog_seconds)), Some((9600, 1, 60)));
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
        let e = parse(&text).unwrap_err();
        assert!(e.to_string().contains("exposure"), "{e}");
    }
}
