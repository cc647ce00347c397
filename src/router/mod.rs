//! The route table, and what every request passes before it is answered:
//! the `Host` and framing checks, the route (an interface, `auth.cgi`, the
//! firmware upload or a file of the web page) and its methods, then for an
//! interface or the upload the query, the session or credentials, unknown
//! parameters and the privilege.

mod routes;

use crate::api::origin::{Browser, CROSS_SITE_REFUSED, HOST_REFUSED};
use crate::api::query::{Params, QueryError};
use crate::api::refusal::Refusal;
use crate::interfaces::call::{sets_something, Call, Reply};
use crate::interfaces::camera::App;
use crate::interfaces::credentials::{self, Presented};
use crate::interfaces::web::Asset;
use crate::interfaces::{auth, firmware, onvif};
use crate::state::app::lock;
use crate::state::session::Session;
pub use routes::{policies, Policy};
use routes::{Answer, Changes, Guard, Route, READ, ROUTES, SOAP, UPLOAD};
use std::borrow::Cow;
use std::net::IpAddr;

/// The HTTP methods camcgi distinguishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// GET.
    Get,
    /// HEAD: GET without the body.
    Head,
    /// POST (the firmware upload).
    Post,
    /// OPTIONS (a CORS preflight).
    Options,
    /// Anything else.
    Other,
}

impl Method {
    /// As HTTP spells it (what Digest signs).
    pub fn name(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Post => "POST",
            Method::Options => "OPTIONS",
            Method::Other => "",
        }
    }
}

/// What the front hands to the router.
pub struct Incoming<'a> {
    /// The method.
    pub method: Method,
    /// Path and query as sent.
    pub url: &'a str,
    /// The client's address.
    pub peer: IpAddr,
    /// The `Authorization` header, if any.
    pub authorization: Option<&'a str>,
    /// The headers that tell a browser's request apart.
    pub browser: Browser<'a>,
    /// The body's length cannot be told for sure: no body was read, and the
    /// connection ends after the answer.
    pub bad_framing: bool,
}

impl Incoming<'_> {
    fn presented(&self) -> Presented<'_> {
        Presented { authorization: self.authorization, method: self.method.name(), uri: self.url, peer: self.peer }
    }
}

/// Answers a SOAP envelope posted to an ONVIF service.
pub fn soap(app: &App, soap: &SoapRequest) -> Reply {
    let SoapRequest { service, url, body, authorization, host, secure, peer, peer_gone } = *soap;
    let query = url.split_once('?').map_or("", |(_, q)| q);
    let presented = Presented { authorization, method: "POST", uri: url, peer };
    let request = onvif::Request { service, body, presented, host, secure, query, peer_gone };
    onvif::answer(app, &request)
}

/// One SOAP request as the front read it.
#[derive(Clone, Copy)]
pub struct SoapRequest<'a> {
    /// The service posted to.
    pub service: onvif::Service,
    /// The request's URL (a subscription's id in its query).
    pub url: &'a str,
    /// The envelope.
    pub body: &'a [u8],
    /// The `Authorization` header.
    pub authorization: Option<&'a str>,
    /// The `Host` header.
    pub host: Option<&'a str>,
    /// Whether it came over HTTPS.
    pub secure: bool,
    /// The client.
    pub peer: IpAddr,
    /// Whether the client has closed its connection meanwhile.
    pub peer_gone: &'a dyn Fn() -> bool,
}

/// A firmware upload that has passed every check that needs no body.
#[derive(Debug)]
pub struct AdmittedUpload {
    /// The path posted to, which its faults name.
    pub path: &'static str,
    /// The origin to allow in the answer (CORS), if any.
    pub cors: Option<String>,
}

/// Where a request goes.
#[derive(Debug)]
pub enum Routed {
    /// Answered: a fault, or an interface's reply.
    Reply(Reply),
    /// A file of the web page (GET or HEAD).
    Page(&'static Asset),
    /// The firmware upload, whose body the front reads next.
    Upload(AdmittedUpload),
    /// An ONVIF service, whose envelope the front reads next.
    Soap(onvif::Service),
    /// An admitted certificate upload (the path), whose body the front reads next.
    Certificate(&'static str),
}

/// The URL with runs of `/` in its path taken as one, as nginx and cameras in
/// the field take them (node-onvif asks for `//cgi-bin/snapshot.cgi`). Only
/// the path is merged: a query keeps its text.
fn merge_slashes(url: &str) -> Cow<'_, str> {
    let path_end = url.find('?').unwrap_or(url.len());
    if !url[..path_end].contains("//") {
        return Cow::Borrowed(url);
    }
    let mut merged = String::with_capacity(url.len());
    for (i, c) in url[..path_end].char_indices() {
        if !(c == '/' && url[..i].ends_with('/')) {
            merged.push(c);
        }
    }
    merged.push_str(&url[path_end..]);
    Cow::Owned(merged)
}

/// Splits a URL into path and raw query, accepting `snapshot.cgi&…` without `?`.
fn split_url(url: &str) -> (&str, &str) {
    if let Some((path, query)) = url.split_once('?') {
        return (path, query);
    }
    const SNAPSHOT: &str = "/cgi-bin/snapshot.cgi&";
    if url.starts_with(SNAPSHOT) {
        return url.split_at(SNAPSHOT.len() - 1);
    }
    (url, "")
}

/// A path of the route table, or a file of the web page.
#[derive(Clone, Copy)]
enum Found {
    Route(&'static Route),
    Page(&'static Asset),
}

/// Routes one request, and answers it unless it is a page file or an
/// upload whose body is to be read.
pub fn route(app: &App, incoming: &Incoming) -> Routed {
    let url = merge_slashes(incoming.url);
    let (path, raw_query) = split_url(&url);
    let refusal = if !app.sites.host_allowed(incoming.browser.host) {
        Some(Refusal::new(403, HOST_REFUSED))
    } else if incoming.bad_framing {
        Some(Refusal::new(400, "content length error"))
    } else {
        None
    };
    if let Some(fault) = refusal {
        return Routed::Reply(Reply::fault(path, &fault));
    }
    let found = match ROUTES.iter().find(|r| r.path == path) {
        Some(route) => Found::Route(route),
        None => match crate::interfaces::web::find(path) {
            Some(asset) => Found::Page(asset),
            None => return Routed::Reply(Reply::fault(path, &Refusal::new(404, "not found"))),
        },
    };
    let (methods, fault_path) = match found {
        Found::Route(route) => (route.methods, route.fault_path),
        Found::Page(asset) => (READ, asset.path),
    };
    if !methods.contains(&incoming.method) {
        let allow = if methods == UPLOAD {
            "POST, OPTIONS"
        } else if methods == SOAP {
            "POST"
        } else {
            "GET, HEAD"
        };
        return Routed::Reply(Reply { allow: Some(allow), ..Reply::fault(fault_path, &Refusal::new(405, "method not allowed")) });
    }
    let route = match found {
        Found::Route(route) => route,
        Found::Page(asset) => return Routed::Page(asset),
    };
    match route.answer {
        Answer::AuthCgi if !app.sites.same_site(&incoming.browser) => {
            Routed::Reply(Reply::fault(route.path, &Refusal::new(403, CROSS_SITE_REFUSED)))
        }
        Answer::AuthCgi => Routed::Reply(auth::auth_cgi(app, raw_query, incoming.peer)),
        // A browser page of another site could post with the browser's
        // cached Digest or Basic credentials.
        Answer::Onvif(_) if !app.sites.same_site(&incoming.browser) => {
            Routed::Reply(Reply::fault(route.path, &Refusal::new(403, CROSS_SITE_REFUSED)))
        }
        Answer::Onvif(service) => Routed::Soap(service),
        Answer::FirmwareUpload if incoming.method == Method::Options => {
            Routed::Reply(firmware::preflight(&app.sites, route.path, incoming.browser.origin))
        }
        Answer::FirmwareUpload => {
            let cors = firmware::allowed_origin(&app.sites, incoming.browser.origin);
            match admit(app, route, raw_query, incoming) {
                Ok(_) => Routed::Upload(AdmittedUpload { path: route.path, cors }),
                // A cross-site upload is refused without naming an origin.
                Err(fault) if fault.reason == CROSS_SITE_REFUSED => Routed::Reply(refused(app, route, &fault)),
                Err(fault) => Routed::Reply(Reply { cors, ..refused(app, route, &fault) }),
            }
        }
        Answer::CertificateUpload => match admit(app, route, raw_query, incoming) {
            Ok(_) => Routed::Certificate(route.path),
            Err(fault) => Routed::Reply(refused(app, route, &fault)),
        },
        Answer::Cgi(run) => Routed::Reply(match admit(app, route, raw_query, incoming) {
            Ok(call) => match run(app, &call) {
                Ok(reply) => {
                    if let Some(session) = &call.session {
                        app.touch(session.token);
                    }
                    reply
                }
                Err(fault) => refused(app, route, &fault),
            },
            Err(fault) => refused(app, route, &fault),
        }),
    }
}

/// A route's fault, asking for credentials on a 401.
fn refused(app: &App, route: &Route, fault: &Refusal) -> Reply {
    let mut reply = Reply::fault(route.fault_path, fault);
    if fault.status == 405 {
        reply.allow = Some("GET");
    }
    if fault.status == 401 {
        reply.challenge = credentials::challenges(app, fault.reason == credentials::STALE_NONCE);
    }
    reply
}

/// The checks an interface or the upload passes before it runs: query,
/// origin, session or credentials, unknown parameters, privilege.
fn admit<'a>(app: &App, route: &Route, raw_query: &str, incoming: &Incoming<'a>) -> Result<Call<'a>, Refusal> {
    let params = Params::parse(raw_query).map_err(|e| match e {
        QueryError::Undecodable => Refusal::bad("error, parse parameters"),
        QueryError::Duplicated(name) => Refusal::bad_owned(format!("{name}: duplicated")),
    })?;
    let changes = match route.changes {
        Changes::WhenSet => sets_something(&params),
        Changes::Always => true,
        Changes::WithAny(names) => names.iter().any(|n| params.has(n)),
    };
    // HEAD is a read: one that would change something (a set, an act, a
    // login) is refused before anything is done.
    if changes && incoming.method == Method::Head {
        return Err(Refusal::new(405, "method not allowed"));
    }
    if changes && !app.sites.same_site(&incoming.browser) {
        return Err(Refusal::new(403, CROSS_SITE_REFUSED));
    }
    let session = match route.guard {
        Guard::Session => Some(app.session(params.get("uid"))?),
        // Anyone may view a picture with ONVIF authentication off; an
        // upload to a target still needs an account.
        Guard::Picture
            if !lock(&app.access).onvif_auth && !params.has("upload") && !credentials::any_presented(&params, &incoming.presented()) =>
        {
            Some(Session::anonymous())
        }
        Guard::Credentials | Guard::Picture => Some(credentials::authenticate(app, &params, &incoming.presented())?),
        Guard::Login => None,
    };
    if let Some(unknown) = params.names().find(|n| *n != "uid" && !route.params.contains(n) || (*n == "uid" && route.guard == Guard::Login))
    {
        return Err(Refusal::bad_owned(format!("{unknown}: unknown parameter")));
    }
    let call = Call { path: route.path, params, session, peer: incoming.peer, authorization: incoming.authorization };
    if let Some(session) = &call.session {
        let needed = if call.is_set() { route.set } else { route.query }.privilege();
        if session.privilege < needed {
            return Err(Refusal::bad(route.denied));
        }
    }
    Ok(call)
}

#[cfg(test)]
mod tests {
    use super::split_url;

    #[test]
    fn snapshot_parameters_may_follow_an_ampersand() {
        assert_eq!(split_url("/cgi-bin/snapshot.cgi&username=a&password=b"), ("/cgi-bin/snapshot.cgi", "&username=a&password=b"));
        assert_eq!(split_url("/cgi-bin/getuid?username=a"), ("/cgi-bin/getuid", "username=a"));
        assert_eq!(split_url("/cgi-bin/image&x=1"), ("/cgi-bin/image&x=1", ""));
    }
}
