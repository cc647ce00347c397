//! The server's accepted TCP connections, found among the process's file
//! descriptors. tiny-http owns those sockets and never shows them; camcgi
//! finds them by the port they were accepted on, to close the ones that hold
//! a thread without sending a request, or whose body it will not read.

use nix::dir::Dir;
use nix::fcntl::OFlag;
use nix::sys::socket::{getpeername, getsockname, shutdown, Shutdown, SockaddrStorage};
use nix::sys::stat::Mode;
use std::net::SocketAddr;
use std::os::fd::{AsRawFd, RawFd};

/// One accepted connection, as one of its descriptors (tiny-http holds two,
/// a reading and a writing half of the same socket).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Connection {
    pub fd: RawFd,
    pub peer: SocketAddr,
}

fn socket_addr(storage: &SockaddrStorage) -> Option<SocketAddr> {
    if let Some(v4) = storage.as_sockaddr_in() {
        return Some(SocketAddr::from((v4.ip(), v4.port())));
    }
    storage.as_sockaddr_in6().map(|v6| SocketAddr::from((v6.ip(), v6.port())))
}

fn peer_on(fd: RawFd, port: u16) -> Option<SocketAddr> {
    // Not a socket: ENOTSOCK, at the cost of one system call.
    let local = socket_addr(&getsockname::<SockaddrStorage>(fd).ok()?)?;
    if local.port() != port {
        return None;
    }
    // The listening socket has no peer; outgoing FTP and SMTP connections
    // have another local port.
    socket_addr(&getpeername::<SockaddrStorage>(fd).ok()?)
}

/// Descriptor numbers tried when /proc/self/fd could not be opened.
const SCANNED_WITHOUT_PROC: RawFd = 1024;

/// Lists the connections. The /proc/self/fd directory stays open and is
/// rewound for each listing: opening it anew took a 32 KiB buffer five times
/// a second, which fragmented the heap, and a descriptor that may not be
/// there to take when the process runs out (EMFILE).
#[derive(Debug)]
pub struct Lister {
    proc_fd: Option<Dir>,
    found: Vec<Connection>,
}

impl Default for Lister {
    fn default() -> Lister {
        let flags = OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC;
        Lister { proc_fd: Dir::open("/proc/self/fd", flags, Mode::empty()).ok(), found: Vec::new() }
    }
}

impl Lister {
    /// The connections accepted on `port`, one entry per peer.
    pub fn accepted_on(&mut self, port: u16) -> &[Connection] {
        let found = &mut self.found;
        found.clear();
        let mut consider = |fd: RawFd| {
            if let Some(peer) = peer_on(fd, port) {
                if !found.iter().any(|c| c.peer == peer) {
                    found.push(Connection { fd, peer });
                }
            }
        };
        match &mut self.proc_fd {
            Some(dir) => {
                let own = dir.as_raw_fd();
                for entry in dir.iter().flatten() {
                    match entry.file_name().to_str().ok().and_then(|n| n.parse::<RawFd>().ok()) {
                        Some(fd) if fd != own => consider(fd),
                        _ => {}
                    }
                }
            }
            None => (0..SCANNED_WITHOUT_PROC).for_each(consider),
        }
        &self.found
    }

    /// The connection from `peer` accepted on `port`, if it is still open.
    pub fn find(&mut self, port: u16, peer: SocketAddr) -> Option<Connection> {
        self.accepted_on(port).iter().find(|c| c.peer == peer).copied()
    }
}

/// Shuts a connection down. The descriptor is checked again first: the
/// connection may have closed since it was listed, and its number been
/// given to another socket.
pub fn shut(connection: Connection, port: u16, how: Shutdown) -> bool {
    peer_on(connection.fd, port) == Some(connection.peer) && shutdown(connection.fd, how).is_ok()
}
