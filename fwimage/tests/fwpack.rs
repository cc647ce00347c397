//! camcgi-fwpack end to end: a key, a signed image, and its header checked.

use camcgi_fwimage::{from_hex, Header, PayloadHasher, Version, HEADER_LEN};
use std::process::Command;

/// The packer as a command. Run as a foreign binary under qemu-user on a host
/// without binfmt_misc, the host cannot exec it: `CAMCGI_EXEC_WRAPPER`, or else
/// the target's qemu-user, runs it. The probe: run bare, it exits 2 with its usage.
fn fwpack() -> Command {
    let bin = env!("CARGO_BIN_EXE_camcgi-fwpack");
    let wrapper = std::env::var("CAMCGI_EXEC_WRAPPER").unwrap_or_else(|_| match Command::new(bin).output() {
        Ok(out) if out.status.code() == Some(2) => String::new(),
        _ => match (std::env::consts::ARCH, cfg!(target_env = "musl")) {
            ("arm", false) => "qemu-arm-static -L /usr/arm-linux-gnueabihf",
            ("arm", true) => "qemu-arm-static",
            ("aarch64", false) => "qemu-aarch64-static -L /usr/aarch64-linux-gnu",
            ("aarch64", true) => "qemu-aarch64-static",
            _ => "",
        }
        .to_string(),
    });
    let mut parts = wrapper.split_whitespace();
    match parts.next() {
        Some(program) => {
            let mut c = Command::new(program);
            c.args(parts).arg(bin);
            c
        }
        None => Command::new(bin),
    }
}

#[test]
fn keygen_pack_and_verify() {
    let dir = std::env::temp_dir().join(format!("camcgi-fwpack-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let key = dir.join("secret.key");
    let out = fwpack().arg("keygen").arg(&key).output().unwrap();
    assert!(out.status.success());
    let public = from_hex::<32>(&String::from_utf8_lossy(&out.stdout)).expect("a public key in hex");
    let again = fwpack().arg("pubkey").arg(&key).output().unwrap();
    assert_eq!(from_hex::<32>(&String::from_utf8_lossy(&again.stdout)), Some(public));

    let payload: Vec<u8> = (0..200_000u32).map(|i| (i * 7) as u8).collect();
    std::fs::write(dir.join("rootfs.bin"), &payload).unwrap();
    let image = dir.join("fw.img");
    let out = fwpack()
        .args(["pack", "--board", "cam-v1", "--version", "1.4.2", "--payload"])
        .arg(dir.join("rootfs.bin"))
        .arg("--out")
        .arg(&image)
        .arg("--key")
        .arg(&key)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let bytes = std::fs::read(&image).unwrap();
    assert_eq!(&bytes[HEADER_LEN..], &payload[..]);
    let header = Header::parse(&bytes).unwrap();
    assert_eq!(header.board_id, "cam-v1");
    assert_eq!(header.version, Version { major: 1, minor: 4, patch: 2 });
    assert_eq!(header.payload_len, payload.len() as u64);
    let mut h = PayloadHasher::default();
    h.update(&payload);
    assert_eq!(header.sha256, h.finish());
    assert!(header.signature_valid(&public));

    let bad = fwpack().args(["pack", "--board", "x"]).output().unwrap();
    assert_eq!(bad.status.code(), Some(2));
    let _ = std::fs::remove_dir_all(&dir);
}
