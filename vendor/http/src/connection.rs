//! The listening socket and a connection: TCP only.

use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};

/// The listening socket.
pub struct Listener(TcpListener);

impl Listener {
    pub(crate) fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.0.local_addr()
    }

    pub(crate) fn accept(&self) -> std::io::Result<(Connection, Option<SocketAddr>)> {
        self.0.accept().map(|(conn, addr)| (Connection(conn), Some(addr)))
    }
}

impl From<TcpListener> for Listener {
    fn from(s: TcpListener) -> Self {
        Listener(s)
    }
}

/// One accepted connection.
#[derive(Debug)]
pub(crate) struct Connection(TcpStream);

// A connection is read and written through shared references, so that its
// reading half, its writing half and the police share one socket (tiny-http
// duplicated the descriptor, which fails when descriptors run out).
impl std::io::Read for &Connection {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        (&self.0).read(buf)
    }
}

impl std::io::Write for &Connection {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        (&self.0).write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl std::os::fd::AsFd for Connection {
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.0.as_fd()
    }
}

impl std::os::fd::AsRawFd for Connection {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        self.0.as_raw_fd()
    }
}

impl Connection {
    /// Ends the connection now, what it has not sent discarded: a reset
    /// once the socket closes (SO_LINGER of zero), where `shutdown` alone
    /// would let the kernel deliver the queued answers for as long as the
    /// client takes them.
    pub(crate) fn abort(&self) {
        let linger = nix::libc::linger { l_onoff: 1, l_linger: 0 };
        let _ = nix::sys::socket::setsockopt(&self.0, nix::sys::socket::sockopt::Linger, &linger);
        let _ = self.shutdown(Shutdown::Both);
    }

    /// Sets the timeout of each read and write.
    pub(crate) fn set_timeouts(&self, timeout: Option<std::time::Duration>) -> std::io::Result<()> {
        self.0.set_read_timeout(timeout)?;
        self.0.set_write_timeout(timeout)
    }

    /// Whether the client has closed its side of the connection, or the
    /// connection has failed: a peek that neither waits nor takes a byte
    /// (end of stream is a closed side; bytes waiting, or none yet, are not).
    pub(crate) fn peer_gone(&self) -> bool {
        use nix::sys::socket::{recv, MsgFlags};
        let mut byte = [0u8; 1];
        match recv(std::os::fd::AsRawFd::as_raw_fd(&self.0), &mut byte, MsgFlags::MSG_PEEK | MsgFlags::MSG_DONTWAIT) {
            Ok(0) => true,
            Ok(_) => false,
            Err(e) => e != nix::errno::Errno::EAGAIN && e != nix::errno::Errno::EINTR,
        }
    }

    pub(crate) fn shutdown(&self, how: Shutdown) -> std::io::Result<()> {
        self.0.shutdown(how)
    }
}

impl From<TcpStream> for Connection {
    fn from(s: TcpStream) -> Self {
        Connection(s)
    }
}
