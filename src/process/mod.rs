//! Setting up the process before the camera starts: the log's format and
//! the C allocator's knobs. Nothing here knows the camera.

pub mod heap;
pub mod logger;
