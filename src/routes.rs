//! The route table and the checks every request passes before its handler:
//! method, query, session, unknown parameters, privilege.

use crate::accounts::Privilege;
use crate::app::App;
use crate::query::{Params, QueryError};
use crate::session::Session;
use crate::origin::{Browser, CROSS_SITE_REFUSED};
use crate::xml::Fault;
use crate::{auth, image, motion, network, osd, ptz, snapshot, system, time, users, video};
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
}

/// The kind of body, which decides the Content-Type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Body {
    /// `text/xml; charset=UTF-8` (`/cgi-bin/*`).
    Xml,
    /// `text/plain;charset=utf-8` (`/cgi/auth.cgi`).
    PlainXml,
    /// `image/jpeg`.
    Jpeg,
}

/// Something the server does after the answer has been sent and flushed.
#[derive(Debug)]
pub enum After {
    /// Restart the camera.
    Reboot,
    /// Restore defaults; keep the network settings when asked.
    FactoryReset {
        /// `retain_network=1`.
        retain_network: bool,
    },
    /// Serve on a new listener from now on.
    Rebind(std::net::TcpListener),
}

/// A complete answer.
#[derive(Debug)]
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// Content kind.
    pub body_kind: Body,
    /// Body bytes.
    pub body: Vec<u8>,
    /// Ask for HTTP Basic credentials.
    pub challenge: bool,
    /// Methods allowed, for a 405.
    pub allow: Option<&'static str>,
    /// Work for after the answer.
    pub after: Option<After>,
    /// A CORS origin to allow in the answer.
    pub cors: Option<String>,
}

impl Reply {
    /// A 200 XML answer.
    pub fn xml(body: Vec<u8>) -> Reply {
        Reply { status: 200, body_kind: Body::Xml, body, challenge: false, allow: None, after: None, cors: None }
    }

    /// A 200 answer of another kind.
    pub fn with_kind(body_kind: Body, body: Vec<u8>) -> Reply {
        Reply { body_kind, ..Reply::xml(body) }
    }

    /// Adds work for after the answer.
    pub fn then(mut self, after: After) -> Reply {
        self.after = Some(after);
        self
    }

    /// The `<fault>` answer for an interface path.
    pub fn fault(path: &str, fault: &Fault) -> Reply {
        Reply { status: fault.status, ..Reply::xml(fault.document(path)) }
    }
}

/// One request, checked, as a handler sees it.
pub struct Call<'a> {
    /// The interface path.
    pub path: &'static str,
    /// Decoded parameters.
    pub params: Params,
    /// The session, for routes that need one.
    pub session: Option<Session>,
    /// The client's address.
    pub peer: IpAddr,
    /// The `Authorization` header.
    pub authorization: Option<&'a str>,
}

impl Call<'_> {
    /// Whether the request sets something: any parameter but `uid`.
    pub fn is_set(&self) -> bool {
        sets_something(&self.params)
    }
}

/// Whether parameters make a set: any but `uid`.
fn sets_something(params: &Params) -> bool {
    params.names().any(|n| n != "uid")
}

type Handler = fn(&App, &Call) -> Result<Reply, Fault>;

/// When a request to a route changes something, and so must come from the
/// camera's own site (see [`crate::origin`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Changes {
    /// When it is a set.
    WhenSet,
    /// Always: an act (reboot, PTZ), a login, the accounts.
    Always,
    /// When one of these parameters is given: `snapshot.cgi`'s `upload`, and
    /// its `username`, since a failed login counts towards the lockout.
    WithAny(&'static [&'static str]),
}

/// How a route authenticates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Guard {
    /// The handler logs in by itself (`getuid`, `auth.cgi`).
    Login,
    /// A `uid` (or `authid`) is required.
    Session,
    /// `uid`, `username`+`password`, or HTTP Basic (`snapshot.cgi`).
    Credentials,
}

struct Route {
    path: &'static str,
    guard: Guard,
    /// The interface's parameters, in its table's order (besides `uid`).
    params: &'static [&'static str],
    query: Privilege,
    set: Privilege,
    denied: &'static str,
    changes: Changes,
    run: Handler,
}

const PERMISSION_DENIED: &str = "permission denied";

const fn route(
    path: &'static str,
    params: &'static [&'static str],
    query: Privilege,
    set: Privilege,
    run: Handler,
) -> Route {
    Route { path, guard: Guard::Session, params, query, set, denied: PERMISSION_DENIED, changes: Changes::WhenSet, run }
}

use Privilege::{Administrator as Admin, Operator, User};

static ROUTES: &[Route] = &[
    Route { guard: Guard::Login, changes: Changes::Always, ..route("/cgi-bin/getuid", auth::GETUID_PARAMS, User, User, auth::getuid) },
    route("/cgi-bin/keep_alive", &[], User, User, auth::keep_alive),
    route("/cgi-bin/getinfo", &[], User, User, system::getinfo),
    route("/cgi-bin/getcapabilities", &[], User, User, system::getcapabilities),
    route("/cgi-bin/getmodel", &[], User, User, system::getmodel),
    Route { changes: Changes::Always, ..route("/cgi-bin/reboot", &[], Operator, Operator, system::reboot) },
    Route { changes: Changes::Always, ..route("/cgi-bin/factory_reset", system::RESET_PARAMS, Admin, Admin, system::factory_reset) },
    route("/cgi-bin/network", network::PARAMS, User, Operator, network::handle),
    route("/cgi-bin/time", time::PARAMS, User, Operator, time::handle),
    route("/cgi-bin/videoencoder/getcapabilities", &[], User, User, video::capabilities),
    route("/cgi-bin/videoencoder", video::PARAMS, User, Operator, video::handle),
    route("/cgi-bin/videoencoder/stream1", video::PARAMS, User, Operator, video::handle),
    route("/cgi-bin/videoencoder/stream2", video::PARAMS, User, Operator, video::handle),
    route("/cgi-bin/audioencoder/getcapabilities", &[], User, User, crate::audio::capabilities),
    route("/cgi-bin/audioencoder", crate::audio::PARAMS, User, Operator, crate::audio::handle),
    route("/cgi-bin/osd", osd::PARAMS, User, Operator, osd::handle),
    route("/cgi-bin/image", image::PARAMS, User, Operator, image::handle),
    Route { changes: Changes::Always, ..route("/cgi-bin/ptz_ctrl", ptz::PARAMS, Operator, Operator, ptz::handle) },
    route("/cgi-bin/motion", motion::PARAMS, User, Operator, motion::handle),
    Route {
        denied: users::NOT_ADMIN,
        changes: Changes::Always,
        ..route("/cgi-bin/user_management", users::PARAMS, Admin, Admin, users::handle)
    },
    Route {
        guard: Guard::Credentials,
        changes: Changes::WithAny(&["upload", "username"]),
        ..route("/cgi-bin/snapshot.cgi", snapshot::PARAMS, User, User, snapshot::handle)
    },
    route("/cgi-bin/upgrade_status", &[], User, User, crate::firmware::status),
    route("/cgi-bin/upload_targets", crate::targets::PARAMS, User, Admin, crate::targets::handle),
    Route { guard: Guard::Login, changes: Changes::Always, ..route("/cgi/auth.cgi", auth::AUTH_CGI_PARAMS, User, User, auth::auth_cgi) },
];

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

/// Answers one request.
pub fn dispatch(app: &App, incoming: &Incoming) -> Reply {
    let (path, raw_query) = split_url(incoming.url);
    let Some(route) = ROUTES.iter().find(|r| r.path == path) else {
        let fault = Fault::new(404, "not found");
        return Reply::fault(path, &fault);
    };
    if !matches!(incoming.method, Method::Get | Method::Head) {
        let fault = Fault::new(405, "method not allowed");
        return Reply { allow: Some("GET, HEAD"), ..Reply::fault(route.path, &fault) };
    }
    if route.path == auth::AUTH_CGI_PATH {
        if !app.sites.same_site(&incoming.browser) {
            return Reply::fault(route.path, &Fault::new(403, CROSS_SITE_REFUSED));
        }
        return auth::auth_cgi_raw(app, raw_query, incoming.peer);
    }
    let fault_path = if route.guard == Guard::Credentials { snapshot::FAULT_PATH } else { route.path };
    match checked(app, route, raw_query, incoming) {
        Ok(reply) => reply,
        Err(fault) => {
            let mut reply = Reply::fault(fault_path, &fault);
            reply.challenge = fault.status == 401;
            reply
        }
    }
}

fn checked(app: &App, route: &Route, raw_query: &str, incoming: &Incoming) -> Result<Reply, Fault> {
    let params = Params::parse(raw_query).map_err(|e| match e {
        QueryError::Undecodable => Fault::bad("error, parse parameters"),
        QueryError::Duplicated(name) => Fault::bad_owned(format!("{name}: duplicated")),
    })?;
    let changes = match route.changes {
        Changes::WhenSet => sets_something(&params),
        Changes::Always => true,
        Changes::WithAny(names) => names.iter().any(|n| params.has(n)),
    };
    if changes && !app.sites.same_site(&incoming.browser) {
        return Err(Fault::new(403, CROSS_SITE_REFUSED));
    }
    let session = match route.guard {
        Guard::Session => Some(app.session(params.get("uid"))?),
        Guard::Credentials => Some(snapshot::authenticate(app, &params, incoming.authorization, incoming.peer)?),
        Guard::Login => None,
    };
    if let Some(unknown) =
        params.names().find(|n| *n != "uid" && !route.params.contains(n) || (*n == "uid" && route.guard == Guard::Login))
    {
        return Err(Fault::bad_owned(format!("{unknown}: unknown parameter")));
    }
    let call = Call { path: route.path, params, session, peer: incoming.peer, authorization: incoming.authorization };
    if let Some(session) = &call.session {
        let needed = if call.is_set() { route.set } else { route.query };
        if session.privilege < needed {
            return Err(Fault::bad(route.denied));
        }
    }
    let reply = (route.run)(app, &call)?;
    if let Some(session) = &call.session {
        app.touch(session.token);
    }
    Ok(reply)
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
