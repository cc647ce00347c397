//! The server's accepted TCP connections, found among the process's file
//! descriptors. tiny-http owns those sockets and never shows them; camcgi
//! finds them by the port they were accepted on, to close the ones that hold
//! a thread without sending a request, or whose body it will not read.

use nix::sys::socket::{getpeername, getsockname, shutdown, Shutdown, SockaddrStorage};
use std::net::SocketAddr;
use std::os::fd::RawFd;

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
    let local = socket_addr(&getsockname::<SockaddrStorage>(fd).ok()?)?;
    if local.port() != port {
        return None;
    }
    // The listening socket has no peer; outgoing FTP and SMTP connections
    // have another local port.
    socket_addr(&getpeername::<SockaddrStorage>(fd).ok()?)
}

/// Descriptor numbers tried when /proc cannot be listed: listing takes a
/// descriptor itself, and there may be none left (EMFILE).
const SCANNED_WITHOUT_PROC: RawFd = 1024;

/// The connections accepted on `port`, one entry per peer.
pub fn accepted_on(port: u16) -> Vec<Connection> {
    let fds: Vec<RawFd> = match std::fs::read_dir("/proc/self/fd") {
        Ok(dir) => dir
            .flatten()
            .filter(|entry| {
                std::fs::read_link(entry.path())
                    .is_ok_and(|target| target.as_os_str().as_encoded_bytes().starts_with(b"socket:"))
            })
            .filter_map(|entry| entry.file_name().to_str()?.parse().ok())
            .collect(),
        Err(_) => (0..SCANNED_WITHOUT_PROC).collect(),
    };
    let mut found: Vec<Connection> = Vec::new();
    for fd in fds {
        if let Some(peer) = peer_on(fd, port) {
            if !found.iter().any(|c| c.peer == peer) {
                found.push(Connection { fd, peer });
            }
        }
    }
    found
}

/// The connection from `peer` accepted on `port`, if it is still open.
pub fn find(port: u16, peer: SocketAddr) -> Option<Connection> {
    accepted_on(port).into_iter().find(|c| c.peer == peer)
}

/// Shuts a connection down. The descriptor is checked again first: the
/// connection may have closed since it was listed, and its number been
/// given to another socket.
pub fn shut(connection: Connection, port: u16, how: Shutdown) -> bool {
    peer_on(connection.fd, port) == Some(connection.peer) && shutdown(connection.fd, how).is_ok()
}
