//! The boards this build of camcgi supports, selected by name (`--board`).
//! The server never names a board; the command line picks one here.

use camcgi_hal::{Board, Monotonic};
use std::path::Path;
use std::sync::Arc;

/// The boards compiled in, the default first.
pub const NAMES: &[&str] = &[
    #[cfg(feature = "mock")]
    "mock",
    #[cfg(feature = "linux")]
    "linux",
];

/// What a board needs to be opened.
pub struct Options<'a> {
    /// `--board`.
    pub name: &'a str,
    /// `--board-config`, for boards that take a configuration file.
    pub config: Option<&'a Path>,
    /// `--data-dir`, where a simulated board keeps its state.
    pub data_dir: &'a Path,
    /// The monotonic clock (a simulated PTZ head moves on it).
    pub clock: Arc<dyn Monotonic>,
}

/// Opens the named board.
pub fn open(options: &Options) -> Result<Board, String> {
    match options.name {
        #[cfg(feature = "mock")]
        camcgi_board_mock::NAME => camcgi_board_mock::board(options.clock.clone(), options.data_dir)
            .map(|(board, _)| board)
            .map_err(|e| format!("mock board in {}: {e}", options.data_dir.display())),
        #[cfg(feature = "linux")]
        camcgi_board_linux::NAME => {
            let path = options.config.ok_or("--board linux needs --board-config FILE")?;
            let config = camcgi_board_linux::config::load(path)?;
            camcgi_board_linux::board(&config)
        }
        other => Err(format!("unknown board '{other}' (this build has: {})", NAMES.join(", "))),
    }
}
