//! camcgi: a connection's buffered reader and writer, shared between the
//! connection and the request being answered.
//!
//! Upstream passed them from request to request through channels
//! (`SequentialReader`, `SequentialWriter`), so that requests answered in
//! parallel would read and write in turn: two channels per request, whose
//! first message allocated a block of 31 slots. A connection here answers one
//! request at a time on its own thread, so a lock that is never contended is
//! all the order needs.

use std::io::{BufRead, Read, Result as IoResult, Write};
use std::sync::{Arc, Mutex, MutexGuard};

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// One reader shared by its clones.
pub struct SharedReader<R>(Arc<Mutex<R>>);

impl<R> SharedReader<R> {
    pub fn new(reader: R) -> SharedReader<R> {
        SharedReader(Arc::new(Mutex::new(reader)))
    }

    pub fn share(&self) -> SharedReader<R> {
        SharedReader(self.0.clone())
    }

    pub fn lock(&self) -> MutexGuard<'_, R> {
        lock(&self.0)
    }
}

impl<R: Read> Read for SharedReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> IoResult<usize> {
        lock(&self.0).read(buf)
    }
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

/// Reads a line ending in CRLF from `reader`, without the CRLF, appending to
/// `line`; at most `max` bytes. `Ok(false)` when the line is longer.
pub fn read_line<R: BufRead>(reader: &mut R, line: &mut Vec<u8>, max: usize) -> IoResult<bool> {
    loop {
        let available = reader.fill_buf()?;
        if available.is_empty() {
            return Err(std::io::Error::new(std::io::ErrorKind::ConnectionAborted, "Unexpected EOF"));
        }
        match available.iter().position(|&b| b == b'\n') {
            Some(end) => {
                let fits = line.len() + end <= max + 1;
                if fits {
                    line.extend_from_slice(&available[..end]);
                }
                reader.consume(end + 1);
                if !fits {
                    return Ok(false);
                }
                // A line ends in CRLF; a bare LF is kept, as upstream did.
                if line.last() == Some(&b'\r') {
                    line.pop();
                    return Ok(true);
                }
                line.push(b'\n');
            }
            None => {
                let n = available.len();
                if line.len() + n > max + 1 {
                    return Ok(false);
                }
                line.extend_from_slice(available);
                reader.consume(n);
            }
        }
        if line.len() > max {
            return Ok(false);
        }
    }
}
