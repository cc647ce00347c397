//! Time limits for work that waits on the outside world: an upload's steps
//! and whole, and work handed to a thread of its own because it cannot be
//! interrupted (a name lookup, a write to a hung NFS mount).

use crate::state::app::lock;
use std::io;
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// The time an upload has: `step` for each step, within the whole upload's end.
#[derive(Debug, Clone, Copy)]
pub struct Deadline {
    /// Each step's own limit.
    pub step: Duration,
    /// When the whole upload must be over.
    pub end: Instant,
}

impl Deadline {
    /// When a step begun now must be over.
    pub fn step_end(&self) -> Instant {
        (Instant::now() + self.step).min(self.end)
    }
}

/// Runs `job` in a thread of its own (`stack` bytes of stack) and waits for
/// its result for at most `wait`. `None` when it has not finished by then: it
/// goes on, and what it returns is dropped.
pub fn in_thread<T: Send + 'static>(
    name: &str,
    stack: usize,
    wait: Duration,
    job: impl FnOnce() -> T + Send + 'static,
) -> io::Result<Option<T>> {
    let slot = Arc::new((Mutex::new(None), Condvar::new()));
    let filled = slot.clone();
    thread::Builder::new().name(name.into()).stack_size(stack).spawn(move || {
        let value = job();
        let (result, done) = &*filled;
        *lock(result) = Some(value);
        done.notify_all();
    })?;
    let (result, done) = &*slot;
    let waiting = lock(result);
    let (mut finished, _) = done.wait_timeout_while(waiting, wait, |v| v.is_none()).unwrap_or_else(|p| p.into_inner());
    Ok(finished.take())
}
