//! The mock camera board: every part simulated by `camcgi_hal::mock`.
//!
//! `camcgi --board mock` runs on it; tests keep the returned [`MockBoard`] to
//! read what reached the hardware and to make parts fail.

pub use camcgi_hal::mock::MockBoard;
use camcgi_hal::{Board, Monotonic};
use std::sync::Arc;

/// The board's name on the command line.
pub const NAME: &str = "mock";

/// A mock PTZ camera whose motors move on `clock`, and the handle to inspect it.
pub fn board(clock: Arc<dyn Monotonic>) -> (Board, MockBoard) {
    let mock = MockBoard::with_clock(clock);
    (mock.board(), mock)
}
