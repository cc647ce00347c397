//! The upload-targets family: `/cgi-bin/upload_targets`, the FTP server and
//! e-mail relay `snapshot.cgi?upload=1|2` sends to. Passwords are write-only:
//! stored (the camera must send them) but never answered.

use crate::api::fields::{given_int, in_range, Given};
use crate::api::query::Params;
use crate::api::refusal::Refusal;
use crate::api::xml::Doc;
use crate::interfaces::call::{Call, Reply};
use crate::outbound::ftp::Server;
use crate::outbound::ftp::{Deadline, Failure};
use crate::state::app::{lock, Shared};
use crate::state::store::Store;
use camcgi_hal::StorageTarget;
use serde::{Deserialize, Serialize};
use std::sync::Mutex;

/// The interface's parameters, in its table's order.
pub const PARAMS: &[&str] = &[
    "ftp_server",
    "ftp_port",
    "ftp_user",
    "ftp_password",
    "ftp_dir",
    "smtp_server",
    "smtp_port",
    "smtp_user",
    "smtp_password",
    "email_from",
    "email_to",
];
const FILE: &str = "upload_targets.xml";
const MAX_RECIPIENTS: usize = 8;

/// The targets; an empty server means not set up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename = "upload_targets")]
pub struct Targets {
    ftp_server: String,
    ftp_port: u16,
    ftp_user: String,
    ftp_password: String,
    ftp_dir: String,
    smtp_server: String,
    smtp_port: u16,
    smtp_user: String,
    smtp_password: String,
    email_from: String,
    email_to: String,
}

impl Default for Targets {
    fn default() -> Self {
        Targets {
            ftp_server: String::new(),
            ftp_port: 21,
            ftp_user: String::new(),
            ftp_password: String::new(),
            ftp_dir: String::new(),
            smtp_server: String::new(),
            smtp_port: 25,
            smtp_user: String::new(),
            smtp_password: String::new(),
            email_from: String::new(),
            email_to: String::new(),
        }
    }
}

fn host(s: &str) -> bool {
    s.is_empty() || crate::interfaces::time::valid_host_name(s)
}

/// Printable ASCII without spaces or line breaks, 0-64 bytes (FTP and SMTP put it on a command line).
fn token(s: &str) -> bool {
    s.len() <= 64 && s.bytes().all(|b| b.is_ascii_graphic())
}

/// A remote directory below the login directory: printable, no line breaks,
/// 0-255 bytes, relative (no leading `/` or `\\`, no drive letter, no
/// leading `~`, which servers expand to a user's home), no glob characters
/// (`*?[]{}`, which servers expand), and no `..` segment between either kind
/// of separator (Windows servers take both).
fn directory(s: &str) -> bool {
    s.len() <= 255
        && s.bytes().all(|b| (0x20..0x7f).contains(&b) && !b"*?[]{}".contains(&b))
        && !s.starts_with(['/', '\\', '~'])
        && !s.contains(':')
        && !s.split(['/', '\\']).any(|seg| seg.trim() == ".." || seg.trim_start().starts_with('~'))
}

/// `local@domain`, plain ASCII.
fn address(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else { return false };
    !local.is_empty()
        && s.len() <= 254
        && local.bytes().all(|b| b.is_ascii_alphanumeric() || b"._+-".contains(&b))
        && crate::interfaces::time::valid_host_name(domain)
}

fn recipients(s: &str) -> Vec<&str> {
    s.split(',').map(str::trim).filter(|a| !a.is_empty()).collect()
}

impl Targets {
    fn is_valid(&self) -> bool {
        host(&self.ftp_server)
            && host(&self.smtp_server)
            && [&self.ftp_user, &self.ftp_password, &self.smtp_user, &self.smtp_password].iter().all(|t| token(t))
            && directory(&self.ftp_dir)
            && (self.email_from.is_empty() || address(&self.email_from))
            && recipients(&self.email_to).iter().all(|a| address(a))
    }

    fn ftp(&self) -> Option<crate::outbound::ftp::Target<'_>> {
        (!self.ftp_server.is_empty()).then(|| crate::outbound::ftp::Target {
            server: Server { host: &self.ftp_server, port: self.ftp_port, user: &self.ftp_user, password: &self.ftp_password },
            dir: &self.ftp_dir,
        })
    }

    fn smtp(&self) -> Option<crate::outbound::smtp::Target<'_>> {
        let to = recipients(&self.email_to);
        (!self.smtp_server.is_empty() && !self.email_from.is_empty() && !to.is_empty()).then(|| crate::outbound::smtp::Target {
            server: Server { host: &self.smtp_server, port: self.smtp_port, user: &self.smtp_user, password: &self.smtp_password },
            from: &self.email_from,
            to,
        })
    }

    /// Whether FTP (or e-mail) is set up enough to send to.
    pub fn is_set_up(&self, target: StorageTarget) -> bool {
        match target {
            StorageTarget::Ftp => self.ftp().is_some(),
            StorageTarget::Email => self.smtp().is_some(),
            StorageTarget::SdCard | StorageTarget::Nfs => false,
        }
    }

    /// Sends a snapshot by FTP or e-mail; `None` for a target not set up.
    pub fn send(&self, target: StorageTarget, name: &str, jpeg: &[u8], deadline: &Deadline) -> Option<Result<(), Failure>> {
        match target {
            StorageTarget::Ftp => Some(crate::outbound::ftp::store(&self.ftp()?, name, jpeg, deadline)),
            StorageTarget::Email => Some(crate::outbound::smtp::send(&self.smtp()?, name, jpeg, deadline)),
            StorageTarget::SdCard | StorageTarget::Nfs => None,
        }
    }
}

/// Loads the targets.
pub fn load(store: &Store) -> Targets {
    store.load(FILE, Targets::is_valid).unwrap_or_default()
}

/// Factory defaults: no targets.
pub fn reset(targets: &mut Targets, store: &Store) {
    *targets = Targets::default();
    if let Err(e) = store.remove(FILE) {
        log::error!("{FILE}: not removed: {e}");
    }
}

/// A change to the targets, each field given or not; `set` checks them in the table's order.
#[derive(Debug, Clone, Default)]
pub struct TargetsChange {
    /// The FTP server's host name or address (empty: no FTP).
    pub ftp_server: Option<String>,
    /// 1-65535.
    pub ftp_port: Given<i64>,
    /// The FTP login.
    pub ftp_user: Option<String>,
    /// Its password (stored, never answered).
    pub ftp_password: Option<String>,
    /// A directory below the login directory.
    pub ftp_dir: Option<String>,
    /// The mail relay (empty: no e-mail).
    pub smtp_server: Option<String>,
    /// 1-65535.
    pub smtp_port: Given<i64>,
    /// The relay's login.
    pub smtp_user: Option<String>,
    /// Its password (stored, never answered).
    pub smtp_password: Option<String>,
    /// The sender's address.
    pub email_from: Option<String>,
    /// Up to 8 addresses, separated by commas.
    pub email_to: Option<String>,
}

impl TargetsChange {
    /// `/cgi-bin/upload_targets`' parameters.
    pub fn from_params(p: &Params) -> TargetsChange {
        let text = |name| p.get(name).map(str::to_string);
        TargetsChange {
            ftp_server: text("ftp_server"),
            ftp_port: given_int(p, "ftp_port"),
            ftp_user: text("ftp_user"),
            ftp_password: text("ftp_password"),
            ftp_dir: text("ftp_dir"),
            smtp_server: text("smtp_server"),
            smtp_port: given_int(p, "smtp_port"),
            smtp_user: text("smtp_user"),
            smtp_password: text("smtp_password"),
            email_from: text("email_from"),
            email_to: text("email_to"),
        }
    }
}

/// A text `ok` accepts, or `current` when absent: `NAME error`.
fn text(given: Option<String>, name: &str, ok: fn(&str) -> bool, current: &str) -> Result<String, Refusal> {
    match given {
        None => Ok(current.to_string()),
        Some(v) if ok(&v) => Ok(v),
        Some(_) => Err(Refusal::error(name)),
    }
}

fn recipient_list(s: &str) -> bool {
    let list = recipients(s);
    list.len() <= MAX_RECIPIENTS && list.iter().all(|a| address(a))
}

/// Checks a change and writes it; a fault changes nothing.
pub fn set(app: &Shared, targets: &Mutex<Targets>, c: TargetsChange) -> Result<Targets, Refusal> {
    let mut targets = lock(targets);
    let t = &*targets;
    let new = Targets {
        ftp_server: text(c.ftp_server, "ftp_server", host, &t.ftp_server)?,
        ftp_port: in_range(c.ftp_port, "ftp_port", 1, 65535, t.ftp_port)?,
        ftp_user: text(c.ftp_user, "ftp_user", token, &t.ftp_user)?,
        ftp_password: text(c.ftp_password, "ftp_password", token, &t.ftp_password)?,
        ftp_dir: text(c.ftp_dir, "ftp_dir", directory, &t.ftp_dir)?,
        smtp_server: text(c.smtp_server, "smtp_server", host, &t.smtp_server)?,
        smtp_port: in_range(c.smtp_port, "smtp_port", 1, 65535, t.smtp_port)?,
        smtp_user: text(c.smtp_user, "smtp_user", token, &t.smtp_user)?,
        smtp_password: text(c.smtp_password, "smtp_password", token, &t.smtp_password)?,
        email_from: text(c.email_from, "email_from", |s| s.is_empty() || address(s), &t.email_from)?,
        email_to: text(c.email_to, "email_to", recipient_list, &t.email_to)?,
    };
    app.store.save(FILE, &new).map_err(|e| Refusal::storage(&e))?;
    *targets = new;
    Ok(targets.clone())
}

/// `/cgi-bin/upload_targets`: query, or set (Administrator).
pub fn handle(app: &Shared, targets: &Mutex<Targets>, call: &Call) -> Result<Reply, Refusal> {
    let t = if call.is_set() { set(app, targets, TargetsChange::from_params(&call.params))? } else { lock(targets).clone() };
    let mut doc = Doc::new();
    doc.element("upload_targets")
        .attr("ftp_server", &t.ftp_server)
        .attr("ftp_port", t.ftp_port)
        .attr("ftp_user", &t.ftp_user)
        .attr("ftp_dir", &t.ftp_dir)
        .attr("smtp_server", &t.smtp_server)
        .attr("smtp_port", t.smtp_port)
        .attr("smtp_user", &t.smtp_user)
        .attr("email_from", &t.email_from)
        .attr("email_to", recipients(&t.email_to).join(","))
        .empty();
    Ok(Reply::xml(doc.finish()))
}
