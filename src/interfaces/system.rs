//! The system family: `getinfo`, `getcapabilities`, `getmodel`, `reboot`, `factory_reset`.

use crate::api::refusal::Refusal;
use crate::api::xml::{simple, Doc};
use crate::interfaces::call::{After, Call, Reply};
use crate::state::app::lock;
use camcgi_hal::{DeviceError, SystemControl};
use std::sync::Mutex;

/// The board's system control, behind its lock.
pub type SystemLock = Mutex<Box<dyn SystemControl<Error = DeviceError> + Send>>;

/// `factory_reset`'s parameters.
pub const RESET_PARAMS: &[&str] = &["retain_network"];

fn bit(b: bool) -> u8 {
    u8::from(b)
}

/// `<info kernel=… filesystem=… sn=…/>`.
pub fn getinfo(system: &SystemLock, _call: &Call) -> Result<Reply, Refusal> {
    let info = lock(system).info().map_err(|e| Refusal::device(&e))?;
    let mut doc = Doc::new();
    doc.element("info").attr("kernel", info.kernel).attr("filesystem", info.filesystem).attr("sn", info.serial).empty();
    Ok(Reply::xml(doc.finish()))
}

/// `<capabilities video=… audio=… ptz=…/>`.
pub fn getcapabilities(system: &SystemLock, _call: &Call) -> Result<Reply, Refusal> {
    let caps = lock(system).capabilities();
    let mut doc = Doc::new();
    doc.element("capabilities").attr("video", bit(caps.video)).attr("audio", bit(caps.audio)).attr("ptz", bit(caps.ptz)).empty();
    Ok(Reply::xml(doc.finish()))
}

/// `<model>…</model>`.
pub fn getmodel(system: &SystemLock, _call: &Call) -> Result<Reply, Refusal> {
    let model = lock(system).model().map_err(|e| Refusal::device(&e))?;
    Ok(Reply::xml(simple("model", model)))
}

/// `<reboot>true</reboot>`, then the reboot.
pub fn reboot(_call: &Call) -> Result<Reply, Refusal> {
    Ok(Reply::xml(simple("reboot", "true")).then(After::Reboot))
}

/// `<factory_reset>true</factory_reset>`, then the reset.
pub fn factory_reset(call: &Call) -> Result<Reply, Refusal> {
    let retain_network = match call.params.get("retain_network") {
        None | Some("0") => false,
        Some("1") => true,
        Some("") => return Err(Refusal::bad("retain_network: NULL")),
        Some(_) => return Err(Refusal::bad("retain_network 0 or 1")),
    };
    Ok(Reply::xml(simple("factory_reset", "true")).then(After::FactoryReset { retain_network }))
}
