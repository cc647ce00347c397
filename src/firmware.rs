//! Firmware upgrade: `POST /cgi-bin/OnvifFirmwareUpgrade` (and `/OnvifFirmwareUpgrade`),
//! `GET /cgi-bin/upgrade_status`, and the A/B updater.
//!
//! The image streams into the slot that is not running, one erase block at a
//! time, hashed as it arrives; it is then read back and hashed again, and
//! only then is the boot selection switched to it, on trial. Nothing before
//! that last step touches the running slot or the boot selection, so any
//! failure (or a power cut) leaves the camera booting what it booted before.

use crate::app::{lock, App};
use crate::call::{After, Call, Reply};
use crate::xml::{simple, Doc, Fault};
use camcgi_fwimage::{Header, HeaderError, PayloadHasher, Version, HEADER_LEN};
use camcgi_hal::{BootControl, BootState, DeviceError, FirmwareFlash, FlashGeometry, Slot};
use std::io::Read;
use std::sync::atomic::Ordering;

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

/// The firmware slots and the boot selection.
pub struct FirmwareUnit {
    /// The slots.
    pub flash: Box<dyn FirmwareFlash<Error = DeviceError> + Send>,
    /// The boot selection.
    pub boot: Box<dyn BootControl<Error = DeviceError> + Send>,
}

impl FirmwareUnit {
    /// Marks the running slot good (the new firmware came up) and logs what runs.
    pub fn confirm_boot(&mut self) {
        match self.boot.confirm() {
            Ok(()) => match self.boot.state() {
                Ok(state) => {
                    let version = match running_version(self, state.running) {
                        Ok(Some(v)) => v.to_string(),
                        Ok(None) => "unknown".to_string(),
                        Err(e) => format!("unreadable: {e}"),
                    };
                    log::info!("firmware slot {} confirmed (version {version})", state.running.name());
                }
                Err(e) => log::warn!("boot state unreadable: {e}"),
            },
            Err(e) => log::warn!("boot not confirmed: {e}"),
        }
    }
}

/// The version in the running slot's header, if it holds a camcgi image
/// (a factory image without one accepts any version).
fn running_version(unit: &mut FirmwareUnit, running: Slot) -> Result<Option<Version>, DeviceError> {
    let mut header = [0u8; HEADER_LEN];
    unit.flash.read(running, 0, &mut header)?;
    Ok(Header::parse(&header).ok().map(|h| h.version))
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
pub fn status(app: &App, _call: &Call) -> Result<Reply, Fault> {
    let s = lock(&app.upgrade).clone();
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

/// Why the updater stopped.
#[derive(Debug)]
pub enum UpdaterError {
    /// The flash or boot control failed.
    Device(DeviceError),
    /// What was read back is not what was written.
    Verification,
    /// A step out of order (a write after activation, say).
    BadState,
}

impl From<DeviceError> for UpdaterError {
    fn from(e: DeviceError) -> Self {
        UpdaterError::Device(e)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Writing,
    Verified,
    Activated,
}

/// Writes an image into the slot that is not running and, once verified, selects it.
pub struct Updater<'u> {
    unit: &'u mut FirmwareUnit,
    target: Slot,
    geometry: FlashGeometry,
    written: u64,
    erased: u64,
    step: Step,
}

impl<'u> Updater<'u> {
    /// Prepares the slot that is not running, given the boot state as just
    /// read. If the boot selection points at that slot (an upgrade not yet
    /// rebooted into), the selection goes back to the running slot first: a
    /// slot is never erased while it is selected.
    pub fn begin(unit: &'u mut FirmwareUnit, state: BootState) -> Result<Updater<'u>, UpdaterError> {
        let target = state.running.other();
        if state.selected == target {
            unit.boot.select(state.running)?;
        }
        let geometry = unit.flash.geometry(target);
        Ok(Updater { unit, target, geometry, written: 0, erased: 0, step: Step::Writing })
    }

    /// The slot being written.
    pub fn target(&self) -> Slot {
        self.target
    }

    /// Its geometry.
    pub fn geometry(&self) -> FlashGeometry {
        self.geometry
    }

    /// Appends data, erasing blocks ahead of it as needed.
    pub fn write(&mut self, data: &[u8]) -> Result<(), UpdaterError> {
        if self.step != Step::Writing {
            return Err(UpdaterError::BadState);
        }
        let end = self.written + data.len() as u64;
        let block = u64::from(self.geometry.erase_size.max(1));
        if end > self.erased {
            let upto = end.div_ceil(block) * block;
            self.unit.flash.erase(self.target, self.erased, upto - self.erased)?;
            self.erased = upto;
        }
        self.unit.flash.write(self.target, self.written, data)?;
        self.written = end;
        Ok(())
    }

    /// Reads `len` bytes at `offset` back, block by block, and compares their digest.
    /// NAND hands back data even after an ECC failure: the digest is the check.
    pub fn verify(&mut self, offset: u64, len: u64, sha256: &[u8; 32], buf: &mut [u8]) -> Result<(), UpdaterError> {
        if self.step != Step::Writing || offset + len > self.written || buf.is_empty() {
            return Err(UpdaterError::BadState);
        }
        let mut hasher = PayloadHasher::default();
        let mut at = offset;
        while at < offset + len {
            let n = buf.len().min(usize::try_from(offset + len - at).unwrap_or(usize::MAX));
            let chunk = buf.get_mut(..n).ok_or(UpdaterError::BadState)?;
            self.unit.flash.read(self.target, at, chunk)?;
            hasher.update(chunk);
            at += n as u64;
        }
        if hasher.finish() != *sha256 {
            return Err(UpdaterError::Verification);
        }
        self.step = Step::Verified;
        Ok(())
    }

    /// Selects the verified slot for the next boot, on trial: the one atomic step.
    pub fn activate(&mut self) -> Result<(), UpdaterError> {
        if self.step != Step::Verified {
            return Err(UpdaterError::BadState);
        }
        self.unit.boot.select(self.target)?;
        self.step = Step::Activated;
        Ok(())
    }
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
struct Busy<'a>(&'a App);

impl Drop for Busy<'_> {
    fn drop(&mut self) {
        self.0.upgrading.store(false, Ordering::SeqCst);
    }
}

/// Receives an upload the router has admitted (credentials, parameters and
/// privilege checked) on `path`, and answers it.
pub fn upload(app: &App, path: &str, length: Length, body: &mut dyn Body) -> Reply {
    match receive(app, length, body) {
        Ok(reply) => reply,
        Err(f) => Reply::fault(path, &f),
    }
}

fn set_status(app: &App, phase: Phase, received: u64, total: u64, reason: &str) {
    let mut s = lock(&app.upgrade);
    *s = Status { phase, received, total, reason: reason.to_string() };
}

fn receive(app: &App, length: Length, body: &mut dyn Body) -> Result<Reply, Fault> {
    if app.upgrading.compare_exchange(false, true, Ordering::SeqCst, Ordering::SeqCst).is_err() {
        return Err(Fault::new(409, "upgrade in progress"));
    }
    let _busy = Busy(app);
    // Until the image is under way, the status shows nothing received of
    // nothing: a refusal never leaves the last upgrade's figures standing.
    set_status(app, Phase::Receiving, 0, 0, "");
    let result = match length {
        Length::Missing => Err(Fault::new(411, "length required")),
        Length::Bytes(total) => stream(app, total, body),
    };
    match &result {
        Ok(_) => {
            let total = lock(&app.upgrade).total;
            set_status(app, Phase::Done, total, total, "");
            log::warn!("firmware written and selected; rebooting");
        }
        Err(f) => {
            let (received, total) = {
                let s = lock(&app.upgrade);
                (s.received, s.total)
            };
            set_status(app, Phase::Failed, received, total, &f.reason);
            log::error!("firmware upgrade refused: {}", f.reason);
        }
    }
    result.map(|_| Reply::xml(simple("firmware_upgrade", "OK")).then(After::Reboot))
}

fn device(e: UpdaterError) -> Fault {
    match e {
        UpdaterError::Device(e) => Fault::device(&e),
        UpdaterError::Verification => Fault::new(500, "verification failed"),
        UpdaterError::BadState => Fault::new(500, "internal error"),
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

fn stream(app: &App, total: u64, body: &mut dyn Body) -> Result<(), Fault> {
    let mut unit = lock(&app.firmware);
    let state = unit.boot.state().map_err(|e| Fault::device(&e))?;
    let running = running_version(&mut unit, state.running).map_err(|e| Fault::device(&e))?;
    let geometry = unit.flash.geometry(state.running.other());
    // Refusals that need no body come before the body is opened.
    if total < HEADER_LEN as u64 {
        return Err(Fault::new(400, "truncated image"));
    }
    if total > geometry.capacity {
        return Err(Fault::new(413, "image too large"));
    }
    set_status(app, Phase::Receiving, 0, total, "");
    let reader = body.open();
    let mut buf = vec![0u8; usize::try_from(geometry.erase_size).unwrap_or(1 << 16).max(HEADER_LEN)];
    let first = fill(reader, &mut buf);
    let header_bytes = buf.get(..HEADER_LEN).filter(|_| first >= HEADER_LEN).ok_or(Fault::new(400, "truncated image"))?;
    let header = Header::parse(header_bytes).map_err(|e| match e {
        HeaderError::Short => Fault::new(400, "truncated image"),
        HeaderError::BadMagic => Fault::new(400, "bad magic"),
        HeaderError::UnsupportedFormat => Fault::new(400, "unsupported image format"),
        HeaderError::BadBoardId => Fault::new(400, "wrong board"),
    })?;
    if header.board_id != unit.flash.board_id() {
        return Err(Fault::new(400, "wrong board"));
    }
    if header.payload_len.checked_add(HEADER_LEN as u64) != Some(total) {
        return Err(Fault::new(400, "length mismatch"));
    }
    if let Some(running) = running {
        if header.version < running && !app.policy.allow_downgrade {
            return Err(Fault::new(400, "older version"));
        }
    }
    if let Some(key) = &app.policy.public_key {
        if header.signature.is_none() {
            return Err(Fault::new(400, "signature required"));
        }
        if !header.signature_valid(key) {
            return Err(Fault::new(400, "bad signature"));
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
            return Err(Fault::new(400, "truncated image"));
        }
        received += chunk as u64;
    }
    if payload.finish() != header.sha256 {
        return Err(Fault::new(400, "hash mismatch"));
    }
    set_status(app, Phase::Verifying, received, total, "");
    updater.verify(0, total, &written.finish(), &mut buf).map_err(device)?;
    updater.activate().map_err(device)?;
    Ok(())
}

/// `OPTIONS` on an upload path: a CORS preflight, allowed for configured origins only.
pub fn preflight(app: &App, path: &str, origin: Option<&str>) -> Reply {
    match app.sites.origin_allowed(origin) {
        Some(origin) => {
            let mut reply = Reply::with_kind(crate::call::Body::Xml, Vec::new());
            reply.status = 204;
            reply.cors = Some(origin.to_string());
            reply
        }
        None => Reply::fault(path, &Fault::new(403, "origin not allowed")),
    }
}

/// The origin to name in `Access-Control-Allow-Origin`, if it is allowed.
pub fn allowed_origin(app: &App, origin: Option<&str>) -> Option<String> {
    app.sites.origin_allowed(origin).map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;
    use camcgi_hal::mock::MockBoard;

    fn unit(name: &str) -> (FirmwareUnit, std::path::PathBuf) {
        let dir = std::env::temp_dir().join(format!("camcgi-updater-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let mock = MockBoard::new();
        mock.attach_firmware(&dir, FlashGeometry { erase_size: 16, capacity: 256 }).unwrap();
        let board = mock.board();
        (FirmwareUnit { flash: board.flash, boot: board.boot }, dir)
    }

    fn digest(data: &[u8]) -> [u8; 32] {
        let mut h = PayloadHasher::default();
        h.update(data);
        h.finish()
    }

    #[test]
    fn steps_run_in_order_only() {
        let (mut unit, dir) = unit("order");
        let mut buf = [0u8; 16];
        let state = unit.boot.state().unwrap();
        let mut up = Updater::begin(&mut unit, state).unwrap();
        assert_eq!(up.target(), Slot::B);
        assert!(matches!(up.activate(), Err(UpdaterError::BadState)), "nothing verified yet");
        up.write(b"0123456789abcdefXYZ").unwrap();
        up.write(b"tail").unwrap();
        assert!(matches!(up.verify(0, 23, &digest(b"0123456789abcdefXYZtail!"), &mut buf), Err(UpdaterError::Verification)));
        assert!(matches!(up.verify(0, 99, &[0; 32], &mut buf), Err(UpdaterError::BadState)), "past what was written");
        up.verify(0, 23, &digest(b"0123456789abcdefXYZtail"), &mut buf).unwrap();
        assert!(matches!(up.write(b"more"), Err(UpdaterError::BadState)), "no write after verification");
        up.activate().unwrap();
        assert!(matches!(up.write(b"more"), Err(UpdaterError::BadState)), "no write after activation");
        assert!(matches!(up.activate(), Err(UpdaterError::BadState)));
        let state = unit.boot.state().unwrap();
        assert_eq!((state.running, state.selected, state.confirmed), (Slot::A, Slot::B, false));
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn an_image_larger_than_the_slot_fails_before_writing_past_it() {
        let (mut unit, dir) = unit("bounds");
        let state = unit.boot.state().unwrap();
        let mut up = Updater::begin(&mut unit, state).unwrap();
        up.write(&[7u8; 256]).unwrap();
        assert!(matches!(up.write(&[7u8; 1]), Err(UpdaterError::Device(_))));
        let _ = std::fs::remove_dir_all(dir);
    }
}
