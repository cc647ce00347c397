//! The snapshot family: `/cgi-bin/snapshot.cgi` (a JPEG, answered or stored on a target).

use crate::api::refusal::Refusal;
use crate::api::xml::simple;
use crate::interfaces::call::{Body, Call, Reply};
use crate::interfaces::targets::Targets;
use crate::interfaces::time::{now_local, TimeUnit};
use crate::outbound::upload::Uploads;
use crate::state::app::lock;
use camcgi_hal::{DeviceError, ErrorKind, SnapshotSource, StorageTarget, StorageTargets, StreamId};
use std::sync::{Arc, Mutex};

/// The interface's parameters, in its table's order (besides `uid`).
pub const PARAMS: &[&str] = &["stream", "upload", "username", "password"];

fn target(upload: &str) -> Option<StorageTarget> {
    match upload {
        "0" => Some(StorageTarget::SdCard),
        "1" => Some(StorageTarget::Ftp),
        "2" => Some(StorageTarget::Email),
        "3" => Some(StorageTarget::Nfs),
        _ => None,
    }
}

/// The document's fault for a target that is not there.
fn absent(target: StorageTarget) -> Refusal {
    Refusal::bad(match target {
        StorageTarget::SdCard => "sd card not mounted",
        StorageTarget::Ftp => "Ftp not deploy",
        StorageTarget::Email => "Email not deploy",
        StorageTarget::Nfs => "NFS Server not mounted",
    })
}

/// The name of a target in an upload fault.
fn protocol(target: StorageTarget) -> &'static str {
    match target {
        StorageTarget::SdCard => "sd card",
        StorageTarget::Ftp => "ftp",
        StorageTarget::Email => "email",
        StorageTarget::Nfs => "nfs",
    }
}

/// What a snapshot is taken from, named by, and sent to.
pub struct Sources<'a> {
    /// The camera's snapshots (taken without a lock).
    pub snapshots: &'a (dyn SnapshotSource<Error = DeviceError> + Send + Sync),
    /// SD card and NFS.
    pub storage: &'a Arc<dyn StorageTargets<Error = DeviceError> + Send + Sync>,
    /// The clock the file name is taken from.
    pub time: &'a Mutex<TimeUnit>,
    /// FTP and e-mail.
    pub targets: &'a Mutex<Targets>,
    /// The one upload that may run.
    pub uploads: &'a Uploads,
}

/// `/cgi-bin/snapshot.cgi?stream=0|1[&upload=0-3]`.
pub fn handle(app: &Sources, call: &Call) -> Result<Reply, Refusal> {
    let p = &call.params;
    let (stream, number) = match p.get("stream") {
        None | Some("0") => (StreamId::Sub, 0),
        Some("1") => (StreamId::Main, 1),
        Some(_) => return Err(Refusal::option("stream", "0 or 1")),
    };
    let target = p.get("upload").map(|u| target(u).ok_or(Refusal::bad("upload 0 or 1 or 2 or 3"))).transpose()?;
    let mut jpeg = Vec::new();
    // No lock: the board takes snapshots from any thread at once.
    app.snapshots.snapshot(stream, &mut jpeg).map_err(|e| Refusal::device(&e))?;
    let Some(target) = target else {
        return Ok(Reply::with_kind(Body::Jpeg, jpeg));
    };
    let [y, mo, d, h, mi, s] = now_local(&lock(app.time)).map_err(|e| Refusal::device(&e))?;
    let name = format!("snapshot_{y:04}{mo:02}{d:02}-{h:02}{mi:02}{s:02}_stream{number}.jpg");
    let what = protocol(target);
    match target {
        StorageTarget::Ftp | StorageTarget::Email => {
            // A copy, so a slow server never holds the settings' lock.
            let targets = lock(app.targets).clone();
            if !targets.is_set_up(target) {
                return Err(absent(target));
            }
            app.uploads.run(what, move |deadline| match targets.send(target, &name, &jpeg, &deadline) {
                None => Err(absent(target)),
                Some(Ok(())) => Ok(()),
                Some(Err(f)) => {
                    log::warn!("snapshot upload by {what} failed at {}: {}", f.step, f.detail);
                    Err(Refusal::new(500, format!("upload failed: {what} {} ({})", f.step, f.detail)))
                }
            })?
        }
        StorageTarget::SdCard | StorageTarget::Nfs => {
            let storage = app.storage.clone();
            app.uploads.run(what, move |_| match storage.store(target, &name, &jpeg) {
                Ok(()) => Ok(()),
                Err(e) if matches!(camcgi_hal::Error::kind(&e), ErrorKind::NotMounted | ErrorKind::NotConfigured) => Err(absent(target)),
                Err(e) => Err(Refusal::device(&e)),
            })?
        }
    }
    Ok(Reply::xml(simple("upload", "OK")))
}
