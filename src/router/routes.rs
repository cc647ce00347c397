//! The route table: every path, what answers it, its methods, how it
//! authenticates, its parameters, and what querying and setting it are.

use super::Method;
use crate::api::refusal::Refusal;
use crate::interfaces::call::{Call, Reply};
use crate::interfaces::camera::App;
use crate::interfaces::{
    access, audio, auth, firmware, https, image, motion, network, onvif, osd, ptz, snapshot, system, targets, time, users, video,
};
use crate::state::acts::Act;

pub(super) type Handler = fn(&App, &Call) -> Result<Reply, Refusal>;

/// What answers a route once its checks have passed.
#[derive(Clone, Copy)]
pub(super) enum Answer {
    /// A `/cgi-bin` interface.
    Cgi(Handler),
    /// `/cgi/auth.cgi`, which logs in by itself and answers every outcome
    /// with a code in `<root>` (no `<fault>`).
    AuthCgi,
    /// The firmware upload: its body is read by the front.
    FirmwareUpload,
    /// An HTTPS certificate upload: its body is read by the front.
    CertificateUpload,
    /// An ONVIF service: its envelope is read by the front.
    Onvif(onvif::Service),
}

/// When a request to a route changes something, and so must come from the
/// camera's own site (see [`crate::api::origin`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Changes {
    /// When it is a set.
    WhenSet,
    /// Always: an act (reboot, PTZ, an upgrade), a login, the accounts.
    Always,
    /// When one of these parameters is given: `snapshot.cgi`'s `upload`, and
    /// its `username`, since a failed login counts towards the lockout.
    WithAny(&'static [&'static str]),
}

/// How a route authenticates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Guard {
    /// The handler logs in by itself (`getuid`, `auth.cgi`).
    Login,
    /// A `uid` (or `authid`) is required.
    Session,
    /// `uid`, `username`+`password`, HTTP Digest or Basic (the upload).
    Credentials,
    /// As `Credentials`, but anonymous at User level when ONVIF
    /// authentication is off (`snapshot.cgi`, the CGI document's 3.19 note 1).
    Picture,
}

/// The methods of the interfaces and of the page's files.
pub(super) const READ: &[Method] = &[Method::Get, Method::Head];
/// The methods of the ONVIF services.
pub(super) const SOAP: &[Method] = &[Method::Post];
/// The methods of the firmware upload (OPTIONS: a CORS preflight).
pub(super) const UPLOAD: &[Method] = &[Method::Post, Method::Options];

pub(super) struct Route {
    pub(super) path: &'static str,
    /// The path its faults name.
    pub(super) fault_path: &'static str,
    pub(super) methods: &'static [Method],
    pub(super) guard: Guard,
    /// The interface's parameters, in its table's order (besides `uid`).
    pub(super) params: &'static [&'static str],
    pub(super) query: Act,
    pub(super) set: Act,
    pub(super) denied: &'static str,
    pub(super) changes: Changes,
    pub(super) answer: Answer,
}

pub(super) const PERMISSION_DENIED: &str = "permission denied";

/// A route with the defaults: read with GET or HEAD, a session required, no
/// parameters, any privilege, a change when it is a set.
const fn entry(path: &'static str, answer: Answer) -> Route {
    Route {
        path,
        fault_path: path,
        methods: READ,
        guard: Guard::Session,
        params: &[],
        query: Act::Read,
        set: Act::Read,
        denied: PERMISSION_DENIED,
        changes: Changes::WhenSet,
        answer,
    }
}

/// An interface: its parameters, the privilege to query and to set, its handler.
const fn interface(path: &'static str, params: &'static [&'static str], query: Act, set: Act, run: Handler) -> Route {
    Route { params, query, set, ..entry(path, Answer::Cgi(run)) }
}

/// The firmware upload on one of its two paths (the document's page posts
/// to the second): an administrator's, by any of the snapshot's credentials.
const fn upload(path: &'static str) -> Route {
    Route {
        methods: UPLOAD,
        guard: Guard::Credentials,
        params: firmware::UPLOAD_PARAMS,
        query: Act::Flash,
        set: Act::Flash,
        changes: Changes::Always,
        ..entry(path, Answer::FirmwareUpload)
    }
}

use Act::{Administer, Configure, FactoryReset, Move, Read, Reboot};

pub(super) static ROUTES: &[Route] = &[
    Route {
        guard: Guard::Login,
        changes: Changes::Always,
        ..interface("/cgi-bin/getuid", auth::GETUID_PARAMS, Read, Read, |app, call| auth::getuid(app, call))
    },
    interface("/cgi-bin/keep_alive", &[], Read, Read, |app, call| auth::keep_alive(app, call)),
    interface("/cgi-bin/getinfo", &[], Read, Read, |app, call| system::getinfo(&app.system, call)),
    interface("/cgi-bin/getcapabilities", &[], Read, Read, |app, call| system::getcapabilities(&app.system, call)),
    interface("/cgi-bin/getmodel", &[], Read, Read, |app, call| system::getmodel(&app.system, call)),
    Route { changes: Changes::Always, ..interface("/cgi-bin/reboot", &[], Reboot, Reboot, |_, call| system::reboot(call)) },
    Route {
        changes: Changes::Always,
        ..interface("/cgi-bin/factory_reset", system::RESET_PARAMS, FactoryReset, FactoryReset, |_, call| system::factory_reset(call))
    },
    interface("/cgi-bin/network", network::PARAMS, Read, Configure, |app, call| network::handle(app, &app.network, call)),
    interface("/cgi-bin/time", time::PARAMS, Read, Configure, |app, call| time::handle(app, &app.time, call)),
    interface("/cgi-bin/videoencoder/getcapabilities", &[], Read, Read, |app, call| video::capabilities(&app.video, call)),
    interface("/cgi-bin/videoencoder", video::PARAMS, Read, Configure, |app, call| video::handle(app, &app.video, call)),
    interface("/cgi-bin/videoencoder/stream1", video::PARAMS, Read, Configure, |app, call| video::handle(app, &app.video, call)),
    interface("/cgi-bin/videoencoder/stream2", video::PARAMS, Read, Configure, |app, call| video::handle(app, &app.video, call)),
    interface("/cgi-bin/audioencoder/getcapabilities", &[], Read, Read, |app, call| audio::capabilities(&app.audio, call)),
    interface("/cgi-bin/audioencoder", audio::PARAMS, Read, Configure, |app, call| audio::handle(app, &app.audio, call)),
    interface("/cgi-bin/osd", osd::PARAMS, Read, Configure, |app, call| osd::handle(app, &app.osd, call)),
    interface("/cgi-bin/image", image::PARAMS, Read, Configure, |app, call| image::handle(app, &app.image, call)),
    Route {
        changes: Changes::Always,
        ..interface("/cgi-bin/ptz_ctrl", ptz::PARAMS, Move, Move, |app, call| ptz::handle(app, &app.ptz, &app.system, call))
    },
    interface("/cgi-bin/motion", motion::PARAMS, Read, Configure, |app, call| motion::handle(app, &app.motion, call)),
    Route {
        denied: users::NOT_ADMIN,
        changes: Changes::Always,
        ..interface("/cgi-bin/user_management", users::PARAMS, Administer, Administer, |app, call| users::handle(app, call))
    },
    Route {
        fault_path: "/cgi-bin/snapshot",
        guard: Guard::Picture,
        changes: Changes::WithAny(&["upload", "username"]),
        ..interface("/cgi-bin/snapshot.cgi", snapshot::PARAMS, Read, Read, |app, call| snapshot::handle(&snapshot_sources(app), call))
    },
    interface("/cgi-bin/onvif", access::PARAMS, Administer, Administer, |app, call| access::handle(app, call)),
    interface("/cgi-bin/https", https::PARAMS, Administer, Administer, https::handle),
    Route {
        methods: SOAP,
        guard: Guard::Credentials,
        query: Administer,
        set: Administer,
        changes: Changes::Always,
        ..entry("/cgi-bin/https_certificate", Answer::CertificateUpload)
    },
    interface("/cgi-bin/upgrade_status", &[], Read, Read, |app, call| firmware::status(&app.firmware, call)),
    interface("/cgi-bin/upload_targets", targets::PARAMS, Read, Administer, |app, call| targets::handle(app, &app.targets, call)),
    upload("/cgi-bin/OnvifFirmwareUpgrade"),
    upload("/OnvifFirmwareUpgrade"),
    Route { guard: Guard::Login, changes: Changes::Always, ..entry("/cgi/auth.cgi", Answer::AuthCgi) },
    service(onvif::Service::Device),
    service(onvif::Service::Media),
    service(onvif::Service::Media2),
    service(onvif::Service::Ptz),
    service(onvif::Service::Imaging),
    service(onvif::Service::Events),
    service(onvif::Service::Subscription),
];

/// What the route table says of one CGI interface that a session reaches:
/// its parameters, what querying and setting it are, and the refusal's text.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    /// The path.
    pub path: &'static str,
    /// Its parameters, in its table's order.
    pub params: &'static [&'static str],
    /// What a query is.
    pub query: Act,
    /// What a set is.
    pub set: Act,
    /// The reason a request refused for its privilege gets.
    pub denied: &'static str,
}

/// The policy of every CGI interface reached with a session.
pub fn policies() -> impl Iterator<Item = Policy> {
    ROUTES.iter().filter(|r| matches!(r.answer, Answer::Cgi(_)) && r.guard == Guard::Session).map(|r| Policy {
        path: r.path,
        params: r.params,
        query: r.query,
        set: r.set,
        denied: r.denied,
    })
}

/// An ONVIF service, which authenticates each operation itself.
const fn service(service: onvif::Service) -> Route {
    Route { methods: SOAP, guard: Guard::Login, changes: Changes::Always, ..entry(service.path(), Answer::Onvif(service)) }
}

/// What the snapshot interface takes pictures from and sends them to.
pub(super) fn snapshot_sources(app: &App) -> snapshot::Sources<'_> {
    snapshot::Sources { snapshots: &*app.snapshots, storage: &app.storage, time: &app.time, targets: &app.targets, uploads: &app.uploads }
}
