//! The device key, and passwords sealed with it.
//!
//! HTTP Digest needs `H(name:realm:password)` and WS-Security's
//! PasswordDigest needs the password itself, so neither can be checked
//! against a one-way hash. Each account therefore also keeps its password
//! sealed: ChaCha20 under a random 256-bit key that is made at first start
//! and kept in its own file, never in a settings file. The plain password
//! is padded to the longest allowed before sealing, so the sealed value
//! does not tell its length either. Someone with `accounts.xml` alone (a
//! copied settings file, a support bundle) learns nothing; someone who
//! reads the whole flash, key file included, recovers the passwords.

use chacha20::cipher::{KeyIvInit, StreamCipher};
use chacha20::ChaCha20;
use std::fmt;
use std::path::Path;

/// The key file, beside the settings.
pub const FILE: &str = "device.key";
/// Longest password (accounts::valid_password); every sealed value is this long.
const SEALED_LEN: usize = 64;
const NONCE_LEN: usize = 12;

/// The device key.
#[derive(Clone)]
pub struct DeviceKey([u8; 32]);

impl fmt::Debug for DeviceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DeviceKey(..)")
    }
}

/// Random bytes from the operating system.
pub fn random<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    if let Err(e) = getrandom::fill(&mut bytes) {
        // No camera kernel lacks getrandom(2); a key of zeroes would be
        // worse than stopping.
        panic!("no random numbers: {e}");
    }
    bytes
}

impl DeviceKey {
    /// Reads the key from `dir`, or makes one and writes it (mode 0600).
    /// A key that cannot be written is still used for this run; sealed
    /// passwords then do not open after a restart, and their accounts log
    /// in by the CGI's own logins until their passwords are set again.
    pub fn load_or_create(dir: &Path) -> DeviceKey {
        let path = dir.join(FILE);
        if let Ok(bytes) = std::fs::read(&path) {
            if let Ok(key) = <[u8; 32]>::try_from(bytes.as_slice()) {
                return DeviceKey(key);
            }
            log::error!("{FILE}: not a key; making a new one (sealed passwords are lost)");
        }
        let key = DeviceKey(random());
        if let Err(e) = camcgi_hal::host::write_atomically(&path, &key.0, 0o600) {
            log::error!("{FILE}: not written: {e}");
        }
        key
    }

    /// A key for tests.
    pub fn fixed(bytes: [u8; 32]) -> DeviceKey {
        DeviceKey(bytes)
    }

    fn cipher(&self, nonce: &[u8; NONCE_LEN]) -> ChaCha20 {
        ChaCha20::new(&self.0.into(), &(*nonce).into())
    }

    /// The password sealed: hex of a fresh nonce and the padded ciphertext.
    pub fn seal(&self, password: &str) -> String {
        let nonce: [u8; NONCE_LEN] = random();
        let mut block = [0u8; SEALED_LEN];
        let len = password.len().min(SEALED_LEN);
        block[..len].copy_from_slice(&password.as_bytes()[..len]);
        self.cipher(&nonce).apply_keystream(&mut block);
        let mut sealed = hex::encode(nonce);
        sealed.push_str(&hex::encode(block));
        sealed
    }

    /// The text a sealed value holds, if it opens as text. Under another
    /// key it gives garbage or nothing: the account's digest tells which
    /// (`Account::password`).
    pub fn open(&self, sealed: &str) -> Option<String> {
        self.open_with(sealed, str::to_string)
    }

    /// Gives `look` the text a sealed value holds, opened on the stack, if
    /// it opens as text: nothing is allocated and no copy outlives the call.
    pub fn open_with<T>(&self, sealed: &str, look: impl FnOnce(&str) -> T) -> Option<T> {
        let mut bytes = [0u8; NONCE_LEN + SEALED_LEN];
        hex::decode_to_slice(sealed, &mut bytes).ok()?;
        let (nonce, data) = bytes.split_at(NONCE_LEN);
        let mut block = [0u8; SEALED_LEN];
        block.copy_from_slice(data);
        self.cipher(&<[u8; NONCE_LEN]>::try_from(nonce).ok()?).apply_keystream(&mut block);
        let len = block.iter().position(|&b| b == 0).unwrap_or(SEALED_LEN);
        std::str::from_utf8(&block[..len]).ok().map(look)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_password_opens_and_hides_its_length() {
        let key = DeviceKey::fixed([7; 32]);
        let short = key.seal("a");
        let long = key.seal("a much longer password");
        assert_eq!(short.len(), long.len());
        assert!(!short.contains(&hex::encode("a much")));
        assert_eq!(key.open(&short).as_deref(), Some("a"));
        assert_eq!(key.open(&long).as_deref(), Some("a much longer password"));
        assert_ne!(key.seal("a"), short, "each seal has its own nonce");
        assert_eq!(key.open("zz"), None);
    }
}
