//! The users family: `/cgi-bin/user_management` (add, delete, edit, get_user).

use crate::api::query::Params;
use crate::api::refusal::Refusal;
use crate::api::xml::{simple, Doc};
use crate::interfaces::call::{Call, Reply};
use crate::state::accounts::{self, valid_name, valid_password, Account, Accounts, Privilege, MAX_ACCOUNTS};
use crate::state::app::{lock, Shared};
use crate::state::secret::DeviceKey;

/// The interface's parameters, in its table's order.
pub const PARAMS: &[&str] = &["action", "name", "newpasswd", "privilege", "enable"];
/// The document's refusal for everyone but administrators.
pub const NOT_ADMIN: &str = "Non-administrators cannot edit users";
const LAST_ADMIN: &str = "cannot remove the last administrator";
/// An added account's name is taken.
pub const DUPLICATED: &str = "error username duplicated";
/// The accounts are [`MAX_ACCOUNTS`] already.
pub const TOO_MANY: &str = "too many users";
/// The account to delete is not there.
pub const NO_SUCH_USER: &str = "error username";
/// The account to edit is not there.
pub const NO_USER_TO_EDIT: &str = "username none exist to edit";

fn privilege(p: &Params) -> Result<Option<Privilege>, Refusal> {
    p.get("privilege").map(|v| Privilege::parse(v).ok_or(Refusal::bad("privilege: User or Administrator or Operator"))).transpose()
}

fn enable(p: &Params) -> Result<Option<bool>, Refusal> {
    match p.get("enable") {
        None => Ok(None),
        Some("Enable") => Ok(Some(true)),
        Some("Disable") => Ok(Some(false)),
        Some(_) => Err(Refusal::bad("enable: Enable or Disable")),
    }
}

fn password(p: &Params) -> Result<Option<&str>, Refusal> {
    match p.get("newpasswd") {
        Some(v) if !valid_password(v) => Err(Refusal::error("newpasswd")),
        v => Ok(v),
    }
}

fn enable_name(enabled: bool) -> &'static str {
    if enabled {
        "Enable"
    } else {
        "Disable"
    }
}

/// What a change does to an account's sessions.
enum Outcome {
    Unchanged,
    Revoke(String),
}

/// One account's wanted state, checked; what is `None` stays as it is
/// (an added account: User, enabled).
#[derive(Debug, Clone, Copy)]
pub struct AccountChange<'a> {
    /// Login name.
    pub name: &'a str,
    /// New password.
    pub password: Option<&'a str>,
    /// New privilege.
    pub privilege: Option<Privilege>,
    /// Whether it may log in.
    pub enabled: Option<bool>,
}

/// A change to the accounts, as `user_management` and ONVIF's user
/// operations ask it.
#[derive(Debug, Clone, Copy)]
pub enum Change<'a> {
    /// A new account (name and password required).
    Add(AccountChange<'a>),
    /// Remove an account.
    Delete(&'a str),
    /// Change an account.
    Edit(AccountChange<'a>),
}

fn add(accounts: &mut Accounts, wanted: &AccountChange, key: &DeviceKey) -> Result<Outcome, Refusal> {
    if !valid_name(wanted.name) {
        return Err(Refusal::error("name"));
    }
    let password = wanted.password.ok_or(Refusal::error("newpasswd"))?;
    if accounts.get(wanted.name).is_some() {
        return Err(Refusal::bad(DUPLICATED));
    }
    if accounts.users.len() >= MAX_ACCOUNTS {
        return Err(Refusal::bad(TOO_MANY));
    }
    let privilege = wanted.privilege.unwrap_or(Privilege::User);
    accounts.users.push(Account::new(wanted.name, password, privilege, wanted.enabled.unwrap_or(true), key));
    Ok(Outcome::Unchanged)
}

fn is_last_admin(accounts: &Accounts, account: &Account) -> bool {
    account.enabled && account.privilege == Privilege::Administrator && accounts.enabled_admins() == 1
}

fn delete(accounts: &mut Accounts, name: &str) -> Result<Outcome, Refusal> {
    let account = accounts.get(name).ok_or(Refusal::bad(NO_SUCH_USER))?;
    if is_last_admin(accounts, account) {
        return Err(Refusal::bad(LAST_ADMIN));
    }
    accounts.users.retain(|a| a.name != name);
    Ok(Outcome::Revoke(name.to_string()))
}

fn edit(accounts: &mut Accounts, wanted: &AccountChange, key: &DeviceKey) -> Result<Outcome, Refusal> {
    let name = wanted.name;
    let current = accounts.get(name).ok_or(Refusal::bad(NO_USER_TO_EDIT))?.clone();
    let privilege = wanted.privilege.unwrap_or(current.privilege);
    let enabled = wanted.enabled.unwrap_or(current.enabled);
    let demoted = privilege != Privilege::Administrator || !enabled;
    if demoted && is_last_admin(accounts, &current) {
        return Err(Refusal::bad(LAST_ADMIN));
    }
    let mut updated = current.clone();
    updated.privilege = privilege;
    updated.enabled = enabled;
    if let Some(password) = wanted.password {
        if current.password(key).as_deref() != Some(password) {
            updated.set_password(password, key);
        }
    }
    let same = updated.privilege == current.privilege && updated.enabled == current.enabled && updated.digest == current.digest;
    let outcome = if same { Outcome::Unchanged } else { Outcome::Revoke(name.to_string()) };
    if let Some(slot) = accounts.get_mut(name) {
        *slot = updated;
    }
    Ok(outcome)
}

/// Makes changes to the accounts, all or none, and ends the sessions of
/// the accounts changed.
pub fn change_accounts(app: &Shared, changes: &[Change]) -> Result<(), Refusal> {
    // Changes are made one at a time, on a copy: the accounts' own lock, which
    // every login takes, is never held while the file is written and fsynced.
    let _writing = lock(&app.accounts_writer);
    let mut new = lock(&app.accounts).clone();
    let mut revoked = Vec::new();
    for change in changes {
        let outcome = match change {
            Change::Add(wanted) => add(&mut new, wanted, &app.key)?,
            Change::Delete(name) => delete(&mut new, name)?,
            Change::Edit(wanted) => edit(&mut new, wanted, &app.key)?,
        };
        if let Outcome::Revoke(name) = outcome {
            revoked.push(name);
        }
    }
    app.store.save_guarded(accounts::FILE, &new).map_err(|e| Refusal::storage(&e))?;
    *lock(&app.accounts) = new;
    for name in revoked {
        log::info!("account {name} changed: its sessions end");
        lock(&app.sessions).revoke_user(&name);
    }
    Ok(())
}

fn list(accounts: &Accounts) -> Vec<u8> {
    let mut doc = Doc::new();
    doc.element("user_management").open().newline();
    for a in &accounts.users {
        doc.element("user")
            .attr("name", &a.name)
            .attr("privilege", a.privilege.name())
            .attr("enable", enable_name(a.enabled))
            .empty()
            .newline();
    }
    doc.close("user_management");
    doc.finish()
}

/// `/cgi-bin/user_management?action=…`.
pub fn handle(app: &Shared, call: &Call) -> Result<Reply, Refusal> {
    let p = &call.params;
    let wanted = || -> Result<AccountChange, Refusal> {
        Ok(AccountChange { name: p.get("name").unwrap_or_default(), password: password(p)?, privilege: privilege(p)?, enabled: enable(p)? })
    };
    let change = match p.get("action") {
        Some("get_user") => return Ok(Reply::xml(list(&lock(&app.accounts)))),
        Some("add") => {
            if !["name", "newpasswd", "privilege", "enable"].iter().all(|n| p.get(n).is_some_and(|v| !v.is_empty())) {
                return Err(Refusal::bad("The parameters must Correct include name,newpasswd,privilege,enable"));
            }
            Change::Add(wanted()?)
        }
        Some("delete") => Change::Delete(p.get("name").unwrap_or_default()),
        Some("edit") => Change::Edit(wanted()?),
        _ => return Err(Refusal::bad("action: add or edit or delete")),
    };
    change_accounts(app, &[change])?;
    Ok(Reply::xml(simple("user_management", "OK")))
}
