//! camcgi: a connection's outbox, shared between the connection and the
//! request being answered.
//!
//! Upstream passed a connection's reader and writer from request to request
//! through channels (`SequentialReader`, `SequentialWriter`), so that
//! requests answered in parallel would read and write in turn: two channels
//! per request, whose first message allocated a block of 31 slots. A
//! connection here answers one request at a time, so a lock that is never
//! contended is all the order needs.

use std::io::{Result as IoResult, Write};
use std::sync::{Arc, Mutex, MutexGuard};

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// One writer shared by its clones.
pub struct SharedWriter<W>(Arc<Mutex<W>>);

impl<W> SharedWriter<W> {
    pub fn new(writer: W) -> SharedWriter<W> {
        SharedWriter(Arc::new(Mutex::new(writer)))
    }

    pub fn share(&self) -> SharedWriter<W> {
        SharedWriter(self.0.clone())
    }

    pub fn lock(&self) -> MutexGuard<'_, W> {
        lock(&self.0)
    }
}

impl<W: Write> Write for SharedWriter<W> {
    fn write(&mut self, buf: &[u8]) -> IoResult<usize> {
        lock(&self.0).write(buf)
    }

    fn write_all(&mut self, buf: &[u8]) -> IoResult<()> {
        lock(&self.0).write_all(buf)
    }

    fn flush(&mut self) -> IoResult<()> {
        lock(&self.0).flush()
    }
}
