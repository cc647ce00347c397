//! camcgi's TLS: the rustls server configuration over its own small crypto
//! provider (`provider`), and the camera's identity, a certificate chain
//! and its P-256 key: generated self-signed (`der`) or uploaded as PEM and
//! checked. The identity in use can be replaced while the server runs;
//! connections opened after the change get the new one.

#![forbid(unsafe_code)]

use std::net::IpAddr;
use std::sync::{Arc, RwLock};

use rustls::pki_types::CertificateDer;
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;

pub mod der;
mod provider;

pub use provider::{provider, EcdsaKey};
pub use rustls::{ServerConfig, ServerConnection};

/// The most a PEM upload (certificate chain or key) may hold.
pub const MAX_PEM: usize = 16 * 1024;
/// The most certificates a chain may hold.
pub const MAX_CHAIN: usize = 4;

/// Why an uploaded certificate or key was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentityError {
    /// No `CERTIFICATE` block in the certificate's PEM.
    NoCertificate,
    /// A certificate block that is not base64, not an X.509 certificate,
    /// not one with a P-256 key, or a chain over `MAX_CHAIN`.
    BadCertificate,
    /// No `PRIVATE KEY` or `EC PRIVATE KEY` block in the key's PEM.
    NoKey,
    /// A key that is not a P-256 private key.
    BadKey,
    /// The key is not the certificate's.
    KeyMismatch,
}

impl std::fmt::Display for IdentityError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            IdentityError::NoCertificate => "no PEM certificate",
            IdentityError::BadCertificate => "the certificate is not an X.509 certificate with a P-256 key",
            IdentityError::NoKey => "no PEM private key",
            IdentityError::BadKey => "the key is not a P-256 private key",
            IdentityError::KeyMismatch => "the key does not belong to the certificate",
        })
    }
}

/// A certificate chain (the camera's own first) and the camera's key.
#[derive(Clone)]
pub struct Identity {
    chain: Vec<Vec<u8>>,
    key: EcdsaKey,
}

impl Identity {
    /// A new key and a self-signed certificate naming `names` and `addresses`.
    pub fn generate(common_name: &str, names: &[String], addresses: &[IpAddr]) -> Option<Identity> {
        let key = EcdsaKey::generate()?;
        let mut serial = [0u8; 16];
        getrandom::fill(&mut serial).ok()?;
        serial[0] = (serial[0] & 0x7f) | 0x40;
        let fields = der::CertificateFields { serial: &serial, common_name, names, addresses };
        let certificate = der::self_signed_certificate(&key, &fields);
        Some(Identity { chain: vec![certificate], key })
    }

    /// A chain and key from DER certificates and the key's secret scalar,
    /// checked as an upload is.
    pub fn from_parts(chain: Vec<Vec<u8>>, scalar: &[u8]) -> Result<Identity, IdentityError> {
        let key = EcdsaKey::from_scalar(scalar).ok_or(IdentityError::BadKey)?;
        Identity::checked(chain, key)
    }

    /// A chain and key from PEM text: the certificates in order (the
    /// camera's own first), and a PKCS#8 or SEC1 P-256 key.
    pub fn from_pem(certificates: &str, key: &str) -> Result<Identity, IdentityError> {
        if certificates.len() > MAX_PEM {
            return Err(IdentityError::BadCertificate);
        }
        if key.len() > MAX_PEM {
            return Err(IdentityError::BadKey);
        }
        let chain = certificates_from_pem(certificates)?;
        let mut scalar = None;
        for block in pem_blocks(key) {
            let (label, der) = block.map_err(|()| IdentityError::BadKey)?;
            let found = match label {
                "PRIVATE KEY" => der::p256_key_from_pkcs8(&der),
                "EC PRIVATE KEY" => der::p256_key_from_sec1(&der),
                _ => continue,
            };
            scalar = Some(found.ok_or(IdentityError::BadKey)?);
            break;
        }
        let scalar = scalar.ok_or(IdentityError::NoKey)?;
        let key = EcdsaKey::from_scalar(&scalar).ok_or(IdentityError::BadKey)?;
        Identity::checked(chain, key)
    }

    fn checked(chain: Vec<Vec<u8>>, key: EcdsaKey) -> Result<Identity, IdentityError> {
        if chain.is_empty() || chain.len() > MAX_CHAIN {
            return Err(IdentityError::BadCertificate);
        }
        let point = der::certificate_p256_point(&chain[0]).ok_or(IdentityError::BadCertificate)?;
        if point != key.public_point() {
            return Err(IdentityError::KeyMismatch);
        }
        Ok(Identity { chain, key })
    }

    /// The certificates, DER, the camera's own first.
    pub fn chain(&self) -> &[Vec<u8>] {
        &self.chain
    }

    /// The key's secret scalar, for sealing at rest.
    pub fn key_scalar(&self) -> [u8; 32] {
        self.key.scalar()
    }

    /// The chain as PEM text.
    pub fn chain_pem(&self) -> String {
        self.chain.iter().map(|der| pem("CERTIFICATE", der)).collect()
    }

    fn certified_key(&self) -> Arc<CertifiedKey> {
        let chain = self.chain.iter().map(|der| CertificateDer::from(der.clone())).collect();
        Arc::new(CertifiedKey::new(chain, Arc::new(self.key.clone())))
    }
}

/// The DER certificates of the `CERTIFICATE` blocks in `text`, in order.
pub fn certificates_from_pem(text: &str) -> Result<Vec<Vec<u8>>, IdentityError> {
    let mut chain = Vec::new();
    for block in pem_blocks(text) {
        let (label, der) = block.map_err(|()| IdentityError::BadCertificate)?;
        if label == "CERTIFICATE" {
            if chain.len() == MAX_CHAIN {
                return Err(IdentityError::BadCertificate);
            }
            chain.push(der);
        }
    }
    if chain.is_empty() {
        return Err(IdentityError::NoCertificate);
    }
    Ok(chain)
}

/// The identity a server presents, replaceable while it runs.
#[derive(Debug)]
pub struct Certificates {
    current: RwLock<Arc<CertifiedKey>>,
}

impl Certificates {
    pub fn new(identity: &Identity) -> Arc<Certificates> {
        Arc::new(Certificates { current: RwLock::new(identity.certified_key()) })
    }

    /// Presents `identity` to the connections opened from now on.
    pub fn replace(&self, identity: &Identity) {
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = identity.certified_key();
    }
}

impl ResolvesServerCert for Certificates {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current.read().unwrap_or_else(|p| p.into_inner()).clone())
    }
}

/// The server's TLS configuration: TLS 1.3, the provider's one suite and
/// group, HTTP/1.1 by ALPN, and the identity `certificates` holds.
pub fn server_config(certificates: Arc<Certificates>) -> Result<Arc<ServerConfig>, rustls::Error> {
    let mut config = ServerConfig::builder_with_provider(Arc::new(provider()))
        .with_protocol_versions(&[&rustls::version::TLS13])?
        .with_no_client_auth()
        .with_cert_resolver(certificates);
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// A PEM block.
pub fn pem(label: &str, der: &[u8]) -> String {
    use base64::Engine as _;
    let text = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in text.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).unwrap_or_default());
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// The PEM blocks of `text` (RFC 7468), each its label and DER bytes, or
/// `Err` for a block that does not end or is not base64.
fn pem_blocks(text: &str) -> impl Iterator<Item = Result<(&str, Vec<u8>), ()>> {
    use base64::Engine as _;
    let mut lines = text.lines();
    std::iter::from_fn(move || {
        let label = lines.by_ref().find_map(|line| line.trim_end().strip_prefix("-----BEGIN ")?.strip_suffix("-----"))?;
        let mut body = String::new();
        for line in lines.by_ref() {
            let line = line.trim();
            if let Some(end) = line.strip_prefix("-----END ").and_then(|l| l.strip_suffix("-----")) {
                if end != label {
                    return Some(Err(()));
                }
                return Some(base64::engine::general_purpose::STANDARD.decode(&body).map(|der| (label, der)).map_err(drop));
            }
            body.push_str(line);
        }
        Some(Err(()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_identity_goes_through_pem_and_back() {
        let identity = Identity::generate("camcgi", &["cam.local".into()], &["192.0.2.7".parse().unwrap()]).unwrap();
        let key = pem("EC PRIVATE KEY", &sec1(&identity.key_scalar()));
        let back = Identity::from_pem(&identity.chain_pem(), &key).unwrap();
        assert_eq!(back.chain(), identity.chain());
        let other = Identity::generate("camcgi", &[], &[]).unwrap();
        let other_key = pem("EC PRIVATE KEY", &sec1(&other.key_scalar()));
        assert_eq!(Identity::from_pem(&identity.chain_pem(), &other_key).err(), Some(IdentityError::KeyMismatch));
        assert_eq!(Identity::from_pem("nothing", &key).err(), Some(IdentityError::NoCertificate));
        assert_eq!(Identity::from_pem(&identity.chain_pem(), "nothing").err(), Some(IdentityError::NoKey));
        let broken = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
        assert_eq!(Identity::from_pem(broken, &key).err(), Some(IdentityError::BadCertificate));
    }

    fn sec1(scalar: &[u8]) -> Vec<u8> {
        let mut der = vec![0x30, 0x25, 0x02, 0x01, 0x01, 0x04, 0x20];
        der.extend_from_slice(scalar);
        der
    }
}
