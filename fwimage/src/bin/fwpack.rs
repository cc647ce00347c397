//! camcgi-fwpack: makes signing keys and firmware images for camcgi.

use camcgi_fwimage::{from_hex, sign, to_hex, Header, PayloadHasher, Version, HEADER_LEN};
use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::process::ExitCode;

const USAGE: &str = "usage:
  camcgi-fwpack keygen SECRET_KEY_FILE      write a new secret key (hex); print the public key
  camcgi-fwpack pubkey SECRET_KEY_FILE      print the public key of a secret key
  camcgi-fwpack pack --board ID --version MAJOR.MINOR.PATCH --payload FILE --out FILE [--key SECRET_KEY_FILE]";

fn read_secret(path: &str) -> Result<[u8; 32], String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    from_hex::<32>(&text).ok_or_else(|| format!("{path}: not a 64-digit hex secret key"))
}

fn digest_file(path: &str) -> io::Result<(u64, [u8; 32])> {
    let mut file = File::open(path)?;
    let mut hasher = PayloadHasher::default();
    let mut buf = vec![0u8; 1 << 16];
    let mut len = 0u64;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            return Ok((len, hasher.finish()));
        }
        let chunk = buf.get(..n).unwrap_or_default();
        hasher.update(chunk);
        len += n as u64;
    }
}

fn pack(args: &[String]) -> Result<(), String> {
    let mut board = None;
    let mut version = None;
    let mut payload = None;
    let mut out = None;
    let mut key = None;
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?.clone();
        match flag.as_str() {
            "--board" => board = Some(value),
            "--version" => version = Some(Version::parse(&value).ok_or("--version: MAJOR.MINOR.PATCH")?),
            "--payload" => payload = Some(value),
            "--out" => out = Some(value),
            "--key" => key = Some(read_secret(&value)?),
            _ => return Err(format!("unknown option {flag}")),
        }
    }
    let (board, version, payload, out) = match (board, version, payload, out) {
        (Some(b), Some(v), Some(p), Some(o)) => (b, v, p, o),
        _ => return Err("pack needs --board, --version, --payload and --out".into()),
    };
    let (len, sha256) = digest_file(&payload).map_err(|e| format!("{payload}: {e}"))?;
    let signer = key.map(|secret| move |m: &[u8]| sign::sign(&secret, m));
    let header = Header::build(&board, version, len, sha256, signer.as_ref().map(|s| s as &dyn Fn(&[u8]) -> [u8; 64]))
        .map_err(|e| format!("--board: {e}"))?;
    let write = || -> io::Result<()> {
        let mut w = BufWriter::new(File::create(&out)?);
        w.write_all(&header)?;
        io::copy(&mut File::open(&payload)?, &mut w)?;
        w.flush()
    };
    write().map_err(|e| format!("{out}: {e}"))?;
    println!(
        "{out}: board {board}, version {version}, {} bytes ({HEADER_LEN} header + {len} payload), sha256 {}, {}",
        len + HEADER_LEN as u64,
        to_hex(&sha256),
        if key.is_some() { "signed" } else { "unsigned" }
    );
    Ok(())
}

fn run(args: &[String]) -> Result<(), String> {
    match args.first().map(String::as_str) {
        Some("keygen") if args.len() == 2 => {
            let path = &args[1];
            let secret = sign::generate().map_err(|e| format!("no random source: {e}"))?;
            std::fs::write(path, format!("{}\n", to_hex(&secret))).map_err(|e| format!("{path}: {e}"))?;
            println!("{}", to_hex(&sign::public_key(&secret)));
            Ok(())
        }
        Some("pubkey") if args.len() == 2 => {
            println!("{}", to_hex(&sign::public_key(&read_secret(&args[1])?)));
            Ok(())
        }
        Some("pack") => pack(&args[1..]),
        _ => Err(String::new()),
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("camcgi-fwpack: {e}");
            }
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
    }
}
