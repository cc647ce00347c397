use std::io::Result as IoResult;
use std::io::{Read, Write};
use std::net::Shutdown;
use std::sync::Arc;

use crate::connection::Connection;

/// One half of an accepted connection: the reading half shuts the socket's
/// reading side when dropped, the writing half its writing side.
///
/// camcgi: both halves share the socket. Upstream duplicated the descriptor
/// for the second half (`try_clone`), which cost a descriptor per connection
/// and failed when the process had none left (EMFILE). The TLS streams are
/// gone with the TLS back-ends.
pub struct RefinedTcpStream {
    socket: Arc<Connection>,
    close_read: bool,
    close_write: bool,
}

impl RefinedTcpStream {
    pub(crate) fn new(socket: Arc<Connection>) -> (RefinedTcpStream, RefinedTcpStream) {
        let read = RefinedTcpStream { socket: socket.clone(), close_read: true, close_write: false };
        let write = RefinedTcpStream { socket, close_read: false, close_write: true };
        (read, write)
    }

    /// Returns true if this struct wraps around a secure connection.
    #[inline]
    pub(crate) fn secure(&self) -> bool {
        false
    }
}

impl Drop for RefinedTcpStream {
    fn drop(&mut self) {
        if self.close_read {
            self.socket.shutdown(Shutdown::Read).ok();
        }

        if self.close_write {
            self.socket.shutdown(Shutdown::Write).ok();
        }
    }
}

impl Read for RefinedTcpStream {
    fn read(&mut self, buf: &mut [u8]) -> IoResult<usize> {
        (&*self.socket).read(buf)
    }
}

impl Write for RefinedTcpStream {
    fn write(&mut self, buf: &[u8]) -> IoResult<usize> {
        (&*self.socket).write(buf)
    }

    fn flush(&mut self) -> IoResult<()> {
        Ok(())
    }
}
