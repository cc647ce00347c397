//! The board's other parts: system, network, clock, storage, and the encoder,
//! audio, OSD and motion hand-offs to the vendor SDK.

use crate::config::{AudioConfig, MotionConfig, NetworkConfig, StorageConfig, SystemConfig, VideoConfig};
use crate::handoff::{run, write_atomically, Bounds, Handoff};
use camcgi_hal::*;
use std::fmt;
use std::io;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// An I/O failure of a board part, with what was being done.
#[derive(Debug)]
pub struct BoardError {
    what: &'static str,
    error: io::Error,
    kind: ErrorKind,
}

impl BoardError {
    fn on(what: &'static str) -> impl Fn(io::Error) -> BoardError {
        move |error| {
            let kind = match error.kind() {
                io::ErrorKind::NotFound => ErrorKind::NotConfigured,
                io::ErrorKind::TimedOut => ErrorKind::Timeout,
                io::ErrorKind::InvalidInput | io::ErrorKind::InvalidData => ErrorKind::InvalidInput,
                io::ErrorKind::Unsupported => ErrorKind::NotSupported,
                io::ErrorKind::ResourceBusy => ErrorKind::Busy,
                _ => ErrorKind::Io,
            };
            BoardError { what, error, kind }
        }
    }

    fn new(what: &'static str, kind: ErrorKind, detail: &str) -> BoardError {
        BoardError { what, error: io::Error::other(detail.to_string()), kind }
    }
}

impl Error for BoardError {
    fn kind(&self) -> ErrorKind {
        self.kind
    }
}

impl fmt::Display for BoardError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.what, self.error)
    }
}

macro_rules! board_error_type {
    ($($part:ident),*) => {$(
        impl ErrorType for $part {
            type Error = BoardError;
        }
    )*};
}
board_error_type!(
    LinuxSystem,
    LinuxNetwork,
    LinuxClock,
    LinuxStorage,
    HandoffVideo,
    CommandSnapshots,
    HandoffAudio,
    HandoffOsd,
    HandoffMotion,
    NoPtz
);

fn read_trimmed(path: &Path, what: &'static str) -> Result<String, BoardError> {
    std::fs::read_to_string(path).map(|s| s.trim().to_string()).map_err(BoardError::on(what))
}

/// Versions from files and the kernel, reboot through the reboot syscall.
#[derive(Debug)]
pub struct LinuxSystem {
    pub(crate) config: SystemConfig,
    pub(crate) capabilities: Capabilities,
}

impl SystemControl for LinuxSystem {
    fn info(&self) -> Result<SystemInfo, BoardError> {
        let uts = nix::sys::utsname::uname().map_err(|e| BoardError::on("uname")(e.into()))?;
        Ok(SystemInfo {
            kernel: uts.release().to_string_lossy().into_owned(),
            filesystem: read_trimmed(&self.config.firmware_version_file, "firmware version file")?,
            serial: read_trimmed(&self.config.serial_file, "serial number file")?,
        })
    }

    fn model(&self) -> Result<String, BoardError> {
        read_trimmed(&self.config.model_file, "model file")
    }

    fn capabilities(&self) -> Capabilities {
        self.capabilities
    }

    fn reboot(&mut self) -> Result<(), BoardError> {
        // Settings are fsynced as they are written; sync the rest, then restart.
        nix::unistd::sync();
        match nix::sys::reboot::reboot(nix::sys::reboot::RebootMode::RB_AUTOBOOT) {
            Ok(never) => match never {},
            Err(e) => Err(BoardError::on("reboot")(e.into())),
        }
    }

    fn factory_defaults(&mut self) -> Result<(), BoardError> {
        run(&self.config.factory_reset_command, &[], FACTORY_RESET).map(|_| ()).map_err(BoardError::on("factory reset command"))
    }
}

/// The live interface through getifaddrs and sysfs; settings through a hand-off.
#[derive(Debug)]
pub struct LinuxNetwork {
    pub(crate) config: NetworkConfig,
}

fn parse_mac(text: &str) -> Option<[u8; 6]> {
    let mut mac = [0u8; 6];
    let mut parts = text.trim().split(':');
    for byte in mac.iter_mut() {
        hex::decode_to_slice(parts.next()?, std::slice::from_mut(byte)).ok()?;
    }
    parts.next().is_none().then_some(mac)
}

impl NetworkInterface for LinuxNetwork {
    fn mac_address(&self) -> Result<[u8; 6], BoardError> {
        let path = self.config.sys_class_net.join(&self.config.interface).join("address");
        let text = read_trimmed(&path, "interface address")?;
        parse_mac(&text).ok_or_else(|| BoardError::new("interface address", ErrorKind::InvalidInput, "not a MAC address"))
    }

    fn live_address(&self) -> Result<Option<(Ipv4Addr, Ipv4Addr)>, BoardError> {
        let addrs = nix::ifaddrs::getifaddrs().map_err(|e| BoardError::on("getifaddrs")(e.into()))?;
        for a in addrs.filter(|a| a.interface_name == self.config.interface) {
            let ip = a.address.as_ref().and_then(|s| s.as_sockaddr_in()).map(|s| s.ip());
            let mask = a.netmask.as_ref().and_then(|s| s.as_sockaddr_in()).map(|s| s.ip());
            if let (Some(ip), Some(mask)) = (ip, mask) {
                return Ok(Some((ip, mask)));
            }
        }
        Ok(None)
    }

    fn apply(&mut self, c: &NetworkConfig2) -> Result<(), BoardError> {
        let resolv: String = [c.dns1, c.dns2].iter().map(|d| format!("nameserver {d}\n")).collect();
        write_atomically(&self.config.resolv_conf, resolv.as_bytes()).map_err(BoardError::on("resolv.conf"))?;
        let pairs = [
            ("dhcp", u8::from(c.dhcp).to_string()),
            ("ipaddr", c.ipaddr.to_string()),
            ("netmask", c.netmask.to_string()),
            ("gateway", c.gateway.to_string()),
            ("dns1", c.dns1.to_string()),
            ("dns2", c.dns2.to_string()),
            ("port", c.port.to_string()),
            ("hostname", c.hostname.clone()),
        ];
        self.config.handoff.apply(&pairs).map_err(BoardError::on("network apply"))
    }
}

use camcgi_hal::NetworkConfig as NetworkConfig2;

/// The real-time clock through clock_settime; zone and synchronisation through a hand-off.
#[derive(Debug)]
pub struct LinuxClock {
    pub(crate) handoff: Handoff,
}

// time_t is 32 bits on armv7 glibc: the conversions below are needed there.
#[allow(clippy::useless_conversion)]
impl WallClock for LinuxClock {
    fn now(&self) -> Result<i64, BoardError> {
        let t = nix::time::clock_gettime(nix::time::ClockId::CLOCK_REALTIME).map_err(|e| BoardError::on("clock_gettime")(e.into()))?;
        Ok(i64::from(t.tv_sec()))
    }

    fn set(&mut self, unix_seconds: i64) -> Result<(), BoardError> {
        let secs = unix_seconds.try_into().map_err(|_| BoardError::new("clock_settime", ErrorKind::InvalidInput, "out of range"))?;
        let t = nix::sys::time::TimeSpec::new(secs, 0);
        nix::time::clock_settime(nix::time::ClockId::CLOCK_REALTIME, t).map_err(|e| BoardError::on("clock_settime")(e.into()))
    }

    fn configure(&mut self, s: &TimeSettings) -> Result<(), BoardError> {
        let (source, server, port) = match &s.source {
            TimeSource::Manual => ("manual", String::new(), String::new()),
            TimeSource::Ntp { server, port } => ("ntp", server.clone(), port.to_string()),
            TimeSource::P2p => ("p2p", String::new(), String::new()),
        };
        let pairs = [
            ("zone", s.zone.clone()),
            ("utc_offset_minutes", s.utc_offset_minutes.to_string()),
            ("source", source.to_string()),
            ("ntp_server", server),
            ("ntp_port", port),
        ];
        self.handoff.apply(&pairs).map_err(BoardError::on("time apply"))
    }
}

/// The factory-reset command may restore a few files; a minute at most.
const FACTORY_RESET: Bounds = Bounds { time: Duration::from_secs(60), output: 64 * 1024 };

/// SD card and NFS as mount points that must be mounted; FTP and e-mail are not set up here.
#[derive(Debug)]
pub struct LinuxStorage {
    pub(crate) config: StorageConfig,
}

/// Whether `mount_point` is a mount point in a `/proc/mounts`-style table
/// (the second field; spaces in it are written `\040`).
pub fn is_mounted(table: &str, mount_point: &Path) -> bool {
    let wanted = mount_point.to_string_lossy().replace(' ', "\\040");
    table
        .lines()
        .any(|l| l.split_whitespace().nth(1) == Some(wanted.trim_end_matches('/')) || l.split_whitespace().nth(1) == Some(wanted.as_str()))
}

impl StorageTargets for LinuxStorage {
    fn store(&self, target: StorageTarget, name: &str, data: &[u8]) -> Result<(), BoardError> {
        let dir: Option<&PathBuf> = match target {
            StorageTarget::SdCard => self.config.sd_mount.as_ref(),
            StorageTarget::Nfs => self.config.nfs_mount.as_ref(),
            StorageTarget::Ftp | StorageTarget::Email => {
                return Err(BoardError::new("upload target", ErrorKind::NotConfigured, "not set up"))
            }
        };
        let not_mounted = || BoardError::new("mount point", ErrorKind::NotMounted, "not mounted");
        let dir = dir.ok_or_else(not_mounted)?;
        let table = std::fs::read_to_string(&self.config.mounts_file).map_err(BoardError::on("mount table"))?;
        if !is_mounted(&table, dir) || name.contains('/') {
            return Err(not_mounted());
        }
        write_atomically(&dir.join(name), data).map_err(BoardError::on("snapshot file"))
    }
}

/// A fixed camera: every PTZ command is refused.
#[derive(Debug)]
pub struct NoPtz;

impl PtzDriver for NoPtz {
    fn execute(&mut self, _command: PtzCommand) -> Result<(), BoardError> {
        Err(BoardError::new("ptz", ErrorKind::NotSupported, "no PTZ head"))
    }
}

fn control(c: BitrateControl) -> &'static str {
    match c {
        BitrateControl::Cbr => "CBR",
        BitrateControl::Vbr => "VBR",
    }
}

/// The video encoder through the vendor SDK: settings hand-off, snapshots from a command.
#[derive(Debug)]
pub struct HandoffVideo {
    pub(crate) config: VideoConfig,
    pub(crate) streams: [Option<StreamConfig>; 2],
}

/// The snapshot command: a JPEG of at most 16 MiB within 5 s (docs/security.md,
/// "A hostile outside server"), or it is killed.
const SNAPSHOT: Bounds = Bounds { time: Duration::from_secs(5), output: 16 << 20 };

/// Snapshots from the vendor's command, which prints a JPEG of the stream it is given.
#[derive(Debug)]
pub struct CommandSnapshots {
    pub(crate) command: Vec<String>,
}

impl SnapshotSource for CommandSnapshots {
    fn snapshot(&self, stream: StreamId, out: &mut Vec<u8>) -> Result<(), BoardError> {
        let jpeg = run(&self.command, &[std::ffi::OsStr::new(stream.name())], SNAPSHOT).map_err(BoardError::on("snapshot command"))?;
        if !jpeg.starts_with(&[0xff, 0xd8]) {
            return Err(BoardError::new("snapshot command", ErrorKind::InvalidInput, "not a JPEG"));
        }
        out.extend_from_slice(&jpeg);
        Ok(())
    }
}

impl VideoEncoder for HandoffVideo {
    fn capabilities(&self) -> VideoCapabilities {
        let modes = |modes: &[crate::config::ModeConfig]| {
            modes
                .iter()
                .map(|m| EncodeModeCaps {
                    name: m.mode.clone(),
                    resolutions: m
                        .resolutions
                        .iter()
                        .map(|r| ResolutionCaps {
                            name: r.name.clone(),
                            framerate: Span { lo: r.framerate.0, hi: r.framerate.1 },
                            bitrate: Span { lo: r.bitrate.0, hi: r.bitrate.1 },
                        })
                        .collect(),
                })
                .collect()
        };
        VideoCapabilities { main: modes(&self.config.stream1), sub: modes(&self.config.stream2) }
    }

    fn rtsp(&self, stream: StreamId) -> (u16, String) {
        let path = match (&self.config.rtsp_paths, stream) {
            (Some([main, _]), StreamId::Main) => main.clone(),
            (Some([_, sub]), StreamId::Sub) => sub.clone(),
            (None, _) => format!("/{}", stream.name()),
        };
        (self.config.rtsp_port, path)
    }

    fn configure(&mut self, stream: StreamId, config: &StreamConfig) -> Result<(), BoardError> {
        let mut streams = self.streams.clone();
        let [main, sub] = &mut streams;
        *match stream {
            StreamId::Main => main,
            StreamId::Sub => sub,
        } = Some(config.clone());
        let mut pairs = Vec::new();
        for (id, s) in StreamId::ALL.iter().zip(&streams) {
            if let Some(s) = s {
                let n = id.name();
                pairs.push((format!("{n}.encode_mode"), s.encode_mode.clone()));
                pairs.push((format!("{n}.resolution"), s.resolution.clone()));
                pairs.push((format!("{n}.framerate"), s.framerate.to_string()));
                pairs.push((format!("{n}.govlength"), s.govlength.to_string()));
                pairs.push((format!("{n}.bitrate"), s.bitrate.to_string()));
                pairs.push((format!("{n}.bitrate_control"), control(s.bitrate_control).to_string()));
            }
        }
        let pairs: Vec<(&str, String)> = pairs.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
        self.config.handoff.apply(&pairs).map_err(BoardError::on("video apply"))?;
        self.streams = streams;
        Ok(())
    }
}

/// The audio encoder through the vendor SDK.
#[derive(Debug)]
pub struct HandoffAudio {
    pub(crate) config: Option<AudioConfig>,
}

impl AudioEncoder for HandoffAudio {
    fn capabilities(&self) -> Vec<AudioTypeCaps> {
        self.config
            .iter()
            .flat_map(|c| &c.types)
            .map(|t| AudioTypeCaps {
                name: t.name.clone(),
                samplerates: vec![SampleRateCaps { rate: t.samplerate, bitrates: t.bitrates.clone() }],
            })
            .collect()
    }

    fn configure(&mut self, c: &AudioConfig2) -> Result<(), BoardError> {
        let Some(config) = &self.config else { return Ok(()) };
        let pairs = [
            ("enable", u8::from(c.enable).to_string()),
            ("encode_type", c.encode_type.clone()),
            ("samplerate", c.samplerate.to_string()),
            ("bitrate", c.bitrate.to_string()),
            ("input_volume", c.input_volume.to_string()),
            ("output_volume", c.output_volume.to_string()),
            ("amplify", u8::from(c.amplify).to_string()),
        ];
        config.handoff.apply(&pairs).map_err(BoardError::on("audio apply"))
    }
}

use camcgi_hal::AudioConfig as AudioConfig2;

/// The OSD through the vendor SDK.
#[derive(Debug)]
pub struct HandoffOsd {
    pub(crate) handoff: Handoff,
}

impl OsdOverlay for HandoffOsd {
    fn configure(&mut self, c: &OsdConfig) -> Result<(), BoardError> {
        let pairs = [
            ("enable", u8::from(c.enable).to_string()),
            ("color", c.color.to_string()),
            ("fontsize", c.fontsize.to_string()),
            ("title_pos_type", c.title_pos_type.to_string()),
            ("title_pos_x", c.title_pos_x.to_string()),
            ("title_pos_y", c.title_pos_y.to_string()),
            ("show_res_bit", c.show_res_bit.to_string()),
            ("time_pos_type", c.time_pos_type.to_string()),
            ("time_pos_x", c.time_pos_x.to_string()),
            ("time_pos_y", c.time_pos_y.to_string()),
            ("show_week", u8::from(c.show_week).to_string()),
            ("time_format", c.time_format.clone()),
            ("title", c.title.clone()),
            ("show_title", u8::from(c.show_title).to_string()),
            ("show_time", u8::from(c.show_time).to_string()),
        ];
        self.handoff.apply(&pairs).map_err(BoardError::on("osd apply"))
    }
}

/// Motion detection through the vendor SDK.
#[derive(Debug)]
pub struct HandoffMotion {
    pub(crate) config: MotionConfig,
}

impl MotionDetector for HandoffMotion {
    fn grid(&self) -> MotionGrid {
        MotionGrid { rows: self.config.rows, cols: self.config.cols }
    }

    fn configure(&mut self, c: &camcgi_hal::MotionConfig) -> Result<(), BoardError> {
        let area: String = c.area.iter().map(|b| format!("{b:02x}")).collect();
        let pairs = [
            ("enable", u8::from(c.enable).to_string()),
            ("sensitivity", c.sensitivity.to_string()),
            ("alarmthreshold", c.alarmthreshold.to_string()),
            ("enable_nighttime", u8::from(c.enable_nighttime).to_string()),
            ("night_sensitivity", c.night_sensitivity.to_string()),
            ("night_alarmthreshold", c.night_alarmthreshold.to_string()),
            ("rows", self.config.rows.to_string()),
            ("cols", self.config.cols.to_string()),
            ("area", area),
        ];
        self.config.handoff.apply(&pairs).map_err(BoardError::on("motion apply"))
    }

    fn motion(&self) -> Result<bool, BoardError> {
        let Some(path) = &self.config.state_file else { return Ok(false) };
        let mut first = [0u8; 1];
        let read = std::fs::File::open(path).and_then(|mut f| std::io::Read::read(&mut f, &mut first));
        match read {
            Ok(n) => Ok(n == 1 && first[0] == b'1'),
            // No file yet: the integration has seen no motion.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(BoardError::on("motion state")(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mac_addresses_and_mount_tables() {
        assert_eq!(parse_mac("00:12:34:ab:CD:ef\n"), Some([0, 0x12, 0x34, 0xab, 0xcd, 0xef]));
        assert_eq!(parse_mac("00:12:34:ab:cd"), None);
        assert_eq!(parse_mac("00:12:34:ab:cd:ef:01"), None);
        let table = "/dev/mmcblk0p1 /mnt/sd vfat rw 0 0\nserver:/x /mnt/my\\040nfs nfs rw 0 0\n";
        assert!(is_mounted(table, Path::new("/mnt/sd")));
        assert!(is_mounted(table, Path::new("/mnt/my nfs")));
        assert!(!is_mounted(table, Path::new("/mnt")));
        assert!(!is_mounted(table, Path::new("/mnt/sdcard")));
    }

    #[test]
    fn motion_comes_from_the_integration_state_file() {
        let dir = std::env::temp_dir().join(format!("camcgi-motion-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("motion");
        let motion = HandoffMotion { config: MotionConfig { state_file: Some(file.clone()), ..MotionConfig::default() } };
        assert!(!motion.motion().unwrap(), "no file yet");
        std::fs::write(&file, "1\n").unwrap();
        assert!(motion.motion().unwrap());
        std::fs::write(&file, "0\n").unwrap();
        assert!(!motion.motion().unwrap());
        assert!(!HandoffMotion { config: MotionConfig::default() }.motion().unwrap(), "no file configured");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
