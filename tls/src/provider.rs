//! A rustls crypto provider over RustCrypto crates: TLS 1.3 only, one
//! cipher suite (`TLS_CHACHA20_POLY1305_SHA256`), one key exchange group
//! (X25519), and ECDSA P-256 with SHA-256 for the server's own signature.
//!
//! It is what a camera serving HTTPS needs and nothing more: the server
//! verifies no certificate (no client authentication), so it offers no
//! verification algorithms. ChaCha20-Poly1305 is fast in software on ARM
//! cores without AES instructions, and every client the project tests with
//! offers it; AES-GCM is left out (docs/https.md).

use std::sync::Arc;

use chacha20poly1305::aead::{AeadInOut, KeyInit};
use chacha20poly1305::ChaCha20Poly1305;
use curve25519_dalek::montgomery::MontgomeryPoint;
use hmac::Mac;
use rustls::crypto::cipher::{
    make_tls13_aad, AeadKey, InboundOpaqueMessage, InboundPlainMessage, Iv, MessageDecrypter, MessageEncrypter, Nonce,
    OutboundOpaqueMessage, OutboundPlainMessage, PrefixedPayload, Tls13AeadAlgorithm, UnsupportedOperationError,
};
use rustls::crypto::tls13::HkdfUsingHmac;
use rustls::crypto::{
    hash, hmac as tls_hmac, ActiveKeyExchange, CipherSuiteCommon, CryptoProvider, GetRandomFailed, KeyProvider, SecureRandom, SharedSecret,
    SupportedKxGroup, WebPkiSupportedAlgorithms,
};
use rustls::pki_types::PrivateKeyDer;
use rustls::sign::{Signer, SigningKey};
use rustls::{
    CipherSuite, ConnectionTrafficSecrets, ContentType, Error, NamedGroup, PeerMisbehaved, ProtocolVersion, SignatureAlgorithm,
    SignatureScheme, SupportedCipherSuite, Tls13CipherSuite,
};
use sha2::{Digest, Sha256};

/// The provider: what `rustls::ServerConfig::builder_with_provider` takes.
pub fn provider() -> CryptoProvider {
    CryptoProvider {
        cipher_suites: vec![TLS13_CHACHA20_POLY1305_SHA256],
        kx_groups: vec![&X25519],
        signature_verification_algorithms: WebPkiSupportedAlgorithms { all: &[], mapping: &[] },
        secure_random: &Random,
        key_provider: &Keys,
    }
}

/// The only cipher suite.
pub static TLS13_CHACHA20_POLY1305_SHA256: SupportedCipherSuite = SupportedCipherSuite::Tls13(&Tls13CipherSuite {
    common: CipherSuiteCommon {
        suite: CipherSuite::TLS13_CHACHA20_POLY1305_SHA256,
        hash_provider: &Sha256Hash,
        confidentiality_limit: u64::MAX,
    },
    hkdf_provider: &HkdfUsingHmac(&HmacSha256),
    aead_alg: &ChaCha20Poly1305Aead,
    quic: None,
});

// ---- hash and HMAC ----

struct Sha256Hash;

impl hash::Hash for Sha256Hash {
    fn start(&self) -> Box<dyn hash::Context> {
        Box::new(Sha256Context(Sha256::new()))
    }

    fn hash(&self, data: &[u8]) -> hash::Output {
        hash::Output::new(&Sha256::digest(data))
    }

    fn algorithm(&self) -> hash::HashAlgorithm {
        hash::HashAlgorithm::SHA256
    }

    fn output_len(&self) -> usize {
        32
    }
}

struct Sha256Context(Sha256);

impl hash::Context for Sha256Context {
    fn fork_finish(&self) -> hash::Output {
        hash::Output::new(&self.0.clone().finalize())
    }

    fn fork(&self) -> Box<dyn hash::Context> {
        Box::new(Sha256Context(self.0.clone()))
    }

    fn finish(self: Box<Self>) -> hash::Output {
        hash::Output::new(&self.0.finalize())
    }

    fn update(&mut self, data: &[u8]) {
        self.0.update(data);
    }
}

struct HmacSha256;

type HmacSha256State = hmac::Hmac<Sha256>;

impl tls_hmac::Hmac for HmacSha256 {
    fn with_key(&self, key: &[u8]) -> Box<dyn tls_hmac::Key> {
        // HMAC takes a key of any length.
        let state = <HmacSha256State as hmac::KeyInit>::new_from_slice(key).unwrap_or_else(|_| HmacSha256State::new(&Default::default()));
        Box::new(HmacSha256Key(state))
    }

    fn hash_output_len(&self) -> usize {
        32
    }
}

struct HmacSha256Key(HmacSha256State);

impl tls_hmac::Key for HmacSha256Key {
    fn sign_concat(&self, first: &[u8], middle: &[&[u8]], last: &[u8]) -> tls_hmac::Tag {
        let mut state = self.0.clone();
        state.update(first);
        for part in middle {
            state.update(part);
        }
        state.update(last);
        tls_hmac::Tag::new(&state.finalize().into_bytes())
    }

    fn tag_len(&self) -> usize {
        32
    }
}

// ---- ChaCha20-Poly1305 records ----

struct ChaCha20Poly1305Aead;

const TAG_LEN: usize = 16;

impl Tls13AeadAlgorithm for ChaCha20Poly1305Aead {
    fn encrypter(&self, key: AeadKey, iv: Iv) -> Box<dyn MessageEncrypter> {
        Box::new(RecordCipher { cipher: cipher(&key), iv })
    }

    fn decrypter(&self, key: AeadKey, iv: Iv) -> Box<dyn MessageDecrypter> {
        Box::new(RecordCipher { cipher: cipher(&key), iv })
    }

    fn key_len(&self) -> usize {
        32
    }

    fn extract_keys(&self, key: AeadKey, iv: Iv) -> Result<ConnectionTrafficSecrets, UnsupportedOperationError> {
        Ok(ConnectionTrafficSecrets::Chacha20Poly1305 { key, iv })
    }
}

fn cipher(key: &AeadKey) -> ChaCha20Poly1305 {
    let mut bytes = [0u8; 32];
    bytes.copy_from_slice(&key.as_ref()[..32]);
    ChaCha20Poly1305::new(&bytes.into())
}

struct RecordCipher {
    cipher: ChaCha20Poly1305,
    iv: Iv,
}

impl MessageEncrypter for RecordCipher {
    fn encrypt(&mut self, msg: OutboundPlainMessage<'_>, seq: u64) -> Result<OutboundOpaqueMessage, Error> {
        let total_len = self.encrypted_payload_len(msg.payload.len());
        let mut payload = PrefixedPayload::with_capacity(total_len);
        payload.extend_from_chunks(&msg.payload);
        payload.extend_from_slice(&msg.typ.to_array());
        let nonce = Nonce::new(&self.iv, seq).0;
        let tag = self
            .cipher
            .encrypt_inout_detached(&nonce.into(), &make_tls13_aad(total_len), payload.as_mut().into())
            .map_err(|_| Error::EncryptError)?;
        payload.extend_from_slice(&tag);
        Ok(OutboundOpaqueMessage::new(ContentType::ApplicationData, ProtocolVersion::TLSv1_2, payload))
    }

    fn encrypted_payload_len(&self, payload_len: usize) -> usize {
        payload_len + 1 + TAG_LEN
    }
}

impl MessageDecrypter for RecordCipher {
    fn decrypt<'a>(&mut self, mut msg: InboundOpaqueMessage<'a>, seq: u64) -> Result<InboundPlainMessage<'a>, Error> {
        let payload = &mut msg.payload;
        let Some(text_len) = payload.len().checked_sub(TAG_LEN) else { return Err(Error::DecryptError) };
        let aad = make_tls13_aad(payload.len());
        let nonce = Nonce::new(&self.iv, seq).0;
        let (text, tag) = payload.split_at_mut(text_len);
        let tag: [u8; TAG_LEN] = (&*tag).try_into().map_err(|_| Error::DecryptError)?;
        self.cipher.decrypt_inout_detached(&nonce.into(), &aad, text.into(), &tag.into()).map_err(|_| Error::DecryptError)?;
        payload.truncate(text_len);
        msg.into_tls13_unpadded_message()
    }
}

// ---- X25519 ----

#[derive(Debug)]
struct X25519Group;

static X25519: X25519Group = X25519Group;

impl SupportedKxGroup for X25519Group {
    fn start(&self) -> Result<Box<dyn ActiveKeyExchange>, Error> {
        let mut secret = [0u8; 32];
        getrandom::fill(&mut secret).map_err(|_| Error::FailedToGetRandomBytes)?;
        // The Montgomery ladder from the base point: the fixed-base table
        // `PublicKey::from` would use costs 30 KiB of flash.
        let public = curve25519_dalek::constants::X25519_BASEPOINT.mul_clamped(secret);
        Ok(Box::new(X25519Exchange { secret, public: public.to_bytes() }))
    }

    fn name(&self) -> NamedGroup {
        NamedGroup::X25519
    }
}

struct X25519Exchange {
    secret: [u8; 32],
    public: [u8; 32],
}

impl ActiveKeyExchange for X25519Exchange {
    fn complete(self: Box<Self>, peer: &[u8]) -> Result<SharedSecret, Error> {
        let peer: [u8; 32] = peer.try_into().map_err(|_| PeerMisbehaved::InvalidKeyShare)?;
        let shared = MontgomeryPoint(peer).mul_clamped(self.secret).to_bytes();
        // RFC 8446 7.4.2: an all-zero shared secret (a small-order point) is refused.
        if shared.iter().all(|b| *b == 0) {
            return Err(PeerMisbehaved::InvalidKeyShare.into());
        }
        Ok(SharedSecret::from(&shared[..]))
    }

    fn pub_key(&self) -> &[u8] {
        &self.public
    }

    fn group(&self) -> NamedGroup {
        NamedGroup::X25519
    }
}

impl Drop for X25519Exchange {
    fn drop(&mut self) {
        self.secret = [0; 32];
    }
}

// ---- randomness and keys ----

#[derive(Debug)]
struct Random;

impl SecureRandom for Random {
    fn fill(&self, buf: &mut [u8]) -> Result<(), GetRandomFailed> {
        getrandom::fill(buf).map_err(|_| GetRandomFailed)
    }
}

#[derive(Debug)]
struct Keys;

impl KeyProvider for Keys {
    /// Takes a P-256 key as PKCS#8 or SEC1 DER.
    fn load_private_key(&self, der: PrivateKeyDer<'static>) -> Result<Arc<dyn SigningKey>, Error> {
        let scalar = match &der {
            PrivateKeyDer::Pkcs8(key) => crate::der::p256_key_from_pkcs8(key.secret_pkcs8_der()),
            PrivateKeyDer::Sec1(key) => crate::der::p256_key_from_sec1(key.secret_sec1_der()),
            _ => None,
        };
        let key = scalar.ok_or_else(|| Error::General("not a P-256 private key".into()))?;
        Ok(Arc::new(EcdsaKey::from_scalar(&key).ok_or_else(|| Error::General("not a P-256 private key".into()))?))
    }
}

/// A P-256 key signing with ECDSA over SHA-256.
#[derive(Debug, Clone)]
pub struct EcdsaKey(p256::ecdsa::SigningKey);

impl EcdsaKey {
    /// A key from its 32-byte secret scalar; `None` if it is not one.
    pub fn from_scalar(scalar: &[u8]) -> Option<EcdsaKey> {
        p256::ecdsa::SigningKey::from_slice(scalar).ok().map(EcdsaKey)
    }

    /// A new random key.
    pub fn generate() -> Option<EcdsaKey> {
        for _ in 0..8 {
            let mut scalar = [0u8; 32];
            getrandom::fill(&mut scalar).ok()?;
            if let Some(key) = EcdsaKey::from_scalar(&scalar) {
                return Some(key);
            }
        }
        None
    }

    /// The secret scalar, 32 bytes.
    pub fn scalar(&self) -> [u8; 32] {
        self.0.to_bytes().into()
    }

    /// The public point, uncompressed (65 bytes).
    pub fn public_point(&self) -> Vec<u8> {
        self.0.verifying_key().to_sec1_point(false).as_bytes().to_vec()
    }

    /// An ECDSA signature of `message`, DER-encoded as X.509 and TLS carry it.
    pub fn sign_der(&self, message: &[u8]) -> Vec<u8> {
        use p256::ecdsa::signature::Signer as _;
        let signature: p256::ecdsa::Signature = self.0.sign(message);
        let bytes = signature.to_bytes();
        crate::der::ecdsa_signature(&bytes[..32], &bytes[32..])
    }
}

impl SigningKey for EcdsaKey {
    fn choose_scheme(&self, offered: &[SignatureScheme]) -> Option<Box<dyn Signer>> {
        offered.contains(&SignatureScheme::ECDSA_NISTP256_SHA256).then(|| Box::new(self.clone()) as Box<dyn Signer>)
    }

    fn algorithm(&self) -> SignatureAlgorithm {
        SignatureAlgorithm::ECDSA
    }
}

impl Signer for EcdsaKey {
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, Error> {
        Ok(self.sign_der(message))
    }

    fn scheme(&self) -> SignatureScheme {
        SignatureScheme::ECDSA_NISTP256_SHA256
    }
}
