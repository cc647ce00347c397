//! The media profiles every ONVIF service names: a main and a sub profile
//! on the two encoders (`stream1` is main, as the CGI numbers them).

use super::soap::SoapFault;
use camcgi_hal::StreamId;

/// The profiles: token, name, stream.
pub const PROFILES: [(&str, &str, StreamId); 2] = [("profile_1", "MainStream", StreamId::Main), ("profile_2", "SubStream", StreamId::Sub)];

/// The stream a token `{prefix}1` or `{prefix}2` names.
pub fn stream_of(token: Option<&str>, prefix: &str) -> Result<StreamId, SoapFault> {
    match token {
        Some(t) if t == format!("{prefix}1") => Ok(StreamId::Main),
        Some(t) if t == format!("{prefix}2") => Ok(StreamId::Sub),
        _ => Err(SoapFault::sender(&["ter:InvalidArgVal", "ter:NoProfile"], "no such profile or configuration")),
    }
}

/// The stream a profile token names.
pub fn profile_stream(token: Option<&str>) -> Result<StreamId, SoapFault> {
    stream_of(token, "profile_")
}
