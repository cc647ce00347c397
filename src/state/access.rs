//! How the camera may be reached beyond its own CGI: ONVIF and its
//! authentication, WS-Discovery, and HTTP Basic. Shared, since every
//! login path reads it.

use serde::{Deserialize, Serialize};

/// The settings file.
pub const FILE: &str = "access.xml";

/// The access switches (all on by default).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename = "access")]
pub struct Access {
    /// The ONVIF services answer.
    #[serde(rename = "@onvif")]
    pub onvif: bool,
    /// ONVIF asks for credentials; off, it answers everyone at User level,
    /// and `snapshot.cgi` is anonymous (the CGI document, 3.19 note 1).
    #[serde(rename = "@onvif_auth")]
    pub onvif_auth: bool,
    /// WS-Discovery answers probes and announces the camera.
    #[serde(rename = "@discoverable")]
    pub discoverable: bool,
    /// HTTP Basic is accepted and offered (Digest always is).
    #[serde(rename = "@basic_auth")]
    pub basic_auth: bool,
}

impl Access {
    /// Every switch in the position that lets least in: ONVIF off (and
    /// authenticated), discovery off, Basic off. What an unusable file leaves.
    pub fn closed() -> Self {
        Access { onvif: false, onvif_auth: true, discoverable: false, basic_auth: false }
    }
}

impl Default for Access {
    fn default() -> Self {
        Access { onvif: true, onvif_auth: true, discoverable: true, basic_auth: true }
    }
}
