use super::*;

#[test]
fn envelopes_are_read_and_bounded() {
    let doc = concat!(
        r#"<?xml version="1.0"?><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Header>"#,
        r#"<Security><UsernameToken><Username>admin</Username></UsernameToken></Security></s:Header><s:Body>"#,
        r#"<GetProfile xmlns="x"><ProfileToken>main &amp; more</ProfileToken></GetProfile></s:Body></s:Envelope>"#
    )
    .as_bytes();
    let e = Envelope::parse(doc).expect("parsed");
    assert_eq!(e.operation(), "GetProfile");
    assert_eq!(e.text("ProfileToken"), Some("main & more"));
    assert_eq!(e.header("Username").map(|u| u.text.as_str()), Some("admin"));
    assert!(e.find("Username").is_none(), "the header is not the operation");
    assert_eq!(Envelope::parse(b"<!DOCTYPE x [<!ENTITY a 'b'>]><Envelope/>").unwrap_err().subcodes, &["ter:WellFormed"]);
    assert!(Envelope::parse(b"<Envelope><Body></Body></Envelope>").is_err());
    assert!(Envelope::parse(b"<Envelope><Body><A>").is_err());
    assert!(Envelope::parse(&vec![b' '; MAX_ENVELOPE + 1]).is_err());
    let deep = format!("<Envelope><Body>{}{}</Body></Envelope>", "<a>".repeat(40), "</a>".repeat(40));
    assert!(Envelope::parse(deep.as_bytes()).is_err());
}

#[test]
fn a_fault_is_well_formed_whatever_the_client_sent() {
    // A value a client sent as `&#1;<`, echoed in a fault's reason.
    let fault = SoapFault::invalid("\u{1}<: outside -1 to 1").document();
    let text = String::from_utf8(fault).unwrap();
    assert!(text.contains("<env:Text xml:lang=\"en\">\u{fffd}&lt;: outside -1 to 1</env:Text>"), "{text}");
}
