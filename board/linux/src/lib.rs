//! Board support for Linux camera SoCs, configured by a TOML file
//! (`board.example.toml` beside this crate documents every key).
//!
//! - [`pelco`]: PTZ over a serial Pelco-D controller.
//! - [`v4l2`]: ISP image controls as V4L2 controls.
//! - [`parts`]: system (uname, files, reboot), network (getifaddrs, sysfs,
//!   a settings hand-off), clock (clock_settime), storage (mount points), and
//!   the encoder, audio, OSD and motion hand-offs to the vendor SDK.
//! - [`mtd`]: firmware slots on raw flash partitions, NAND bad blocks skipped.
//! - [`uboot`]: the boot selection as U-Boot environment variables.
//!
//! # Writing a board crate for a new SoC
//!
//! Where the vendor SDK is a C library rather than programs, implement the
//! `camcgi-hal` trait of each part in a crate of your own (one required
//! method for PTZ and image, a few for the encoders), reusing what fits from
//! here, and build a `camcgi_hal::Board` from them. Copy this crate's tests:
//! the Pelco-D frames on a pseudo-terminal, the ioctl numbers pinned to the
//! kernel headers, the hand-off files. The server never names a board.

#![warn(missing_docs)]

pub mod config;
pub mod handoff;
pub mod mtd;
pub mod parts;
pub mod pelco;
pub mod toml;
pub mod uboot;
pub mod v4l2;

use camcgi_hal::host::FileFlash;
use camcgi_hal::{Board, Capabilities, FlashGeometry};
use config::BoardConfig;
use parts::*;

/// The board's name on the command line.
pub const NAME: &str = "linux";

/// Opens every device the configuration names and assembles the board.
pub fn board(config: &BoardConfig) -> Result<Board, String> {
    let capabilities = Capabilities { video: true, audio: config.audio.is_some(), ptz: config.ptz.is_some() };
    let image =
        v4l2::V4l2Controls::open(&config.image.device).map_err(|e| format!("image device {}: {e}", config.image.device.display()))?;
    let fw = &config.firmware;
    let env: Box<dyn uboot::EnvStore + Send> = match (&fw.uboot_env_file, &fw.fw_printenv, &fw.fw_setenv) {
        (Some(file), _, _) => Box::new(uboot::FileEnv::new(file)),
        (None, Some(print), Some(set)) => Box::new(uboot::CommandEnv::new(print, set, &fw.scratch_file)),
        _ => return Err("[firmware] needs uboot_env_file, or fw_printenv and fw_setenv".into()),
    };
    let boot = uboot::UBootControl::new(env).map_err(|e| format!("u-boot environment: {e}"))?;
    let system = LinuxSystem { config: config.system.clone(), capabilities };
    let board = Board::new(
        NoPtz,
        image,
        HandoffVideo { config: config.video.clone(), streams: [None, None] },
        CommandSnapshots { command: config.video.snapshot_command.clone() },
        HandoffAudio { config: config.audio.clone() },
        HandoffOsd { handoff: config.osd.clone() },
        HandoffMotion { config: config.motion.clone() },
        LinuxNetwork { config: config.network.clone() },
        LinuxClock { handoff: config.clock.clone() },
        system,
        LinuxStorage { config: config.storage.clone() },
        FileFlash::open(&std::env::temp_dir(), &config.board_id, FlashGeometry { erase_size: 1, capacity: 0 })
            .map_err(|e| e.to_string())?,
        boot,
    );
    let board = match (&fw.mtd_a, &fw.mtd_b, &fw.slot_dir) {
        (Some(a), Some(b), _) => board.with_flash(mtd::MtdFlash::open(&config.board_id, a, b).map_err(|e| format!("firmware slots: {e}"))?),
        (_, _, Some(dir)) => board.with_flash(
            FileFlash::open(dir, &config.board_id, FlashGeometry { erase_size: 64 * 1024, capacity: fw.slot_size })
                .map_err(|e| format!("firmware slot directory {}: {e}", dir.display()))?,
        ),
        _ => return Err("[firmware] needs mtd_a and mtd_b, or slot_dir".into()),
    };
    Ok(match &config.ptz {
        Some(p) => board.with_ptz(
            pelco::PelcoD::open(&p.port, p.baud, p.address, std::time::Duration::from_secs(u64::from(p.watchdog_seconds.clamp(1, 3600))))
                .map_err(|e| format!("ptz port {}: {e}", p.port.display()))?,
        ),
        None => board,
    })
}

impl<E: uboot::EnvStore + ?Sized> uboot::EnvStore for Box<E> {
    fn read(&self) -> std::io::Result<Vec<(String, String)>> {
        (**self).read()
    }
    fn write(&mut self, vars: &[(&str, &str)]) -> std::io::Result<()> {
        (**self).write(vars)
    }
}
