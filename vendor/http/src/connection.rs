//! The listening socket and a connection: TCP, plain or TLS.
//!
//! A TLS connection's record layer is rustls's, kept behind a lock in the
//! connection so that its reading half, its writing half and the police
//! share it as they share the socket. The event loop reads and writes
//! without blocking (`recv_now`, `send_now`, `flush_now`); a handler
//! reading a large body or writing a large answer does so blocking
//! (`Read`/`Write`), within the socket's timeouts. Either way the caller
//! sees plain HTTP bytes.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::sync::{Arc, Mutex, MutexGuard};

use nix::errno::Errno;
use nix::sys::socket::{recv, send, sendmsg, MsgFlags};
use rustls::{ServerConfig, ServerConnection};

/// Plain bytes a TLS connection takes from one write: one record's worth.
const TLS_WRITE_CHUNK: usize = 16 * 1024;

/// The listening socket, and the TLS configuration of its connections.
pub struct Listener {
    socket: TcpListener,
    tls: Option<Arc<ServerConfig>>,
}

impl Listener {
    /// A listener whose connections speak TLS as `config` says.
    pub fn tls(socket: TcpListener, config: Arc<ServerConfig>) -> Listener {
        Listener { socket, tls: Some(config) }
    }

    pub(crate) fn local_addr(&self) -> io::Result<SocketAddr> {
        self.socket.local_addr()
    }

    pub(crate) fn accept(&self) -> io::Result<(Connection, Option<SocketAddr>)> {
        let (stream, addr) = self.socket.accept()?;
        let tls = match &self.tls {
            Some(config) => {
                let session = ServerConnection::new(config.clone()).map_err(io::Error::other)?;
                Some(Mutex::new(session))
            }
            None => None,
        };
        Ok((Connection { stream, tls }, Some(addr)))
    }
}

impl From<TcpListener> for Listener {
    fn from(socket: TcpListener) -> Self {
        Listener { socket, tls: None }
    }
}

/// One accepted connection.
#[derive(Debug)]
pub(crate) struct Connection {
    stream: TcpStream,
    tls: Option<Mutex<ServerConnection>>,
}

fn lock(tls: &Mutex<ServerConnection>) -> MutexGuard<'_, ServerConnection> {
    tls.lock().unwrap_or_else(|p| p.into_inner())
}

/// The socket read and written without blocking, for rustls.
struct Nonblocking<'a> {
    stream: &'a TcpStream,
    /// A read took less than it had room for: the socket is read to its
    /// end for now.
    drained: bool,
}

impl<'a> Nonblocking<'a> {
    fn new(stream: &'a TcpStream) -> Self {
        Nonblocking { stream, drained: false }
    }
}

impl Read for Nonblocking<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = recv(self.stream.as_raw_fd(), buf, MsgFlags::MSG_DONTWAIT)?;
        self.drained = n < buf.len();
        Ok(n)
    }
}

impl Write for Nonblocking<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        Ok(send(self.stream.as_raw_fd(), buf, MsgFlags::MSG_DONTWAIT | MsgFlags::MSG_NOSIGNAL)?)
    }

    /// All the records waiting in one system call (rustls hands over a
    /// handshake flight as several).
    fn write_vectored(&mut self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
        let flags = MsgFlags::MSG_DONTWAIT | MsgFlags::MSG_NOSIGNAL;
        Ok(sendmsg::<()>(self.stream.as_raw_fd(), bufs, &[], flags, None)?)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn errno(e: &io::Error) -> Errno {
    match e.raw_os_error() {
        Some(n) => Errno::from_raw(n),
        None if e.kind() == io::ErrorKind::WouldBlock => Errno::EAGAIN,
        None => Errno::EPROTO,
    }
}

/// Sends what rustls has to send, as far as the socket takes it now;
/// whether all went.
fn flush_tls(session: &mut ServerConnection, stream: &TcpStream) -> Result<bool, Errno> {
    while session.wants_write() {
        match session.write_tls(&mut Nonblocking::new(stream)) {
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(errno(&e)),
        }
    }
    Ok(true)
}

/// Takes in the records that have arrived; the alert for a bad one goes
/// out, and the connection fails.
fn process(session: &mut ServerConnection, stream: &TcpStream) -> io::Result<()> {
    if let Err(e) = session.process_new_packets() {
        let _ = flush_tls(session, stream);
        return Err(io::Error::new(io::ErrorKind::InvalidData, e));
    }
    Ok(())
}

impl Connection {
    /// Whether the connection speaks TLS.
    pub(crate) fn is_secure(&self) -> bool {
        self.tls.is_some()
    }

    /// Reads what has arrived without blocking: `EAGAIN` if nothing has,
    /// `Ok(0)` at the end. A TLS connection's handshake goes on here, its
    /// answers sent as far as the socket takes them; less than `buf` means
    /// that the socket has been read to its end for now.
    pub(crate) fn recv_now(&self, buf: &mut [u8]) -> Result<usize, Errno> {
        let Some(tls) = &self.tls else { return recv(self.stream.as_raw_fd(), buf, MsgFlags::MSG_DONTWAIT) };
        let mut session = lock(tls);
        let mut filled = 0;
        let mut socket = Nonblocking::new(&self.stream);
        loop {
            match session.reader().read(&mut buf[filled..]) {
                Ok(0) => return Ok(filled),
                Ok(n) => {
                    filled += n;
                    if filled == buf.len() {
                        return Ok(filled);
                    }
                    continue;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                // The peer closed without close_notify: the end.
                Err(_) => return Ok(filled),
            }
            if socket.drained {
                // Everything that had arrived is taken: edge-triggered, the
                // next bytes bring an event.
                return if filled > 0 { Ok(filled) } else { Err(Errno::EAGAIN) };
            }
            match session.read_tls(&mut socket) {
                Ok(0) => return Ok(filled),
                Ok(_) => {
                    process(&mut session, &self.stream).map_err(|_| Errno::EPROTO)?;
                    flush_tls(&mut session, &self.stream)?;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    return if filled > 0 { Ok(filled) } else { Err(Errno::EAGAIN) };
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(errno(&e)),
            }
        }
    }

    /// Sends without blocking: how much of `buf` was taken, or `EAGAIN`.
    /// A TLS connection takes nothing while records wait to be sent.
    pub(crate) fn send_now(&self, buf: &[u8]) -> Result<usize, Errno> {
        let Some(tls) = &self.tls else {
            return send(self.stream.as_raw_fd(), buf, MsgFlags::MSG_DONTWAIT | MsgFlags::MSG_NOSIGNAL);
        };
        let mut session = lock(tls);
        if !flush_tls(&mut session, &self.stream)? {
            return Err(Errno::EAGAIN);
        }
        let chunk = &buf[..buf.len().min(TLS_WRITE_CHUNK)];
        let taken = session.writer().write(chunk).map_err(|e| errno(&e))?;
        flush_tls(&mut session, &self.stream)?;
        Ok(taken)
    }

    /// Sends the TLS records waiting, as far as the socket takes them now;
    /// whether none waits.
    pub(crate) fn flush_now(&self) -> Result<bool, Errno> {
        match &self.tls {
            Some(tls) => flush_tls(&mut lock(tls), &self.stream),
            None => Ok(true),
        }
    }

    /// Whether TLS records wait to be sent.
    pub(crate) fn sending(&self) -> bool {
        self.tls.as_ref().is_some_and(|tls| lock(tls).wants_write())
    }

    /// Ends a TLS connection's session (close_notify), as far as the
    /// socket takes it now.
    pub(crate) fn say_goodbye(&self) {
        if let Some(tls) = &self.tls {
            let mut session = lock(tls);
            session.send_close_notify();
            let _ = flush_tls(&mut session, &self.stream);
        }
    }
}

// A connection is read and written through shared references, so that its
// reading half, its writing half and the police share one socket (tiny-http
// duplicated the descriptor, which fails when descriptors run out). These
// block, within the socket's timeouts.
impl Read for &Connection {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let Some(tls) = &self.tls else { return (&self.stream).read(buf) };
        let mut session = lock(tls);
        loop {
            match session.reader().read(buf) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(0),
                done => return done,
            }
            if session.read_tls(&mut &self.stream)? == 0 {
                return Ok(0);
            }
            process(&mut session, &self.stream)?;
            while session.wants_write() {
                session.write_tls(&mut &self.stream)?;
            }
        }
    }
}

impl Write for &Connection {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let Some(tls) = &self.tls else { return (&self.stream).write(buf) };
        let mut session = lock(tls);
        while session.wants_write() {
            session.write_tls(&mut &self.stream)?;
        }
        let taken = session.writer().write(&buf[..buf.len().min(TLS_WRITE_CHUNK)])?;
        while session.wants_write() {
            session.write_tls(&mut &self.stream)?;
        }
        Ok(taken)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl std::os::fd::AsFd for Connection {
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.stream.as_fd()
    }
}

impl std::os::fd::AsRawFd for Connection {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        self.stream.as_raw_fd()
    }
}

impl Connection {
    /// Ends the connection now, what it has not sent discarded: a reset
    /// once the socket closes (SO_LINGER of zero), where `shutdown` alone
    /// would let the kernel deliver the queued answers for as long as the
    /// client takes them.
    pub(crate) fn abort(&self) {
        let linger = nix::libc::linger { l_onoff: 1, l_linger: 0 };
        let _ = nix::sys::socket::setsockopt(&self.stream, nix::sys::socket::sockopt::Linger, &linger);
        let _ = self.shutdown(Shutdown::Both);
    }

    /// Sets the timeout of each read and write.
    pub(crate) fn set_timeouts(&self, timeout: Option<std::time::Duration>) -> io::Result<()> {
        self.stream.set_read_timeout(timeout)?;
        self.stream.set_write_timeout(timeout)
    }

    /// Whether the client has closed its side of the connection, or the
    /// connection has failed: a peek that neither waits nor takes a byte
    /// (end of stream is a closed side; bytes waiting, or none yet, are not).
    pub(crate) fn peer_gone(&self) -> bool {
        let mut byte = [0u8; 1];
        match recv(self.stream.as_raw_fd(), &mut byte, MsgFlags::MSG_PEEK | MsgFlags::MSG_DONTWAIT) {
            Ok(0) => true,
            Ok(_) => false,
            Err(e) => e != Errno::EAGAIN && e != Errno::EINTR,
        }
    }

    pub(crate) fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.stream.shutdown(how)
    }
}

impl From<TcpStream> for Connection {
    fn from(stream: TcpStream) -> Self {
        Connection { stream, tls: None }
    }
}
