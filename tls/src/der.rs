//! The few DER structures the camera writes and reads: an ECDSA signature,
//! a self-signed P-256 certificate, and the parts of an uploaded certificate
//! and key it checks. Lengths are bounded by the input; nothing here panics
//! on any input.

use std::net::IpAddr;

const SEQUENCE: u8 = 0x30;
const SET: u8 = 0x31;
const INTEGER: u8 = 0x02;
const BIT_STRING: u8 = 0x03;
const OCTET_STRING: u8 = 0x04;
const OID: u8 = 0x06;
const UTF8_STRING: u8 = 0x0c;
const UTC_TIME: u8 = 0x17;
const GENERALIZED_TIME: u8 = 0x18;
const VERSION: u8 = 0xa0;
const EXTENSIONS: u8 = 0xa3;
const SAN_DNS: u8 = 0x82;
const SAN_IP: u8 = 0x87;

const OID_EC_PUBLIC_KEY: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
const OID_P256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
const OID_ECDSA_SHA256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02];
const OID_COMMON_NAME: &[u8] = &[0x55, 0x04, 0x03];
const OID_SUBJECT_ALT_NAME: &[u8] = &[0x55, 0x1d, 0x11];
const OID_EXT_KEY_USAGE: &[u8] = &[0x55, 0x1d, 0x25];
const OID_SERVER_AUTH: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x01];

/// One TLV.
fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(content.len() + 4);
    out.push(tag);
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else if len < 0x100 {
        out.extend_from_slice(&[0x81, len as u8]);
    } else {
        // Nothing the camera writes reaches 64 KiB.
        out.extend_from_slice(&[0x82, (len >> 8) as u8, len as u8]);
    }
    out.extend_from_slice(content);
    out
}

fn tlvs(tag: u8, parts: &[&[u8]]) -> Vec<u8> {
    tlv(tag, &parts.concat())
}

/// A non-negative INTEGER from big-endian bytes.
fn unsigned_integer(bytes: &[u8]) -> Vec<u8> {
    let start = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len().saturating_sub(1));
    let bytes = &bytes[start..];
    if bytes.first().is_some_and(|b| b & 0x80 != 0) {
        tlvs(INTEGER, &[&[0], bytes])
    } else {
        tlv(INTEGER, bytes)
    }
}

/// ECDSA-Sig-Value (RFC 3279): SEQUENCE { r INTEGER, s INTEGER }.
pub(crate) fn ecdsa_signature(r: &[u8], s: &[u8]) -> Vec<u8> {
    tlvs(SEQUENCE, &[&unsigned_integer(r), &unsigned_integer(s)])
}

/// A UTCTime or GeneralizedTime (RFC 5280 4.1.2.5) for a civil UTC date.
fn time(year: u32, month: u32, day: u32) -> Vec<u8> {
    if (1950..2050).contains(&year) {
        tlv(UTC_TIME, format!("{:02}{:02}{:02}000000Z", year % 100, month, day).as_bytes())
    } else {
        tlv(GENERALIZED_TIME, format!("{:04}{:02}{:02}235959Z", year, month, day).as_bytes())
    }
}

/// The public key of a P-256 key: SubjectPublicKeyInfo.
fn p256_public_key_info(point: &[u8]) -> Vec<u8> {
    let algorithm = tlvs(SEQUENCE, &[&tlv(OID, OID_EC_PUBLIC_KEY), &tlv(OID, OID_P256)]);
    tlvs(SEQUENCE, &[&algorithm, &tlvs(BIT_STRING, &[&[0], point])])
}

/// What a self-signed certificate says.
pub struct CertificateFields<'a> {
    /// 1 to 20 bytes, positive.
    pub serial: &'a [u8],
    /// The subject's and issuer's common name.
    pub common_name: &'a str,
    /// DNS names for the subject alternative name.
    pub names: &'a [String],
    pub addresses: &'a [IpAddr],
}

/// A self-signed X.509 v3 certificate for `key`: valid from 2000-01-01 on
/// with no end (RFC 5280 4.1.2.5's 99991231235959Z), since a camera's clock
/// may be unset and the certificate is trusted by pinning, not by a CA;
/// named by its subject alternative names; for TLS servers.
pub fn self_signed_certificate(key: &crate::EcdsaKey, fields: &CertificateFields<'_>) -> Vec<u8> {
    let signature_algorithm = tlv(SEQUENCE, &tlv(OID, OID_ECDSA_SHA256));
    let common_name = tlvs(SEQUENCE, &[&tlv(OID, OID_COMMON_NAME), &tlv(UTF8_STRING, fields.common_name.as_bytes())]);
    let name = tlv(SEQUENCE, &tlv(SET, &common_name));
    let validity = tlvs(SEQUENCE, &[&time(2000, 1, 1), &time(9999, 12, 31)]);
    let mut alt_names = Vec::new();
    for dns in fields.names {
        alt_names.extend(tlv(SAN_DNS, dns.as_bytes()));
    }
    for address in fields.addresses {
        match address {
            IpAddr::V4(a) => alt_names.extend(tlv(SAN_IP, &a.octets())),
            IpAddr::V6(a) => alt_names.extend(tlv(SAN_IP, &a.octets())),
        }
    }
    let san = tlvs(SEQUENCE, &[&tlv(OID, OID_SUBJECT_ALT_NAME), &tlv(OCTET_STRING, &tlv(SEQUENCE, &alt_names))]);
    let eku = tlvs(SEQUENCE, &[&tlv(OID, OID_EXT_KEY_USAGE), &tlv(OCTET_STRING, &tlv(SEQUENCE, &tlv(OID, OID_SERVER_AUTH)))]);
    let extensions = tlv(EXTENSIONS, &tlvs(SEQUENCE, &[&san, &eku]));
    let tbs = tlvs(
        SEQUENCE,
        &[
            &tlv(VERSION, &tlv(INTEGER, &[2])),
            &unsigned_integer(fields.serial),
            &signature_algorithm,
            &name,
            &validity,
            &name,
            &p256_public_key_info(&key.public_point()),
            &extensions,
        ],
    );
    let signature = key.sign_der(&tbs);
    tlvs(SEQUENCE, &[&tbs, &signature_algorithm, &tlvs(BIT_STRING, &[&[0], &signature])])
}

/// Reads one TLV of `tag` from the front of `input`: its content and what
/// follows it.
fn read(tag: u8, input: &[u8]) -> Option<(&[u8], &[u8])> {
    let (&first, rest) = input.split_first()?;
    if first != tag {
        return None;
    }
    let (&len_byte, rest) = rest.split_first()?;
    let (len, rest) = match len_byte {
        0..=0x7f => (usize::from(len_byte), rest),
        0x81..=0x83 => {
            let count = usize::from(len_byte & 0x7f);
            let (bytes, rest) = (rest.get(..count)?, rest.get(count..)?);
            let len = bytes.iter().fold(0usize, |n, b| (n << 8) | usize::from(*b));
            // DER: the shortest length form.
            if len < 0x80 || bytes.first() == Some(&0) {
                return None;
            }
            (len, rest)
        }
        _ => return None,
    };
    Some((rest.get(..len)?, rest.get(len..)?))
}

/// The secret scalar of a SEC1 ECPrivateKey (RFC 5915), if its curve is
/// P-256 or unnamed.
pub(crate) fn p256_key_from_sec1(der: &[u8]) -> Option<Vec<u8>> {
    let (key, _) = read(SEQUENCE, der)?;
    let (version, rest) = read(INTEGER, key)?;
    if version != [1] {
        return None;
    }
    let (scalar, rest) = read(OCTET_STRING, rest)?;
    if let Some((parameters, _)) = read(0xa0, rest) {
        if read(OID, parameters)?.0 != OID_P256 {
            return None;
        }
    }
    (scalar.len() == 32).then(|| scalar.to_vec())
}

/// The secret scalar of a PKCS#8 PrivateKeyInfo (RFC 5208) holding a P-256 key.
pub(crate) fn p256_key_from_pkcs8(der: &[u8]) -> Option<Vec<u8>> {
    let (info, _) = read(SEQUENCE, der)?;
    let (version, rest) = read(INTEGER, info)?;
    if version != [0] && version != [1] {
        return None;
    }
    let (algorithm, rest) = read(SEQUENCE, rest)?;
    let (kind, parameters) = read(OID, algorithm)?;
    if kind != OID_EC_PUBLIC_KEY || read(OID, parameters)?.0 != OID_P256 {
        return None;
    }
    let (sec1, _) = read(OCTET_STRING, rest)?;
    p256_key_from_sec1(sec1)
}

/// The public point of an X.509 certificate's P-256 key; `None` if the
/// certificate does not parse that far or has another kind of key.
pub fn certificate_p256_point(der: &[u8]) -> Option<Vec<u8>> {
    let (certificate, trailing) = read(SEQUENCE, der)?;
    if !trailing.is_empty() {
        return None;
    }
    let (tbs, rest) = read(SEQUENCE, certificate)?;
    let (_signature_algorithm, rest) = read(SEQUENCE, rest)?;
    let (_signature, rest) = read(BIT_STRING, rest)?;
    if !rest.is_empty() {
        return None;
    }
    let rest = match read(VERSION, tbs) {
        Some((_, rest)) => rest,
        None => tbs,
    };
    let (_serial, rest) = read(INTEGER, rest)?;
    let (_signature, rest) = read(SEQUENCE, rest)?;
    let (_issuer, rest) = read(SEQUENCE, rest)?;
    let (_validity, rest) = read(SEQUENCE, rest)?;
    let (_subject, rest) = read(SEQUENCE, rest)?;
    let (key_info, _) = read(SEQUENCE, rest)?;
    let (algorithm, rest) = read(SEQUENCE, key_info)?;
    let (kind, parameters) = read(OID, algorithm)?;
    if kind != OID_EC_PUBLIC_KEY || read(OID, parameters)?.0 != OID_P256 {
        return None;
    }
    let (bits, _) = read(BIT_STRING, rest)?;
    let point = bits.strip_prefix(&[0])?;
    (point.len() == 65 && point[0] == 4).then(|| point.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_integers_are_minimal_and_positive() {
        let der = ecdsa_signature(&[0, 0, 0x80, 1], &[0x7f]);
        assert_eq!(der, [0x30, 0x08, 0x02, 0x03, 0x00, 0x80, 0x01, 0x02, 0x01, 0x7f].to_vec());
    }

    #[test]
    fn a_generated_certificate_reads_back_its_key() {
        let key = crate::EcdsaKey::generate().unwrap();
        let names = ["camera.local".to_string()];
        let fields = CertificateFields { serial: &[0x42; 16], common_name: "camcgi", names: &names, addresses: &[] };
        let cert = self_signed_certificate(&key, &fields);
        assert_eq!(certificate_p256_point(&cert), Some(key.public_point()));
        assert_eq!(certificate_p256_point(&cert[..cert.len() - 1]), None);
    }

    #[test]
    fn truncated_and_long_lengths_are_refused() {
        assert_eq!(read(SEQUENCE, &[0x30, 0x81, 0x05, 1, 2]), None);
        assert_eq!(read(SEQUENCE, &[0x30, 0x84, 0, 0, 0, 1, 0]), None);
        assert_eq!(read(SEQUENCE, &[0x30, 0x81, 0x01, 0]), None);
    }
}
