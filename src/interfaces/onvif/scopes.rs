//! The scopes the camera is found by (WS-Discovery's probes and
//! `GetScopes`). The fixed ones say what it is: its types, profile,
//! hardware and MAC address. The configurable ones, its name and location
//! by default, are set by `SetScopes`, `AddScopes` and `RemoveScopes` and
//! kept in `scopes.xml`.

use super::identity::{identity, mac_text, Identity};
use super::soap::{esc, Envelope, SoapFault};
use super::{enc, Answer, App, Context};
use crate::state::app::lock;
use crate::state::store::Store;
use serde::{Deserialize, Serialize};
use std::fmt::Write;
use std::sync::Mutex;

const FILE: &str = "scopes.xml";
/// Configurable scopes at most.
const MAX_CONFIGURABLE: usize = 16;
/// A scope's length at most, in bytes.
const MAX_LEN: usize = 128;
/// Every ONVIF scope starts so.
const PREFIX: &str = "onvif://www.onvif.org/";

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename = "scopes")]
struct Stored {
    #[serde(default, rename = "scope")]
    scope: Vec<String>,
}

/// The configurable scopes: `None` until set, the name and location then.
#[derive(Debug, Default)]
pub struct Scopes {
    configured: Mutex<Option<Vec<String>>>,
}

/// An ONVIF scope the camera takes: `onvif://www.onvif.org/…`, printable,
/// without spaces (a probe lists scopes separated by spaces).
fn valid(scope: &str) -> bool {
    scope.len() <= MAX_LEN && scope.starts_with(PREFIX) && scope.bytes().all(|b| b.is_ascii_graphic())
}

impl Scopes {
    /// The configurable scopes stored, if any were set.
    pub fn load(store: &Store) -> Scopes {
        let stored = store.load(FILE, |s: &Stored| s.scope.len() <= MAX_CONFIGURABLE && s.scope.iter().all(|s| valid(s)));
        Scopes { configured: Mutex::new(stored.map(|s| s.scope)) }
    }

    /// Factory defaults: the name and location scopes.
    pub fn reset(&self, store: &Store) {
        *lock(&self.configured) = None;
        if let Err(e) = store.remove(FILE) {
            log::error!("{FILE}: not removed: {e}");
        }
    }
}

/// What the camera is: scopes no client changes.
fn fixed(identity: &Identity) -> Vec<String> {
    let model = enc(&identity.model);
    let mut all = vec![
        format!("{PREFIX}type/video_encoder"),
        format!("{PREFIX}type/Network_Video_Transmitter"),
        format!("{PREFIX}Profile/Streaming"),
        format!("{PREFIX}hardware/{model}"),
    ];
    if identity.ptz {
        all.push(format!("{PREFIX}type/ptz"));
    }
    if let Some(mac) = identity.mac {
        all.push(format!("{PREFIX}MAC/{}", mac_text(mac)));
    }
    all
}

/// The configurable scopes until some are set: the name and the location.
fn defaults(identity: &Identity) -> Vec<String> {
    vec![format!("{PREFIX}name/{}", enc(&identity.model)), format!("{PREFIX}location/")]
}

fn configurable(cam: &App, identity: &Identity) -> Vec<String> {
    lock(&cam.scopes.configured).clone().unwrap_or_else(|| defaults(identity))
}

/// Every scope, each with whether it is fixed.
pub fn all(cam: &App) -> Vec<(String, bool)> {
    let identity = identity(cam);
    let fixed = fixed(&identity).into_iter().map(|s| (s, true));
    fixed.chain(configurable(cam, &identity).into_iter().map(|s| (s, false))).collect()
}

/// Changes the configurable scopes under their lock, so that two changes
/// at once cannot lose one: `edit` gets them and may refuse; what it leaves
/// is written, then taken.
fn change(cam: &App, identity: &Identity, edit: impl FnOnce(&mut Vec<String>) -> Result<(), SoapFault>) -> Result<(), SoapFault> {
    let mut configured = lock(&cam.scopes.configured);
    let mut scopes = configured.clone().unwrap_or_else(|| defaults(identity));
    edit(&mut scopes)?;
    if scopes.len() > MAX_CONFIGURABLE {
        return Err(SoapFault::receiver(&["ter:Action", "ter:TooManyScopes"], format!("at most {MAX_CONFIGURABLE} configurable scopes")));
    }
    let stored = Stored { scope: scopes };
    cam.shared.store.save(FILE, &stored).map_err(|e| super::from_refusal(crate::api::refusal::Refusal::storage(&e)))?;
    *configured = Some(stored.scope);
    Ok(())
}

/// The scopes an operation names (`Scopes` or `ScopeItem` elements), each checked.
fn named<'e>(env: &'e Envelope, element: &'e str) -> Result<Vec<String>, SoapFault> {
    let given: Vec<String> = env.all(element).map(|e| e.text.clone()).collect();
    if let Some(bad) = given.iter().find(|s| !valid(s)) {
        return Err(SoapFault::invalid(format!("{bad}: not an ONVIF scope of at most {MAX_LEN} bytes")));
    }
    Ok(given)
}

fn refuse_fixed(identity: &Identity, scopes: &[String]) -> Result<(), SoapFault> {
    let fixed = fixed(identity);
    match scopes.iter().find(|s| fixed.contains(s)) {
        Some(s) => Err(SoapFault::sender(&["ter:OperationProhibited", "ter:FixedScope"], format!("{s} is a fixed scope"))),
        None => Ok(()),
    }
}

pub(super) fn get_scopes(cam: &App, _ctx: &Context, _env: &Envelope) -> Result<Answer, SoapFault> {
    let mut body = String::from("<tds:GetScopesResponse>");
    for (scope, fixed) in all(cam) {
        let def = if fixed { "Fixed" } else { "Configurable" };
        let _ = write!(body, "<tds:Scopes><tt:ScopeDef>{def}</tt:ScopeDef><tt:ScopeItem>{}</tt:ScopeItem></tds:Scopes>", esc(&scope));
    }
    Ok(Answer::new(body + "</tds:GetScopesResponse>"))
}

/// Replaces the configurable scopes.
pub(super) fn set_scopes(cam: &App, _ctx: &Context, env: &Envelope) -> Result<Answer, SoapFault> {
    let mut given = named(env, "Scopes")?;
    let identity = identity(cam);
    refuse_fixed(&identity, &given)?;
    given.dedup();
    change(cam, &identity, |scopes| {
        *scopes = given;
        Ok(())
    })?;
    Ok(Answer::new("<tds:SetScopesResponse/>".into()))
}

pub(super) fn add_scopes(cam: &App, _ctx: &Context, env: &Envelope) -> Result<Answer, SoapFault> {
    let added = named(env, "ScopeItem")?;
    let identity = identity(cam);
    refuse_fixed(&identity, &added)?;
    change(cam, &identity, |scopes| {
        for scope in added {
            if !scopes.contains(&scope) {
                scopes.push(scope);
            }
        }
        Ok(())
    })?;
    Ok(Answer::new("<tds:AddScopesResponse/>".into()))
}

pub(super) fn remove_scopes(cam: &App, _ctx: &Context, env: &Envelope) -> Result<Answer, SoapFault> {
    let removed = named(env, "ScopeItem")?;
    let identity = identity(cam);
    refuse_fixed(&identity, &removed)?;
    change(cam, &identity, |scopes| {
        if let Some(missing) = removed.iter().find(|s| !scopes.contains(s)) {
            return Err(SoapFault::sender(&["ter:InvalidArgVal", "ter:NoScope"], format!("{missing} is not a scope of the camera")));
        }
        scopes.retain(|s| !removed.contains(s));
        Ok(())
    })?;
    let mut body = String::from("<tds:RemoveScopesResponse>");
    for scope in &removed {
        let _ = write!(body, "<tds:ScopeItem>{}</tds:ScopeItem>", esc(scope));
    }
    Ok(Answer::new(body + "</tds:RemoveScopesResponse>"))
}
