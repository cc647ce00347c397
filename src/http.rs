//! The HTTP front: tiny-http accepts, parses and bounds every connection, and
//! its event loop calls the handler here for each request.
//!
//! Every request is answered by camcgi itself (tiny-http answers 500 to a request
//! dropped unanswered, which must never happen), and work that must follow the
//! answer (reboot, factory reset, a new port) runs only after the answer is flushed.

use crate::app::{lock, App};
use crate::firmware::{self, Length, Upload};
use crate::origin::{Browser, CROSS_SITE_REFUSED, HOST_REFUSED};
use crate::query::redacted;
use crate::routes::{dispatch, After, Body, Incoming, Method, Reply};
use crate::xml::Fault;
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex, RwLock};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};
use tiny_http::{Handler, Header, Limits, Response, Server};

/// The listener in use, and those of earlier ports while their connections last.
struct Front {
    app: Arc<App>,
    /// Always some once started.
    current: RwLock<Option<Arc<Server>>>,
    /// Servers of earlier ports: closed to new connections, their open ones
    /// answered until they end (by the request timeout at the latest).
    draining: Mutex<Vec<Arc<Server>>>,
    limits: Limits,
}

/// Whether the request declares a body (tiny-http buffers one of up to 1 KiB
/// sent without `Expect`; any other is still in the socket).
fn has_body(request: &tiny_http::Request) -> bool {
    request.body_length().is_some_and(|n| n > 0) || request.headers().iter().any(|h| h.field.equiv("Transfer-Encoding"))
}

/// How long `stop` waits for the requests being answered.
const STOP_WAIT: Duration = Duration::from_secs(30);

impl Front {
    fn current(&self) -> Option<Arc<Server>> {
        self.current.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn port(&self) -> u16 {
        self.current().and_then(|s| s.server_addr().to_ip()).map_or(0, |a| a.port())
    }

    /// What tiny-http calls for each request, on one of its event loop's threads.
    /// It holds the front weakly: a stopped camera's state is freed even
    /// while a thread of the event loop still winds down.
    fn handler(self: &Arc<Self>) -> Handler {
        let front = Arc::downgrade(self);
        Arc::new(move |request| {
            if let Some(front) = front.upgrade() {
                front.answer(request);
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
        for server in draining.iter().chain(self.current().as_ref()) {
            if !server.close(STOP_WAIT) {
                log::warn!("requests still being answered at stop");
            }
        }
    }

    fn answer(self: &Arc<Self>, mut request: tiny_http::Request) {
        let method = match request.method() {
            tiny_http::Method::Get => Method::Get,
            tiny_http::Method::Head => Method::Head,
            tiny_http::Method::Post => Method::Post,
            tiny_http::Method::Options => Method::Options,
            _ => Method::Other,
        };
        let path = request.url().split('?').next().unwrap_or("");
        let refusal = if !self.app.sites.host_allowed(request_header(&request, "Host")) {
            Some(Fault::new(403, HOST_REFUSED))
        } else if request.bad_framing() {
            // tiny-http read no body and ends the connection after this answer.
            Some(Fault::new(400, "content length error"))
        } else {
            None
        };
        if let Some(fault) = refusal {
            let reply = Reply::fault(path, &fault);
            respond(request, reply);
            return;
        }
        if firmware::UPLOAD_PATHS.contains(&path) {
            let path = path.to_string();
            return self.upload(request, method, &path);
        }
        if let Some(asset) = crate::web::find(path) {
            return self.page(request, method, asset);
        }
        let peer = request.remote_addr().map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |a| a.ip());
        let incoming = Incoming {
            method,
            url: request.url(),
            peer,
            authorization: request_header(&request, "Authorization"),
            browser: browser(&request),
        };
        let reply = catch_unwind(AssertUnwindSafe(|| dispatch(&self.app, &incoming))).unwrap_or_else(|_| {
            log::error!("handler panicked on {}", redacted(request.url()));
            Reply::fault(request.url().split('?').next().unwrap_or(""), &Fault::new(500, "internal error"))
        });
        log::debug!("{peer} {} {} -> {}", request.method(), redacted(request.url()), reply.status);
        // No interface here takes a body.
        if has_body(&request) {
            request.stop_reading();
        }
        let after = respond(request, reply);
        if let Some(after) = after {
            self.after(after);
        }
    }

    /// A file of the web page: gzip-compressed, 304 when the browser has it already.
    fn page(&self, mut request: tiny_http::Request, method: Method, asset: &'static crate::web::Asset) {
        if has_body(&request) {
            request.stop_reading();
        }
        let header = |name: &'static str| request_header(&request, name);
        if !matches!(method, Method::Get | Method::Head) {
            let fault = Fault::new(405, "method not allowed");
            respond(request, Reply { allow: Some("GET, HEAD"), ..Reply::fault(asset.path, &fault) });
            return;
        }
        if !header("Accept-Encoding").is_some_and(crate::web::accepts_gzip) {
            // Every browser takes gzip; only the compressed files are kept.
            respond(request, Reply::fault(asset.path, &Fault::new(406, "the page is sent gzip-compressed: open it in a browser")));
            return;
        }
        let fresh = header("If-None-Match").is_some_and(|tags| tags.split(',').any(|t| t.trim() == asset.etag));
        let (status, body): (u16, &[u8]) = if fresh { (304, &[]) } else { (200, asset.gzip) };
        let mut response = Response::from_data(body)
            .with_status_code(status)
            .with_chunked_threshold(usize::MAX)
            .with_static_header("Content-Type", asset.content_type)
            .with_static_header("Cache-Control", "no-cache")
            .with_static_header("ETag", asset.etag)
            .with_static_header("Vary", "Accept-Encoding");
        if !fresh {
            response = response.with_static_header("Content-Encoding", "gzip");
        }
        for (name, value) in crate::web::SECURITY_HEADERS {
            response = response.with_static_header(name, value);
        }
        log::debug!("{} {} -> {status}", request.method(), asset.path);
        if let Err(e) = request.respond(response) {
            log::debug!("page not delivered: {e}");
        }
    }

    /// The firmware upload paths take POST (and OPTIONS for CORS) and read the body.
    fn upload(self: &Arc<Self>, mut request: tiny_http::Request, method: Method, path: &str) {
        let mut body_read = false;
        let origin = request_header(&request, "Origin").map(str::to_string);
        let same_site = self.app.sites.same_site(&browser(&request));
        let reply = match method {
            Method::Post if !same_site => Reply::fault(path, &Fault::new(403, CROSS_SITE_REFUSED)),
            Method::Post => {
                // tiny-http vouches for the length (requests of doubtful framing never get here).
                let length = match request.body_length() {
                    Some(n) => Length::Bytes(u64::try_from(n).unwrap_or(u64::MAX)),
                    None => Length::Missing,
                };
                let authorization = request_header(&request, "Authorization").map(str::to_string);
                let peer = request.remote_addr().map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |a| a.ip());
                let url = request.url().to_string();
                let query = url.split_once('?').map_or("", |(_, q)| q);
                let upload = Upload { path, query, peer, authorization: authorization.as_deref(), length };
                let mut body = RequestBody { request: &mut request, ended: false };
                let mut reply = firmware::upload(&self.app, &upload, &mut body);
                body_read = body.ended;
                reply.cors = firmware::allowed_origin(&self.app, origin.as_deref());
                reply
            }
            Method::Options => firmware::preflight(&self.app, path, origin.as_deref()),
            _ => {
                let fault = Fault::new(405, "method not allowed");
                Reply { allow: Some("POST, OPTIONS"), ..Reply::fault(path, &fault) }
            }
        };
        log::info!("{} {path} -> {}", request.method(), reply.status);
        // A refused upload's body, or one sent with another method.
        if !body_read && has_body(&request) {
            request.stop_reading();
        }
        if let Some(after) = respond(request, reply) {
            self.after(after);
        }
    }

    fn rebind(self: &Arc<Self>, listener: TcpListener) {
        if let Err(e) = tune_listener(&listener) {
            log::warn!("connection options not set on the new port: {e}");
        }
        self.swap(listener);
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

/// The body of a tiny-http request; opening it sends `100 Continue` when the
/// client waits for one. `ended` once read to its end.
struct RequestBody<'r> {
    request: &'r mut tiny_http::Request,
    ended: bool,
}

impl io::Read for RequestBody<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.request.as_reader().read(buf)?;
        self.ended |= n == 0 && !buf.is_empty();
        Ok(n)
    }
}

impl firmware::Body for RequestBody<'_> {
    fn open(&mut self) -> &mut dyn io::Read {
        self
    }
}

/// The first value of a request header.
fn request_header<'r>(request: &'r tiny_http::Request, name: &'static str) -> Option<&'r str> {
    request.headers().iter().find(|h| h.field.equiv(name)).map(|h| h.value.as_str())
}

/// The headers that tell a browser's request apart.
fn browser(request: &tiny_http::Request) -> Browser<'_> {
    Browser {
        host: request_header(request, "Host"),
        origin: request_header(request, "Origin"),
        fetch_site: request_header(request, "Sec-Fetch-Site"),
    }
}

fn header_line(name: &str, value: &str) -> Option<Header> {
    Header::from_bytes(name.as_bytes(), value.as_bytes()).ok()
}

/// Sends a reply and hands back the work that follows it.
fn respond(request: tiny_http::Request, reply: Reply) -> Option<After> {
    let content_type = match reply.body_kind {
        Body::Xml => "text/xml; charset=UTF-8",
        Body::PlainXml => "text/plain;charset=utf-8",
        Body::Jpeg => "image/jpeg",
    };
    // Every body's length is known: send Content-Length, never chunks, which
    // some camera clients in the field cannot read.
    let mut response = Response::from_data(reply.body)
        .with_status_code(reply.status)
        .with_chunked_threshold(usize::MAX)
        .with_static_header("Content-Type", content_type)
        .with_static_header("Cache-Control", "no-store");
    if reply.challenge {
        response = response.with_static_header("WWW-Authenticate", "Basic realm=\"camcgi\"");
    }
    if let Some(allow) = reply.allow {
        response = response.with_static_header("Allow", allow);
    }
    if let Some(origin) = reply.cors.as_deref().and_then(|origin| header_line("Access-Control-Allow-Origin", origin)) {
        response.add_header(origin);
        response = response
            .with_static_header("Vary", "Origin")
            .with_static_header("Access-Control-Allow-Methods", "POST, OPTIONS")
            // The document's own page sends Access-Control-Allow-Origin as a request header.
            .with_static_header(
                "Access-Control-Allow-Headers",
                "Authorization, Content-Type, Cache-Control, Access-Control-Allow-Origin",
            )
            .with_static_header("Access-Control-Max-Age", "600");
    }
    if let Err(e) = request.respond(response) {
        log::debug!("answer not delivered: {e}");
    }
    reply.after
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
fn tune_listener(listener: &TcpListener) -> nix::Result<()> {
    use nix::sys::socket::{setsockopt, sockopt};
    setsockopt(listener, sockopt::TcpNoDelay, &true)?;
    setsockopt(listener, sockopt::SndBuf, &SEND_BUFFER)
}

/// A running camera server.
pub struct Running {
    front: Arc<Front>,
    ticker: JoinHandle<()>,
    stop_ticks: Sender<()>,
}

impl Running {
    /// Serves a bound listener, and starts the periodic work.
    pub fn start(app: Arc<App>, listener: TcpListener, config: &crate::Config) -> io::Result<Running> {
        tune_listener(&listener).map_err(io::Error::from)?;
        let limits = Limits { timeout: config.timeout, max_connections: config.max_connections.max(1) };
        let front = Arc::new(Front { app, current: RwLock::new(None), draining: Mutex::new(Vec::new()), limits });
        let server = Server::serve(listener, limits, front.handler())?;
        log::info!("listening on {}", server.server_addr());
        *front.current.write().unwrap_or_else(|p| p.into_inner()) = Some(Arc::new(server));
        let (stop_ticks, ticks) = mpsc::channel::<()>();
        let ticking = front.clone();
        let tick = config.tick;
        let ticker = thread::Builder::new().name("ticker".into()).spawn(move || {
            let mut trimmed = Instant::now();
            while let Err(RecvTimeoutError::Timeout) = ticks.recv_timeout(tick) {
                ticking.app.tick();
                if trimmed.elapsed() >= HEAP_TRIM {
                    crate::heap::give_back_free_memory();
                    trimmed = Instant::now();
                }
            }
        })?;
        Ok(Running { front, ticker, stop_ticks })
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
        self.front.close();
        let _ = self.stop_ticks.send(());
        let _ = self.ticker.join();
        log::info!("stopped");
    }
}
