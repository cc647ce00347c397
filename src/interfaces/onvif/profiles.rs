//! The media profiles every ONVIF service names: which configurations each
//! holds, kept in `profiles.xml`. Two are fixed: `profile_1` (MainStream,
//! the main stream's encoder, as the CGI numbers it `stream1`) and
//! `profile_2` (SubStream); they cannot be deleted, and a factory reset
//! brings them back as they were. Clients may create up to
//! [`MAX_PROFILES`] in all and add or remove configurations (Media 1's
//! `Add…Configuration`, Media 2's `AddConfiguration`). A profile streams its
//! video encoder's stream.

use super::soap::SoapFault;
use super::{from_refusal, App, Context};
use crate::api::refusal::Refusal;
use crate::state::app::lock;
use crate::state::store::Store;
use camcgi_hal::StreamId;
use serde::{Deserialize, Serialize};
use std::sync::Mutex;

const FILE: &str = "profiles.xml";
/// Profiles at most, the two fixed ones among them.
pub const MAX_PROFILES: usize = 8;
/// A token's and a name's length at most (ONVIF's `ReferenceToken` and `Name`).
const MAX_TEXT: usize = 64;

/// The configurations a profile can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `video_src_config`.
    VideoSource,
    /// `video_encoder_1` (the main stream) or `video_encoder_2` (the sub stream).
    VideoEncoder,
    /// `audio_src_config`.
    AudioSource,
    /// `audio_encoder`.
    AudioEncoder,
    /// `ptz_config`, where the board has a head.
    Ptz,
}

/// One media profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MediaProfile {
    /// Its token.
    pub token: String,
    /// Its name.
    pub name: String,
    /// Fixed profiles cannot be deleted.
    #[serde(default)]
    pub fixed: bool,
    /// Holds the video source configuration.
    #[serde(default)]
    pub video_source: bool,
    /// The stream of its video encoder configuration: 1 the main, 2 the sub, 0 none.
    #[serde(default)]
    pub video_encoder: u8,
    /// Holds the audio source configuration.
    #[serde(default)]
    pub audio_source: bool,
    /// Holds the audio encoder configuration.
    #[serde(default)]
    pub audio_encoder: bool,
    /// Holds the PTZ configuration.
    #[serde(default)]
    pub ptz: bool,
}

impl MediaProfile {
    fn new(token: &str, name: &str) -> MediaProfile {
        MediaProfile {
            token: token.into(),
            name: name.into(),
            fixed: false,
            video_source: false,
            video_encoder: 0,
            audio_source: false,
            audio_encoder: false,
            ptz: false,
        }
    }

    /// The stream of its video encoder, if it holds one.
    pub fn stream(&self) -> Option<StreamId> {
        match self.video_encoder {
            1 => Some(StreamId::Main),
            2 => Some(StreamId::Sub),
            _ => None,
        }
    }

    /// Whether it holds a configuration of `kind`.
    pub fn holds(&self, kind: Kind) -> bool {
        match kind {
            Kind::VideoSource => self.video_source,
            Kind::VideoEncoder => self.video_encoder != 0,
            Kind::AudioSource => self.audio_source,
            Kind::AudioEncoder => self.audio_encoder,
            Kind::Ptz => self.ptz,
        }
    }

    /// Adds the configuration `token` of `kind` (replacing one of that
    /// kind), or refuses a token the camera has no such configuration by.
    pub fn add(&mut self, kind: Kind, token: &str, ptz_present: bool) -> Result<(), SoapFault> {
        let known = match kind {
            Kind::VideoSource => token == "video_src_config",
            Kind::VideoEncoder => matches!(token, "video_encoder_1" | "video_encoder_2"),
            Kind::AudioSource => token == "audio_src_config",
            Kind::AudioEncoder => token == "audio_encoder",
            Kind::Ptz => ptz_present && token == "ptz_config",
        };
        if !known {
            return Err(no_config());
        }
        match kind {
            Kind::VideoSource => self.video_source = true,
            Kind::VideoEncoder => self.video_encoder = if token.ends_with('1') { 1 } else { 2 },
            Kind::AudioSource => self.audio_source = true,
            Kind::AudioEncoder => self.audio_encoder = true,
            Kind::Ptz => self.ptz = true,
        }
        Ok(())
    }

    /// Removes its configuration of `kind`, if any.
    pub fn remove(&mut self, kind: Kind) {
        match kind {
            Kind::VideoSource => self.video_source = false,
            Kind::VideoEncoder => self.video_encoder = 0,
            Kind::AudioSource => self.audio_source = false,
            Kind::AudioEncoder => self.audio_encoder = false,
            Kind::Ptz => self.ptz = false,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename = "profiles")]
struct Stored {
    #[serde(default, rename = "profile")]
    profile: Vec<MediaProfile>,
}

/// The profiles in force.
#[derive(Debug)]
pub struct Profiles {
    set: Mutex<Vec<MediaProfile>>,
}

/// The factory profiles: the main and the sub stream, each with the video
/// source, its encoder and the PTZ configuration.
fn defaults() -> Vec<MediaProfile> {
    let fixed = |token, name, encoder| MediaProfile {
        fixed: true,
        video_source: true,
        video_encoder: encoder,
        ptz: true,
        ..MediaProfile::new(token, name)
    };
    vec![fixed("profile_1", "MainStream", 1), fixed("profile_2", "SubStream", 2)]
}

/// A token or name the camera keeps: 1 to 64 printable ASCII characters
/// (tokens also without spaces).
pub fn valid_text(text: &str, token: bool) -> bool {
    (1..=MAX_TEXT).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_graphic() || (!token && b == b' '))
}

fn valid(set: &[MediaProfile]) -> bool {
    let tokens_unique = set.iter().enumerate().all(|(i, p)| set.iter().skip(i + 1).all(|q| q.token != p.token));
    (1..=MAX_PROFILES).contains(&set.len())
        && tokens_unique
        && set.iter().all(|p| valid_text(&p.token, true) && valid_text(&p.name, false) && p.video_encoder <= 2)
        && defaults().iter().all(|d| set.iter().any(|p| p.token == d.token && p.fixed))
}

/// No configuration by that token.
pub fn no_config() -> SoapFault {
    SoapFault::sender(&["ter:InvalidArgVal", "ter:NoConfig"], "no such configuration")
}

/// No profile by that token.
pub fn no_profile() -> SoapFault {
    SoapFault::sender(&["ter:InvalidArgVal", "ter:NoProfile"], "no such profile or configuration")
}

impl Profiles {
    /// The profiles stored, or the factory ones.
    pub fn load(store: &Store) -> Profiles {
        let stored = store.load(FILE, |s: &Stored| valid(&s.profile));
        Profiles { set: Mutex::new(stored.map_or_else(defaults, |s| s.profile)) }
    }

    /// Factory defaults.
    pub fn reset(&self, store: &Store) {
        *lock(&self.set) = defaults();
        if let Err(e) = store.remove(FILE) {
            log::error!("{FILE}: not removed: {e}");
        }
    }

    /// Every profile, in order.
    pub fn all(&self) -> Vec<MediaProfile> {
        lock(&self.set).clone()
    }

    /// The profile a token names.
    pub fn get(&self, token: Option<&str>) -> Result<MediaProfile, SoapFault> {
        let set = lock(&self.set);
        token.and_then(|t| set.iter().find(|p| p.token == t)).cloned().ok_or_else(no_profile)
    }

    /// How many profiles hold a configuration of `kind` (for the video
    /// encoder, the one on `stream`).
    pub fn use_count(&self, kind: Kind, stream: Option<StreamId>) -> usize {
        lock(&self.set).iter().filter(|p| p.holds(kind) && (kind != Kind::VideoEncoder || p.stream() == stream)).count()
    }

    /// Changes the profiles under their lock: `edit` may refuse; what it
    /// leaves is checked, written, then taken.
    pub fn change<T>(&self, store: &Store, edit: impl FnOnce(&mut Vec<MediaProfile>) -> Result<T, SoapFault>) -> Result<T, SoapFault> {
        let mut set = lock(&self.set);
        let mut new = set.clone();
        let value = edit(&mut new)?;
        if new.len() > MAX_PROFILES {
            return Err(SoapFault::receiver(&["ter:Action", "ter:MaxNVTProfiles"], format!("at most {MAX_PROFILES} profiles")));
        }
        let stored = Stored { profile: new };
        store.save(FILE, &stored).map_err(|e| from_refusal(Refusal::storage(&e)))?;
        *set = stored.profile;
        Ok(value)
    }

    /// Edits one profile.
    pub fn edit(
        &self,
        store: &Store,
        token: Option<&str>,
        edit: impl FnOnce(&mut MediaProfile) -> Result<(), SoapFault>,
    ) -> Result<(), SoapFault> {
        self.change(store, |set| edit(token.and_then(|t| set.iter_mut().find(|p| p.token == t)).ok_or_else(no_profile)?))
    }

    /// Adds a profile named `name`, by `token` or the first free
    /// `profile_N`; its token.
    pub fn create(
        &self,
        store: &Store,
        name: &str,
        token: Option<&str>,
        fill: impl FnOnce(&mut MediaProfile) -> Result<(), SoapFault>,
    ) -> Result<String, SoapFault> {
        if !valid_text(name, false) {
            return Err(SoapFault::invalid("Name: 1 to 64 printable characters"));
        }
        if token.is_some_and(|t| !valid_text(t, true)) {
            return Err(SoapFault::invalid("Token: 1 to 64 printable characters, no spaces"));
        }
        self.change(store, |set| {
            let token = match token {
                Some(t) if set.iter().any(|p| p.token == t) => {
                    return Err(SoapFault::sender(&["ter:InvalidArgVal", "ter:ProfileExists"], "a profile has this token"))
                }
                Some(t) => t.to_string(),
                None => (3..).map(|n| format!("profile_{n}")).find(|t| set.iter().all(|p| &p.token != t)).unwrap_or_default(),
            };
            let mut profile = MediaProfile::new(&token, name);
            fill(&mut profile)?;
            set.push(profile);
            Ok(token)
        })
    }

    /// Deletes a profile that is not fixed.
    pub fn delete(&self, store: &Store, token: Option<&str>) -> Result<(), SoapFault> {
        self.change(store, |set| {
            let i = token.and_then(|t| set.iter().position(|p| p.token == t)).ok_or_else(no_profile)?;
            if set.get(i).is_some_and(|p| p.fixed) {
                return Err(SoapFault::receiver(&["ter:Action", "ter:DeletionOfFixedProfile"], "a fixed profile cannot be deleted"));
            }
            set.remove(i);
            Ok(())
        })
    }
}

/// The stream a profile token names: its video encoder's.
pub fn profile_stream(cam: &App, token: Option<&str>) -> Result<StreamId, SoapFault> {
    cam.profiles.get(token)?.stream().ok_or_else(|| {
        SoapFault::receiver(&["ter:Action", "ter:IncompleteConfiguration"], "the profile has no video encoder configuration")
    })
}

/// The stream a token `{prefix}1` or `{prefix}2` names.
pub fn stream_of(token: Option<&str>, prefix: &str) -> Result<StreamId, SoapFault> {
    match token {
        Some(t) if t == format!("{prefix}1") => Ok(StreamId::Main),
        Some(t) if t == format!("{prefix}2") => Ok(StreamId::Sub),
        _ => Err(no_profile()),
    }
}

/// The RTSP URI of a stream: the board's streamer, at the host the client reached the camera by.
pub fn stream_uri(cam: &App, ctx: &Context, id: StreamId) -> String {
    let (port, path) = lock(&cam.video).hal.rtsp(id);
    let host = ctx.base.split_once("://").map_or(ctx.base.as_str(), |(_, host)| host);
    let host = host.rsplit_once(':').filter(|(_, p)| p.bytes().all(|b| b.is_ascii_digit())).map_or(host, |(h, _)| h);
    format!("rtsp://{host}:{port}{path}")
}

/// The snapshot URI of a stream: `snapshot.cgi`, which numbers the main stream 1 and the sub stream 0.
pub fn snapshot_uri(ctx: &Context, id: StreamId) -> String {
    let stream = if id == StreamId::Main { 1 } else { 0 };
    format!("{}/cgi-bin/snapshot.cgi?stream={stream}", ctx.base)
}
