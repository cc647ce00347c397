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
    /// What plain HTTP does while HTTPS is served (a file from before
    /// HTTPS has none: served).
    #[serde(rename = "@plain_http", default)]
    pub plain_http: PlainHttp,
}

/// What a request over plain HTTP gets while HTTPS is served.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PlainHttp {
    /// Answered as over HTTPS.
    #[default]
    On,
    /// Sent to the same URL over HTTPS (308).
    Redirect,
    /// Refused (403), nothing read but the request's head.
    Off,
}

impl PlainHttp {
    /// The name the CGI and the settings file use.
    pub fn name(self) -> &'static str {
        match self {
            PlainHttp::On => "on",
            PlainHttp::Redirect => "redirect",
            PlainHttp::Off => "off",
        }
    }
}

impl Access {
    /// Every switch in the position that lets least in: ONVIF off (and
    /// authenticated), discovery off, Basic off, plain HTTP off (while
    /// HTTPS is served). What an unusable file leaves.
    pub fn closed() -> Self {
        Access { onvif: false, onvif_auth: true, discoverable: false, basic_auth: false, plain_http: PlainHttp::Off }
    }
}

impl Default for Access {
    fn default() -> Self {
        Access { onvif: true, onvif_auth: true, discoverable: true, basic_auth: true, plain_http: PlainHttp::On }
    }
}
