//! The provider against rustls's own (ring): whole handshakes with a ring
//! client that verifies the camera's certificate with webpki, and the
//! provider's pieces (hash, HKDF, record protection) byte for byte against
//! ring's for the same inputs.

use std::io::{Read, Write};
use std::sync::Arc;

use camcgi_tls::{server_config, Certificates, Identity};
use rustls::crypto::cipher::{AeadKey, Iv, OutboundPlainMessage, PrefixedPayload};
use rustls::crypto::ring::{cipher_suite, default_provider, kx_group};
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{
    ClientConfig, ClientConnection, ContentType, NamedGroup, ProtocolVersion, RootCertStore, ServerConnection, SupportedCipherSuite,
};

fn identity() -> Identity {
    Identity::generate("camcgi", &["localhost".to_string(), "cam.example".to_string()], &["127.0.0.1".parse().unwrap()]).unwrap()
}

/// A ring client trusting only `identity`'s certificate.
fn client(
    identity: &Identity,
    suites: Vec<SupportedCipherSuite>,
    groups: Vec<&'static dyn rustls::crypto::SupportedKxGroup>,
) -> Arc<ClientConfig> {
    let mut roots = RootCertStore::empty();
    roots.add(CertificateDer::from(identity.chain()[0].clone())).expect("webpki takes the certificate as a trust anchor");
    let provider = rustls::crypto::CryptoProvider { cipher_suites: suites, kx_groups: groups, ..default_provider() };
    let config = ClientConfig::builder_with_provider(Arc::new(provider))
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    Arc::new(config)
}

/// Moves records between the two ends until neither has any to send.
fn pump(client: &mut ClientConnection, server: &mut ServerConnection) -> Result<(), rustls::Error> {
    loop {
        let mut moved = false;
        while client.wants_write() {
            let mut records = Vec::new();
            client.write_tls(&mut records).unwrap();
            moved |= !records.is_empty();
            let mut from = &records[..];
            while !from.is_empty() {
                server.read_tls(&mut from).unwrap();
                server.process_new_packets()?;
            }
        }
        while server.wants_write() {
            let mut records = Vec::new();
            server.write_tls(&mut records).unwrap();
            moved |= !records.is_empty();
            let mut from = &records[..];
            while !from.is_empty() {
                client.read_tls(&mut from).unwrap();
                client.process_new_packets()?;
            }
        }
        if !moved {
            return Ok(());
        }
    }
}

fn connect(
    config: Arc<ClientConfig>,
    name: &str,
    server: &Arc<rustls::ServerConfig>,
) -> Result<(ClientConnection, ServerConnection), rustls::Error> {
    let mut client = ClientConnection::new(config, ServerName::try_from(name.to_string()).unwrap()).unwrap();
    let mut server = ServerConnection::new(server.clone()).unwrap();
    pump(&mut client, &mut server)?;
    Ok((client, server))
}

fn all_ring_suites() -> Vec<SupportedCipherSuite> {
    default_provider().cipher_suites
}

#[test]
fn a_ring_client_verifies_the_certificate_and_agrees_on_chacha20_and_x25519() {
    let identity = identity();
    let server = server_config(Certificates::new(&identity)).unwrap();
    let config = client(&identity, all_ring_suites(), vec![kx_group::X25519, kx_group::SECP256R1]);
    for name in ["localhost", "cam.example", "127.0.0.1"] {
        let (mut client, mut server_end) = connect(config.clone(), name, &server).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(client.protocol_version(), Some(ProtocolVersion::TLSv1_3));
        assert_eq!(client.negotiated_cipher_suite(), Some(cipher_suite::TLS13_CHACHA20_POLY1305_SHA256));
        assert_eq!(client.negotiated_key_exchange_group().map(|g| g.name()), Some(NamedGroup::X25519));
        // Data both ways, over many records, with a key update between.
        let upload: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
        let mut got = Vec::new();
        for chunk in upload.chunks(16_000) {
            client.writer().write_all(chunk).unwrap();
            pump(&mut client, &mut server_end).unwrap();
            let mut buf = vec![0u8; chunk.len()];
            server_end.reader().read_exact(&mut buf).unwrap();
            got.extend_from_slice(&buf);
        }
        assert_eq!(got, upload);
        client.refresh_traffic_keys().unwrap();
        server_end.writer().write_all(&upload[..30_000]).unwrap();
        pump(&mut client, &mut server_end).unwrap();
        let mut back = vec![0u8; 30_000];
        client.reader().read_exact(&mut back).unwrap();
        assert_eq!(back, upload[..30_000]);
    }
    // A name the certificate does not hold is refused by the client.
    assert!(connect(config, "other.example", &server).is_err());
}

#[test]
fn a_client_without_chacha20_x25519_or_tls13_is_refused() {
    let identity = identity();
    let server = server_config(Certificates::new(&identity)).unwrap();
    let aes_only = vec![cipher_suite::TLS13_AES_128_GCM_SHA256, cipher_suite::TLS13_AES_256_GCM_SHA384];
    assert!(connect(client(&identity, aes_only, vec![kx_group::X25519]), "localhost", &server).is_err(), "AES only");
    let p256_only = client(&identity, all_ring_suites(), vec![kx_group::SECP256R1]);
    assert!(connect(p256_only, "localhost", &server).is_err(), "P-256 key exchange only");
    let tls12 = vec![cipher_suite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256];
    assert!(connect(client(&identity, tls12, vec![kx_group::X25519]), "localhost", &server).is_err(), "TLS 1.2 only");
}

#[test]
fn a_replaced_identity_is_what_new_connections_get() {
    let (first, second) = (identity(), identity());
    let certificates = Certificates::new(&first);
    let server = server_config(certificates.clone()).unwrap();
    assert!(connect(client(&first, all_ring_suites(), vec![kx_group::X25519]), "localhost", &server).is_ok());
    certificates.replace(&second);
    assert!(connect(client(&first, all_ring_suites(), vec![kx_group::X25519]), "localhost", &server).is_err());
    assert!(connect(client(&second, all_ring_suites(), vec![kx_group::X25519]), "localhost", &server).is_ok());
}

fn tls13(suite: SupportedCipherSuite) -> &'static rustls::Tls13CipherSuite {
    match suite {
        SupportedCipherSuite::Tls13(suite) => suite,
        _ => unreachable!("a TLS 1.3 suite"),
    }
}

#[test]
fn hash_hkdf_and_records_match_rings_byte_for_byte() {
    let ours = tls13(camcgi_tls::provider().cipher_suites[0]);
    let ring = tls13(cipher_suite::TLS13_CHACHA20_POLY1305_SHA256);
    assert_eq!(ours.common.suite, ring.common.suite);
    for len in [0usize, 1, 55, 56, 64, 1000] {
        let data: Vec<u8> = (0..len).map(|i| (i * 7) as u8).collect();
        assert_eq!(ours.common.hash_provider.hash(&data).as_ref(), ring.common.hash_provider.hash(&data).as_ref(), "hash of {len}");
        let (mut a, mut b) = (ours.common.hash_provider.start(), ring.common.hash_provider.start());
        a.update(&data);
        b.update(&data);
        assert_eq!(a.fork_finish().as_ref(), b.fork_finish().as_ref());
        let salt = &data[..len.min(20)];
        let expand = |hkdf: &dyn rustls::crypto::tls13::Hkdf| {
            let expander = hkdf.extract_from_secret(Some(salt), &data);
            let mut okm = [0u8; 80];
            expander.expand_slice(&[b"camcgi", &data[..len.min(9)]], &mut okm).unwrap();
            okm
        };
        assert_eq!(expand(ours.hkdf_provider), expand(ring.hkdf_provider), "HKDF with {len} bytes");
    }
    for seq in [0u64, 1, 255, u64::MAX - 1] {
        let key = || AeadKey::from([0x42u8; 32]);
        let iv = || Iv::from([0x24u8; 12]);
        let mut enc_ours = ours.aead_alg.encrypter(key(), iv());
        let mut enc_ring = ring.aead_alg.encrypter(key(), iv());
        for len in [0usize, 1, 100, 16_384] {
            let text: Vec<u8> = (0..len).map(|i| (i * 13) as u8).collect();
            let msg =
                || OutboundPlainMessage { typ: ContentType::ApplicationData, version: ProtocolVersion::TLSv1_2, payload: text[..].into() };
            let a = enc_ours.encrypt(msg(), seq).unwrap().encode();
            let b = enc_ring.encrypt(msg(), seq).unwrap().encode();
            assert_eq!(a, b, "record of {len} at {seq}");
            // Ours opens ring's, and refuses it altered.
            let mut dec = ours.aead_alg.decrypter(key(), iv());
            let mut record = b.clone();
            let opened = dec
                .decrypt(
                    rustls::crypto::cipher::InboundOpaqueMessage::new(
                        ContentType::ApplicationData,
                        ProtocolVersion::TLSv1_2,
                        &mut record[5..],
                    ),
                    seq,
                )
                .unwrap();
            assert_eq!(opened.payload, &text[..]);
            let mut altered = b.clone();
            let last = altered.len() - 1;
            altered[last] ^= 1;
            let mut dec = ours.aead_alg.decrypter(key(), iv());
            assert!(dec
                .decrypt(
                    rustls::crypto::cipher::InboundOpaqueMessage::new(
                        ContentType::ApplicationData,
                        ProtocolVersion::TLSv1_2,
                        &mut altered[5..]
                    ),
                    seq
                )
                .is_err());
        }
    }
    let _ = PrefixedPayload::with_capacity(0);
}
