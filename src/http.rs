//! The HTTP front: tiny-http accepts and parses, a fixed pool of workers answers.
//!
//! Every request is answered by camcgi itself (tiny-http answers 500 to a request
//! dropped unanswered, which must never happen), and work that must follow the
//! answer (reboot, factory reset, a new port) runs only after the answer is flushed.

use crate::app::{lock, App};
use crate::firmware::{self, Length, Upload};
use crate::guard::{self, Activity, Limits};
use crate::origin::{Browser, CROSS_SITE_REFUSED, HOST_REFUSED};
use crate::query::redacted;
use crate::routes::{dispatch, After, Body, Incoming, Method, Reply};
use crate::xml::Fault;
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::sync::{Arc, Condvar, Mutex, RwLock};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};
use tiny_http::{Header, Response, Server};

/// One tiny-http server over one listening socket; a generation is replaced
/// when the port changes. (The vendored tiny-http's accept loop goes on
/// through transient accept errors, and sets the timeouts on each connection.)
struct Generation {
    server: Server,
    /// Workers still serving this generation.
    serving: Mutex<usize>,
    left: Condvar,
}

impl Generation {
    fn new(listener: TcpListener, workers: usize, timeout: Option<Duration>) -> io::Result<Generation> {
        let server = Server::from_listener_timed(listener, timeout).map_err(io::Error::other)?;
        Ok(Generation { server, serving: Mutex::new(workers), left: Condvar::new() })
    }

    fn worker_left(&self) {
        let mut serving = self.serving.lock().unwrap_or_else(|p| p.into_inner());
        *serving = serving.saturating_sub(1);
        self.left.notify_all();
    }
}

/// An error from `recv` that only means "look again" (a deliberate unblock).
fn is_unblock(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::Other && e.to_string() == "thread unblocked"
}

/// The listener in use and the workers serving it.
struct Front {
    app: Arc<App>,
    current: RwLock<Arc<Generation>>,
    stop: AtomicBool,
    workers: usize,
    /// Old generations still answering their open connections.
    drainers: Mutex<Vec<(Arc<Generation>, JoinHandle<()>)>>,
    /// A draining generation ends after this long without a request: by then
    /// every connection it had has timed out or closed.
    quiet: Duration,
    /// Read and write timeout of every connection.
    timeout: Option<Duration>,
    /// Requests being answered, for the connection guard.
    activity: Activity,
    limits: Limits,
    /// The accepted connections, for the guard and for refusing bodies.
    lister: Mutex<crate::sockets::Lister>,
}

/// Marks a request as being answered for as long as it lives.
struct Answering<'f> {
    activity: &'f Activity,
    peer: Option<SocketAddr>,
}

impl<'f> Answering<'f> {
    fn begin(activity: &'f Activity, request: &tiny_http::Request) -> Answering<'f> {
        let peer = request.remote_addr().copied();
        activity.begin(peer, Instant::now());
        Answering { activity, peer }
    }
}

impl Drop for Answering<'_> {
    fn drop(&mut self) {
        self.activity.end(self.peer, Instant::now());
    }
}

/// Whether the request declares a body (tiny-http buffers one of up to 1 KiB
/// sent without `Expect`; any other is still in the socket).
fn has_body(request: &tiny_http::Request) -> bool {
    request.body_length().is_some_and(|n| n > 0) || request.headers().iter().any(|h| h.field.equiv("Transfer-Encoding"))
}

impl Front {
    fn current(&self) -> Arc<Generation> {
        self.current.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn port(&self) -> u16 {
        self.current().server.server_addr().to_ip().map_or(0, |a| a.port())
    }

    /// Serves from `listener` from now on (a new port).
    fn swap(self: &Arc<Self>, listener: TcpListener) {
        let mut current = self.current.write().unwrap_or_else(|p| p.into_inner());
        self.replace(&mut current, listener);
    }

    /// Builds a generation on a new listener and installs it.
    fn replace(self: &Arc<Self>, current: &mut Arc<Generation>, listener: TcpListener) {
        match Generation::new(listener, self.workers, self.timeout) {
            Ok(g) => self.install(current, Arc::new(g)),
            Err(e) => log::error!("new listener unusable: {e}"),
        }
    }

    /// Installs a new generation; the old one's workers move over and a drainer
    /// answers what its connections still send.
    fn install(self: &Arc<Self>, current: &mut Arc<Generation>, generation: Arc<Generation>) {
        let addr = generation.server.server_addr();
        let old = std::mem::replace(current, generation);
        // The old port closes now; what its open connections still send is answered.
        old.server.stop_accepting();
        for _ in 0..self.workers {
            old.server.unblock();
        }
        log::debug!("serving {addr} with a new listener generation");
        let front = self.clone();
        let draining = old.clone();
        match thread::Builder::new().name("drainer".into()).spawn(move || front.drain(&draining)) {
            Ok(handle) => {
                let mut drainers = self.drainers.lock().unwrap_or_else(|p| p.into_inner());
                drainers.retain(|(_, h)| !h.is_finished());
                drainers.push((old, handle));
            }
            Err(e) => log::error!("no drainer for the old listener: {e}"),
        }
    }

    /// Answers an old generation's remaining requests once its workers have moved on.
    fn drain(self: &Arc<Self>, old: &Generation) {
        {
            let mut serving = old.serving.lock().unwrap_or_else(|p| p.into_inner());
            while *serving > 0 && !self.stop.load(Ordering::SeqCst) {
                serving = old.left.wait_timeout(serving, Duration::from_millis(200)).map_or_else(|p| p.into_inner().0, |r| r.0);
            }
        }
        // `recv_timeout` also returns early on a leftover unblock: only a real
        // quiet period ends the drain, or a request queued after it would be
        // orphaned (and answered 500 by tiny-http when its queue is dropped).
        let mut last = Instant::now();
        while !self.stop.load(Ordering::SeqCst) {
            match old.server.recv_timeout(self.quiet) {
                Ok(Some(request)) => {
                    self.answer(request);
                    last = Instant::now();
                }
                Ok(None) | Err(_) if last.elapsed() >= self.quiet => break,
                Ok(None) | Err(_) => {}
            }
        }
    }

    fn wake_all(&self) {
        let generation = self.current();
        for _ in 0..self.workers {
            generation.server.unblock();
        }
        for (old, _) in self.drainers.lock().unwrap_or_else(|p| p.into_inner()).iter() {
            old.server.unblock();
        }
    }

    fn work(self: &Arc<Self>) {
        let mut generation = self.current();
        while !self.stop.load(Ordering::SeqCst) {
            let now = self.current();
            if !Arc::ptr_eq(&generation, &now) {
                generation.worker_left();
                generation = now;
            }
            match generation.server.recv() {
                Ok(request) => self.answer(request),
                Err(e) if is_unblock(&e) => {}
                // The listening socket itself failed: nothing more will come from it.
                Err(e) => log::error!("listener failed: {e}"),
            }
        }
        generation.worker_left();
    }

    /// Stops reading a request body camcgi will not use: without this,
    /// tiny-http reads the rest of it, as long as the client keeps sending,
    /// before the connection's next request. What is already queued is still
    /// read, so the client sees the answer rather than a reset.
    fn refuse_body(&self, request: &mut tiny_http::Request) {
        // Nothing more can be read from the connection: the answer says so.
        request.close_connection();
        let Some(&peer) = request.remote_addr() else { return };
        let port = self.port();
        let found = lock(&self.lister).find(port, peer);
        if let Some(connection) = found {
            crate::sockets::shut(connection, port, nix::sys::socket::Shutdown::Read);
        }
    }

    fn answer(self: &Arc<Self>, mut request: tiny_http::Request) {
        let _answering = Answering::begin(&self.activity, &request);
        let method = match request.method() {
            tiny_http::Method::Get => Method::Get,
            tiny_http::Method::Head => Method::Head,
            tiny_http::Method::Post => Method::Post,
            tiny_http::Method::Options => Method::Options,
            _ => Method::Other,
        };
        let path = request.url().split('?').next().unwrap_or("").to_string();
        if !self.app.sites.host_allowed(request_header(&request, "Host")) {
            respond(request, Reply::fault(&path, &Fault::new(403, HOST_REFUSED)));
            return;
        }
        if request.bad_framing() {
            // tiny-http read no body and ends the connection after this answer.
            respond(request, Reply::fault(&path, &Fault::new(400, "content length error")));
            return;
        }
        if firmware::UPLOAD_PATHS.contains(&path.as_str()) {
            return self.upload(request, method, &path);
        }
        if let Some(asset) = crate::web::find(&path) {
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
            self.refuse_body(&mut request);
        }
        let after = respond(request, reply);
        if let Some(after) = after {
            self.after(after);
        }
    }

    /// A file of the web page: gzip-compressed, 304 when the browser has it already.
    fn page(&self, mut request: tiny_http::Request, method: Method, asset: &'static crate::web::Asset) {
        if has_body(&request) {
            self.refuse_body(&mut request);
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
        let mut response = Response::from_data(body).with_status_code(status).with_chunked_threshold(usize::MAX);
        let headers = [
            header_line("Content-Type", asset.content_type),
            header_line("Cache-Control", "no-cache"),
            header_line("ETag", asset.etag),
            header_line("Vary", "Accept-Encoding"),
            (!fresh).then(|| header_line("Content-Encoding", "gzip")).flatten(),
        ];
        let security = crate::web::SECURITY_HEADERS.iter().map(|(name, value)| header_line(name, value));
        for h in headers.into_iter().chain(security).flatten() {
            response.add_header(h);
        }
        log::debug!("{} {} -> {status}", request.method(), asset.path);
        if let Err(e) = request.respond(response) {
            log::debug!("page not delivered: {e}");
        }
    }

    /// The firmware upload paths take POST (and OPTIONS for CORS) and read the body.
    fn upload(self: &Arc<Self>, mut request: tiny_http::Request, method: Method, path: &str) {
        let _answering = Answering::begin(&self.activity, &request);
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
            self.refuse_body(&mut request);
        }
        if let Some(after) = respond(request, reply) {
            self.after(after);
        }
    }

    fn rebind(self: &Arc<Self>, listener: TcpListener) {
        if let Err(e) = set_no_delay(&listener) {
            log::warn!("TCP_NODELAY not set on the new port: {e}");
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
    let mut response = Response::from_data(reply.body).with_status_code(reply.status).with_chunked_threshold(usize::MAX);
    let headers = [
        header_line("Content-Type", content_type),
        header_line("Cache-Control", "no-store"),
        reply.challenge.then(|| header_line("WWW-Authenticate", "Basic realm=\"camcgi\"")).flatten(),
        reply.allow.and_then(|allow| header_line("Allow", allow)),
    ];
    let cors = reply.cors.as_deref().map(|origin| {
        [
            header_line("Access-Control-Allow-Origin", origin),
            header_line("Vary", "Origin"),
            header_line("Access-Control-Allow-Methods", "POST, OPTIONS"),
            // The document's own page sends Access-Control-Allow-Origin as a request header.
            header_line(
                "Access-Control-Allow-Headers",
                "Authorization, Content-Type, Cache-Control, Access-Control-Allow-Origin",
            ),
            header_line("Access-Control-Max-Age", "600"),
        ]
    });
    for h in headers.into_iter().chain(cors.into_iter().flatten()).flatten() {
        response.add_header(h);
    }
    if let Err(e) = request.respond(response) {
        log::debug!("answer not delivered: {e}");
    }
    reply.after
}

/// How the server runs.
#[derive(Debug, Clone)]
pub struct Options {
    /// Worker threads answering requests.
    pub workers: usize,
    /// How often periodic work (the PTZ watchdog) runs.
    pub tick: Duration,
    /// Read and write timeout of every connection; `None` waits for ever.
    /// A connection must also complete each request within it.
    pub timeout: Option<Duration>,
    /// Open connections kept at most (see [`guard`]).
    pub max_connections: usize,
}

/// How often the heap's free pages go back to the system. Snapshots and
/// uploads free large buffers between small live allocations, where glibc
/// would keep the pages; a pass over a few megabytes of heap takes well under
/// a millisecond.
const HEAP_TRIM: Duration = Duration::from_secs(30);

/// How often the connection guard looks at the connections.
const PATROL: Duration = Duration::from_millis(200);

/// Sets TCP_NODELAY on a listening socket; the connections it accepts
/// inherit it. Answers go out at once: Nagle's algorithm would hold a
/// response's last segment back for the client's delayed ACK (40 ms on
/// keep-alive).
fn set_no_delay(listener: &TcpListener) -> nix::Result<()> {
    nix::sys::socket::setsockopt(listener, nix::sys::socket::sockopt::TcpNoDelay, &true)
}

/// A running camera server.
pub struct Running {
    front: Arc<Front>,
    threads: Vec<JoinHandle<()>>,
    stop_ticks: Sender<()>,
    stop_guard: Sender<()>,
}

impl Running {
    /// Starts the workers and the periodic work on a bound listener.
    pub fn start(app: Arc<App>, listener: TcpListener, options: &Options) -> io::Result<Running> {
        set_no_delay(&listener).map_err(io::Error::from)?;
        let workers = options.workers.max(1);
        let generation = Generation::new(listener, workers, options.timeout)?;
        log::info!("listening on {}", generation.server.server_addr());
        let front = Arc::new(Front {
            app,
            current: RwLock::new(Arc::new(generation)),
            stop: AtomicBool::new(false),
            workers,
            drainers: Mutex::new(Vec::new()),
            quiet: options.timeout.map_or(Duration::from_secs(60), |t| t * 2 + Duration::from_secs(1)),
            timeout: options.timeout,
            activity: Activity::default(),
            lister: Mutex::new(crate::sockets::Lister::default()),
            limits: Limits { request_time: options.timeout, max_connections: options.max_connections.max(1) },
        });
        let mut threads = Vec::with_capacity(workers + 1);
        for i in 0..workers {
            let front = front.clone();
            threads.push(thread::Builder::new().name(format!("worker-{i}")).spawn(move || front.work())?);
        }
        let (stop_ticks, ticks) = mpsc::channel::<()>();
        let ticking = front.clone();
        let tick = options.tick;
        threads.push(thread::Builder::new().name("ticker".into()).spawn(move || {
            let mut trimmed = Instant::now();
            while let Err(RecvTimeoutError::Timeout) = ticks.recv_timeout(tick) {
                ticking.app.tick();
                if trimmed.elapsed() >= HEAP_TRIM {
                    crate::heap::give_back_free_memory();
                    trimmed = Instant::now();
                }
            }
        })?);
        let (stop_guard, stopped) = mpsc::channel::<()>();
        let guarding = front.clone();
        threads.push(thread::Builder::new().name("guard".into()).spawn(move || {
            while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(PATROL) {
                let mut lister = lock(&guarding.lister);
                guard::patrol(&guarding.activity, &mut lister, guarding.port(), &guarding.limits);
            }
        })?);
        Ok(Running { front, threads, stop_ticks, stop_guard })
    }

    /// The port served now.
    pub fn port(&self) -> u16 {
        self.front.port()
    }

    /// The camera's state.
    pub fn app(&self) -> &Arc<App> {
        &self.front.app
    }

    /// Stops accepting, lets the workers finish their requests, and waits for them.
    pub fn stop(self) {
        self.front.stop.store(true, Ordering::SeqCst);
        self.front.wake_all();
        let _ = self.stop_ticks.send(());
        let _ = self.stop_guard.send(());
        for t in self.threads {
            let _ = t.join();
        }
        let drainers = std::mem::take(&mut *self.front.drainers.lock().unwrap_or_else(|p| p.into_inner()));
        for (_, handle) in drainers {
            let _ = handle.join();
        }
        log::info!("stopped");
    }
}
