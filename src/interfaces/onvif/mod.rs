//! ONVIF (Profile S and Profile T's Media 2, with PTZ, imaging and events
//! pulled or pushed) over SOAP 1.2,
//! on the same units, accounts and validation as the CGI: each operation
//! that changes something goes through the CGI interface's own checks.
//! Authentication is WS-Security's UsernameToken or HTTP Digest/Basic;
//! failures count toward the same lockout.

pub mod capabilities;
pub mod clock;
pub mod device;
pub mod discovery;
pub mod events;
pub mod identity;
pub mod imaging;
pub mod media;
pub mod media2;
pub mod network;
pub mod notifier;
pub mod profiles;
pub mod ptz;
pub mod scopes;
pub mod security;
pub mod soap;
pub mod subscriptions;
pub mod xsd;

use crate::api::refusal::Refusal;
use crate::interfaces::call::{After, Body, Reply};
use crate::interfaces::camera::App;
use crate::interfaces::credentials::{self, Presented};
use crate::state::acts::Act;
use crate::state::app::{lock, Shared};
use crate::state::session::Session;
use soap::{Envelope, SoapFault};

/// The services and where they answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    /// `/onvif/device_service`.
    Device,
    /// `/onvif/media_service`.
    Media,
    /// `/onvif/media2_service` (Media 2, Profile T).
    Media2,
    /// `/onvif/ptz_service`.
    Ptz,
    /// `/onvif/imaging_service`.
    Imaging,
    /// `/onvif/events_service`.
    Events,
    /// `/onvif/subscription`: one pull-point subscription's manager.
    Subscription,
}

impl Service {
    /// The namespaces of its operations: an operation of the same name in
    /// another namespace (Media 2's `GetProfiles` sent to Media 1) is not
    /// one of this service's.
    pub const fn namespaces(self) -> &'static [&'static str] {
        match self {
            Service::Device => &["http://www.onvif.org/ver10/device/wsdl"],
            Service::Media => &["http://www.onvif.org/ver10/media/wsdl"],
            Service::Media2 => &["http://www.onvif.org/ver20/media/wsdl"],
            Service::Ptz => &["http://www.onvif.org/ver20/ptz/wsdl"],
            Service::Imaging => &["http://www.onvif.org/ver20/imaging/wsdl"],
            // WS-BaseNotification's Renew and Unsubscribe are in its own.
            Service::Events | Service::Subscription => &["http://www.onvif.org/ver10/events/wsdl", "http://docs.oasis-open.org/wsn/b-2"],
        }
    }

    /// The service's path.
    pub const fn path(self) -> &'static str {
        match self {
            Service::Device => "/onvif/device_service",
            Service::Media => "/onvif/media_service",
            Service::Media2 => "/onvif/media2_service",
            Service::Ptz => "/onvif/ptz_service",
            Service::Imaging => "/onvif/imaging_service",
            Service::Events => "/onvif/events_service",
            Service::Subscription => "/onvif/subscription",
        }
    }
}

/// One SOAP request.
pub struct Request<'a> {
    /// Which service was posted to.
    pub service: Service,
    /// The envelope.
    pub body: &'a [u8],
    /// Credentials presented over HTTP, and the client.
    pub presented: Presented<'a>,
    /// The `Host` the client used, for the addresses given back.
    pub host: Option<&'a str>,
    /// It came over HTTPS: the addresses given back are `https://`.
    pub secure: bool,
    /// The query (a subscription's id).
    pub query: &'a str,
    /// Whether the client has closed its connection meanwhile.
    pub peer_gone: &'a dyn Fn() -> bool,
}

/// What an operation is given.
pub struct Context<'a> {
    /// `http://host[:port]` (or `https://`) as the client reached the camera.
    pub base: String,
    /// Who asks.
    pub session: Session,
    /// The request.
    pub request: &'a Request<'a>,
}

/// An operation's answer: the body's content and work for after it.
pub struct Answer {
    /// The operation's response element(s).
    pub body: String,
    /// Work after the answer.
    pub after: Option<After>,
    /// A WS-Addressing Action for the Header, if the operation has one.
    pub action: Option<&'static str>,
}

impl Answer {
    /// A response element.
    pub fn new(body: String) -> Answer {
        Answer { body, after: None, action: None }
    }
}

/// A refusal of the camera's as ONVIF's fault: a bad value is
/// `ter:InvalidArgVal` with the refusal's reason (the CGI's words); a device
/// or storage failure is the camera's. (Privileges are checked before an
/// operation runs.)
pub fn from_refusal(refusal: Refusal) -> SoapFault {
    let reason = refusal.reason.into_owned();
    match refusal.status {
        400..=499 => SoapFault::invalid(reason),
        _ => SoapFault::receiver(&["ter:Action"], reason),
    }
}

/// A hardware failure while reading what the camera is: the CGI's
/// `device error: …`, as a failed change gives it.
pub fn device_fault(e: camcgi_hal::DeviceError) -> SoapFault {
    from_refusal(crate::api::refusal::Refusal::device(&e))
}

/// A value percent-encoded for a URI (a scope).
pub fn enc(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// One ONVIF operation of a service.
pub struct Operation {
    /// Its element name in the Body.
    pub name: &'static str,
    /// What it does, which says the privilege it needs.
    pub act: Act,
    /// Answered whatever credentials come with it (the pre-authentication
    /// set: a client sends its token before it has learnt the camera's clock).
    pub open: bool,
    /// What carries it out.
    pub run: fn(&App, &Context, &Envelope) -> Result<Answer, SoapFault>,
}

/// A service's operations.
pub fn operations(service: Service) -> &'static [Operation] {
    match service {
        Service::Device => device::OPERATIONS,
        Service::Media => media::OPERATIONS,
        Service::Media2 => media2::OPERATIONS,
        Service::Ptz => ptz::OPERATIONS,
        Service::Imaging => imaging::OPERATIONS,
        Service::Events | Service::Subscription => events::OPERATIONS,
    }
}

fn reply(status: u16, body: Vec<u8>) -> Reply {
    Reply { status, ..Reply::with_kind(Body::Soap, body) }
}

fn refused(app: &Shared, fault: &SoapFault, challenge: bool) -> Reply {
    let mut r = reply(fault.status, fault.document());
    if challenge {
        r.status = 401;
        r.challenge = credentials::challenges(app, fault.reason == credentials::STALE_NONCE);
    }
    r
}

/// Who sends the request: by UsernameToken, HTTP Digest or Basic, or
/// nobody. `Err(reply)` when credentials were given and are wrong.
fn sender(cam: &App, env: &Envelope, request: &Request) -> Result<Option<Session>, Reply> {
    let app = &cam.shared;
    if env.header("UsernameToken").is_some() {
        let wall = lock(&cam.time).hal.now().unwrap_or(0);
        return security::username_token(app, env, request.presented.peer, wall)
            .map(|a| Some(Session::for_request(a)))
            .map_err(|f| refused(app, &f, false));
    }
    match credentials::from_header(app, &request.presented) {
        Some(Ok(account)) => Ok(Some(Session::for_request(account))),
        Some(Err(fault)) => Err(refused(app, &SoapFault::not_authorized(fault.reason.into_owned()), true)),
        None => Ok(None),
    }
}

/// Answers one SOAP request.
pub fn answer(cam: &App, request: &Request) -> Reply {
    let app = &cam.shared;
    let access = *lock(&app.access);
    if !access.onvif {
        return Reply::fault(request.service.path(), &Refusal::new(404, "not found"));
    }
    // curl --digest and others send the body only once challenged.
    if request.body.iter().all(u8::is_ascii_whitespace) && !matches!(credentials::from_header(app, &request.presented), Some(Ok(_))) {
        return refused(app, &SoapFault::not_authorized("credentials are required"), true);
    }
    let env = match Envelope::parse(request.body) {
        Ok(env) => env,
        Err(fault) => return reply(fault.status, fault.document()),
    };
    let operation = env.operation().to_string();
    let ours = env.namespace().is_some_and(|ns| request.service.namespaces().contains(&ns));
    let found = operations(request.service).iter().find(|o| o.name == operation).filter(|_| ours);
    let anyone = Session::anonymous();
    let session = if found.is_some_and(|o| o.open) {
        anyone
    } else {
        match sender(cam, &env, request) {
            Ok(Some(session)) => session,
            Ok(None) if !access.onvif_auth => anyone,
            Ok(None) => return refused(app, &SoapFault::not_authorized("credentials are required"), true),
            Err(reply) => return reply,
        }
    };
    // An operation the service does not have is refused as a change would be.
    let needed = found.map_or(if operation.starts_with("Get") { Act::Read } else { Act::Configure }, |o| o.act).privilege();
    if session.privilege < needed {
        return refused(app, &SoapFault::not_authorized(format!("{operation} needs a higher privilege")), false);
    }
    let scheme = if request.secure { "https" } else { "http" };
    let base = match request.host.filter(|h| !h.is_empty() && h.bytes().all(|b| b.is_ascii_alphanumeric() || b".:-[]".contains(&b))) {
        Some(host) => format!("{scheme}://{host}"),
        None if request.secure => {
            format!("{scheme}://{}", std::net::SocketAddr::new(app.listen.ip(), cam.https.get().map_or(0, |h| h.port)))
        }
        None => format!("{scheme}://{}", app.listen),
    };
    let ctx = Context { base, session, request };
    let result = match found {
        Some(op) => (op.run)(cam, &ctx, &env),
        None if !ours => Err(SoapFault::receiver(
            &["ter:ActionNotSupported"],
            format!("{operation} in namespace {} is not an operation of {}", env.namespace().unwrap_or("(none)"), request.service.path()),
        )),
        None => Err(SoapFault::not_supported(&operation)),
    };
    match result {
        Ok(answer) => {
            let header = answer.action.map(|a| format!("<wsa:Action>{a}</wsa:Action>")).unwrap_or_default();
            let mut r = reply(200, soap::envelope_with_header(&header, &answer.body));
            r.after = answer.after;
            r
        }
        Err(mut fault) => {
            log::debug!("onvif {operation}: {}", fault.reason);
            // The event service answers its faults with the fault's Action.
            if matches!(request.service, Service::Events | Service::Subscription) {
                fault.action = Some(soap::FAULT_ACTION);
            }
            reply(fault.status, fault.document())
        }
    }
}
