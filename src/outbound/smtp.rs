//! A small SMTP client: one message with one JPEG attachment (RFC 5321, MIME).
//!
//! Hand-written rather than a crate for the same reason as the FTP client:
//! the exchange is short, and e-mail crates are large for a camera's flash.
//! Plain SMTP (no STARTTLS): for a relay on the camera's own network.

use crate::outbound::ftp::{connect, Control, Deadline, Failure, Server};
use base64::Engine;

/// Where and to whom to send.
#[derive(Debug, Clone)]
pub struct Target<'a> {
    /// The relay (port 25 or 587), and the login for AUTH PLAIN (none when
    /// the user is empty).
    pub server: Server<'a>,
    /// Sender address.
    pub from: &'a str,
    /// Recipient addresses.
    pub to: Vec<&'a str>,
}

const BOUNDARY: &str = "camcgi-snapshot-boundary";

/// The message: a line of text and the JPEG, base64 in 76-column lines
/// (base64 never starts a line with `.`, so no dot-stuffing is needed).
pub fn message(t: &Target, name: &str, jpeg: &[u8]) -> String {
    let encoded = base64::engine::general_purpose::STANDARD.encode(jpeg);
    let mut body = String::with_capacity(encoded.len() + encoded.len() / 38 + 1024);
    body.push_str(&format!(
        "From: <{from}>\r\nTo: {to}\r\nSubject: Camera snapshot {name}\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"{BOUNDARY}\"\r\n\r\n\
         --{BOUNDARY}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSnapshot {name} from the camera.\r\n\
         --{BOUNDARY}\r\nContent-Type: image/jpeg; name=\"{name}\"\r\nContent-Transfer-Encoding: base64\r\n\
         Content-Disposition: attachment; filename=\"{name}\"\r\n\r\n",
        from = t.from,
        to = t.to.iter().map(|a| format!("<{a}>")).collect::<Vec<_>>().join(", "),
    ));
    for line in encoded.as_bytes().chunks(76) {
        body.push_str(std::str::from_utf8(line).unwrap_or_default());
        body.push_str("\r\n");
    }
    body.push_str(&format!("--{BOUNDARY}--\r\n"));
    body
}

/// Sends the JPEG as an attachment, within `deadline`.
pub fn send(t: &Target, name: &str, jpeg: &[u8], deadline: &Deadline) -> Result<(), Failure> {
    let plain = base64::engine::general_purpose::STANDARD.encode(format!("\0{}\0{}", t.server.user, t.server.password));
    exchange(t, name, jpeg, deadline, &plain).map_err(|f| f.scrubbed(&[t.server.password, &plain]))
}

fn exchange(t: &Target, name: &str, jpeg: &[u8], deadline: &Deadline, plain: &str) -> Result<(), Failure> {
    let mut c = Control::new(connect(t.server.host, t.server.port, deadline, "connect")?, *deadline);
    c.expect("greeting", None, &[220])?;
    c.expect("hello", Some("EHLO camcgi"), &[250])?;
    if !t.server.user.is_empty() {
        c.expect("login", Some(&format!("AUTH PLAIN {plain}")), &[235])?;
    }
    c.expect("sender", Some(&format!("MAIL FROM:<{}>", t.from)), &[250])?;
    for to in &t.to {
        c.expect("recipient", Some(&format!("RCPT TO:<{to}>")), &[250, 251])?;
    }
    c.expect("data", Some("DATA"), &[354])?;
    let msg = message(t, name, jpeg);
    c.send_body("data", msg.trim_end_matches("\r\n"))?;
    c.expect("data", Some("."), &[250])?;
    let _ = c.send("quit", "QUIT");
    Ok(())
}
