//! Logging in and staying logged in: `/cgi-bin/getuid`, `/cgi-bin/keep_alive`
//! and the PTZ document's `/cgi/auth.cgi`.

use crate::api::query::Params;
use crate::api::refusal::Refusal;
use crate::api::xml::{simple, Doc};
use crate::interfaces::call::{Body, Call, Reply};
use crate::state::accounts::{Account, Accounts};
use crate::state::app::{lock, Shared};
use crate::state::lockout::Claim;
use crate::state::session::{Kind, Token};
use quick_xml::events::Event;
use quick_xml::Reader;
use std::net::IpAddr;

/// `getuid`'s parameters.
pub const GETUID_PARAMS: &[&str] = &["username", "password"];
/// `auth.cgi`'s parameters.
pub const AUTH_CGI_PARAMS: &[&str] = &["act", "set", "data"];
/// The `data` XML is refused past this many bytes, before parsing.
const MAX_DATA: usize = 1024;

/// Why a login was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginRefusal {
    /// Too many failures from this address lately.
    LockedOut,
    /// Unknown account, disabled account or wrong password: never said which.
    Wrong,
}

impl LoginRefusal {
    /// The `/cgi-bin` fault for it.
    pub fn fault(self, status: u16) -> Refusal {
        let reason = match self {
            LoginRefusal::LockedOut => "too many failed logins",
            LoginRefusal::Wrong => "password error",
        };
        Refusal::new(status, reason)
    }
}

/// Checks credentials from `peer` with the lockout applied; `claim` is what
/// the login named (see [`crate::state::lockout`]).
pub fn login(app: &Shared, peer: IpAddr, claim: Claim, check: impl FnOnce(&Accounts) -> Option<&Account>) -> Result<Account, LoginRefusal> {
    login_confirmed(app, peer, claim, |accounts| check(accounts).cloned(), || Ok(()), |refusal| refusal)
}

/// As [`login`], but credentials that verify count as a success (forgiving
/// the client's failures and earning it the account's trust) only once
/// `confirm` accepts them: a right HTTP Digest answer that is replayed or to
/// a stale nonce is refused with `confirm`'s error and counts neither way.
pub fn login_confirmed<E>(
    app: &Shared,
    peer: IpAddr,
    claim: Claim,
    check: impl FnOnce(&Accounts) -> Option<Account>,
    confirm: impl FnOnce() -> Result<(), E>,
    refused: impl Fn(LoginRefusal) -> E,
) -> Result<Account, E> {
    let now = app.now();
    if lock(&app.lockout).is_locked(peer, claim, now) {
        return Err(refused(LoginRefusal::LockedOut));
    }
    let account = check(&lock(&app.accounts));
    match account {
        Some(account) => {
            confirm()?;
            lock(&app.lockout).success(peer, &account.name, now);
            Ok(account)
        }
        None => {
            lock(&app.lockout).failure(peer, claim, now);
            log::info!("{peer}: failed login");
            Err(refused(LoginRefusal::Wrong))
        }
    }
}

fn open_session(app: &Shared, account: &Account, kind: Kind) -> Token {
    lock(&app.sessions).open(&account.name, account.privilege, kind, app.now())
}

/// `/cgi-bin/getuid?username=…&password=…`.
pub fn getuid(app: &Shared, call: &Call) -> Result<Reply, Refusal> {
    let p = &call.params;
    if p.is_empty() {
        return Err(Refusal::bad("error, parse parameters"));
    }
    let username = p.get("username").filter(|s| !s.is_empty()).ok_or(Refusal::bad("error, parse username"))?;
    let password = p.get("password").filter(|s| !s.is_empty()).ok_or(Refusal::bad("error, parse password"))?;
    let account = login(app, call.peer, Claim::Account(username), |a| a.login(username, password)).map_err(|r| r.fault(400))?;
    app.seal_on_login(username, password);
    let token = open_session(app, &account, Kind::Uid);
    Ok(Reply::xml(simple("uid", token)))
}

/// `/cgi-bin/keep_alive?uid=…`: the session was renewed by the router.
pub fn keep_alive(_app: &Shared, _call: &Call) -> Result<Reply, Refusal> {
    Ok(Reply::xml(simple("keep_alive", "true")))
}

/// The answer codes of `auth.cgi`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Code {
    Successful = 0,
    ParseError = 1,
    AuthenticationFailed = 2,
    AuthidInvalid = 3,
    Unsupported = 4,
}

fn code_reply(code: Code, text: &'static str) -> Reply {
    let mut doc = Doc::new();
    doc.element("root").open().newline();
    doc.text_element("code", code as u8).newline().text_element("error", text).newline().close("root");
    Reply::with_kind(Body::PlainXml, doc.finish())
}

fn code(code: Code) -> Reply {
    let text = match code {
        Code::Successful => "successful",
        Code::ParseError => "parse error",
        Code::AuthenticationFailed => "authentication failed",
        Code::AuthidInvalid => "authid invalid or expired",
        Code::Unsupported => "unsupported command",
    };
    code_reply(code, text)
}

/// `/cgi/auth.cgi?act=auth|auth_logout` and `?set=keep_alive`, answered with
/// `<root>`: its own checks, since it answers every outcome with a code.
pub fn auth_cgi(app: &Shared, raw_query: &str, peer: IpAddr) -> Reply {
    let Ok(params) = Params::parse(raw_query) else { return code(Code::ParseError) };
    if params.names().any(|n| !AUTH_CGI_PARAMS.contains(&n)) {
        return code(Code::ParseError);
    }
    let command = match (params.get("act"), params.get("set")) {
        (Some(act), None) => act,
        (None, Some(set)) => set,
        _ => return code(Code::Unsupported),
    };
    let wanted = match command {
        "auth" if params.has("act") => "encrypt",
        "auth_logout" if params.has("act") => "authid",
        "keep_alive" if params.has("set") => "authid",
        _ => return code(Code::Unsupported),
    };
    let Some(value) = params.get("data").and_then(|data| read_data(data, wanted)) else {
        return code(Code::ParseError);
    };
    match command {
        "auth" => match login(app, peer, Claim::Digest, |a| a.login_digest(&value)) {
            Ok(account) => {
                let token = open_session(app, &account, Kind::AuthId);
                let mut doc = Doc::new();
                doc.element("root").open().newline();
                doc.text_element("authid", token).newline();
                doc.text_element("version", env!("CARGO_PKG_VERSION")).newline().close("root");
                Reply::with_kind(Body::PlainXml, doc.finish())
            }
            Err(LoginRefusal::LockedOut) => code_reply(Code::AuthenticationFailed, "too many failed logins"),
            Err(LoginRefusal::Wrong) => code(Code::AuthenticationFailed),
        },
        "keep_alive" => {
            let live = lock(&app.sessions).find(&value, app.now());
            match live {
                Some(session) if lock(&app.sessions).touch(session.token, app.now()) => code(Code::Successful),
                _ => code(Code::AuthidInvalid),
            }
        }
        _ => {
            let mut sessions = lock(&app.sessions);
            match sessions.find(&value, app.now()) {
                Some(session) if sessions.close(session.token) => code(Code::Successful),
                _ => code(Code::AuthidInvalid),
            }
        }
    }
}

/// Drops whitespace inside tag names (`< authid >`, `</ authid >`), which
/// clients in the field send and the PTZ document prints.
fn tighten_tags(data: &str) -> String {
    let mut out = String::with_capacity(data.len());
    let mut chars = data.chars().peekable();
    let mut in_tag = false;
    let mut tag_start = false;
    while let Some(c) = chars.next() {
        match c {
            '<' => {
                in_tag = true;
                tag_start = true;
                out.push(c);
                continue;
            }
            '>' => in_tag = false,
            c if c.is_whitespace() && in_tag => {
                let before_end = loop {
                    match chars.peek() {
                        Some(n) if n.is_whitespace() => {
                            chars.next();
                        }
                        Some('>') => break true,
                        _ => break false,
                    }
                };
                if tag_start || before_end {
                    continue;
                }
            }
            '/' if tag_start => {
                out.push(c);
                continue;
            }
            _ => {}
        }
        tag_start = false;
        out.push(c);
    }
    out
}

/// The auth.cgi `data` reader: the text of `<root><WANTED>…</WANTED></root>`. A DOCTYPE, an entity
/// reference, malformed XML or an oversized document gives `None`.
pub fn read_data(data: &str, wanted: &str) -> Option<String> {
    if data.len() > MAX_DATA {
        return None;
    }
    let data = tighten_tags(data);
    let mut reader = Reader::from_str(&data);
    let mut depth = 0usize;
    let mut in_root = false;
    let mut inside = false;
    let mut found: Option<String> = None;
    loop {
        match reader.read_event().ok()? {
            Event::Start(e) => {
                depth += 1;
                let name = e.name().0;
                match depth {
                    1 if name == "root" => in_root = true,
                    1 => return None,
                    2 if in_root && name == wanted => inside = true,
                    _ => {}
                }
            }
            Event::End(_) => {
                depth = depth.checked_sub(1)?;
                inside = false;
            }
            Event::Text(t) if inside => {
                let text = t.xml10_content();
                found.get_or_insert_with(String::new).push_str(text.trim());
            }
            Event::DocType(_) | Event::GeneralRef(_) => return None,
            Event::Eof => break,
            _ => {}
        }
    }
    if depth != 0 || !in_root {
        return None;
    }
    found.filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lenient_data_is_read() {
        let d = "<?xml version='1.0'?><root>< authid >3f85fb201ca911ee999ae3123d0c1f1f</ authid ></root>";
        assert_eq!(read_data(d, "authid").as_deref(), Some("3f85fb201ca911ee999ae3123d0c1f1f"));
        let d = "<?xml version='1.0'?><root><encrypt>ABC</encrypt></root>";
        assert_eq!(read_data(d, "encrypt").as_deref(), Some("ABC"));
    }

    #[test]
    fn hostile_data_is_refused() {
        let doctype = "<?xml version='1.0'?><!DOCTYPE r [<!ENTITY x 'y'>]><root><encrypt>&x;</encrypt></root>";
        assert_eq!(read_data(doctype, "encrypt"), None);
        assert_eq!(read_data("<root><encrypt>a</encrypt>", "encrypt"), None);
        assert_eq!(read_data("<other><encrypt>a</encrypt></other>", "encrypt"), None);
        assert_eq!(read_data(&format!("<root><encrypt>{}</encrypt></root>", "a".repeat(2000)), "encrypt"), None);
    }
}
