//! Credentials presented with a request rather than a session: HTTP Digest
//! (preferred), HTTP Basic (unless switched off) and `username`+`password`
//! parameters, for `snapshot.cgi`, the firmware upload and ONVIF. Every
//! failure counts toward the same lockout as the CGI's logins.

use crate::api::digest::{self, REALM};
use crate::api::query::Params;
use crate::api::refusal::Refusal;
use crate::interfaces::auth::{login, login_confirmed, LoginRefusal};
use crate::state::accounts::{Account, Accounts};
use crate::state::app::{lock, Shared};
use crate::state::lockout::Claim;
use crate::state::nonces::Use;
use crate::state::session::Session;
use base64::Engine;
use std::net::IpAddr;

/// The fault for a right Digest answer to a nonce no longer good: the
/// challenge that comes with it says `stale=true`.
pub const STALE_NONCE: &str = "stale nonce";
/// The fault for a nonce count used before.
pub const REPLAYED_NONCE: &str = "nonce replayed";

/// What a request presents besides its parameters.
#[derive(Debug, Clone, Copy)]
pub struct Presented<'a> {
    /// The `Authorization` header.
    pub authorization: Option<&'a str>,
    /// The method, as Digest signs it.
    pub method: &'a str,
    /// The request target, as Digest signs it.
    pub uri: &'a str,
    /// The client.
    pub peer: IpAddr,
}

/// `user:password` from an HTTP Basic `Authorization` header.
fn basic_credentials(header: &str) -> Option<(String, String)> {
    let (scheme, encoded) = header.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, password) = text.split_once(':')?;
    Some((user.to_string(), password.to_string()))
}

/// Whether the request carries credentials of any kind this module reads.
pub fn any_presented(p: &Params, presented: &Presented) -> bool {
    p.get("uid").is_some() || p.get("username").is_some() || presented.authorization.is_some()
}

/// Logs in by a password, and seals it for Digest if the account's file
/// predates sealing.
pub fn password_login(app: &Shared, peer: IpAddr, user: &str, password: &str) -> Result<Account, LoginRefusal> {
    let account = login(app, peer, Claim::Account(user), |a| a.login(user, password))?;
    app.seal_on_login(user, password);
    Ok(account)
}

/// Checks an HTTP Digest answer: a wrong one is a failed login; a right
/// one to an old nonce is [`STALE_NONCE`], to a used count [`REPLAYED_NONCE`].
/// A Digest answer: a right one is a success only on a fresh nonce count;
/// one that is replayed or to a stale nonce earns nothing (no trust, no
/// forgiven failures) and fails nobody.
fn digest_login(app: &Shared, answer: &digest::Answer, presented: &Presented) -> Result<Account, Refusal> {
    let fresh = || {
        let nonce_use = match answer.count() {
            Some(nc) => lock(&app.nonces).take(answer.nonce, nc, app.now()),
            None => Use::Replayed,
        };
        match nonce_use {
            Use::Fresh => Ok(()),
            Use::Stale => Err(Refusal::new(401, STALE_NONCE)),
            Use::Replayed => {
                log::info!("{}: a Digest nonce count used again", presented.peer);
                Err(Refusal::new(401, REPLAYED_NONCE))
            }
        }
    };
    let right = |accounts: &Accounts| -> Option<Account> {
        accounts
            .get(answer.username)
            .filter(|a| a.enabled)
            .filter(|a| {
                a.password(&app.key).is_some_and(|password| {
                    answer.realm == REALM && answer.uri == presented.uri && answer.is_right(&password, presented.method)
                })
            })
            .cloned()
    };
    login_confirmed(app, presented.peer, Claim::Account(answer.username), right, fresh, |r| r.fault(401))
}

/// The account an `Authorization` header names, by Digest or (when
/// allowed) Basic; `None` when it has neither.
pub fn from_header(app: &Shared, presented: &Presented) -> Option<Result<Account, Refusal>> {
    let header = presented.authorization?;
    if let Some(answer) = digest::parse(header) {
        return Some(digest_login(app, &answer, presented));
    }
    if lock(&app.access).basic_auth {
        if let Some((user, password)) = basic_credentials(header) {
            return Some(password_login(app, presented.peer, &user, &password).map_err(|r| r.fault(401)));
        }
    }
    None
}

/// Authenticates by `uid`, by `username`+`password`, by HTTP Digest or by
/// HTTP Basic; 401 otherwise.
pub fn authenticate(app: &Shared, p: &Params, presented: &Presented) -> Result<Session, Refusal> {
    if let Some(uid) = p.get("uid") {
        return app.session(Some(uid)).map_err(|f| Refusal { status: 401, ..f });
    }
    let account = match p.get("username") {
        Some(user) => {
            let password = p.get("password").ok_or(Refusal::new(401, "error, parse password"))?;
            password_login(app, presented.peer, user, password).map_err(|r| r.fault(401))?
        }
        None => match from_header(app, presented) {
            Some(result) => result?,
            None => return Err(Refusal::new(401, "error, parse username")),
        },
    };
    Ok(Session::for_request(account))
}

/// The `WWW-Authenticate` values of a 401: Digest with MD5, SHA-256 and
/// MD5 again on a new nonce (`digest::challenges` says why), then Basic when
/// it is allowed.
pub fn challenges(app: &Shared, stale: bool) -> Vec<String> {
    let nonce = lock(&app.nonces).issue(app.now());
    let mut all = digest::challenges(&nonce, stale).to_vec();
    if lock(&app.access).basic_auth {
        all.push(format!("Basic realm=\"{REALM}\""));
    }
    all
}
