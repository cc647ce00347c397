//! The camera's HTTPS identity: its certificate chain and P-256 key, in one
//! file written atomically (`https.pem`): the chain's PEM blocks, then the
//! key's secret sealed under the device key as the passwords are
//! (`secret.rs`), in a `CAMCGI SEALED KEY` block. A camera made its own
//! identity (self-signed) unless an administrator installed one; which, the
//! sealed block's label says (`CAMCGI SEALED GENERATED KEY`).
//!
//! A file that is missing, or does not open under the device key, is
//! replaced by a new self-signed identity at start: the old key is then
//! lost, and clients that pinned its certificate see the change.

use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use camcgi_tls::{Certificates, Identity};

use super::app::lock;
use super::secret::DeviceKey;
use super::store::Store;

/// The identity's file, beside the settings.
pub const FILE: &str = "https.pem";
const SEALED: &str = "CAMCGI SEALED KEY";
const SEALED_GENERATED: &str = "CAMCGI SEALED GENERATED KEY";
/// The common name of the certificates the camera makes.
const COMMON_NAME: &str = "camcgi";

/// The names and addresses a self-signed certificate is made for.
#[derive(Debug, Clone, Default)]
pub struct Names {
    pub names: Vec<String>,
    pub addresses: Vec<IpAddr>,
}

/// The identity in use, and where it is kept.
pub struct Https {
    /// The port HTTPS is served on.
    pub port: u16,
    /// What the TLS server presents; replaced with the identity.
    pub certificates: Arc<Certificates>,
    current: Mutex<Current>,
}

struct Current {
    identity: Identity,
    generated: bool,
}

/// What `/cgi-bin/https` tells of the identity.
pub struct Summary {
    /// SHA-256 of the camera's certificate, hex.
    pub fingerprint: String,
    /// Made by the camera rather than installed.
    pub generated: bool,
    /// The chain, PEM.
    pub chain_pem: String,
}

impl Https {
    /// The identity kept in `store`, or a new self-signed one for `names`,
    /// written there; `None` only if no random numbers or no certificate
    /// could be had.
    pub fn load(store: &Store, key: &DeviceKey, names: &Names, port: u16) -> Option<Https> {
        let kept = std::fs::read_to_string(store.dir().join(FILE)).ok();
        let loaded = kept.as_deref().and_then(|text| {
            let found = parse(text, key);
            if found.is_none() {
                log::error!("{FILE}: not an identity this camera can open; making a new self-signed certificate");
            }
            found
        });
        let current = match loaded {
            Some(current) => current,
            None => {
                let current = Current { identity: generate(names)?, generated: true };
                if let Err(e) = save(store, key, &current) {
                    log::error!("{FILE}: not written: {e}");
                }
                current
            }
        };
        Some(Https { port, certificates: Certificates::new(&current.identity), current: Mutex::new(current) })
    }

    /// Installs `identity` (an administrator's): written, then presented.
    pub fn install(&self, store: &Store, key: &DeviceKey, identity: Identity) -> std::io::Result<()> {
        self.put(store, key, Current { identity, generated: false })
    }

    /// Makes and installs a new self-signed identity for `names`.
    pub fn regenerate(&self, store: &Store, key: &DeviceKey, names: &Names) -> std::io::Result<()> {
        let identity = generate(names).ok_or_else(|| std::io::Error::other("no certificate could be made"))?;
        self.put(store, key, Current { identity, generated: true })
    }

    fn put(&self, store: &Store, key: &DeviceKey, new: Current) -> std::io::Result<()> {
        let mut current = lock(&self.current);
        save(store, key, &new)?;
        self.certificates.replace(&new.identity);
        *current = new;
        Ok(())
    }

    pub fn summary(&self) -> Summary {
        use sha2::Digest as _;
        let current = lock(&self.current);
        let leaf = current.identity.chain().first().map(Vec::as_slice).unwrap_or_default();
        Summary {
            fingerprint: hex::encode(sha2::Sha256::digest(leaf)),
            generated: current.generated,
            chain_pem: current.identity.chain_pem(),
        }
    }
}

fn generate(names: &Names) -> Option<Identity> {
    Identity::generate(COMMON_NAME, &names.names, &names.addresses)
}

fn save(store: &Store, key: &DeviceKey, current: &Current) -> std::io::Result<()> {
    let mut text = current.identity.chain_pem();
    let label = if current.generated { SEALED_GENERATED } else { SEALED };
    let sealed = key.seal(&hex::encode(current.identity.key_scalar()));
    text.push_str(&format!("-----BEGIN {label}-----\n{sealed}\n-----END {label}-----\n"));
    camcgi_hal::host::write_atomically(&store.dir().join(FILE), text.as_bytes(), 0o600)
}

fn parse(text: &str, key: &DeviceKey) -> Option<Current> {
    let (generated, label) =
        [(true, SEALED_GENERATED), (false, SEALED)].into_iter().find(|(_, label)| text.contains(&format!("-----BEGIN {label}-----")))?;
    let begin = format!("-----BEGIN {label}-----");
    let start = text.find(&begin)?;
    let (chain, rest) = text.split_at(start);
    let sealed = rest.strip_prefix(&begin)?.lines().map(str::trim).find(|l| !l.is_empty())?;
    let scalar = key.open_with(sealed, |hex_scalar| hex::decode(hex_scalar).ok())??;
    let identity = Identity::from_parts(camcgi_tls::certificates_from_pem(chain).ok()?, &scalar).ok()?;
    Some(Current { identity, generated })
}
