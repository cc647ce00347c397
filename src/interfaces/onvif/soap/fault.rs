//! ONVIF's faults, and the SOAP 1.2 envelope each is answered in.

use super::{envelope_with_header, esc};
use std::fmt::Write;

/// A SOAP fault: HTTP status, code, ONVIF subcodes and reason.
#[derive(Debug, Clone)]
pub struct SoapFault {
    /// HTTP status.
    pub status: u16,
    /// `env:Sender` or `env:Receiver`.
    pub code: &'static str,
    /// `ter:…` subcodes, outermost first.
    pub subcodes: &'static [&'static str],
    /// Text for people.
    pub reason: String,
    /// WS-Addressing's `Action` for the Header, where the service has one
    /// for its faults (the event service's).
    pub action: Option<&'static str>,
}

/// The `Action` of a SOAP fault (WS-Addressing), which ONVIF's event
/// service answers its faults with.
pub const FAULT_ACTION: &str = "http://www.w3.org/2005/08/addressing/soap/fault";

impl SoapFault {
    /// A fault of the client's making.
    pub fn sender(subcodes: &'static [&'static str], reason: impl Into<String>) -> SoapFault {
        SoapFault { status: 400, code: "env:Sender", subcodes, reason: reason.into(), action: None }
    }
    /// A fault of the camera's making.
    pub fn receiver(subcodes: &'static [&'static str], reason: impl Into<String>) -> SoapFault {
        SoapFault { status: 500, code: "env:Receiver", subcodes, reason: reason.into(), action: None }
    }
    /// `ter:InvalidArgVal`.
    pub fn invalid(reason: impl Into<String>) -> SoapFault {
        SoapFault::sender(&["ter:InvalidArgVal"], reason)
    }
    /// `ter:NotAuthorized`.
    pub fn not_authorized(reason: impl Into<String>) -> SoapFault {
        SoapFault::sender(&["ter:NotAuthorized"], reason)
    }
    /// An envelope of another SOAP version than 1.2 (or none).
    pub fn version_mismatch() -> SoapFault {
        SoapFault {
            status: 500,
            code: "env:VersionMismatch",
            subcodes: &[],
            reason: "a SOAP 1.2 envelope is required".into(),
            action: None,
        }
    }
    /// A header block marked `mustUnderstand` that the camera does not understand.
    pub fn must_understand(name: &str, namespace: Option<&str>) -> SoapFault {
        let reason = format!("the header block {name} ({}) is not understood", namespace.unwrap_or("no namespace"));
        SoapFault { status: 500, code: "env:MustUnderstand", subcodes: &[], reason, action: None }
    }
    /// `ter:ActionNotSupported`.
    pub fn not_supported(operation: &str) -> SoapFault {
        SoapFault::receiver(&["ter:ActionNotSupported"], format!("{operation} is not supported"))
    }

    /// The fault as an envelope.
    pub fn document(&self) -> Vec<u8> {
        let mut body = String::from("<env:Fault><env:Code><env:Value>");
        body.push_str(self.code);
        body.push_str("</env:Value>");
        for sub in self.subcodes {
            let _ = write!(body, "<env:Subcode><env:Value>{sub}</env:Value>");
        }
        for _ in self.subcodes {
            body.push_str("</env:Subcode>");
        }
        let _ = write!(body, "</env:Code><env:Reason><env:Text xml:lang=\"en\">{}</env:Text></env:Reason></env:Fault>", esc(&self.reason));
        let header = self.action.map(|a| format!("<wsa:Action>{a}</wsa:Action>")).unwrap_or_default();
        envelope_with_header(&header, &body)
    }
}
