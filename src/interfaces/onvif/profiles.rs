//! The media profiles every ONVIF service names: a main and a sub profile
//! on the two encoders (`stream1` is main, as the CGI numbers them).

use super::soap::SoapFault;
use super::{App, Context};
use crate::state::app::lock;
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

/// The RTSP URI of a stream: the board's streamer, at the host the client reached the camera by.
pub fn stream_uri(cam: &App, ctx: &Context, id: StreamId) -> String {
    let (port, path) = lock(&cam.video).hal.rtsp(id);
    let host = ctx.base.trim_start_matches("http://");
    let host = host.rsplit_once(':').filter(|(_, p)| p.bytes().all(|b| b.is_ascii_digit())).map_or(host, |(h, _)| h);
    format!("rtsp://{host}:{port}{path}")
}

/// The snapshot URI of a stream: `snapshot.cgi`, which numbers the main stream 1 and the sub stream 0.
pub fn snapshot_uri(ctx: &Context, id: StreamId) -> String {
    let stream = if id == StreamId::Main { 1 } else { 0 };
    format!("{}/cgi-bin/snapshot.cgi?stream={stream}", ctx.base)
}
