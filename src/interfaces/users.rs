//! The users family: `/cgi-bin/user_management` (add, delete, edit, get_user).

use crate::state::accounts::{self, valid_name, valid_password, Account, Accounts, Privilege, MAX_ACCOUNTS};
use crate::state::app::{lock, Shared};
use crate::api::query::Params;
use crate::interfaces::call::{Call, Reply};
use crate::api::xml::{simple, Doc, Fault};

/// The interface's parameters, in its table's order.
pub const PARAMS: &[&str] = &["action", "name", "newpasswd", "privilege", "enable"];
/// The document's refusal for everyone but administrators.
pub const NOT_ADMIN: &str = "Non-administrators cannot edit users";
const LAST_ADMIN: &str = "cannot remove the last administrator";

fn privilege(p: &Params) -> Result<Option<Privilege>, Fault> {
    p.get("privilege")
        .map(|v| Privilege::parse(v).ok_or(Fault::bad("privilege: User or Administrator or Operator")))
        .transpose()
}

fn enable(p: &Params) -> Result<Option<bool>, Fault> {
    match p.get("enable") {
        None => Ok(None),
        Some("Enable") => Ok(Some(true)),
        Some("Disable") => Ok(Some(false)),
        Some(_) => Err(Fault::bad("enable: Enable or Disable")),
    }
}

fn password(p: &Params) -> Result<Option<&str>, Fault> {
    match p.get("newpasswd") {
        Some(v) if !valid_password(v) => Err(Fault::error("newpasswd")),
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

fn add(accounts: &mut Accounts, p: &Params) -> Result<Outcome, Fault> {
    if !["name", "newpasswd", "privilege", "enable"].iter().all(|n| p.get(n).is_some_and(|v| !v.is_empty())) {
        return Err(Fault::bad("The parameters must Correct include name,newpasswd,privilege,enable"));
    }
    let name = p.get("name").unwrap_or_default();
    if !valid_name(name) {
        return Err(Fault::error("name"));
    }
    let password = password(p)?.unwrap_or_default();
    let privilege = privilege(p)?.unwrap_or(Privilege::User);
    let enabled = enable(p)?.unwrap_or(true);
    if accounts.get(name).is_some() {
        return Err(Fault::bad("error username duplicated"));
    }
    if accounts.users.len() >= MAX_ACCOUNTS {
        return Err(Fault::bad("too many users"));
    }
    accounts.users.push(Account::new(name, password, privilege, enabled));
    Ok(Outcome::Unchanged)
}

fn is_last_admin(accounts: &Accounts, account: &Account) -> bool {
    account.enabled && account.privilege == Privilege::Administrator && accounts.enabled_admins() == 1
}

fn delete(accounts: &mut Accounts, p: &Params) -> Result<Outcome, Fault> {
    let name = p.get("name").unwrap_or_default();
    let account = accounts.get(name).ok_or(Fault::bad("error username"))?;
    if is_last_admin(accounts, account) {
        return Err(Fault::bad(LAST_ADMIN));
    }
    accounts.users.retain(|a| a.name != name);
    Ok(Outcome::Revoke(name.to_string()))
}

fn edit(accounts: &mut Accounts, p: &Params) -> Result<Outcome, Fault> {
    let name = p.get("name").unwrap_or_default();
    let current = accounts.get(name).ok_or(Fault::bad("username none exist to edit"))?.clone();
    let password = password(p)?;
    let privilege = privilege(p)?.unwrap_or(current.privilege);
    let enabled = enable(p)?.unwrap_or(current.enabled);
    let demoted = privilege != Privilege::Administrator || !enabled;
    if demoted && is_last_admin(accounts, &current) {
        return Err(Fault::bad(LAST_ADMIN));
    }
    let mut updated = current.clone();
    updated.privilege = privilege;
    updated.enabled = enabled;
    if let Some(password) = password {
        updated.set_password(password);
    }
    let outcome = if updated == current { Outcome::Unchanged } else { Outcome::Revoke(name.to_string()) };
    if let Some(slot) = accounts.get_mut(name) {
        *slot = updated;
    }
    Ok(outcome)
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
pub fn handle(app: &Shared, call: &Call) -> Result<Reply, Fault> {
    let p = &call.params;
    // Changes are made one at a time, on a copy: the accounts' own lock, which
    // every login takes, is never held while the file is written and fsynced.
    let _writing = lock(&app.accounts_writer);
    let accounts = lock(&app.accounts).clone();
    let change = match p.get("action") {
        Some("get_user") => return Ok(Reply::xml(list(&accounts))),
        Some("add") => add,
        Some("delete") => delete,
        Some("edit") => edit,
        _ => return Err(Fault::bad("action: add or edit or delete")),
    };
    let mut new = accounts.clone();
    let outcome = change(&mut new, p)?;
    app.store.save(accounts::FILE, &new).map_err(|e| Fault::storage(&e))?;
    *lock(&app.accounts) = new;
    if let Outcome::Revoke(name) = outcome {
        log::info!("account {name} changed: its sessions end");
        lock(&app.sessions).revoke_user(&name);
    }
    Ok(Reply::xml(simple("user_management", "OK")))
}
