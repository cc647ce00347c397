//! One request's exchange: what the front reads of it, where the router
//! sends it, and how its answer is written (headers, body, `Content-Length`).

use crate::api::origin::Browser;
use crate::api::query::redacted;
use crate::api::refusal::Refusal;
use crate::interfaces::call::{After, Body, Reply};
use crate::interfaces::camera::App;
use crate::interfaces::firmware::{self, Length};
use crate::interfaces::onvif;
use crate::router::{self, AdmittedUpload, Incoming, Method, Routed};
use crate::state::access::PlainHttp;
use camcgi_http::{Header, Response};
use std::io;
use std::net::{IpAddr, Ipv4Addr};
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Whether the request declares a body (tiny-http buffers one of up to 1 KiB
/// sent without `Expect`; any other is still in the socket).
fn has_body(request: &camcgi_http::Request) -> bool {
    request.body_length().is_some_and(|n| n > 0) || request_header(request, "Transfer-Encoding").is_some()
}

/// Answers one request; the work that must follow the answer, if any.
pub(super) fn answer(app: &App, mut request: camcgi_http::Request) -> Option<After> {
    let method = match request.method() {
        camcgi_http::Method::Get => Method::Get,
        camcgi_http::Method::Head => Method::Head,
        camcgi_http::Method::Post => Method::Post,
        camcgi_http::Method::Options => Method::Options,
        _ => Method::Other,
    };
    let peer = request.remote_addr().map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |a| a.ip());
    if let Some(reply) = plain_http_closed(app, &request) {
        if has_body(&request) {
            request.stop_reading();
        }
        return respond(request, reply);
    }
    let incoming = Incoming {
        method,
        url: request.url(),
        peer,
        authorization: request_header(&request, "Authorization"),
        browser: browser(&request),
        bad_framing: request.bad_framing(),
    };
    let routed = catch_unwind(AssertUnwindSafe(|| router::route(app, &incoming))).unwrap_or_else(|_| {
        log::error!("handler panicked on {}", redacted(request.url()));
        let path = request.url().split(['?', '&']).next().unwrap_or("");
        Routed::Reply(Reply::fault(path, &Refusal::new(500, "internal error")))
    });
    match routed {
        Routed::Reply(reply) => {
            log::debug!("{peer} {} {} -> {}", request.method(), redacted(request.url()), reply.status);
            // No interface reads a body; the upload's refusals read none either.
            if has_body(&request) {
                request.stop_reading();
            }
            respond(request, reply)
        }
        Routed::Page(asset) => {
            page(request, asset);
            None
        }
        Routed::Upload(admitted) => upload(app, request, admitted),
        Routed::Soap(service) => soap(app, request, service, peer),
        Routed::Certificate(path) => certificate(app, request, path),
    }
}

/// Reads a body of up to `max` bytes: `Err` with the status for one that
/// is longer (refused unread when its length says so) or not received.
fn bounded_body(request: &mut camcgi_http::Request, max: usize) -> Result<Vec<u8>, u16> {
    let mut body = Vec::new();
    if request.body_length().unwrap_or(0) > max {
        return Err(413);
    }
    match io::Read::read_to_end(&mut io::Read::take(request.as_reader(), max as u64 + 1), &mut body) {
        Err(_) => Err(400),
        // A chunked body that runs past the bound.
        Ok(_) if body.len() > max => Err(413),
        Ok(_) => Ok(body),
    }
}

/// Reads an admitted certificate upload (bounded) and installs it.
fn certificate(app: &App, mut request: camcgi_http::Request, path: &'static str) -> Option<After> {
    let reply = match bounded_body(&mut request, crate::interfaces::https::MAX_UPLOAD) {
        Ok(body) => crate::interfaces::https::install(app, &body).unwrap_or_else(|fault| Reply::fault(path, &fault)),
        Err(status) => {
            if has_body(&request) {
                request.stop_reading();
            }
            Reply::fault(path, &Refusal::new(status, "certificate: too large or not received"))
        }
    };
    log::info!("POST {path} -> {}", reply.status);
    respond(request, reply)
}

/// While HTTPS is served and plain HTTP is not `on`, what a request over
/// plain HTTP gets instead of its answer: the same URL over HTTPS (308,
/// which keeps the method and body), or a refusal. A request for a host
/// the camera does not answer to goes on to be refused as such.
fn plain_http_closed(app: &App, request: &camcgi_http::Request) -> Option<Reply> {
    let https = app.https.get().filter(|_| !request.is_secure())?;
    let mode = crate::state::app::lock(&app.access).plain_http;
    let host = request_header(request, "Host");
    if mode == PlainHttp::On || !app.sites.host_allowed(host) {
        return None;
    }
    let path = request.url().split(['?', '&']).next().unwrap_or("");
    let refusal = Reply::fault(path, &Refusal::new(403, "plain HTTP is off: use HTTPS"));
    if mode == PlainHttp::Off {
        return Some(refusal);
    }
    // The host as the client named it, without its port.
    let name = match host.map(str::trim).filter(|h| !h.is_empty()) {
        Some(h) if h.starts_with('[') => h.split_inclusive(']').next().unwrap_or(h).to_string(),
        Some(h) => h.split(':').next().unwrap_or(h).to_string(),
        None => match app.listen.ip() {
            IpAddr::V6(v6) => format!("[{v6}]"),
            v4 => v4.to_string(),
        },
    };
    let location = format!("https://{name}:{}{}", https.port, request.url());
    Some(Reply { status: 308, location: Some(location.into()), ..refusal })
}

/// Reads a SOAP envelope (bounded: a longer one is refused unread) and
/// answers it.
fn soap(app: &App, mut request: camcgi_http::Request, service: onvif::Service, peer: IpAddr) -> Option<After> {
    let read = bounded_body(&mut request, onvif::soap::MAX_ENVELOPE);
    let reply = match read {
        Err(status) => {
            if has_body(&request) {
                request.stop_reading();
            }
            let fault = onvif::soap::SoapFault::sender(&["ter:InvalidArgs"], "the envelope is too large or was not received");
            Reply { status, ..Reply::with_kind(Body::Soap, fault.document()) }
        }
        Ok(body) => {
            let (url, authorization, host) = (request.url(), request_header(&request, "Authorization"), request_header(&request, "Host"));
            let peer_gone = || request.peer_gone();
            let secure = request.is_secure();
            let soap = router::SoapRequest { service, url, body: &body, authorization, host, secure, peer, peer_gone: &peer_gone };
            catch_unwind(AssertUnwindSafe(|| router::soap(app, &soap))).unwrap_or_else(|_| {
                log::error!("handler panicked on {}", service.path());
                let fault = onvif::soap::SoapFault::receiver(&["ter:Action"], "internal error");
                Reply { status: 500, ..Reply::with_kind(Body::Soap, fault.document()) }
            })
        }
    };
    log::debug!("{peer} POST {} -> {}", service.path(), reply.status);
    respond(request, reply)
}

/// Reads an admitted firmware upload's body into the updater.
fn upload(app: &App, mut request: camcgi_http::Request, admitted: AdmittedUpload) -> Option<After> {
    // tiny-http vouches for the length (requests of doubtful framing never get here).
    let length = match request.body_length() {
        Some(n) => Length::Bytes(u64::try_from(n).unwrap_or(u64::MAX)),
        None => Length::Missing,
    };
    let mut body = RequestBody { request: &mut request, ended: false };
    let mut reply = firmware::upload(&app.firmware, admitted.path, length, &mut body);
    let body_read = body.ended;
    reply.cors = admitted.cors;
    log::info!("{} {} -> {}", request.method(), admitted.path, reply.status);
    if !body_read && has_body(&request) {
        request.stop_reading();
    }
    respond(request, reply)
}

/// A file of the web page: gzip-compressed, 304 when the browser has it already.
fn page(mut request: camcgi_http::Request, asset: &'static crate::interfaces::web::Asset) {
    if has_body(&request) {
        request.stop_reading();
    }
    let header = |name: &'static str| request_header(&request, name);
    if !header("Accept-Encoding").is_some_and(crate::interfaces::web::accepts_gzip) {
        // Every browser takes gzip; only the compressed files are kept.
        respond(request, Reply::fault(asset.path, &Refusal::new(406, "the page is sent gzip-compressed: open it in a browser")));
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
    for (name, value) in crate::interfaces::web::SECURITY_HEADERS {
        response = response.with_static_header(name, value);
    }
    log::debug!("{} {} -> {status}", request.method(), asset.path);
    if let Err(e) = request.respond(response) {
        log::debug!("page not delivered: {e}");
    }
}

/// The body of a tiny-http request; opening it sends `100 Continue` when the
/// client waits for one. `ended` once read to its end.
struct RequestBody<'r> {
    request: &'r mut camcgi_http::Request,
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
fn request_header<'r>(request: &'r camcgi_http::Request, name: &'static str) -> Option<&'r str> {
    request.headers().iter().find(|h| h.field.equiv(name)).map(|h| h.value.as_str())
}

/// The headers that tell a browser's request apart.
fn browser(request: &camcgi_http::Request) -> Browser<'_> {
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
fn respond(request: camcgi_http::Request, reply: Reply) -> Option<After> {
    let content_type = match reply.body_kind {
        Body::Xml => "text/xml; charset=UTF-8",
        Body::PlainXml => "text/plain;charset=utf-8",
        Body::Jpeg => "image/jpeg",
        Body::Soap => "application/soap+xml; charset=utf-8",
        Body::Pem => "application/x-pem-file",
    };
    // Every body's length is known: send Content-Length, never chunks, which
    // some camera clients in the field cannot read.
    let mut response = Response::from_data(reply.body)
        .with_status_code(reply.status)
        .with_chunked_threshold(usize::MAX)
        .with_static_header("Content-Type", content_type)
        .with_static_header("Cache-Control", "no-store");
    for challenge in &reply.challenge {
        if let Some(header) = header_line("WWW-Authenticate", challenge) {
            response.add_header(header);
        }
    }
    if let Some(allow) = reply.allow {
        response = response.with_static_header("Allow", allow);
    }
    if let Some(location) = reply.location.as_deref().and_then(|l| header_line("Location", l)) {
        response.add_header(location);
    }
    if let Some(origin) = reply.cors.as_deref().and_then(|origin| header_line("Access-Control-Allow-Origin", origin)) {
        response.add_header(origin);
        response = response
            .with_static_header("Vary", "Origin")
            .with_static_header("Access-Control-Allow-Methods", "POST, OPTIONS")
            // The document's own page sends Access-Control-Allow-Origin as a request header.
            .with_static_header("Access-Control-Allow-Headers", "Authorization, Content-Type, Cache-Control, Access-Control-Allow-Origin")
            .with_static_header("Access-Control-Max-Age", "600");
    }
    if let Err(e) = request.respond(response) {
        log::debug!("answer not delivered: {e}");
    }
    reply.after
}
