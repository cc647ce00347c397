//! WS-Security's UsernameToken: PasswordDigest (`Base64(SHA-1(nonce +
//! created + password))`) or PasswordText, a recent `Created` and a nonce
//! used once.

use super::soap::{datetime, Envelope, SoapFault};
use crate::api::digest::same_text;
use crate::interfaces::auth::login;
use crate::state::accounts::Account;
use crate::state::app::{lock, Shared};
use crate::state::lockout::Claim;
use base64::Engine;
use sha1::{Digest, Sha1};
use std::net::IpAddr;

/// How far a token's `Created` may be from the camera's clock.
pub const SKEW_SECONDS: i64 = 300;

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
    if let Some(created) = created {
        let at = datetime(created).ok_or_else(|| SoapFault::not_authorized("the token's Created is not a time"))?;
        if (at - now).abs() > SKEW_SECONDS {
            return Err(SoapFault::not_authorized("the token's Created is too far from the camera's clock"));
        }
    }
    if is_digest && (nonce.is_none() || created.is_none()) {
        return Err(SoapFault::not_authorized("a password digest needs a nonce and a creation time"));
    }
    let used_before = || {
        log::info!("{peer}: a UsernameToken nonce used again");
        SoapFault::not_authorized("the token's nonce was used before")
    };
    // A nonce is recorded only once its token has verified (below): tokens
    // that fail, sent by anyone, push no real one out of the ring.
    if nonce.as_deref().is_some_and(|n| lock(&app.token_nonces).seen(n)) {
        return Err(used_before());
    }
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
    if nonce.as_deref().is_some_and(|n| !lock(&app.token_nonces).first_use(n)) {
        return Err(used_before());
    }
    if !is_digest {
        app.seal_on_login(user, given);
    }
    Ok(account)
}
