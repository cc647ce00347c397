//! The HTTPS family (Administrator only): `/cgi-bin/https` tells how HTTPS
//! is served and switches plain HTTP, makes a new self-signed certificate
//! (`action=regenerate`) and gives the certificate chain as PEM
//! (`action=certificate`); `/cgi-bin/https_certificate` takes an
//! administrator's certificate chain and key as PEM in the body of a POST.

use crate::api::query::Params;
use crate::api::refusal::Refusal;
use crate::api::xml::Doc;
use crate::interfaces::access;
use crate::interfaces::call::{Body, Call, Reply};
use crate::interfaces::camera::App;
use crate::state::access::PlainHttp;
use crate::state::app::lock;
use crate::state::https::Https;

/// The interface's parameters, in its table's order.
pub const PARAMS: &[&str] = &["plain_http", "action"];

/// The most a certificate upload's body may hold: a chain and its key.
pub const MAX_UPLOAD: usize = camcgi_tls::MAX_PEM;

fn not_served() -> Refusal {
    Refusal::bad("https: not served (camcgi runs with --https-listen off)")
}

fn plain_http(p: &Params) -> Result<Option<PlainHttp>, Refusal> {
    match p.get("plain_http") {
        None => Ok(None),
        Some("on") => Ok(Some(PlainHttp::On)),
        Some("redirect") => Ok(Some(PlainHttp::Redirect)),
        Some("off") => Ok(Some(PlainHttp::Off)),
        Some(_) => Err(Refusal::option("plain_http", "on, redirect or off")),
    }
}

/// `/cgi-bin/https`: query, switch plain HTTP, regenerate, or fetch the chain.
pub fn handle(app: &App, call: &Call) -> Result<Reply, Refusal> {
    let p = &call.params;
    let switch = plain_http(p)?;
    let action = p.get("action");
    if action.is_some_and(|a| a != "regenerate" && a != "certificate") {
        return Err(Refusal::option("action", "regenerate or certificate"));
    }
    let Some(https) = app.https.get() else {
        if switch.is_some_and(|s| s != PlainHttp::On) || action.is_some() {
            return Err(not_served());
        }
        let mut doc = Doc::new();
        doc.element("https").attr("enable", 0).attr("plain_http", lock(&app.access).plain_http.name()).empty();
        return Ok(Reply::xml(doc.finish()));
    };
    if action == Some("certificate") {
        if switch.is_some() {
            return Err(Refusal::bad("action=certificate changes nothing"));
        }
        return Ok(Reply::with_kind(Body::Pem, https.summary().chain_pem.into_bytes()));
    }
    let access = access::change(app, |a| a.plain_http = switch.unwrap_or(a.plain_http))?;
    if action == Some("regenerate") {
        https.regenerate(&app.store, &app.key, &app.https_names()).map_err(|e| Refusal::storage(&e))?;
        log::warn!("HTTPS: a new self-signed certificate");
    }
    Ok(served(https, access.plain_http))
}

/// What `/cgi-bin/https` says while HTTPS is served.
fn served(https: &Https, plain_http: PlainHttp) -> Reply {
    let summary = https.summary();
    let mut doc = Doc::new();
    doc.element("https")
        .attr("enable", 1)
        .attr("port", https.port)
        .attr("plain_http", plain_http.name())
        .attr("generated", u8::from(summary.generated))
        .attr("fingerprint", &summary.fingerprint)
        .empty();
    Reply::xml(doc.finish())
}

/// `/cgi-bin/https_certificate`: installs the certificate chain and key in
/// `body` (PEM: the certificates, the camera's own first, and its P-256
/// key, PKCS#8 or SEC1). A chain or key refused leaves the one in use.
pub fn install(app: &App, body: &[u8]) -> Result<Reply, Refusal> {
    let https = app.https.get().ok_or_else(not_served)?;
    let text = std::str::from_utf8(body).map_err(|_| Refusal::bad("certificate: not PEM text"))?;
    let identity = camcgi_tls::Identity::from_pem(text, text).map_err(|e| Refusal::bad_owned(format!("certificate: {e}")))?;
    https.install(&app.store, &app.key, identity).map_err(|e| Refusal::storage(&e))?;
    log::warn!("HTTPS: an administrator's certificate installed ({})", https.summary().fingerprint);
    Ok(served(https, lock(&app.access).plain_http))
}
