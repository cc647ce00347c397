//! PTZ over a serial motor controller speaking Pelco-D.
//!
//! A Pelco-D frame is seven bytes: `0xFF`, the device address, two command
//! bytes, pan speed, tilt speed (or a preset number), and a checksum (the
//! sum of bytes 2 to 6, modulo 256). The port is raw 8N1 at the configured
//! baud rate.

use camcgi_hal::{Dir, Error, ErrorKind, ErrorType, LensPart, PtzCommand, PtzDriver};
use nix::sys::termios::{self, BaudRate, ControlFlags, SetArg};
use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

const SYNC: u8 = 0xff;
// Command 1.
const FOCUS_NEAR: u8 = 0x01;
const IRIS_OPEN: u8 = 0x02;
const IRIS_CLOSE: u8 = 0x04;
// Command 2.
const PAN_RIGHT: u8 = 0x02;
const PAN_LEFT: u8 = 0x04;
const TILT_UP: u8 = 0x08;
const TILT_DOWN: u8 = 0x10;
const ZOOM_TELE: u8 = 0x20;
const ZOOM_WIDE: u8 = 0x40;
const FOCUS_FAR: u8 = 0x80;
// Extended commands (command 2, with command 1 zero).
const SET_PRESET: u8 = 0x03;
const CLEAR_PRESET: u8 = 0x05;
const GOTO_PRESET: u8 = 0x07;
/// Pelco-D's highest ordinary pan/tilt speed.
const MAX_SPEED: u8 = 0x3f;

/// One Pelco-D frame for a command to the controller at `address`.
pub fn frame(address: u8, command: PtzCommand) -> [u8; 7] {
    // API speed 1-10 onto Pelco-D's 0x00-0x3F.
    let speed = |s: u8| u8::try_from(u16::from(s.min(10)) * u16::from(MAX_SPEED) / 10).unwrap_or(MAX_SPEED);
    let (cmd1, cmd2, data1, data2) = match command {
        PtzCommand::Stop => (0, 0, 0, 0),
        PtzCommand::Move { pan, tilt, speed: s } => {
            let p = match pan {
                Dir::Positive => PAN_RIGHT,
                Dir::Negative => PAN_LEFT,
                Dir::Still => 0,
            };
            let t = match tilt {
                Dir::Positive => TILT_UP,
                Dir::Negative => TILT_DOWN,
                Dir::Still => 0,
            };
            let ps = if p == 0 { 0 } else { speed(s) };
            let ts = if t == 0 { 0 } else { speed(s) };
            (0, p | t, ps, ts)
        }
        PtzCommand::Lens { part, dir, .. } => match (part, dir) {
            (LensPart::Zoom, Dir::Positive) => (0, ZOOM_TELE, 0, 0),
            (LensPart::Zoom, Dir::Negative) => (0, ZOOM_WIDE, 0, 0),
            (LensPart::Focus, Dir::Positive) => (FOCUS_NEAR, 0, 0, 0),
            (LensPart::Focus, Dir::Negative) => (0, FOCUS_FAR, 0, 0),
            (LensPart::Iris, Dir::Positive) => (IRIS_OPEN, 0, 0, 0),
            (LensPart::Iris, Dir::Negative) => (IRIS_CLOSE, 0, 0, 0),
            (_, Dir::Still) => (0, 0, 0, 0),
        },
        PtzCommand::SetPreset(n) => (0, SET_PRESET, 0, n),
        PtzCommand::ClearPreset(n) => (0, CLEAR_PRESET, 0, n),
        PtzCommand::CallPreset(n) => (0, GOTO_PRESET, 0, n),
        // Never sent: this driver reports no position, and the server turns
        // only a head that does to a position. Stopping is the safe reading.
        PtzCommand::GoTo(_) => (0, 0, 0, 0),
    };
    let sum = [address, cmd1, cmd2, data1, data2].iter().fold(0u8, |acc, b| acc.wrapping_add(*b));
    [SYNC, address, cmd1, cmd2, data1, data2, sum]
}

/// A serial-port failure.
#[derive(Debug)]
pub struct SerialError(io::Error);

impl Error for SerialError {
    fn kind(&self) -> ErrorKind {
        match self.0.kind() {
            io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => ErrorKind::Timeout,
            io::ErrorKind::NotFound => ErrorKind::NotConfigured,
            _ => ErrorKind::Io,
        }
    }
}

impl fmt::Display for SerialError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "serial port: {}", self.0)
    }
}

/// The standard baud rates a Pelco-D controller uses.
fn baud_rate(baud: u32) -> io::Result<BaudRate> {
    Ok(match baud {
        1200 => BaudRate::B1200,
        2400 => BaudRate::B2400,
        4800 => BaudRate::B4800,
        9600 => BaudRate::B9600,
        19200 => BaudRate::B19200,
        38400 => BaudRate::B38400,
        57600 => BaudRate::B57600,
        115200 => BaudRate::B115200,
        other => return Err(io::Error::new(io::ErrorKind::InvalidInput, format!("unsupported baud rate {other}"))),
    })
}

/// A Pelco-D controller on a serial port.
#[derive(Debug)]
pub struct PelcoD {
    port: File,
    address: u8,
    move_limit: std::time::Duration,
}

impl PelcoD {
    /// Opens `path` raw, 8N1, at `baud`, for the controller at `address`;
    /// a continuous move is stopped after `move_limit` without a new command.
    pub fn open(path: &Path, baud: u32, address: u8, move_limit: std::time::Duration) -> io::Result<PelcoD> {
        let port = OpenOptions::new().read(true).write(true).custom_flags(libc::O_NOCTTY).open(path)?;
        let mut t = termios::tcgetattr(&port).map_err(io::Error::from)?;
        termios::cfmakeraw(&mut t);
        termios::cfsetspeed(&mut t, baud_rate(baud)?).map_err(io::Error::from)?;
        t.control_flags.remove(ControlFlags::PARENB | ControlFlags::CSTOPB | ControlFlags::CSIZE);
        t.control_flags.insert(ControlFlags::CS8 | ControlFlags::CLOCAL | ControlFlags::CREAD);
        termios::tcsetattr(&port, SetArg::TCSANOW, &t).map_err(io::Error::from)?;
        Ok(PelcoD { port, address, move_limit })
    }
}

impl ErrorType for PelcoD {
    type Error = SerialError;
}

impl PtzDriver for PelcoD {
    fn execute(&mut self, command: PtzCommand) -> Result<(), SerialError> {
        self.port.write_all(&frame(self.address, command)).map_err(SerialError)?;
        termios::tcdrain(&self.port).map_err(|e| SerialError(e.into()))
    }

    fn move_limit(&self) -> std::time::Duration {
        self.move_limit
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;
    use std::os::fd::AsRawFd;

    #[test]
    fn frames_match_the_protocol() {
        let right = frame(1, PtzCommand::Move { pan: Dir::Positive, tilt: Dir::Still, speed: 10 });
        assert_eq!(right, [0xff, 0x01, 0x00, 0x02, 0x3f, 0x00, 0x42]);
        let up_left = frame(2, PtzCommand::Move { pan: Dir::Negative, tilt: Dir::Positive, speed: 5 });
        assert_eq!(up_left, [0xff, 0x02, 0x00, 0x0c, 0x1f, 0x1f, 0x4c]);
        assert_eq!(frame(1, PtzCommand::Stop), [0xff, 0x01, 0, 0, 0, 0, 0x01]);
        assert_eq!(frame(1, PtzCommand::Lens { part: LensPart::Zoom, dir: Dir::Positive, speed: 5 }), [0xff, 1, 0, 0x20, 0, 0, 0x21]);
        assert_eq!(frame(1, PtzCommand::Lens { part: LensPart::Focus, dir: Dir::Positive, speed: 5 }), [0xff, 1, 0x01, 0, 0, 0, 0x02]);
        assert_eq!(frame(1, PtzCommand::Lens { part: LensPart::Focus, dir: Dir::Negative, speed: 5 }), [0xff, 1, 0, 0x80, 0, 0, 0x81]);
        assert_eq!(frame(1, PtzCommand::Lens { part: LensPart::Iris, dir: Dir::Negative, speed: 5 }), [0xff, 1, 0x04, 0, 0, 0, 0x05]);
        assert_eq!(frame(1, PtzCommand::SetPreset(3)), [0xff, 1, 0, 0x03, 0, 3, 0x07]);
        assert_eq!(frame(1, PtzCommand::CallPreset(200)), [0xff, 1, 0, 0x07, 0, 200, 0xd0]);
        assert_eq!(frame(0xfe, PtzCommand::ClearPreset(255)), [0xff, 0xfe, 0, 0x05, 0, 0xff, 0x02]);
    }

    #[test]
    fn bytes_reach_the_wire_raw_8n1() {
        let pty = nix::pty::openpty(None, None).unwrap();
        let slave = nix::unistd::ttyname(&pty.slave).unwrap();
        let mut ptz = PelcoD::open(&slave, 9600, 1, camcgi_hal::DEFAULT_MOVE_LIMIT).unwrap();
        let t = termios::tcgetattr(&ptz.port).unwrap();
        assert!(t.control_flags.contains(ControlFlags::CS8));
        assert!(!t.control_flags.intersects(ControlFlags::PARENB | ControlFlags::CSTOPB));
        assert_eq!(termios::cfgetospeed(&t), BaudRate::B9600);
        ptz.execute(PtzCommand::Move { pan: Dir::Positive, tilt: Dir::Still, speed: 10 }).unwrap();
        ptz.stop().unwrap();
        let mut master = File::from(pty.master);
        let mut got = [0u8; 14];
        master.read_exact(&mut got).unwrap();
        assert_eq!(got, [0xff, 1, 0, 2, 0x3f, 0, 0x42, 0xff, 1, 0, 0, 0, 0, 1]);
        assert!(ptz.port.as_raw_fd() >= 0);
        assert!(PelcoD::open(&slave, 1234, 1, camcgi_hal::DEFAULT_MOVE_LIMIT).is_err(), "an unsupported baud rate is refused");
    }
}
