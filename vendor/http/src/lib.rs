//! # Simple usage
//!
//! camcgi's HTTP/1.1 front: an event loop (see `util/event_loop.rs`) serves
//! every connection and calls the handler given to `Server::serve`, and
//! every connection is bounded by construction (`Limits`, see
//! `util/watch.rs`). It grew from tiny-http 0.12.0 (vendor/README.md).
//!
//! ```no_run
//! use std::sync::Arc;
//! let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
//! let handler: camcgi_http::Handler = Arc::new(|request: camcgi_http::Request| {
//!     let _ = request.respond(camcgi_http::Response::from_data("hello"));
//! });
//! let server = camcgi_http::Server::serve(listener, camcgi_http::Limits::default(), handler).unwrap();
//! ```
//!
//! ## Handling requests
//!
//! The `Request` object contains informations about the client's request.
//! The most useful methods are probably `request.method()` and `request.url()` which return
//! the requested method (`GET`, `POST`, etc.) and url.
//!
//! To handle a request, you need to create a `Response` object. See the docs of this object for
//! more infos. All that remains to do is call `request.respond()`.

#![forbid(unsafe_code)]
#![deny(rust_2018_idioms)]
#![allow(clippy::match_like_matches_macro)]

use std::io::Error as IoError;
use std::io::Result as IoResult;
use std::net::{Shutdown, TcpStream};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use connection::Connection;
use util::{EventLoop, Registry};

pub use client::check_head;
pub use common::{HTTPVersion, Header, HeaderField, Method, StatusCode};
pub use connection::Listener;
pub use request::{ReadWrite, Request};
pub use response::{Response, ResponseBox};
pub use util::Limits;

mod client;
mod common;
mod connection;
mod request;
mod response;
mod util;

/// camcgi: an `accept` error that means the listening socket itself is unusable
/// (Linux errno values, the same on every architecture camcgi runs on).
fn listener_gone(e: &IoError) -> bool {
    const EBADF: i32 = 9;
    const EINVAL: i32 = 22;
    const ENOTSOCK: i32 = 88;
    const EOPNOTSUPP: i32 = 95;
    matches!(e.raw_os_error(), Some(EBADF | EINVAL | ENOTSOCK | EOPNOTSUPP))
}

/// camcgi: an `accept` error that passes when descriptors or memory come back.
fn out_of_resources(e: &IoError) -> bool {
    const ENOMEM: i32 = 12;
    const ENFILE: i32 = 23;
    const EMFILE: i32 = 24;
    const ENOBUFS: i32 = 105;
    matches!(e.raw_os_error(), Some(ENOMEM | ENFILE | EMFILE | ENOBUFS))
}

/// What answers the requests: called on one of the event loop's threads,
/// once per request, one request of a connection at a time. A request it
/// drops unanswered is answered 500.
pub type Handler = Arc<dyn Fn(Request) + Send + Sync>;

/// A listening socket, its accepted connections and the threads that serve them.
///
/// Dropping it closes the listening socket; the connections already accepted
/// go on, within their limits, until they end.
pub struct Server {
    registry: Arc<Registry>,
    listening_addr: std::net::SocketAddr,
}

// The server is shared between threads.
const _: fn() = || {
    fn shared<T: Sync + Send>() {}
    shared::<Server>();
};

impl Server {
    /// camcgi: serves `listener`: each accepted connection gets
    /// `limits.timeout` as its read and write timeout, is bounded as `Limits`
    /// says, and is served by the event loop; `handler` answers its requests.
    pub fn serve<L: Into<Listener>>(listener: L, limits: Limits, handler: Handler) -> IoResult<Server> {
        let listener = listener.into();
        let listening_addr = listener.local_addr()?;
        log::debug!("Server listening on {}", listening_addr);
        let registry = Registry::new(limits);
        let event_loop = EventLoop::start(registry.clone(), handler)?;

        let policing = registry.clone();
        thread::Builder::new().name("http-police".into()).spawn(move || policing.police())?;

        let accepting = registry.clone();
        let accept = thread::Builder::new().name("http-accept".into()).spawn(move || {
            accept_loop(&listener, &accepting, &event_loop);
            // The listening socket closes here; the police and the event
            // loop end with the last connection.
            accepting.stop_admitting();
            event_loop.wake_if_ended();
        });
        if let Err(e) = accept {
            registry.stop_admitting();
            return Err(e);
        }
        Ok(Server { registry, listening_addr })
    }

    /// Returns the address the server is listening to.
    #[inline]
    pub fn server_addr(&self) -> std::net::SocketAddr {
        self.listening_addr
    }

    /// camcgi: ends the accept loop, which closes the listening socket; the
    /// connections already accepted go on within their limits. (Upstream did
    /// this only on drop, which also dropped the queue of their requests.)
    pub fn stop_accepting(&self) {
        if !self.registry.stop_admitting() {
            return;
        }
        // Connect briefly to ourselves to unblock the accept thread
        if let Ok(stream) = TcpStream::connect(self.listening_addr).map(Connection::from) {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }

    /// camcgi: the connections open now.
    pub fn connections(&self) -> usize {
        self.registry.connections()
    }

    /// camcgi: stops accepting, closes the connections waiting for a request,
    /// and the others once their answer is written; waits for them all for
    /// `limit` at most. Whether they all ended.
    pub fn close(&self, limit: Duration) -> bool {
        self.stop_accepting();
        self.registry.close();
        self.registry.wait_empty(limit)
    }
}

/// Accepts connections until the registry stops admitting them, or until the
/// listening socket fails.
fn accept_loop(listener: &Listener, registry: &Arc<Registry>, event_loop: &EventLoop) {
    let timeout = registry.limits().timeout;
    let mut last_warning: Option<Instant> = None;
    while registry.admitting() {
        match listener.accept() {
            Ok((socket, peer)) => {
                if !registry.admitting() {
                    break;
                }
                // camcgi: the timeouts go on the connection, never the listener.
                if socket.set_timeouts(timeout).is_err() {
                    continue;
                }
                let socket = Arc::new(socket);
                let Some(watch) = registry.admit(socket.clone(), peer.map(|p| p.ip())) else { break };
                event_loop.add(socket, peer, watch);
            }
            // camcgi: upstream ended the accept loop on any error. Only a
            // listener that is gone ends it now; running out of descriptors
            // or memory waits a moment, and the warning comes at most once a
            // minute.
            Err(e) if !listener_gone(&e) => {
                if out_of_resources(&e) {
                    if last_warning.is_none_or(|t| t.elapsed() >= Duration::from_secs(60)) {
                        log::warn!("accepting connections: {} (retrying)", e);
                        last_warning = Some(Instant::now());
                    }
                    thread::sleep(Duration::from_millis(100));
                }
            }
            Err(e) => {
                log::error!("listening socket failed: {}", e);
                break;
            }
        }
    }
    log::debug!("Terminating accept thread");
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop_accepting();
    }
}
