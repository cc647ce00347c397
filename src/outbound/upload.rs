//! Snapshot uploads (`snapshot.cgi?upload=0-3`), bounded: one at a time, in
//! a thread of its own, with a deadline for each step and for the whole.
//!
//! A dead or trickling FTP server, a hung NFS mount or a slow relay can then
//! hold one upload thread, never a request worker past the deadline, and never
//! more than one: a second upload meanwhile is refused with `upload busy`
//! rather than queued behind the first.

use crate::api::refusal::Refusal;
use crate::outbound::deadline::{in_thread, Deadline};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Each step of an upload (lookup, connect, a reply, a command) ends within this.
pub const STEP: Duration = Duration::from_secs(5);
/// A whole upload ends within this.
pub const WHOLE: Duration = Duration::from_secs(20);
/// The answer while another upload runs.
pub const BUSY: &str = "upload busy";

/// The one upload that may run.
#[derive(Default)]
pub struct Uploads {
    running: Arc<AtomicBool>,
}

/// Frees the upload slot however the upload thread ends.
struct Running(Arc<AtomicBool>);

impl Drop for Running {
    fn drop(&mut self) {
        self.0.store(false, Ordering::SeqCst);
    }
}

impl Uploads {
    /// Runs `job` in its own thread, and waits for it until the whole
    /// upload's deadline. `what` names the target in a timeout fault. The slot
    /// stays taken until the job really ends, even when the request has been
    /// answered already.
    pub fn run(&self, what: &str, job: impl FnOnce(Deadline) -> Result<(), Refusal> + Send + 'static) -> Result<(), Refusal> {
        if self.running.swap(true, Ordering::SeqCst) {
            return Err(Refusal::new(503, BUSY));
        }
        let slot = Running(self.running.clone());
        let deadline = Deadline { step: STEP, end: Instant::now() + WHOLE };
        // The job keeps its own deadline; a little more here lets its own,
        // more precise, failure arrive first.
        let done = in_thread("upload", 256 * 1024, WHOLE + Duration::from_secs(1), move || {
            let _slot = slot;
            job(deadline)
        });
        match done {
            Ok(Some(result)) => result,
            Ok(None) => Err(Refusal::new(500, format!("upload failed: {what} (no end within {} s)", WHOLE.as_secs()))),
            Err(e) => Err(Refusal::new(500, format!("upload failed: {what} ({e})"))),
        }
    }
}
