//! What the camera says it is: its model, whether it has a PTZ head, and its
//! MAC address, read from the board for scopes, discovery and the services.

use super::App;
use crate::state::app::lock;

/// What the device says it is, for scopes and discovery.
pub struct Identity {
    /// The board's model name.
    pub model: String,
    /// Whether it has a PTZ head.
    pub ptz: bool,
    /// The MAC address, which NVRs and Home Assistant tell cameras apart by.
    pub mac: Option<[u8; 6]>,
}

/// The camera's identity.
pub fn identity(cam: &App) -> Identity {
    let (model, ptz) = {
        let system = lock(&cam.system);
        (system.model().unwrap_or_else(|_| "camera".into()), system.capabilities().ptz)
    };
    Identity { model, ptz, mac: lock(&cam.network).hal.mac_address().ok() }
}

/// A MAC address as ONVIF writes it (`00:12:34:56:78:9a`).
pub fn mac_text(mac: [u8; 6]) -> String {
    mac.iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(":")
}
