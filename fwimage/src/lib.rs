//! The camcgi firmware image: a fixed 192-byte header followed by the payload.
//!
//! ```text
//! offset size  field
//!   0     8    magic "CAMCGIFW"
//!   8     2    format version (1), little-endian
//!  10     2    header length (192)
//!  12     4    flags: bit 0 = signed
//!  16    32    board id, ASCII, NUL-padded
//!  48     6    firmware version: major, minor, patch (u16 each)
//!  54     2    zero
//!  56     8    payload length in bytes
//!  64    32    SHA-256 of the payload
//!  96    64    Ed25519 signature of bytes 0..96 (zero when unsigned)
//! 160    32    zero
//! ```
//!
//! The signature covers the payload's digest, so a signed header vouches for
//! the whole image; a camera verifies the signature from the header alone,
//! before it writes anything, and the digest as the payload streams in.

#![warn(missing_docs)]

use ed25519_dalek::{Signature, Verifier, VerifyingKey};
use sha2::{Digest, Sha256};
use std::fmt;

/// The first eight bytes of every image.
pub const MAGIC: [u8; 8] = *b"CAMCGIFW";
/// The header layout this crate reads and writes.
pub const FORMAT_VERSION: u16 = 1;
/// Bytes before the payload.
pub const HEADER_LEN: usize = 192;
/// Longest board id.
pub const BOARD_ID_LEN: usize = 32;
const SIGNED_LEN: usize = 96;
const FLAG_SIGNED: u32 = 1;

/// A firmware version, compared as major, then minor, then patch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Version {
    /// Major.
    pub major: u16,
    /// Minor.
    pub minor: u16,
    /// Patch.
    pub patch: u16,
}

impl Version {
    /// Reads `MAJOR.MINOR.PATCH`.
    pub fn parse(s: &str) -> Option<Version> {
        let mut it = s.split('.').map(|p| p.parse::<u16>().ok());
        match (it.next(), it.next(), it.next(), it.next()) {
            (Some(Some(major)), Some(Some(minor)), Some(Some(patch)), None) => Some(Version { major, minor, patch }),
            _ => None,
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// Turns the signed header bytes into an Ed25519 signature.
pub type Signer<'a> = &'a dyn Fn(&[u8]) -> [u8; 64];

/// A parsed header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// Which board the image is for.
    pub board_id: String,
    /// The firmware's version.
    pub version: Version,
    /// Payload bytes after the header.
    pub payload_len: u64,
    /// SHA-256 of the payload.
    pub sha256: [u8; 32],
    /// The Ed25519 signature, if the image is signed.
    pub signature: Option<[u8; 64]>,
    /// The signed bytes (0..96), kept to check the signature.
    signed: [u8; SIGNED_LEN],
}

/// Why a header was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderError {
    /// Fewer than [`HEADER_LEN`] bytes.
    Short,
    /// Not a camcgi image.
    BadMagic,
    /// A format version or header length this camera does not know.
    UnsupportedFormat,
    /// The board id is not ASCII.
    BadBoardId,
}

impl fmt::Display for HeaderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            HeaderError::Short => "truncated image",
            HeaderError::BadMagic => "bad magic",
            HeaderError::UnsupportedFormat => "unsupported image format",
            HeaderError::BadBoardId => "bad board id",
        })
    }
}

fn array<const N: usize>(bytes: &[u8], at: usize) -> [u8; N] {
    let mut out = [0u8; N];
    if let Some(src) = bytes.get(at..at + N) {
        out.copy_from_slice(src);
    }
    out
}

impl Header {
    /// Parses the first [`HEADER_LEN`] bytes of an image. Never panics on any input.
    pub fn parse(bytes: &[u8]) -> Result<Header, HeaderError> {
        let bytes = bytes.get(..HEADER_LEN).ok_or(HeaderError::Short)?;
        if array::<8>(bytes, 0) != MAGIC {
            return Err(HeaderError::BadMagic);
        }
        let format = u16::from_le_bytes(array(bytes, 8));
        let header_len = u16::from_le_bytes(array(bytes, 10));
        if format != FORMAT_VERSION || usize::from(header_len) != HEADER_LEN {
            return Err(HeaderError::UnsupportedFormat);
        }
        let flags = u32::from_le_bytes(array(bytes, 12));
        let id: [u8; BOARD_ID_LEN] = array(bytes, 16);
        let end = id.iter().position(|b| *b == 0).unwrap_or(BOARD_ID_LEN);
        let board_id = id.get(..end).unwrap_or_default();
        if !board_id.iter().all(|b| b.is_ascii_graphic()) {
            return Err(HeaderError::BadBoardId);
        }
        let version = Version {
            major: u16::from_le_bytes(array(bytes, 48)),
            minor: u16::from_le_bytes(array(bytes, 50)),
            patch: u16::from_le_bytes(array(bytes, 52)),
        };
        Ok(Header {
            board_id: String::from_utf8_lossy(board_id).into_owned(),
            version,
            payload_len: u64::from_le_bytes(array(bytes, 56)),
            sha256: array(bytes, 64),
            signature: (flags & FLAG_SIGNED != 0).then(|| array(bytes, 96)),
            signed: array(bytes, 0),
        })
    }

    /// Whether the signature is valid for `public_key`. An unsigned image is never valid.
    pub fn signature_valid(&self, public_key: &[u8; 32]) -> bool {
        let (Some(sig), Ok(key)) = (self.signature, VerifyingKey::from_bytes(public_key)) else {
            return false;
        };
        key.verify(&self.signed, &Signature::from_bytes(&sig)).is_ok()
    }

    /// Builds the header bytes for a payload digest; `sign` turns bytes 0..96 into a signature.
    pub fn build(
        board_id: &str,
        version: Version,
        payload_len: u64,
        sha256: [u8; 32],
        sign: Option<Signer<'_>>,
    ) -> Result<[u8; HEADER_LEN], HeaderError> {
        if board_id.len() > BOARD_ID_LEN || !board_id.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(HeaderError::BadBoardId);
        }
        let mut h = [0u8; HEADER_LEN];
        let mut put = |at: usize, src: &[u8]| {
            if let Some(dst) = h.get_mut(at..at + src.len()) {
                dst.copy_from_slice(src);
            }
        };
        put(0, &MAGIC);
        put(8, &FORMAT_VERSION.to_le_bytes());
        put(10, &u16::try_from(HEADER_LEN).unwrap_or(u16::MAX).to_le_bytes());
        put(12, &(if sign.is_some() { FLAG_SIGNED } else { 0 }).to_le_bytes());
        put(16, board_id.as_bytes());
        put(48, &version.major.to_le_bytes());
        put(50, &version.minor.to_le_bytes());
        put(52, &version.patch.to_le_bytes());
        put(56, &payload_len.to_le_bytes());
        put(64, &sha256);
        if let Some(sign) = sign {
            let signature = sign(h.get(..SIGNED_LEN).unwrap_or_default());
            if let Some(dst) = h.get_mut(SIGNED_LEN..SIGNED_LEN + 64) {
                dst.copy_from_slice(&signature);
            }
        }
        Ok(h)
    }
}

/// An incremental SHA-256.
#[derive(Default, Clone)]
pub struct PayloadHasher(Sha256);

impl PayloadHasher {
    /// Adds bytes.
    pub fn update(&mut self, data: &[u8]) {
        self.0.update(data);
    }

    /// The digest.
    pub fn finish(self) -> [u8; 32] {
        self.0.finalize().into()
    }
}

/// Signing and key generation, for the packer.
#[cfg(feature = "sign")]
pub mod sign {
    use ed25519_dalek::{Signer, SigningKey};

    /// A new secret key from the operating system's random source.
    pub fn generate() -> Result<[u8; 32], getrandom::Error> {
        let mut secret = [0u8; 32];
        getrandom::fill(&mut secret)?;
        Ok(secret)
    }

    /// The public key of a secret key.
    pub fn public_key(secret: &[u8; 32]) -> [u8; 32] {
        SigningKey::from_bytes(secret).verifying_key().to_bytes()
    }

    /// Signs bytes.
    pub fn sign(secret: &[u8; 32], message: &[u8]) -> [u8; 64] {
        SigningKey::from_bytes(secret).sign(message).to_bytes()
    }
}

/// Lowercase hex of bytes.
pub fn to_hex(bytes: &[u8]) -> String {
    hex::encode(bytes)
}

/// Bytes from hex (surrounding whitespace ignored).
pub fn from_hex<const N: usize>(text: &str) -> Option<[u8; N]> {
    let text = text.trim();
    if text.len() != N * 2 {
        return None;
    }
    let mut out = [0u8; N];
    hex::decode_to_slice(text, &mut out).ok()?;
    Some(out)
}

#[cfg(all(test, feature = "sign"))]
mod tests {
    use super::*;

    fn digest(data: &[u8]) -> [u8; 32] {
        let mut h = PayloadHasher::default();
        h.update(data);
        h.finish()
    }

    #[test]
    fn round_trip_signed_and_unsigned() {
        let secret = sign::generate().unwrap();
        let public = sign::public_key(&secret);
        let v = Version { major: 1, minor: 2, patch: 3 };
        let signer = |m: &[u8]| sign::sign(&secret, m);
        let bytes = Header::build("mock", v, 5, digest(b"hello"), Some(&signer)).unwrap();
        let h = Header::parse(&bytes).unwrap();
        assert_eq!((h.board_id.as_str(), h.version, h.payload_len), ("mock", v, 5));
        assert_eq!(h.sha256, digest(b"hello"));
        assert!(h.signature_valid(&public));
        assert!(!h.signature_valid(&sign::public_key(&sign::generate().unwrap())));
        let mut tampered = bytes;
        tampered[60] ^= 1;
        assert!(!Header::parse(&tampered).unwrap().signature_valid(&public));
        let unsigned = Header::parse(&Header::build("mock", v, 5, digest(b"hello"), None).unwrap()).unwrap();
        assert_eq!(unsigned.signature, None);
        assert!(!unsigned.signature_valid(&public));
    }

    #[test]
    fn refusals() {
        assert_eq!(Header::parse(&[0; 10]), Err(HeaderError::Short));
        assert_eq!(Header::parse(&[0; HEADER_LEN]), Err(HeaderError::BadMagic));
        let mut b = Header::build("x", Version::default(), 0, [0; 32], None).unwrap();
        b[8] = 2;
        assert_eq!(Header::parse(&b), Err(HeaderError::UnsupportedFormat));
        assert_eq!(Header::build(&"x".repeat(33), Version::default(), 0, [0; 32], None), Err(HeaderError::BadBoardId));
        assert_eq!(Version::parse("1.2.3"), Some(Version { major: 1, minor: 2, patch: 3 }));
        assert_eq!(Version::parse("1.2"), None);
        assert!(Version::parse("1.10.0") > Version::parse("1.9.9"));
        assert_eq!(from_hex::<2>("0aFf"), Some([0x0a, 0xff]));
        assert_eq!(from_hex::<2>("+a0f"), None, "no sign");
        assert_eq!(from_hex::<1>("-0"), None);
    }
}
