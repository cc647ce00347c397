//! SOAP 1.2 envelopes: read with quick-xml's reader into a flat list of
//! elements (bounded before parsing, no DOCTYPE), written as text with the
//! ONVIF namespaces declared once, and ONVIF's faults.

mod fault;

pub use fault::{SoapFault, FAULT_ACTION};
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;
use std::borrow::Cow;
use std::fmt::Write;

/// Envelopes larger than this are refused before parsing.
pub const MAX_ENVELOPE: usize = 32 * 1024;
/// Elements an envelope may hold.
const MAX_ELEMENTS: usize = 1024;
/// Nesting an envelope may have.
const MAX_DEPTH: usize = 32;

/// One element: its local name, depth, attributes (local names) and text.
#[derive(Debug, Clone)]
pub struct Element {
    /// Local name (no prefix).
    pub name: String,
    /// 0 for the envelope.
    pub depth: usize,
    /// Attributes by local name.
    pub attrs: Vec<(String, String)>,
    /// The text directly inside, trimmed.
    pub text: String,
    /// The namespace of its name, resolved for the envelope's first three
    /// levels (the envelope, Header and Body, header blocks and the
    /// operation) and left out below them.
    pub namespace: Option<Cow<'static, str>>,
}

impl Element {
    /// An attribute's value.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

/// A parsed envelope.
#[derive(Debug)]
pub struct Envelope {
    elements: Vec<Element>,
    /// Index of the Body element's first child (the operation).
    operation: usize,
}

/// Text escaped for XML, with any character XML 1.0 cannot hold (a client
/// may send one as `&#1;`) replaced as the CGI's answers replace it.
pub fn esc(s: &str) -> String {
    quick_xml::escape::escape(crate::api::xml::xml_text(s)).into_owned()
}

fn local(name: &str) -> String {
    name.rsplit(':').next().unwrap_or(name).to_string()
}

fn element(e: &BytesStart, depth: usize) -> Result<Element, SoapFault> {
    let mut attrs = Vec::new();
    for a in e.attributes() {
        let a = a.map_err(|_| malformed())?;
        let value = a.normalized_value(quick_xml::XmlVersion::Implicit1_0).map_err(|_| malformed())?;
        attrs.push((local(a.key.as_ref()), value.into_owned()));
    }
    Ok(Element { name: local(e.name().as_ref()), depth, attrs, text: String::new(), namespace: None })
}

/// The namespaces requests name, kept without a copy: a name among them
/// resolves without an allocation.
const KNOWN_NAMESPACES: [&str; 16] = [
    SOAP12,
    "http://www.onvif.org/ver10/device/wsdl",
    "http://www.onvif.org/ver10/media/wsdl",
    "http://www.onvif.org/ver20/media/wsdl",
    "http://www.onvif.org/ver20/ptz/wsdl",
    "http://www.onvif.org/ver20/imaging/wsdl",
    "http://www.onvif.org/ver10/events/wsdl",
    "http://www.onvif.org/ver10/schema",
    "http://docs.oasis-open.org/wsn/b-2",
    "http://www.w3.org/2005/08/addressing",
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd",
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd",
    "http://www.w3.org/2001/XMLSchema-instance",
    "http://www.w3.org/2001/XMLSchema",
    "http://schemas.xmlsoap.org/ws/2004/08/addressing",
    "http://schemas.xmlsoap.org/ws/2005/04/discovery",
];

/// A namespace's name: one of `KNOWN_NAMESPACES` borrowed, another copied.
fn namespace_name(uri: &str) -> Cow<'static, str> {
    match KNOWN_NAMESPACES.iter().find(|known| **known == uri) {
        Some(known) => Cow::Borrowed(known),
        None => Cow::Owned(uri.to_string()),
    }
}

/// Declarations kept at most; a document with more on its first three
/// levels has the rest ignored (its operation then names no known service).
const MAX_DECLARATIONS: usize = 16;

/// The namespaces declared on the envelope's first three levels: the level
/// each was declared at, its prefix (empty for the default; longer prefixes
/// than 16 bytes are ignored) and its name.
#[derive(Default)]
struct Scopes(heapless::Vec<(usize, heapless::String<16>, Cow<'static, str>), MAX_DECLARATIONS>);

/// How deep namespaces are resolved (see `Element::namespace`).
const RESOLVED_DEPTH: usize = 2;

impl Scopes {
    /// Takes the declarations of an element at `depth` and resolves its name.
    fn enter(&mut self, e: &BytesStart, depth: usize) -> Option<Cow<'static, str>> {
        if depth > RESOLVED_DEPTH {
            return None;
        }
        for a in e.attributes().flatten() {
            let key: &str = a.key.as_ref();
            let prefix = if key == "xmlns" { Some("") } else { key.strip_prefix("xmlns:") };
            if let Some(prefix) = prefix.and_then(|p| heapless::String::try_from(p).ok()) {
                let _ = self.0.push((depth, prefix, namespace_name(&a.value)));
            }
        }
        let name = e.name();
        let qualified: &str = name.as_ref();
        let prefix = qualified.rsplit_once(':').map_or("", |(p, _)| p);
        self.0.iter().rev().find(|(_, p, _)| p.as_str() == prefix).map(|(_, _, uri)| uri.clone())
    }

    /// An element at `depth`, its namespace resolved where it is.
    fn element(&mut self, e: &BytesStart, depth: usize) -> Result<Element, SoapFault> {
        let mut element = element(e, depth)?;
        element.namespace = self.enter(e, depth);
        Ok(element)
    }

    /// Drops the declarations of an element at `depth` that has ended.
    fn leave(&mut self, depth: usize) {
        while self.0.last().is_some_and(|(d, _, _)| *d >= depth) {
            self.0.pop();
        }
    }
}

/// An `xs:boolean`: `true` or `1`, `false` or `0`.
pub fn boolean(text: &str) -> Option<bool> {
    match text {
        "true" | "1" => Some(true),
        "false" | "0" => Some(false),
        _ => None,
    }
}

/// Refuses a header block marked `mustUnderstand` that the camera does not
/// understand (SOAP 1.2's MustUnderstand fault).
fn understood(header: &[Element]) -> Result<(), SoapFault> {
    let must = |e: &&Element| e.depth == 2 && e.attr("mustUnderstand").and_then(boolean) == Some(true);
    match header.iter().filter(must).find(|e| !UNDERSTOOD.contains(&e.name.as_str())) {
        Some(block) => Err(SoapFault::must_understand(&block.name, block.namespace.as_deref())),
        None => Ok(()),
    }
}

/// The header blocks the camera acts on or may ignore safely: WS-Security,
/// and WS-Addressing's (the path already names the endpoint and the
/// operation).
const UNDERSTOOD: [&str; 8] = ["Security", "Action", "To", "MessageID", "ReplyTo", "From", "FaultTo", "RelatesTo"];

const SOAP12: &str = "http://www.w3.org/2003/05/soap-envelope";

/// Whether the root is SOAP 1.2's `Envelope`: its namespace can only be
/// declared on itself.
fn soap12_root(root: &BytesStart) -> Result<(), SoapFault> {
    let name = root.name();
    let qualified: &str = name.as_ref();
    let (prefix, local) = qualified.split_once(':').map_or((None, qualified), |(p, l)| (Some(p), l));
    if local != "Envelope" {
        return Ok(());
    }
    let declares = |key: &str| match prefix {
        Some(p) => key.strip_prefix("xmlns:") == Some(p),
        None => key == "xmlns",
    };
    let declared = root.attributes().flatten().find(|a| declares(a.key.as_ref())).map(|a| a.value);
    match declared {
        Some(ns) if &*ns == SOAP12 => Ok(()),
        _ => Err(SoapFault::version_mismatch()),
    }
}

fn malformed() -> SoapFault {
    SoapFault::sender(&["ter:WellFormed"], "the envelope is not well-formed XML")
}

impl Envelope {
    /// Reads an envelope; refuses one too large, malformed, with a DOCTYPE
    /// or without a Body holding one operation.
    pub fn parse(bytes: &[u8]) -> Result<Envelope, SoapFault> {
        if bytes.len() > MAX_ENVELOPE {
            return Err(SoapFault::sender(&["ter:InvalidArgs"], "the envelope is too large"));
        }
        let mut reader = Reader::from_reader(bytes);
        // Room for a typical request's elements, so that reading one
        // reallocates neither.
        let mut elements: Vec<Element> = Vec::with_capacity(8);
        let mut open: Vec<usize> = Vec::with_capacity(MAX_DEPTH);
        // The root's namespace, judged once the document is known to be
        // well-formed.
        let mut version = Ok(());
        let mut scopes = Scopes::default();
        loop {
            let event = reader.read_event().map_err(|_| malformed())?;
            // One root, and nothing but white space after it.
            let after_root = open.is_empty() && !elements.is_empty();
            match &event {
                Event::Start(_) | Event::Empty(_) | Event::CData(_) | Event::GeneralRef(_) if after_root => return Err(malformed()),
                Event::Text(t) if after_root && !t.trim().is_empty() => return Err(malformed()),
                Event::Start(e) | Event::Empty(e) if elements.is_empty() => version = soap12_root(e),
                _ => {}
            }
            match event {
                Event::Start(_) | Event::Empty(_) if elements.len() >= MAX_ELEMENTS || open.len() >= MAX_DEPTH => {
                    return Err(SoapFault::sender(&["ter:InvalidArgs"], "the envelope is too complex"));
                }
                Event::Start(e) => {
                    elements.push(scopes.element(&e, open.len())?);
                    open.push(elements.len() - 1);
                }
                Event::Empty(e) => {
                    elements.push(scopes.element(&e, open.len())?);
                    scopes.leave(open.len());
                }
                Event::End(_) => {
                    scopes.leave(open.len().saturating_sub(1));
                    if let Some(i) = open.pop() {
                        let trimmed = elements[i].text.trim();
                        if trimmed.len() != elements[i].text.len() {
                            elements[i].text = trimmed.to_string();
                        }
                    }
                }
                Event::Text(t) => {
                    if let Some(&i) = open.last() {
                        elements[i].text.push_str(&t.xml10_content());
                    }
                }
                Event::GeneralRef(r) => {
                    if let Some(&i) = open.last() {
                        let name: &str = r.as_ref();
                        let text = match r.resolve_char_ref().ok().flatten() {
                            Some(c) => c.to_string(),
                            None => quick_xml::escape::resolve_xml_entity(name).ok_or_else(malformed)?.to_string(),
                        };
                        elements[i].text.push_str(&text);
                    }
                }
                Event::CData(t) => {
                    if let Some(&i) = open.last() {
                        let text: &str = t.as_ref();
                        elements[i].text.push_str(text);
                    }
                }
                Event::DocType(_) => return Err(SoapFault::sender(&["ter:WellFormed"], "a DOCTYPE is not allowed")),
                Event::Eof => break,
                _ => {}
            }
        }
        if !open.is_empty() {
            return Err(malformed());
        }
        version?;
        Envelope::of(elements)
    }

    /// The envelope of a well-formed SOAP 1.2 document's elements: a Body
    /// holding an operation, and no header block that must be understood
    /// and is not.
    fn of(elements: Vec<Element>) -> Result<Envelope, SoapFault> {
        if elements.first().is_none_or(|e| e.name != "Envelope") {
            return Err(malformed());
        }
        let body = elements.iter().position(|e| e.depth == 1 && e.name == "Body").ok_or_else(malformed)?;
        let operation = body + 1;
        if elements.get(operation).is_none_or(|e| e.depth != 2) {
            return Err(SoapFault::sender(&["ter:InvalidArgs"], "the Body holds no operation"));
        }
        understood(&elements[..body])?;
        Ok(Envelope { elements, operation })
    }

    /// The operation: the Body's first child's local name.
    pub fn operation(&self) -> &str {
        &self.elements[self.operation].name
    }

    /// The operation's namespace.
    pub fn namespace(&self) -> Option<&str> {
        self.elements[self.operation].namespace.as_deref()
    }

    /// The first element of this name in the Header.
    pub fn header(&self, name: &str) -> Option<&Element> {
        self.elements[..self.operation].iter().find(|e| e.name == name)
    }

    /// The first element of this name in the operation.
    pub fn find(&self, name: &str) -> Option<&Element> {
        self.elements[self.operation..].iter().find(|e| e.name == name)
    }

    /// Every element of this name in the operation.
    pub fn all<'e>(&'e self, name: &'e str) -> impl Iterator<Item = &'e Element> + 'e {
        self.elements[self.operation..].iter().filter(move |e| e.name == name)
    }

    /// The text of the first element of this name in the operation.
    pub fn text(&self, name: &str) -> Option<&str> {
        self.find(name).map(|e| e.text.as_str())
    }

    /// An optional `xs:boolean` element of the operation: `NAME: true or false` when it is not one.
    pub fn flag(&self, name: &str) -> Result<Option<bool>, SoapFault> {
        self.text(name).map(|t| boolean(t).ok_or_else(|| SoapFault::invalid(format!("{name}: true or false")))).transpose()
    }

    /// The text of an optional element that is given and not empty: an
    /// empty one (onveef sends an empty `ConfigurationToken` with a
    /// `ProfileToken`) is taken as left out.
    pub fn given(&self, name: &str) -> Option<&str> {
        self.text(name).filter(|t| !t.is_empty())
    }

    /// The elements inside each element named `outer` in the operation, one
    /// slice per such element, in order.
    pub fn each_within<'e>(&'e self, outer: &'e str) -> impl Iterator<Item = &'e [Element]> + 'e {
        let from = self.operation;
        self.elements[from..].iter().enumerate().filter(move |(_, e)| e.name == outer).map(move |(i, e)| {
            let start = from + i + 1;
            let end = self.elements[start..].iter().position(|c| c.depth <= e.depth).map_or(self.elements.len(), |n| start + n);
            &self.elements[start..end]
        })
    }

    /// The elements inside the first element named `outer`, in order.
    pub fn within<'e>(&'e self, outer: &str) -> &'e [Element] {
        let Some(start) = self.elements[self.operation..].iter().position(|e| e.name == outer) else { return &[] };
        let start = self.operation + start;
        let depth = self.elements[start].depth;
        let end = self.elements[start + 1..].iter().position(|e| e.depth <= depth).map_or(self.elements.len(), |n| start + 1 + n);
        &self.elements[start + 1..end]
    }
}

/// The namespaces every answer declares.
const NAMESPACES: &str = concat!(
    "xmlns:env=\"http://www.w3.org/2003/05/soap-envelope\" ",
    "xmlns:tt=\"http://www.onvif.org/ver10/schema\" ",
    "xmlns:tds=\"http://www.onvif.org/ver10/device/wsdl\" ",
    "xmlns:trt=\"http://www.onvif.org/ver10/media/wsdl\" ",
    "xmlns:tr2=\"http://www.onvif.org/ver20/media/wsdl\" ",
    "xmlns:tptz=\"http://www.onvif.org/ver20/ptz/wsdl\" ",
    "xmlns:timg=\"http://www.onvif.org/ver20/imaging/wsdl\" ",
    "xmlns:tev=\"http://www.onvif.org/ver10/events/wsdl\" ",
    "xmlns:wsnt=\"http://docs.oasis-open.org/wsn/b-2\" ",
    "xmlns:wsa=\"http://www.w3.org/2005/08/addressing\" ",
    "xmlns:tns1=\"http://www.onvif.org/ver10/topics\" ",
    "xmlns:wsrf-rw=\"http://docs.oasis-open.org/wsrf/rw-2\" ",
    "xmlns:ter=\"http://www.onvif.org/ver10/error\""
);

/// An answer envelope around `body`.
pub fn envelope(body: &str) -> Vec<u8> {
    envelope_with_header("", body)
}

/// An answer envelope with a Header (WS-Addressing's `Action`, for events).
pub fn envelope_with_header(header: &str, body: &str) -> Vec<u8> {
    let mut out = String::with_capacity(body.len() + 900);
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<env:Envelope ");
    out.push_str(NAMESPACES);
    out.push('>');
    if !header.is_empty() {
        let _ = write!(out, "<env:Header>{header}</env:Header>");
    }
    let _ = write!(out, "<env:Body>{body}</env:Body></env:Envelope>");
    out.into_bytes()
}

#[cfg(test)]
mod tests;
