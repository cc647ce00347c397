//! camcgi-hal: the hardware a camera CGI server drives, as small traits.
//!
//! # For board implementers
//!
//! Implement one trait per device part ([`PtzDriver`], [`ImageControls`],
//! [`VideoEncoder`], [`AudioEncoder`], [`OsdOverlay`], [`MotionDetector`],
//! [`NetworkInterface`], [`WallClock`], [`SystemControl`], [`StorageTargets`],
//! [`FirmwareFlash`], [`BootControl`]),
//! each with its own error type whose [`Error::kind`] says what went wrong in
//! board-independent terms. Then hand the parts to [`Board::new`], which erases
//! the error types so the server can hold any board behind one type.
//!
//! # For handler authors
//!
//! A handler only sees [`Board`] and [`DeviceError`]; it maps a failure to a
//! `device error: …` fault through [`DeviceError`]'s `Display`, never by
//! looking at which board produced it.
//!
//! ```
//! use camcgi_hal::{mock::MockBoard, ImageControl};
//! let mock = MockBoard::new();
//! let mut board = mock.board();
//! board.image.set(ImageControl::Brightness, 200).unwrap();
//! assert_eq!(mock.image_value(ImageControl::Brightness), 200);
//! ```
#![warn(missing_docs)]

mod board;
mod error;
mod firmware;
mod monotonic;
mod parts;

#[cfg(feature = "host")]
pub mod host;
#[cfg(feature = "mock")]
pub mod mock;

pub use board::Board;
pub use error::{DeviceError, Error, ErrorKind, ErrorType};
pub use firmware::{BootControl, BootState, FirmwareFlash, FlashGeometry, Slot};
pub use monotonic::{ManualMonotonic, Monotonic, SystemMonotonic};
pub use parts::*;
