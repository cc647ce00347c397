//! WS-Security's UsernameToken: PasswordDigest (`Base64(SHA-1(nonce +
//! created + password))`) or PasswordText, a recent `Created` and a nonce
//! used once (the rules: [`crate::state::tokens`]).

use super::soap::{Envelope, SoapFault};
use super::xsd::datetime;
use crate::api::digest::same_text;
use crate::interfaces::auth::login;
use crate::state::accounts::Account;
use crate::state::app::{lock, Shared};
use crate::state::lockout::Claim;
use crate::state::tokens::TokenRefusal;
use base64::Engine;
use sha1::{Digest, Sha1};
use std::net::IpAddr;

/// The account a UsernameToken proves, checked against the wall clock
/// `now` (Unix seconds). Wrong passwords count toward the lockout.
pub fn username_token(app: &Shared, env: &Envelope, peer: IpAddr, now: i64) -> Result<Account, SoapFault> {
    let text = |name: &str| env.header(name).map(|e| e.text.as_str());
    let user = text("Username").unwrap_or_default();
    let password = env.header("Password").ok_or_else(|| SoapFault::not_authorized("the token has no password"))?;
    // The profile's default type is PasswordText.
    let is_digest = password.attr("Type").is_some_and(|t| t.ends_with("#PasswordDigest"));
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut nonce = None;
    if let Some(n) = text("Nonce") {
        nonce = Some(b64.decode(n).map_err(|_| SoapFault::not_authorized("the token's nonce is not Base64"))?);
    }
    let created = text("Created");
    let created_at = match created {
        Some(c) => Some(datetime(c).ok_or_else(|| SoapFault::not_authorized("the token's Created is not a time"))?),
        None => None,
    };
    if is_digest && (nonce.is_none() || created.is_none()) {
        return Err(SoapFault::not_authorized("a password digest needs a nonce and a creation time"));
    }
    let forward = app.forward_clock(now);
    let refused = |r: TokenRefusal| {
        if matches!(r, TokenRefusal::UsedBefore | TokenRefusal::Forgotten) {
            log::info!("{peer}: a UsernameToken replayed: {}", r.reason());
        }
        SoapFault::not_authorized(r.reason())
    };
    // A nonce is recorded only once its token has verified (below): tokens
    // that fail, sent by anyone, push no real one out.
    lock(&app.tokens).check(created_at, nonce.as_deref(), now, forward).map_err(refused)?;
    let given = password.text.as_str();
    let account = login(app, peer, Claim::Account(user), |accounts| {
        if is_digest {
            let nonce = nonce.as_deref().unwrap_or_default();
            let created = created.unwrap_or_default();
            accounts.get(user).filter(|a| a.enabled).filter(|a| {
                a.password(&app.key).is_some_and(|pw| {
                    let sum = Sha1::new().chain_update(nonce).chain_update(created).chain_update(pw).finalize();
                    same_text(&b64.encode(sum), given)
                })
            })
        } else {
            accounts.login(user, given)
        }
    })
    .map_err(|r| SoapFault::not_authorized(r.fault(401).reason.into_owned()))?;
    // Two copies of one token verified at once: the second is a replay.
    if let Some(n) = nonce.as_deref() {
        lock(&app.tokens).record(n, created_at, forward).map_err(refused)?;
    }
    if !is_digest {
        app.seal_on_login(user, given);
    }
    Ok(account)
}
