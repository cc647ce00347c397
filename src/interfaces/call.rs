//! What an interface's handler is given (a checked request) and gives back
//! (a reply, and work for after it): the vocabulary between the router and
//! the interface modules.

use crate::api::query::Params;
use crate::api::refusal::Refusal;
use crate::api::xml::Doc;
use crate::state::session::Session;
use std::net::IpAddr;

/// The kind of body, which decides the Content-Type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Body {
    /// `text/xml; charset=UTF-8` (`/cgi-bin/*`).
    Xml,
    /// `text/plain;charset=utf-8` (`/cgi/auth.cgi`).
    PlainXml,
    /// `image/jpeg`.
    Jpeg,
    /// `application/soap+xml; charset=utf-8` (ONVIF).
    Soap,
    /// `application/x-pem-file` (a certificate chain).
    Pem,
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
    /// `WWW-Authenticate` values: a 401 asks for credentials.
    pub challenge: Vec<String>,
    /// Methods allowed, for a 405.
    pub allow: Option<&'static str>,
    /// Work for after the answer.
    pub after: Option<After>,
    /// A CORS origin to allow in the answer.
    pub cors: Option<String>,
    /// Where a redirect sends the client.
    pub location: Option<Box<str>>,
}

impl Reply {
    /// A 200 XML answer.
    pub fn xml(body: Vec<u8>) -> Reply {
        Reply { status: 200, body_kind: Body::Xml, body, challenge: Vec::new(), allow: None, after: None, cors: None, location: None }
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

    /// The `<fault>` answer for an interface path: `<value>` the path, `<reason>` the refusal's.
    pub fn fault(path: &str, refusal: &Refusal) -> Reply {
        let mut doc = Doc::new();
        doc.element("fault").open();
        doc.text_element("value", path).text_element("reason", &refusal.reason).close("fault");
        Reply { status: refusal.status, ..Reply::xml(doc.finish()) }
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
pub(crate) fn sets_something(params: &Params) -> bool {
    params.names().any(|n| n != "uid")
}
