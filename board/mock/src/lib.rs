//! The mock camera board: every part simulated by `camcgi_hal::mock`.
//!
//! `camcgi --board mock` runs on it; tests keep the returned [`MockBoard`] to
//! read what reached the hardware and to make parts fail.

pub use camcgi_hal::mock::MockBoard;
use camcgi_hal::{Board, FlashGeometry, Monotonic};
use std::path::Path;
use std::sync::Arc;

/// The board's name on the command line.
pub const NAME: &str = "mock";

/// The mock board's firmware slots: 96 MiB each, in 64 KiB erase blocks.
pub const FIRMWARE_GEOMETRY: FlashGeometry = FlashGeometry { erase_size: 64 * 1024, capacity: 96 * 1024 * 1024 };

/// A mock PTZ camera whose motors move on `clock`, with its firmware slots as
/// files in `DATA_DIR/firmware` and its SD card as the directory `DATA_DIR/sd`
/// (an NFS share appears when `DATA_DIR/nfs` exists), and motion in its scene
/// while the file `DATA_DIR/motion` holds `1`; and the handle to inspect it.
pub fn board(clock: Arc<dyn Monotonic>, data_dir: &Path) -> std::io::Result<(Board, MockBoard)> {
    let mock = MockBoard::with_clock(clock);
    mock.attach_firmware(&data_dir.join("firmware"), FIRMWARE_GEOMETRY)?;
    std::fs::create_dir_all(data_dir.join("sd"))?;
    mock.store_in(data_dir);
    Ok((mock.board(), mock))
}
