//! camcgi: the HTTP CGI server of an IP or PTZ camera.
//!
//! The server speaks the camera's CGI API (`/cgi-bin/*` and `/cgi/auth.cgi`)
//! and drives the hardware through [`camcgi_hal`]; it never knows which board
//! it runs on. [`start`] runs it on any [`Board`].

pub mod api;
pub mod front;
pub mod interfaces;
pub mod outbound;
pub mod process;
pub mod router;
pub mod state;

use camcgi_hal::{Board, Monotonic};
use std::io;
use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

pub use front::Running;

/// Default connection timeout: long enough for a browser's keep-alive
/// between page actions, short enough that idle connections (kernel socket
/// buffers each) do not pile up on a 64 MB camera.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(15);
/// Default limit on open connections: a browser opens six, an NVR or VMS a
/// few, and the memory goals are set at 64; at the limit the connection
/// waiting longest for a request is closed, so that the sockets and their
/// buffers stay bounded.
pub const DEFAULT_MAX_CONNECTIONS: usize = 64;

/// How to run the server.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where to listen at first (a persisted `network` port replaces the port).
    pub listen: SocketAddr,
    /// Where settings and accounts live.
    pub data_dir: PathBuf,
    /// Period of the PTZ watchdog check.
    pub tick: Duration,
    /// Read and write timeout of every connection, and the time it has to
    /// send each request head and to take each answer.
    pub timeout: Option<Duration>,
    /// Open connections kept at most.
    pub max_connections: usize,
    /// What firmware upgrades must satisfy.
    pub firmware: interfaces::firmware::Policy,
    /// Origins and host names allowed beyond the camera's own.
    pub sites: api::origin::Sites,
    /// Where WS-Discovery listens (UDP 3702 on a camera); none: not at all.
    pub discovery: Option<SocketAddr>,
    /// Where HTTPS is served (TCP 443 on a camera); none: not at all.
    pub https: Option<SocketAddr>,
}

impl Config {
    /// Defaults for a data directory and a listen address.
    pub fn new(listen: SocketAddr, data_dir: PathBuf) -> Config {
        Config {
            listen,
            data_dir,
            tick: Duration::from_millis(250),
            timeout: Some(DEFAULT_TIMEOUT),
            max_connections: DEFAULT_MAX_CONNECTIONS,
            firmware: Default::default(),
            sites: Default::default(),
            discovery: None,
            https: None,
        }
    }
}

/// Loads the settings, applies them to the board and starts serving.
pub fn start(config: &Config, board: Board, clock: Arc<dyn Monotonic>) -> io::Result<Running> {
    let store = state::store::Store::open(&config.data_dir)?;
    let first = TcpListener::bind(config.listen)?;
    let listen = first.local_addr()?;
    let app = Arc::new(interfaces::camera::App::load(board, store, listen, clock, config.firmware.clone(), config.sites.clone()));
    let port = state::app::lock(&app.network).config.port;
    let listener = if port == listen.port() {
        first
    } else {
        match TcpListener::bind(SocketAddr::new(listen.ip(), port)) {
            Ok(listener) => listener,
            Err(e) => {
                log::error!("configured port {port} unusable ({e}); staying on {}", listen.port());
                first
            }
        }
    };
    let https = match config.https {
        Some(addr) => {
            let listener = TcpListener::bind(addr)?;
            front::tune_listener(&listener).map_err(io::Error::from)?;
            let port = listener.local_addr()?.port();
            let names = app.https_names();
            let identity =
                state::https::Https::load(&app.store, &app.key, &names, port).ok_or_else(|| io::Error::other("no HTTPS certificate"))?;
            let tls = camcgi_tls::server_config(identity.certificates.clone()).map_err(io::Error::other)?;
            let _ = app.https.set(identity);
            Some(camcgi_http::Listener::tls(listener, tls))
        }
        None => None,
    };
    let running = Running::start(app.clone(), listener, https, config)?;
    // The server is up: this firmware booted well, so its slot leaves trial.
    state::app::lock(&app.firmware.unit).confirm_boot();
    Ok(running)
}
