//! The HTTP front: tiny-http accepts, parses and bounds every connection, and
//! its event loop calls the handler here for each request.
//!
//! Every request is answered by camcgi itself (tiny-http answers 500 to a request
//! dropped unanswered, which must never happen), and work that must follow the
//! answer (reboot, factory reset, a new port) runs only after the answer is flushed.

pub mod discovery;
mod exchange;

use crate::interfaces::call::After;
use crate::interfaces::camera::App;
use crate::state::app::lock;
use camcgi_http::{Handler, Limits, Listener, Server};
use std::io;
use std::net::{SocketAddr, TcpListener};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex, RwLock};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// The listener in use, and those of earlier ports while their connections last.
struct Front {
    app: Arc<App>,
    /// Always some once started.
    current: RwLock<Option<Arc<Server>>>,
    /// Servers of earlier ports: closed to new connections, their open ones
    /// answered until they end (by the request timeout at the latest).
    draining: Mutex<Vec<Arc<Server>>>,
    limits: Limits,
    /// The port discovery gives out, kept current across port changes.
    discovery_port: Mutex<Option<Arc<std::sync::atomic::AtomicU16>>>,
    /// The HTTPS listener, if HTTPS is served.
    https: std::sync::OnceLock<Server>,
}

/// How long `stop` waits for the requests being answered.
const STOP_WAIT: Duration = Duration::from_secs(30);

impl Front {
    fn current(&self) -> Option<Arc<Server>> {
        self.current.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn port(&self) -> u16 {
        self.current().map_or(0, |s| s.server_addr().port())
    }

    /// What tiny-http calls for each request, on one of its event loop's threads.
    /// It holds the front weakly: a stopped camera's state is freed even
    /// while a thread of the event loop still winds down.
    fn handler(self: &Arc<Self>) -> Handler {
        let front = Arc::downgrade(self);
        Arc::new(move |request| {
            if let Some(front) = front.upgrade() {
                if let Some(after) = exchange::answer(&front.app, request) {
                    front.after(after);
                }
            }
        })
    }

    /// Serves from `listener` from now on (a new port). The old port closes
    /// now; what its open connections still send is answered.
    fn swap(self: &Arc<Self>, listener: TcpListener) {
        let server = match Server::serve(listener, self.limits, self.handler()) {
            Ok(server) => Arc::new(server),
            Err(e) => return log::error!("new listener unusable: {e}"),
        };
        let addr = server.server_addr();
        let old = self.current.write().unwrap_or_else(|p| p.into_inner()).replace(server);
        let mut draining = lock(&self.draining);
        draining.retain(|s| s.connections() > 0);
        if let Some(old) = old {
            old.stop_accepting();
            draining.push(old);
        }
        log::debug!("serving {addr}");
    }

    /// Stops every listener; connections waiting for a request close now,
    /// the others once answered.
    fn close(&self) {
        let draining = std::mem::take(&mut *lock(&self.draining));
        let https = self.https.get().map(|s| s as &Server);
        for server in draining.iter().map(|s| &**s).chain(self.current().as_deref()).chain(https) {
            if !server.close(STOP_WAIT) {
                log::warn!("requests still being answered at stop");
            }
        }
    }

    fn rebind(self: &Arc<Self>, listener: TcpListener) {
        if let Err(e) = tune_listener(&listener) {
            log::warn!("connection options not set on the new port: {e}");
        }
        self.swap(listener);
        if let Some(port) = lock(&self.discovery_port).as_ref() {
            port.store(self.port(), std::sync::atomic::Ordering::Relaxed);
        }
    }

    fn after(self: &Arc<Self>, after: After) {
        match after {
            After::Reboot => {
                log::warn!("rebooting");
                if let Err(e) = lock(&self.app.system).reboot() {
                    log::error!("reboot failed: {e}");
                }
            }
            After::FactoryReset { retain_network } => {
                self.app.factory_reset(retain_network);
                let port = lock(&self.app.network).config.port;
                if port != self.port() {
                    match TcpListener::bind(SocketAddr::new(self.app.listen.ip(), port)) {
                        Ok(listener) => self.rebind(listener),
                        Err(e) => log::error!("port {port} after factory reset: {e}"),
                    }
                }
            }
            After::Rebind(listener) => self.rebind(listener),
        }
    }
}

/// How often the heap's free pages go back to the system. Snapshots and
/// uploads free large buffers between small live allocations, where glibc
/// would keep the pages; a pass over a few megabytes of heap takes well under
/// a millisecond.
const HEAP_TRIM: Duration = Duration::from_secs(30);

/// Kernel memory a connection's unsent answers may take (Linux doubles the
/// figure for its own bookkeeping). Left to autotuning, a client that
/// pipelines requests and reads nothing had 400 KB of answers queued for it
/// in the kernel, beyond any deadline of camcgi's; with this bound its writes
/// block, and the answer's deadline ends it.
const SEND_BUFFER: usize = 32 * 1024;

/// Sets the options of every connection on the listening socket, which the
/// accepted connections inherit: TCP_NODELAY, so that answers go out at once
/// (Nagle's algorithm held a response's last segment back for the client's
/// delayed ACK, 40 ms on keep-alive), and the send buffer's bound.
pub(crate) fn tune_listener(listener: &TcpListener) -> nix::Result<()> {
    use nix::sys::socket::{setsockopt, sockopt};
    setsockopt(listener, sockopt::TcpNoDelay, &true)?;
    setsockopt(listener, sockopt::SndBuf, &SEND_BUFFER)
}

/// A running camera server.
pub struct Running {
    front: Arc<Front>,
    discovery: Option<discovery::Responder>,
    ticker: JoinHandle<()>,
    stop_ticks: Sender<()>,
    notifier: crate::interfaces::onvif::notifier::Notifier,
}

impl Running {
    /// Serves a bound listener, and starts the periodic work.
    pub fn start(app: Arc<App>, listener: TcpListener, https: Option<Listener>, config: &crate::Config) -> io::Result<Running> {
        tune_listener(&listener).map_err(io::Error::from)?;
        let limits = Limits { timeout: config.timeout, max_connections: config.max_connections.max(1) };
        let front = Arc::new(Front {
            app,
            current: RwLock::new(None),
            draining: Mutex::new(Vec::new()),
            limits,
            discovery_port: Mutex::new(None),
            https: std::sync::OnceLock::new(),
        });
        let server = Server::serve(listener, limits, front.handler())?;
        log::info!("listening on {}", server.server_addr());
        if let Some(listener) = https {
            let server = Server::serve(listener, limits, front.handler())?;
            log::info!("listening on {} (HTTPS)", server.server_addr());
            let _ = front.https.set(server);
        }
        *front.current.write().unwrap_or_else(|p| p.into_inner()) = Some(Arc::new(server));
        let (stop_ticks, ticks) = mpsc::channel::<()>();
        let ticking = front.clone();
        let tick = config.tick;
        let ticker = thread::Builder::new().name("ticker".into()).spawn(move || {
            let mut trimmed = Instant::now();
            while let Err(RecvTimeoutError::Timeout) = ticks.recv_timeout(tick) {
                // A periodic check that panics is tried again on the next tick.
                if std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| ticking.app.tick())).is_err() {
                    log::error!("the periodic checks panicked");
                }
                if trimmed.elapsed() >= HEAP_TRIM {
                    crate::process::heap::give_back_free_memory();
                    trimmed = Instant::now();
                }
            }
        })?;
        let discovery = match config.discovery {
            Some(addr) => {
                let port = Arc::new(std::sync::atomic::AtomicU16::new(front.port()));
                *lock(&front.discovery_port) = Some(port.clone());
                match discovery::Responder::start(front.app.clone(), addr, port) {
                    Ok(responder) => Some(responder),
                    Err(e) => {
                        log::error!("ws-discovery on {addr}: {e}; the camera is not discoverable");
                        None
                    }
                }
            }
            None => None,
        };
        let notifier = crate::interfaces::onvif::notifier::Notifier::start(front.app.clone())?;
        Ok(Running { front, discovery, ticker, stop_ticks, notifier })
    }

    /// The port served now.
    pub fn port(&self) -> u16 {
        self.front.port()
    }

    /// The camera's state.
    pub fn app(&self) -> &Arc<App> {
        &self.front.app
    }

    /// Stops accepting, lets the requests being answered finish, and waits for them.
    pub fn stop(self) {
        if let Some(discovery) = self.discovery {
            discovery.stop();
        }
        self.front.close();
        let _ = self.stop_ticks.send(());
        let _ = self.ticker.join();
        self.notifier.stop(&self.front.app);
        log::info!("stopped");
    }
}
