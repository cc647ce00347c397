//! The access family: `/cgi-bin/onvif` switches ONVIF, its authentication,
//! WS-Discovery and HTTP Basic (Administrator only; all on by default).

use crate::api::fields::flag;
use crate::api::refusal::Refusal;
use crate::api::xml::Doc;
use crate::interfaces::call::{Call, Reply};
use crate::state::access::{Access, FILE};
use crate::state::app::{lock, Shared};

/// The interface's parameters, in its table's order.
pub const PARAMS: &[&str] = &["enable", "auth", "discoverable", "basic_auth"];

/// Changes the switches and writes them.
pub fn change(app: &Shared, change: impl FnOnce(&mut Access)) -> Result<Access, Refusal> {
    let mut access = lock(&app.access);
    let mut new = *access;
    change(&mut new);
    if new != *access {
        app.store.save_guarded(FILE, &new).map_err(|e| Refusal::storage(&e))?;
        *access = new;
    }
    Ok(new)
}

/// `/cgi-bin/onvif`: query, or set any of the switches.
pub fn handle(app: &Shared, call: &Call) -> Result<Reply, Refusal> {
    let p = &call.params;
    let (onvif, auth) = (flag(p, "enable")?, flag(p, "auth")?);
    let (discoverable, basic) = (flag(p, "discoverable")?, flag(p, "basic_auth")?);
    let a = change(app, |a| {
        a.onvif = onvif.unwrap_or(a.onvif);
        a.onvif_auth = auth.unwrap_or(a.onvif_auth);
        a.discoverable = discoverable.unwrap_or(a.discoverable);
        a.basic_auth = basic.unwrap_or(a.basic_auth);
    })?;
    let mut doc = Doc::new();
    doc.element("onvif")
        .attr("enable", u8::from(a.onvif))
        .attr("auth", u8::from(a.onvif_auth))
        .attr("discoverable", u8::from(a.discoverable))
        .attr("basic_auth", u8::from(a.basic_auth))
        .empty();
    Ok(Reply::xml(doc.finish()))
}
