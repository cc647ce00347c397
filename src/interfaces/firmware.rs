//! Firmware upgrade over HTTP: `POST /cgi-bin/OnvifFirmwareUpgrade` (and
//! `/OnvifFirmwareUpgrade`) feeds the body to the A/B updater
//! ([`crate::interfaces::updater`]), `GET /cgi-bin/upgrade_status` reports it, and
//! `OPTIONS` answers a CORS preflight.

use crate::api::origin::Sites;
use crate::api::refusal::Refusal;
use crate::api::xml::{simple, Doc};
use crate::interfaces::call::{After, Call, Reply};
use crate::interfaces::updater::FirmwareUnit;
use crate::interfaces::updater::{running_version, Updater, UpdaterError};
use crate::state::app::lock;
use camcgi_fwimage::{Header, HeaderError, PayloadHasher, HEADER_LEN};
use camcgi_hal::{BootControl, DeviceError, FirmwareFlash};
use std::io::Read;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering;
use std::sync::Mutex;

/// The upload's parameters besides `uid`: the snapshot's credentials.
pub const UPLOAD_PARAMS: &[&str] = &["username", "password"];

/// What the board's owner decides about upgrades.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    /// When set, only images signed by this Ed25519 key are accepted.
    pub public_key: Option<[u8; 32]>,
    /// Whether an image older than the running firmware is accepted.
    pub allow_downgrade: bool,
}

/// The firmware slots, the boot selection, and the upgrade under way.
pub struct Upgrades {
    /// The slots and the boot selection.
    pub unit: Mutex<FirmwareUnit>,
    /// Progress of the current or last upgrade.
    pub status: Mutex<Status>,
    /// Set while an upgrade runs: one at a time.
    pub running: AtomicBool,
    /// What upgrades must satisfy.
    pub policy: Policy,
}

impl Upgrades {
    /// No upgrade yet.
    pub fn new(
        flash: Box<dyn FirmwareFlash<Error = DeviceError> + Send>,
        boot: Box<dyn BootControl<Error = DeviceError> + Send>,
        policy: Policy,
    ) -> Upgrades {
        Upgrades {
            unit: Mutex::new(FirmwareUnit { flash, boot }),
            status: Mutex::new(Status::default()),
            running: AtomicBool::new(false),
            policy,
        }
    }
}

/// Where an upgrade stands, as `upgrade_status` answers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Phase {
    /// No upgrade since start.
    #[default]
    Idle,
    /// The image is arriving.
    Receiving,
    /// The written image is being read back.
    Verifying,
    /// The image is in place and selected; the camera reboots.
    Done,
    /// The last upgrade was refused or failed.
    Failed,
}

impl Phase {
    fn name(self) -> &'static str {
        match self {
            Phase::Idle => "idle",
            Phase::Receiving => "receiving",
            Phase::Verifying => "verifying",
            Phase::Done => "done",
            Phase::Failed => "failed",
        }
    }
}

/// The progress of the current or last upgrade.
#[derive(Debug, Clone, Default)]
pub struct Status {
    phase: Phase,
    received: u64,
    total: u64,
    reason: String,
}

/// `GET /cgi-bin/upgrade_status`.
pub fn status(app: &Upgrades, _call: &Call) -> Result<Reply, Refusal> {
    let s = lock(&app.status).clone();
    let percent = s.received.saturating_mul(100).checked_div(s.total).unwrap_or(0);
    let mut doc = Doc::new();
    doc.element("upgrade_status")
        .attr("state", s.phase.name())
        .attr("received", s.received)
        .attr("total", s.total)
        .attr("percent", percent)
        .attr("reason", s.reason)
        .empty();
    Ok(Reply::xml(doc.finish()))
}

/// The `Content-Length` as declared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Length {
    /// No `Content-Length` (chunked, or nothing).
    Missing,
    /// The declared length.
    Bytes(u64),
}

/// The request body, opened only once every check that needs no body has passed
/// (opening it is what sends `100 Continue`).
pub trait Body {
    /// The body reader.
    fn open(&mut self) -> &mut dyn Read;
}

/// Clears the one-upgrade-at-a-time flag however the upload ends.
struct Busy<'a>(&'a Upgrades);

impl Drop for Busy<'_> {
    fn drop(&mut self) {
        self.0.running.store(false, Ordering::SeqCst);
    }
}

/// Receives an upload the router has admitted (credentials, parameters and
/// privilege checked) on `path`, and answers it.
pub fn upload(app: &Upgrades, path: &str, length: Length, body: &mut dyn Body) -> Reply {
    match receive(app, length, body) {
        Ok(reply) => reply,
        Err(f) => Reply::fault(path, &f),
    }
}

fn set_status(app: &Upgrades, phase: Phase, received: u64, total: u64, reason: &str) {
    let mut s = lock(&app.status);
    *s = Status { phase, received, total, reason: reason.to_string() };
}

fn receive(app: &Upgrades, length: Length, body: &mut dyn Body) -> Result<Reply, Refusal> {
    if app.running.compare_exchange(false, true, Ordering::SeqCst, Ordering::SeqCst).is_err() {
        return Err(Refusal::new(409, "upgrade in progress"));
    }
    let _busy = Busy(app);
    // Until the image is under way, the status shows nothing received of
    // nothing: a refusal never leaves the last upgrade's figures standing.
    set_status(app, Phase::Receiving, 0, 0, "");
    let result = match length {
        Length::Missing => Err(Refusal::new(411, "length required")),
        Length::Bytes(total) => stream(app, total, body),
    };
    match &result {
        Ok(_) => {
            let total = lock(&app.status).total;
            set_status(app, Phase::Done, total, total, "");
            log::warn!("firmware written and selected; rebooting");
        }
        Err(f) => {
            let (received, total) = {
                let s = lock(&app.status);
                (s.received, s.total)
            };
            set_status(app, Phase::Failed, received, total, &f.reason);
            log::error!("firmware upgrade refused: {}", f.reason);
        }
    }
    result.map(|_| Reply::xml(simple("firmware_upgrade", "OK")).then(After::Reboot))
}

fn device(e: UpdaterError) -> Refusal {
    match e {
        UpdaterError::Device(e) => Refusal::device(&e),
        UpdaterError::Verification => Refusal::new(500, "verification failed"),
        UpdaterError::BadState => Refusal::new(500, "internal error"),
    }
}

/// Reads until `buf` is full or the body ends; returns how much was read.
fn fill(reader: &mut dyn Read, buf: &mut [u8]) -> usize {
    let mut got = 0;
    while let Some(rest) = buf.get_mut(got..).filter(|r| !r.is_empty()) {
        match reader.read(rest) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    got
}

fn stream(app: &Upgrades, total: u64, body: &mut dyn Body) -> Result<(), Refusal> {
    let mut unit = lock(&app.unit);
    let state = unit.boot.state().map_err(|e| Refusal::device(&e))?;
    let running = running_version(&mut unit, state.running).map_err(|e| Refusal::device(&e))?;
    let geometry = unit.flash.geometry(state.running.other());
    // Refusals that need no body come before the body is opened.
    if total < HEADER_LEN as u64 {
        return Err(Refusal::new(400, "truncated image"));
    }
    if total > geometry.capacity {
        return Err(Refusal::new(413, "image too large"));
    }
    set_status(app, Phase::Receiving, 0, total, "");
    let reader = body.open();
    let mut buf = vec![0u8; usize::try_from(geometry.erase_size).unwrap_or(1 << 16).max(HEADER_LEN)];
    let first = fill(reader, &mut buf);
    let header_bytes = buf.get(..HEADER_LEN).filter(|_| first >= HEADER_LEN).ok_or(Refusal::new(400, "truncated image"))?;
    let header = Header::parse(header_bytes).map_err(|e| match e {
        HeaderError::Short => Refusal::new(400, "truncated image"),
        HeaderError::BadMagic => Refusal::new(400, "bad magic"),
        HeaderError::UnsupportedFormat => Refusal::new(400, "unsupported image format"),
        HeaderError::BadBoardId => Refusal::new(400, "wrong board"),
    })?;
    if header.board_id != unit.flash.board_id() {
        return Err(Refusal::new(400, "wrong board"));
    }
    if header.payload_len.checked_add(HEADER_LEN as u64) != Some(total) {
        return Err(Refusal::new(400, "length mismatch"));
    }
    if let Some(running) = running {
        if header.version < running && !app.policy.allow_downgrade {
            return Err(Refusal::new(400, "older version"));
        }
    }
    if let Some(key) = &app.policy.public_key {
        if header.signature.is_none() {
            return Err(Refusal::new(400, "signature required"));
        }
        if !header.signature_valid(key) {
            return Err(Refusal::new(400, "bad signature"));
        }
    }
    log::info!("firmware {} for {}: {} bytes arriving", header.version, header.board_id, total);
    let mut updater = Updater::begin(&mut unit, state).map_err(device)?;
    // The payload's digest is checked against the header; the digest of all
    // bytes written (header included, since the next start reads the version
    // from it) is checked against what the flash gives back.
    let mut payload = PayloadHasher::default();
    let mut written = PayloadHasher::default();
    let mut received = first as u64;
    let mut chunk = first;
    loop {
        let data = buf.get(..chunk).unwrap_or_default();
        let payload_start = if received == chunk as u64 { HEADER_LEN } else { 0 };
        payload.update(data.get(payload_start..).unwrap_or_default());
        written.update(data);
        updater.write(data).map_err(device)?;
        set_status(app, Phase::Receiving, received, total, "");
        if received >= total {
            break;
        }
        let want = usize::try_from(total - received).unwrap_or(usize::MAX).min(buf.len());
        chunk = fill(reader, buf.get_mut(..want).unwrap_or_default());
        if chunk == 0 {
            return Err(Refusal::new(400, "truncated image"));
        }
        received += chunk as u64;
    }
    if payload.finish() != header.sha256 {
        return Err(Refusal::new(400, "hash mismatch"));
    }
    set_status(app, Phase::Verifying, received, total, "");
    updater.verify(0, total, &written.finish(), &mut buf).map_err(device)?;
    updater.activate().map_err(device)?;
    Ok(())
}

/// `OPTIONS` on an upload path: a CORS preflight, allowed for configured origins only.
pub fn preflight(sites: &Sites, path: &str, origin: Option<&str>) -> Reply {
    match sites.origin_allowed(origin) {
        Some(origin) => {
            let mut reply = Reply::with_kind(crate::interfaces::call::Body::Xml, Vec::new());
            reply.status = 204;
            reply.cors = Some(origin.to_string());
            reply
        }
        None => Reply::fault(path, &Refusal::new(403, "origin not allowed")),
    }
}

/// The origin to name in `Access-Control-Allow-Origin`, if it is allowed.
pub fn allowed_origin(sites: &Sites, origin: Option<&str>) -> Option<String> {
    sites.origin_allowed(origin).map(str::to_string)
}
