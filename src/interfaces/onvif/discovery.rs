//! WS-Discovery (2005/04, as ONVIF uses it): ProbeMatches for a Probe that
//! asks for a `dn:NetworkVideoTransmitter` (or for anything) and whose
//! scopes the camera has; Hello and Bye.

use super::device::endpoint;
use super::scopes;
use super::soap::{esc, Envelope};
use super::App;
use std::fmt::Write;
use std::net::SocketAddr;

/// The group and port probes are sent to.
pub const MULTICAST: SocketAddr = SocketAddr::V4(std::net::SocketAddrV4::new(std::net::Ipv4Addr::new(239, 255, 255, 250), 3702));
/// Probes longer than this are not read.
pub const MAX_PROBE: usize = 8 * 1024;

const NAMESPACES: &str = "xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" \
    xmlns:a=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\" \
    xmlns:d=\"http://schemas.xmlsoap.org/ws/2005/04/discovery\" \
    xmlns:dn=\"http://www.onvif.org/ver10/network/wsdl\"";
const TO_ANYONE: &str = "urn:schemas-xmlsoap-org:ws:2005:04:discovery";

fn message_id() -> String {
    format!("urn:uuid:{}", uuid::Uuid::from_bytes(crate::state::secret::random()).hyphenated())
}

/// The camera's description in a match, Hello or Bye.
fn description(cam: &App, xaddr: Option<&str>) -> String {
    let mut out = format!("<a:EndpointReference><a:Address>{}</a:Address></a:EndpointReference>", endpoint(cam));
    if let Some(xaddr) = xaddr {
        let scopes: Vec<String> = scopes::all(cam).iter().map(|(s, _)| esc(s)).collect();
        let _ = write!(
            out,
            "<d:Types>dn:NetworkVideoTransmitter</d:Types><d:Scopes>{}</d:Scopes><d:XAddrs>{}</d:XAddrs>",
            scopes.join(" "),
            esc(xaddr)
        );
    }
    out.push_str("<d:MetadataVersion>1</d:MetadataVersion>");
    out
}

fn envelope(action: &str, relates_to: Option<&str>, body: &str) -> Vec<u8> {
    let relates = relates_to.map(|r| format!("<a:RelatesTo>{}</a:RelatesTo>", esc(r))).unwrap_or_default();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><s:Envelope {NAMESPACES}><s:Header>\
            <a:MessageID>{}</a:MessageID>{relates}<a:To>{TO_ANYONE}</a:To>\
            <a:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/{action}</a:Action></s:Header><s:Body>{body}</s:Body>\
            </s:Envelope>",
        message_id()
    )
    .into_bytes()
}

/// Whether a probe's wanted types include the camera's (none: any).
fn types_match(types: &str) -> bool {
    types.split_whitespace().all(|t| {
        let local = t.rsplit(':').next().unwrap_or(t);
        local == "NetworkVideoTransmitter" || local == "Device"
    })
}

/// Whether every scope asked for is one of the camera's, or a prefix of
/// one by path segments (RFC 3986 matching, the default rule).
fn scopes_match(wanted: &str, have: &[String]) -> bool {
    wanted.split_whitespace().all(|w| {
        let w = w.trim_end_matches('/');
        have.iter().any(|h| h == w || h.strip_prefix(w).is_some_and(|rest| rest.starts_with('/')))
    })
}

/// A Probe for this camera.
#[derive(Debug)]
pub struct Probe {
    /// The probe's MessageID, which the answer relates to.
    pub message_id: Option<String>,
}

const SOAP12: &str = "http://www.w3.org/2003/05/soap-envelope";
const ADDRESSING: &str = "http://schemas.xmlsoap.org/ws/2004/08/addressing";
const DISCOVERY: &str = "http://schemas.xmlsoap.org/ws/2005/04/discovery";
const PROBE_ACTION: &str = "http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe";

/// Whether a datagram (already read as an envelope, so bounded) is a SOAP
/// 1.2 envelope whose `Probe` is WS-Discovery's and whose WS-Addressing
/// `Action` names a Probe: the probe WS-Discovery defines, and nothing
/// shorter.
fn is_discovery_probe(datagram: &[u8]) -> bool {
    use quick_xml::events::Event;
    use quick_xml::name::{Namespace, ResolveResult};
    let mut reader = quick_xml::NsReader::from_reader(datagram);
    let (mut envelope, mut probe, mut in_action) = (false, false, false);
    let mut action = String::new();
    let bound = |ns: &ResolveResult, uri: &str| matches!(ns, ResolveResult::Bound(Namespace(n)) if *n == uri);
    loop {
        match reader.read_resolved_event() {
            Ok((ns, Event::Start(e) | Event::Empty(e))) => match e.local_name().as_ref() {
                "Envelope" => envelope |= bound(&ns, SOAP12),
                "Probe" => probe |= bound(&ns, DISCOVERY),
                "Action" => in_action = bound(&ns, ADDRESSING),
                _ => {}
            },
            Ok((_, Event::Text(t))) if in_action => action.push_str(&t.xml10_content()),
            Ok((_, Event::End(_))) => in_action = false,
            Ok((_, Event::Eof)) => break,
            Ok(_) => {}
            Err(_) => return false,
        }
    }
    envelope && probe && action.trim() == PROBE_ACTION
}

/// The Probe in a datagram, if it is one for this camera.
pub fn probe_for(cam: &App, datagram: &[u8]) -> Option<Probe> {
    let env = Envelope::parse(datagram).ok()?;
    if env.operation() != "Probe" || !is_discovery_probe(datagram) {
        return None;
    }
    if !types_match(env.text("Types").unwrap_or_default()) {
        return None;
    }
    let scopes: Vec<String> = scopes::all(cam).into_iter().map(|(s, _)| s).collect();
    if !scopes_match(env.text("Scopes").unwrap_or_default(), &scopes) {
        return None;
    }
    Some(Probe { message_id: env.header("MessageID").map(|m| m.text.clone()) })
}

/// The ProbeMatches datagram answering `probe`; `xaddr` is the device
/// service's address as the prober reaches it.
pub fn probe_matches(cam: &App, probe: &Probe, xaddr: &str) -> Vec<u8> {
    let body = format!("<d:ProbeMatches><d:ProbeMatch>{}</d:ProbeMatch></d:ProbeMatches>", description(cam, Some(xaddr)));
    envelope("ProbeMatches", probe.message_id.as_deref(), &body)
}

/// The Hello sent when the camera starts.
pub fn hello(cam: &App, xaddr: &str) -> Vec<u8> {
    envelope("Hello", None, &format!("<d:Hello>{}</d:Hello>", description(cam, Some(xaddr))))
}

/// The Bye sent when it stops.
pub fn bye(cam: &App) -> Vec<u8> {
    envelope("Bye", None, &format!("<d:Bye>{}</d:Bye>", description(cam, None)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_namespaced_probe_with_its_action_is_a_probe() {
        let probe = |envelope_ns: &str, probe_ns: &str, action: &str| {
            format!(
                "<s:Envelope xmlns:s=\"{envelope_ns}\" xmlns:a=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\" xmlns:d=\"{probe_ns}\">\
                    <s:Header><a:Action>{action}</a:Action></s:Header><s:Body><d:Probe/></s:Body></s:Envelope>"
            )
        };
        let soap = "http://www.w3.org/2003/05/soap-envelope";
        let wsd = "http://schemas.xmlsoap.org/ws/2005/04/discovery";
        assert!(is_discovery_probe(probe(soap, wsd, PROBE_ACTION).as_bytes()));
        assert!(!is_discovery_probe(probe(soap, wsd, "http://schemas.xmlsoap.org/ws/2005/04/discovery/Resolve").as_bytes()));
        assert!(!is_discovery_probe(probe(soap, "urn:other", PROBE_ACTION).as_bytes()));
        assert!(!is_discovery_probe(probe("http://schemas.xmlsoap.org/soap/envelope/", wsd, PROBE_ACTION).as_bytes()));
        assert!(!is_discovery_probe(b"<Envelope><Body><Probe/></Body></Envelope>"));
    }

    #[test]
    fn probes_match_by_type_and_scope() {
        assert!(types_match(""));
        assert!(types_match("dn:NetworkVideoTransmitter"));
        assert!(types_match("tds:Device"));
        assert!(!types_match("dn:NetworkVideoDisplay"));
        let have = vec!["onvif://www.onvif.org/type/ptz".to_string(), "onvif://www.onvif.org/name/MC200J6".to_string()];
        assert!(scopes_match("onvif://www.onvif.org/name/MC200J6/", &have), "a trailing slash");
        assert!(scopes_match("", &have));
        assert!(scopes_match("onvif://www.onvif.org/type", &have));
        assert!(scopes_match("onvif://www.onvif.org/name/MC200J6 onvif://www.onvif.org/type/ptz", &have));
        assert!(!scopes_match("onvif://www.onvif.org/ty", &have));
        assert!(!scopes_match("onvif://www.onvif.org/name/other", &have));
    }
}
