//! The HTTP front: tiny-http accepts and parses, a fixed pool of workers answers.
//!
//! Every request is answered by camcgi itself (tiny-http answers 500 to a request
//! dropped unanswered, which must never happen), and work that must follow the
//! answer (reboot, factory reset, a new port) runs only after the answer is flushed.

use crate::app::{lock, App};
use crate::firmware::{self, Length, Upload};
use crate::query::redacted;
use crate::routes::{dispatch, After, Body, Incoming, Method, Reply};
use crate::xml::Fault;
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::sync::{Arc, RwLock};
use std::thread::{self, JoinHandle};
use std::time::Duration;
use tiny_http::{Header, Response, Server};

/// The listener in use, swapped when the port changes.
struct Front {
    app: Arc<App>,
    server: RwLock<Arc<Server>>,
    stop: AtomicBool,
    workers: usize,
}

impl Front {
    fn current(&self) -> Arc<Server> {
        self.server.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn port(&self) -> u16 {
        self.current().server_addr().to_ip().map_or(0, |a| a.port())
    }

    /// Serves from `listener` from now on; workers waiting on the old one move over.
    fn swap(&self, listener: TcpListener) {
        let new = match Server::from_listener(listener, None) {
            Ok(server) => Arc::new(server),
            Err(e) => {
                log::error!("new listener unusable: {e}");
                return;
            }
        };
        let addr = new.server_addr();
        let old = std::mem::replace(&mut *self.server.write().unwrap_or_else(|p| p.into_inner()), new);
        for _ in 0..self.workers {
            old.unblock();
        }
        log::info!("listening on {addr}");
    }

    fn wake_all(&self) {
        let server = self.current();
        for _ in 0..self.workers {
            server.unblock();
        }
    }

    fn work(&self) {
        while !self.stop.load(Ordering::SeqCst) {
            let server = self.current();
            // An error here is an unblock (stop, or a new listener): look again.
            if let Ok(request) = server.recv() {
                drop(server);
                self.answer(request);
            }
        }
    }

    fn answer(&self, request: tiny_http::Request) {
        let method = match request.method() {
            tiny_http::Method::Get => Method::Get,
            tiny_http::Method::Head => Method::Head,
            tiny_http::Method::Post => Method::Post,
            tiny_http::Method::Options => Method::Options,
            _ => Method::Other,
        };
        let path = request.url().split('?').next().unwrap_or("").to_string();
        if firmware::UPLOAD_PATHS.contains(&path.as_str()) {
            return self.upload(request, method, &path);
        }
        let peer = request.remote_addr().map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |a| a.ip());
        let authorization =
            request.headers().iter().find(|h| h.field.equiv("Authorization")).map(|h| h.value.as_str().to_string());
        let incoming = Incoming { method, url: request.url(), peer, authorization: authorization.as_deref() };
        let reply = catch_unwind(AssertUnwindSafe(|| dispatch(&self.app, &incoming))).unwrap_or_else(|_| {
            log::error!("handler panicked on {}", request.url().split('?').next().unwrap_or(""));
            Reply::fault(request.url().split('?').next().unwrap_or(""), &Fault { status: 500, reason: "internal error".into() })
        });
        let (path, query) = request.url().split_once('?').unwrap_or((request.url(), ""));
        log::debug!("{peer} {} {path}?{} -> {}", request.method(), redacted(query), reply.status);
        let after = respond(request, reply);
        if let Some(after) = after {
            self.after(after);
        }
    }

    /// The firmware upload paths take POST (and OPTIONS for CORS) and read the body.
    fn upload(&self, mut request: tiny_http::Request, method: Method, path: &str) {
        let header = |name: &'static str| -> Vec<String> {
            request.headers().iter().filter(|h| h.field.equiv(name)).map(|h| h.value.as_str().to_string()).collect()
        };
        let origin = header("Origin").into_iter().next();
        let reply = match method {
            Method::Post => {
                let lengths = header("Content-Length");
                let chunked = !header("Transfer-Encoding").is_empty();
                let length = match lengths.split_first() {
                    None => Length::Missing,
                    Some(_) if chunked => Length::Invalid,
                    Some((first, rest)) => match first.trim().parse::<u64>() {
                        Ok(n) if rest.iter().all(|v| v.trim() == first.trim()) && request.body_length().is_some() => {
                            Length::Bytes(n)
                        }
                        _ => Length::Invalid,
                    },
                };
                let authorization = header("Authorization").into_iter().next();
                let peer = request.remote_addr().map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |a| a.ip());
                let url = request.url().to_string();
                let query = url.split_once('?').map_or("", |(_, q)| q);
                let upload = Upload { path, query, peer, authorization: authorization.as_deref(), length };
                let mut reply = firmware::upload(&self.app, &upload, &mut RequestBody(&mut request));
                reply.cors = firmware::allowed_origin(&self.app, origin.as_deref());
                reply
            }
            Method::Options => firmware::preflight(&self.app, path, origin.as_deref()),
            _ => {
                let fault = Fault { status: 405, reason: "method not allowed".into() };
                Reply { allow: Some("POST, OPTIONS"), ..Reply::fault(path, &fault) }
            }
        };
        log::info!("{} {path} -> {}", request.method(), reply.status);
        if let Some(after) = respond(request, reply) {
            self.after(after);
        }
    }

    fn after(&self, after: After) {
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
                        Ok(listener) => self.swap(listener),
                        Err(e) => log::error!("port {port} after factory reset: {e}"),
                    }
                }
            }
            After::Rebind(listener) => self.swap(listener),
        }
    }
}

/// The body of a tiny-http request; opening it sends `100 Continue` when the client waits for one.
struct RequestBody<'r>(&'r mut tiny_http::Request);

impl firmware::Body for RequestBody<'_> {
    fn open(&mut self) -> &mut dyn io::Read {
        self.0.as_reader()
    }
}

fn header(name: &str, value: &str) -> Option<Header> {
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
        header("Content-Type", content_type),
        header("Cache-Control", "no-store"),
        reply.challenge.then(|| header("WWW-Authenticate", "Basic realm=\"camcgi\"")).flatten(),
        reply.allow.and_then(|allow| header("Allow", allow)),
    ];
    let cors = reply.cors.as_deref().map(|origin| {
        [
            header("Access-Control-Allow-Origin", origin),
            header("Vary", "Origin"),
            header("Access-Control-Allow-Methods", "POST, OPTIONS"),
            // The document's own page sends Access-Control-Allow-Origin as a request header.
            header(
                "Access-Control-Allow-Headers",
                "Authorization, Content-Type, Cache-Control, Access-Control-Allow-Origin",
            ),
            header("Access-Control-Max-Age", "600"),
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
}

/// A running camera server.
pub struct Running {
    front: Arc<Front>,
    threads: Vec<JoinHandle<()>>,
    stop_ticks: Sender<()>,
}

impl Running {
    /// Starts the workers and the periodic work on a bound listener.
    pub fn start(app: Arc<App>, listener: TcpListener, options: &Options) -> io::Result<Running> {
        let server = Server::from_listener(listener, None).map_err(io::Error::other)?;
        log::info!("listening on {}", server.server_addr());
        let workers = options.workers.max(1);
        let front = Arc::new(Front { app, server: RwLock::new(Arc::new(server)), stop: AtomicBool::new(false), workers });
        let mut threads = Vec::with_capacity(workers + 1);
        for i in 0..workers {
            let front = front.clone();
            threads.push(thread::Builder::new().name(format!("worker-{i}")).spawn(move || front.work())?);
        }
        let (stop_ticks, ticks) = mpsc::channel::<()>();
        let ticking = front.clone();
        let tick = options.tick;
        threads.push(thread::Builder::new().name("ticker".into()).spawn(move || {
            while let Err(RecvTimeoutError::Timeout) = ticks.recv_timeout(tick) {
                ticking.app.tick();
            }
        })?);
        Ok(Running { front, threads, stop_ticks })
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
        for t in self.threads {
            let _ = t.join();
        }
        log::info!("stopped");
    }
}
