//! The credential store: accounts with privileges, passwords kept as digests
//! and sealed.
//!
//! The digest is MD5 of `name:password`, the value `/cgi/auth.cgi` clients send
//! as `encrypt`: the protocol needs exactly that value to be checkable, so no
//! stronger hash could serve both login paths. HTTP Digest and WS-Security
//! need the password itself; it is kept sealed under the device key
//! ([`crate::state::secret`]). The file never holds a password in plain text.

use crate::api::digest::same_hex;
use crate::state::secret::DeviceKey;
use md5::{Digest, Md5};
use serde::{Deserialize, Serialize};

/// Accounts the camera holds at most.
pub const MAX_ACCOUNTS: usize = 16;
/// The settings file.
pub const FILE: &str = "accounts.xml";
/// Initial credentials, as the documents' examples use them.
pub const DEFAULT_USER: &str = "admin";
/// Initial password.
pub const DEFAULT_PASSWORD: &str = "123456";

/// What an account may do (behaviour.md section 4); ordered from least to most.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Privilege {
    /// Queries only.
    User,
    /// Queries, sets, PTZ and reboot.
    Operator,
    /// Everything.
    Administrator,
}

impl Privilege {
    /// Reads the API's spelling.
    pub fn parse(s: &str) -> Option<Privilege> {
        match s {
            "User" => Some(Privilege::User),
            "Operator" => Some(Privilege::Operator),
            "Administrator" => Some(Privilege::Administrator),
            _ => None,
        }
    }

    /// The API's spelling.
    pub fn name(self) -> &'static str {
        match self {
            Privilege::User => "User",
            Privilege::Operator => "Operator",
            Privilege::Administrator => "Administrator",
        }
    }
}

/// One account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// Login name.
    #[serde(rename = "@name")]
    pub name: String,
    /// Privilege.
    #[serde(rename = "@privilege")]
    pub privilege: Privilege,
    /// Whether it may log in.
    #[serde(rename = "@enable")]
    pub enabled: bool,
    /// Lowercase hex MD5 of `name:password`.
    #[serde(rename = "@digest")]
    pub digest: String,
    /// The password sealed under the device key; absent in files written
    /// before camcgi sealed passwords, until the account logs in with its
    /// password or has it set.
    #[serde(rename = "@sealed", default, skip_serializing_if = "String::is_empty")]
    pub sealed: String,
}

impl Account {
    /// A new account with a password.
    pub fn new(name: &str, password: &str, privilege: Privilege, enabled: bool, key: &DeviceKey) -> Account {
        Account { name: name.to_string(), privilege, enabled, digest: digest(name, password), sealed: key.seal(password) }
    }

    /// Sets a new password.
    pub fn set_password(&mut self, password: &str, key: &DeviceKey) {
        self.digest = digest(&self.name, password);
        self.sealed = key.seal(password);
    }

    /// The account's password, when it is kept sealed under this key.
    pub fn password(&self, key: &DeviceKey) -> Option<String> {
        key.open_with(&self.sealed, |p| self.is_password(p).then(|| p.to_string())).flatten()
    }

    /// Whether the account's password is kept sealed under this key
    /// (checked without a copy of it).
    pub fn opens(&self, key: &DeviceKey) -> bool {
        key.open_with(&self.sealed, |p| self.is_password(p)).unwrap_or(false)
    }

    /// Whether this is the account's password, by its digest.
    fn is_password(&self, password: &str) -> bool {
        let wanted = digest_hex(&self.name, password);
        std::str::from_utf8(&wanted).is_ok_and(|w| same_hex(w, &self.digest))
    }
}

/// Every account, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename = "accounts")]
pub struct Accounts {
    /// The accounts, in creation order.
    #[serde(default, rename = "user")]
    pub users: Vec<Account>,
}

impl Accounts {
    /// No account at all: what an unusable file leaves, so that no login succeeds.
    pub fn none() -> Self {
        Accounts { users: Vec::new() }
    }

    /// The initial account.
    pub fn initial(key: &DeviceKey) -> Self {
        Accounts { users: vec![Account::new(DEFAULT_USER, DEFAULT_PASSWORD, Privilege::Administrator, true, key)] }
    }
}

/// Lowercase hex MD5 of `name:password`.
pub fn digest(name: &str, password: &str) -> String {
    String::from_utf8_lossy(&digest_hex(name, password)).into_owned()
}

/// [`digest`] on the stack.
fn digest_hex(name: &str, password: &str) -> [u8; 32] {
    let sum = Md5::new().chain_update(name.as_bytes()).chain_update(b":").chain_update(password.as_bytes()).finalize();
    let mut hex = [0u8; 32];
    // 16 bytes always fit 32 hex digits.
    let _ = hex::encode_to_slice(sum, &mut hex);
    hex
}

/// Whether a name is 1-40 bytes of letters, digits and `_ - . @`.
pub fn valid_name(name: &str) -> bool {
    (1..=40).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"_-.@".contains(&b))
}

/// Whether a password is 1-64 bytes of printable ASCII.
pub fn valid_password(password: &str) -> bool {
    (1..=64).contains(&password.len()) && password.bytes().all(|b| (0x20..0x7f).contains(&b))
}

impl Accounts {
    /// The enabled account with this name and password.
    pub fn login(&self, name: &str, password: &str) -> Option<&Account> {
        // The digest is made whether or not the name is an account's.
        let wanted = digest_hex(name, password);
        let wanted = std::str::from_utf8(&wanted).unwrap_or_default();
        self.users.iter().find(|a| a.enabled && a.name == name && same_hex(&a.digest, wanted))
    }

    /// The enabled account whose digest is `encrypt` (hex, any case).
    pub fn login_digest(&self, encrypt: &str) -> Option<&Account> {
        self.users.iter().find(|a| a.enabled && same_hex(&a.digest, encrypt))
    }

    /// The account with this name.
    pub fn get(&self, name: &str) -> Option<&Account> {
        self.users.iter().find(|a| a.name == name)
    }

    /// Mutable access to the account with this name.
    pub fn get_mut(&mut self, name: &str) -> Option<&mut Account> {
        self.users.iter_mut().find(|a| a.name == name)
    }

    /// Enabled administrators.
    pub fn enabled_admins(&self) -> usize {
        self.users.iter().filter(|a| a.enabled && a.privilege == Privilege::Administrator).count()
    }

    /// Whether the initial password still opens the initial account.
    pub fn default_password_in_use(&self) -> bool {
        self.login(DEFAULT_USER, DEFAULT_PASSWORD).is_some()
    }

    /// Whether a loaded file describes a usable set of accounts.
    pub fn is_valid(&self) -> bool {
        self.users.len() <= MAX_ACCOUNTS
            && self.enabled_admins() >= 1
            && self.users.iter().all(|a| {
                valid_name(&a.name)
                    && a.digest.len() == 32
                    && a.digest.bytes().all(|b| b.is_ascii_hexdigit())
                    && a.sealed.bytes().all(|b| b.is_ascii_hexdigit())
            })
            && self.users.iter().enumerate().all(|(i, a)| self.users.iter().skip(i + 1).all(|b| b.name != a.name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_matches_the_ptz_document_example() {
        assert_eq!(digest("admin", "123456"), "2d08086927f4d87a31154aaf0ba2e067");
        let key = DeviceKey::fixed([1; 32]);
        let accounts = Accounts::initial(&key);
        assert_eq!(accounts.users[0].password(&key).as_deref(), Some("123456"));
        assert_eq!(accounts.users[0].password(&DeviceKey::fixed([2; 32])), None);
        assert!(accounts.login_digest("2D08086927F4D87A31154AAF0BA2E067").is_some());
        assert!(accounts.login("admin", "123456").is_some());
        assert!(accounts.login("admin", "12345").is_none());
    }
}
