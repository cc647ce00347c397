//! The benches' HTTPS client: rustls with its own provider (ring), offering
//! only what the camera speaks (TLS 1.3, ChaCha20-Poly1305, X25519), so
//! that camcgi and nginx are measured on the same suite and group; the
//! server's certificate is the only trust anchor.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;

use rustls::crypto::ring::{cipher_suite, default_provider, kx_group};
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore, StreamOwned};

/// A client configuration trusting `certificate` (PEM); `resume`: whether
/// it resumes sessions (off: every connection is a full handshake).
pub fn client_config(certificate: &str, resume: bool) -> Arc<ClientConfig> {
    let der = certificate.lines().filter(|l| !l.starts_with("-----")).collect::<String>();
    let der = base64_decode(&der);
    let mut roots = RootCertStore::empty();
    roots.add(CertificateDer::from(der)).expect("a certificate");
    let provider = rustls::crypto::CryptoProvider {
        cipher_suites: vec![cipher_suite::TLS13_CHACHA20_POLY1305_SHA256],
        kx_groups: vec![kx_group::X25519],
        ..default_provider()
    };
    let mut config = ClientConfig::builder_with_provider(Arc::new(provider))
        .with_protocol_versions(&[&rustls::version::TLS13])
        .expect("TLS 1.3")
        .with_root_certificates(roots)
        .with_no_client_auth();
    if !resume {
        config.resumption = rustls::client::Resumption::disabled();
    }
    Arc::new(config)
}

fn base64_decode(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0);
    for b in text.bytes().filter(|b| *b != b'=') {
        let Some(v) = ALPHABET.iter().position(|a| *a == b) else { continue };
        acc = (acc << 6) | v as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    out
}

/// A connection, plain or TLS.
pub enum Conn {
    Plain(TcpStream),
    Tls(Box<StreamOwned<ClientConnection, TcpStream>>),
}

impl Conn {
    /// Connects to 127.0.0.1:`port`, over TLS when `tls` is given (the
    /// handshake completes before this returns).
    pub fn open(port: u16, tls: Option<&Arc<ClientConfig>>) -> std::io::Result<Conn> {
        let tcp = TcpStream::connect(("127.0.0.1", port))?;
        let _ = tcp.set_nodelay(true);
        let _ = tcp.set_read_timeout(Some(std::time::Duration::from_secs(10)));
        match tls {
            None => Ok(Conn::Plain(tcp)),
            Some(config) => {
                let name = ServerName::try_from("127.0.0.1").expect("an address");
                let session = ClientConnection::new(config.clone(), name).map_err(std::io::Error::other)?;
                let mut stream = StreamOwned::new(session, tcp);
                while stream.conn.is_handshaking() {
                    stream.conn.complete_io(&mut stream.sock)?;
                }
                Ok(Conn::Tls(Box::new(stream)))
            }
        }
    }
}

impl Read for Conn {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Conn::Plain(s) => s.read(buf),
            Conn::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Conn {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Conn::Plain(s) => s.write(buf),
            Conn::Tls(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Conn::Plain(s) => s.flush(),
            Conn::Tls(s) => s.flush(),
        }
    }
}
