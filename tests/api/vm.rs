//! The camera build on a real 32-bit ARM kernel (cross/vm): run by
//! `bash cross/vm/test.sh`, which boots the rig and names it in
//! `CAMCGI_VM_HTTP` (camcgi's port), `CAMCGI_VM_HTTPS` (its HTTPS port),
//! `CAMCGI_VM_SHELL` (the rig's shell) and `CAMCGI_VM_DIR` (where the
//! Pelco-D line's bytes land). Each test is
//! ignored in the other runs, which have no rig; they share one rig, one at
//! a time (`--test-threads=1`), each leaving it as a camera in use.

use crate::common::*;
use crate::firmware::{image, post};
use camcgi_fwimage::PayloadHasher;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::{Duration, Instant};

const ADMIN: &str = "Authorization: Basic YWRtaW46MTIzNDU2\r\n";
const WHY: &str = "needs the ARM rig: bash cross/vm/test.sh";

/// An image for the rig's board, signed with the rig's key (`CAMCGI_VM_KEY`).
fn signed(version: &str, payload: &[u8]) -> Vec<u8> {
    let path = std::env::var_os("CAMCGI_VM_KEY").unwrap_or_else(|| panic!("CAMCGI_VM_KEY: {WHY}"));
    let text = std::fs::read_to_string(path).unwrap();
    let key: [u8; 32] = hex::decode(text.trim()).unwrap().try_into().unwrap();
    image("camcgi-vm", version, payload, Some(&key))
}

fn env_port(name: &str) -> u16 {
    std::env::var(name).ok().and_then(|p| p.parse().ok()).unwrap_or_else(|| panic!("{name}: {WHY}"))
}

/// The rig: camcgi's port, and a shell in the VM.
struct Rig {
    http: u16,
    shell: u16,
    dir: std::path::PathBuf,
}

impl Rig {
    fn get() -> Rig {
        let dir = std::env::var_os("CAMCGI_VM_DIR").unwrap_or_else(|| panic!("CAMCGI_VM_DIR: {WHY}")).into();
        let rig = Rig { http: env_port("CAMCGI_VM_HTTP"), shell: env_port("CAMCGI_VM_SHELL"), dir };
        rig.wait_for_camcgi();
        rig
    }

    /// Runs a shell command in the VM; what it printed.
    fn sh(&self, command: &str) -> String {
        let mut s = TcpStream::connect(("127.0.0.1", self.shell)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
        s.write_all(format!("{command}\n").as_bytes()).unwrap();
        s.shutdown(Shutdown::Write).unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        out
    }

    fn get_cgi(&self, target: &str) -> Resp {
        request(self.http, "GET", target, "")
    }

    fn uid(&self) -> String {
        let r = self.get_cgi("/cgi-bin/getuid?username=admin&password=123456");
        r.text().split("<uid>").nth(1).and_then(|t| t.split('<').next()).unwrap_or_else(|| panic!("{}", r.text())).to_string()
    }

    /// Whether camcgi answers a login now (QEMU's forwarding takes the
    /// connection even while nothing listens in the VM, then drops it).
    fn answers(&self) -> bool {
        let Ok(mut s) = TcpStream::connect(("127.0.0.1", self.http)) else { return false };
        let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
        let asked =
            s.write_all(b"GET /cgi-bin/getuid?username=admin&password=123456 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
        let mut answer = String::new();
        asked.is_ok() && s.read_to_string(&mut answer).is_ok() && answer.contains("<uid>")
    }

    /// Waits until camcgi answers (after a start or a reboot).
    fn wait_for_camcgi(&self) {
        let start = Instant::now();
        while !self.answers() {
            assert!(start.elapsed() < Duration::from_secs(60), "camcgi did not come back");
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Ends camcgi (the rig starts it again, as a camera's supervisor would) and waits for it.
    fn restart_camcgi(&self) {
        self.sh("killall camcgi");
        std::thread::sleep(Duration::from_millis(500));
        self.wait_for_camcgi();
    }

    /// The bytes the Pelco-D line carried so far.
    fn serial(&self) -> Vec<u8> {
        std::fs::read(self.dir.join("ptz.out")).unwrap_or_default()
    }

    fn env(&self, name: &str) -> String {
        self.sh(&format!("fw_printenv -n {name}")).trim().to_string()
    }

    /// vivid's controls as v4l2-ctl reads them: `name: value` lines.
    fn controls(&self) -> String {
        self.sh("v4l2-ctl -d /dev/video0 -C brightness,contrast,saturation")
    }
}

#[test]
#[ignore = "needs the ARM rig: bash cross/vm/test.sh"]
fn image_settings_reach_vivids_controls_and_are_applied_again_at_start() {
    let rig = Rig::get();
    let uid = rig.uid();
    let r = rig.get_cgi(&format!("/cgi-bin/image?brightness=200&contrast=10&uid={uid}"));
    assert_eq!(r.attr("brightness").as_deref(), Some("200"), "{}", r.text());
    let set = "<SetImagingSettings xmlns=\"http://www.onvif.org/ver20/imaging/wsdl\"><VideoSourceToken>video_src</VideoSourceToken>\
        <ImagingSettings><ColorSaturation xmlns=\"http://www.onvif.org/ver10/schema\">77</ColorSaturation></ImagingSettings>\
        </SetImagingSettings>";
    let r = soap(rig.http, "/onvif/imaging_service", set, ADMIN);
    assert_eq!(r.status, 200, "{}", r.text());
    let saturation = rig.get_cgi(&format!("/cgi-bin/image?uid={uid}")).attr("saturation").unwrap();
    let expected = format!("brightness: 200\ncontrast: 10\nsaturation: {saturation}\n");
    assert_eq!(rig.controls(), expected, "the V4L2 controls, read in the VM");
    // vivid has no sharpness control: a clean fault, and nothing changes.
    let r = rig.get_cgi(&format!("/cgi-bin/image?brightness=1&sharpness=9&uid={uid}"));
    assert_fault(&r, 500, "/cgi-bin/image", "device error: image not supported (the ISP has no sharpness control)");
    let options =
        "<GetOptions xmlns=\"http://www.onvif.org/ver20/imaging/wsdl\"><VideoSourceToken>video_src</VideoSourceToken></GetOptions>";
    let r = soap(rig.http, "/onvif/imaging_service", options, ADMIN);
    assert!(r.text().contains("<tt:Brightness>") && !r.text().contains("Sharpness"), "vivid's controls only: {}", r.text());
    assert_eq!(rig.controls(), expected, "a refused set changes nothing");
    // Scrambled behind camcgi's back, then camcgi starts again: it applies its settings.
    rig.sh("v4l2-ctl -d /dev/video0 -c brightness=0,contrast=0,saturation=0");
    rig.restart_camcgi();
    assert_eq!(rig.controls(), expected, "applied again at start");
}

#[test]
#[ignore = "needs the ARM rig: bash cross/vm/test.sh"]
fn ptz_moves_go_down_the_usb_serial_line_as_pelco_d_frames() {
    let rig = Rig::get();
    let uid = rig.uid();
    let before = rig.serial().len();
    assert_ok(rig.get_cgi(&format!("/cgi-bin/ptz_ctrl?move_x=1&move_y=0&speed=10&uid={uid}")), "ptz_ctrl");
    assert_ok(rig.get_cgi(&format!("/cgi-bin/ptz_ctrl?stop=1&uid={uid}")), "ptz_ctrl");
    let start = Instant::now();
    while rig.serial().len() < before + 14 && start.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(100));
    }
    let sent = rig.serial()[before..].to_vec();
    // Address 1: pan right at the speed the CGI's 10 maps to, then stop; each with its checksum.
    assert_eq!(sent.len(), 14, "{sent:02x?}");
    assert_eq!(&sent[..4], &[0xFF, 0x01, 0x00, 0x02], "pan right: {sent:02x?}");
    let checksum = sent[1..6].iter().fold(0u8, |a, b| a.wrapping_add(*b));
    assert_eq!(sent[6], checksum, "{sent:02x?}");
    assert_eq!(&sent[7..], &[0xFF, 0x01, 0x00, 0x00, 0x00, 0x00, 0x01], "stop: {sent:02x?}");
    // A move left running: the watchdog (3 s on the rig's board) sends the stop.
    let before = rig.serial().len();
    assert_ok(rig.get_cgi(&format!("/cgi-bin/ptz_ctrl?move_x=0&move_y=1&speed=10&uid={uid}")), "ptz_ctrl");
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(rig.serial().len(), before + 7, "moving, no stop yet");
    let start = Instant::now();
    while rig.serial().len() < before + 14 && start.elapsed() < Duration::from_secs(15) {
        std::thread::sleep(Duration::from_millis(100));
    }
    let sent = rig.serial()[before..].to_vec();
    assert_eq!(&sent[7..], &[0xFF, 0x01, 0x00, 0x00, 0x00, 0x00, 0x01], "the watchdog's stop: {sent:02x?}");
    println!("the watchdog's stop arrived {:.1} s after the move began", 1.0 + start.elapsed().as_secs_f64());
}

/// Slot B's bad blocks on the rig's NAND (76, 77 and 100 absolute), in its own numbering.
const NAND_BAD_IN_B: [usize; 3] = [4, 5, 28];

/// The slot's bytes as camcgi laid them on the flash: its good blocks in
/// order, the bad ones passed over (as U-Boot's `nand read` does), read in the VM.
fn slot_digest(rig: &Rig, slot: &str, len: usize, bad: &[usize]) -> String {
    let device = if slot == "A" { "/dev/rig-slota" } else { "/dev/rig-slotb" };
    let blocks: Vec<String> = (0..64).filter(|b| !bad.contains(b)).map(|b| b.to_string()).collect();
    let script =
        format!("for b in {}; do dd if={device} bs=131072 skip=$b count=1 2>/dev/null; done | head -c {len} | sha256sum", blocks.join(" "));
    rig.sh(&script).split_whitespace().next().unwrap_or_default().to_string()
}

#[test]
#[ignore = "needs the ARM rig: bash cross/vm/test.sh"]
fn a_firmware_image_lands_past_the_bad_blocks_is_selected_booted_and_confirmed() {
    let rig = Rig::get();
    let running = rig.env("boot_slot");
    let target = if running == "A" { "B" } else { "A" };
    assert_eq!(rig.env("boot_confirmed"), running);
    let payload: Vec<u8> = (0..3_000_000u32).map(|i| (i.wrapping_mul(2654435761) >> 13) as u8).collect();
    let unsigned = image("camcgi-vm", "2.0.0", &payload, None);
    let r = post(rig.http, "/cgi-bin/OnvifFirmwareUpgrade", ADMIN, &unsigned);
    assert_fault(&r, 400, "/cgi-bin/OnvifFirmwareUpgrade", "signature required");
    let img = signed("2.0.0", &payload);
    let r = post(rig.http, "/cgi-bin/OnvifFirmwareUpgrade", ADMIN, &img);
    assert_eq!(r.text(), "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<firmware_upgrade>OK</firmware_upgrade>\n");
    // The camera reboots into the new slot, on trial, and confirms it.
    std::thread::sleep(Duration::from_secs(2));
    rig.wait_for_camcgi();
    let start = Instant::now();
    while rig.env("boot_confirmed") != target && start.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_millis(300));
    }
    assert_eq!((rig.env("boot_slot"), rig.env("boot_confirmed"), rig.env("upgrade_available")), (target.into(), target.into(), "0".into()));
    let mut h = PayloadHasher::default();
    h.update(&img);
    let want: String = h.finish().iter().map(|b| format!("{b:02x}")).collect();
    let bad: &[usize] = if target == "B" { &NAND_BAD_IN_B } else { &[] };
    assert_eq!(slot_digest(&rig, target, img.len(), bad), want, "slot {target} holds the image, its bad blocks passed over");
    let info = rig.get_cgi(&format!("/cgi-bin/upgrade_status?uid={}", rig.uid()));
    assert_eq!(info.status, 200, "{}", info.text());
}

/// The digest of an image as the slot's digest prints it.
fn hex_digest(data: &[u8]) -> String {
    let mut h = PayloadHasher::default();
    h.update(data);
    h.finish().iter().map(|b| format!("{b:02x}")).collect()
}

/// After a power cut: camcgi boots again, from the slot that ran or from a
/// new one holding the whole image, never from neither. Which, said.
/// `bad`: slot B's bad blocks.
fn booted_after_a_cut(rig: &Rig, ran: &str, img: &[u8], bad: &[usize]) -> String {
    rig.wait_for_camcgi();
    let slot = rig.env("boot_slot");
    if slot == ran {
        assert_eq!((rig.env("boot_confirmed"), rig.env("upgrade_available")), (ran.to_string(), "0".to_string()));
        format!("boots slot {slot}, the firmware that ran")
    } else {
        let bad = if slot == "B" { bad } else { &[] };
        assert_eq!(slot_digest(rig, &slot, img.len(), bad), hex_digest(img), "a new slot boots only with the whole image");
        format!("boots slot {slot}, the new firmware")
    }
}

/// Starts an upload of `img` and sends its first `sent` bytes, waiting
/// until the camera says it has them; the connection, still open.
fn upload_part(rig: &Rig, img: &[u8], sent: usize) -> TcpStream {
    let mut s = TcpStream::connect(("127.0.0.1", rig.http)).unwrap();
    write!(
        s,
        "POST /cgi-bin/OnvifFirmwareUpgrade HTTP/1.1\r\nHost: 127.0.0.1\r\n{ADMIN}Content-Type: application/octet-stream\r\n\
         Content-Length: {}\r\n\r\n",
        img.len()
    )
    .unwrap();
    s.write_all(&img[..sent]).unwrap();
    // Written as far as it arrived: the status says how far.
    let start = Instant::now();
    loop {
        let st = rig.get_cgi(&format!("/cgi-bin/upgrade_status?uid={}", rig.uid()));
        let received: usize = st.attr("received").and_then(|r| r.parse().ok()).unwrap_or(0);
        if received + 65536 >= sent || start.elapsed() > Duration::from_secs(20) {
            return s;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Where an upload of `len` bytes has its power cut: how far, said, and the bytes sent.
fn cut_points(len: usize) -> [(&'static str, usize); 3] {
    [
        ("after 5 % of the image (erasing and writing)", len / 20),
        ("after 60 % of the image", len * 3 / 5),
        ("with the whole image sent (verifying, selecting, answering)", len),
    ]
}

/// The NAND lives in the kernel's memory (nandsim), so a power cut of the
/// flash is a cut of the camera's processes (SIGKILL to its whole PID
/// namespace) while the kernel, and so the flash, goes on, as flash keeps
/// what was written when the power goes.
#[test]
#[ignore = "needs the ARM rig: bash cross/vm/test.sh"]
fn power_cuts_during_an_upload_leave_the_old_or_the_new_firmware_booting() {
    let rig = Rig::get();
    let payload: Vec<u8> = (0..2_000_000u32).map(|i| (i.wrapping_mul(40503) >> 7) as u8).collect();
    let img = signed("3.0.0", &payload);
    for (point, sent) in cut_points(img.len()) {
        let ran = rig.env("boot_slot");
        let s = upload_part(&rig, &img, sent);
        rig.sh("killall -9 camcgi");
        drop(s);
        std::thread::sleep(Duration::from_millis(500));
        println!("power cut {point}: {}", booted_after_a_cut(&rig, &ran, &img, &NAND_BAD_IN_B));
    }
}

/// Flash that outlives a power cut of the VM: the slots on block2mtd over
/// the rig's disks (`rig.flash=disk`; no bad blocks), the environment on a
/// disk of its own. QEMU is killed (`kill -9`) at points of an upload, and
/// the VM boots again.
#[test]
#[ignore = "needs the ARM rig: bash cross/vm/test.sh"]
fn power_cuts_of_the_vm_during_an_upload_leave_the_old_or_the_new_firmware_booting() {
    let rig = Rig::get();
    boot_again(&rig, &["rig.flash=disk"]);
    let payload: Vec<u8> = (0..2_000_000u32).map(|i| (i.wrapping_mul(69069) >> 9) as u8).collect();
    let img = signed("5.0.0", &payload);
    for (point, sent) in cut_points(img.len()) {
        let ran = rig.env("boot_slot");
        let s = upload_part(&rig, &img, sent);
        boot_again(&rig, &["rig.flash=disk"]);
        drop(s);
        println!("power cut of the VM {point}: {}", booted_after_a_cut(&rig, &ran, &img, &[]));
    }
    // The whole upload, answered, then the power goes before the reboot it announced.
    let ran = rig.env("boot_slot");
    let r = post(rig.http, "/cgi-bin/OnvifFirmwareUpgrade", ADMIN, &signed("5.0.1", &payload));
    assert_eq!(r.status, 200, "{}", r.text());
    boot_again(&rig, &["rig.flash=disk"]);
    let img = signed("5.0.1", &payload);
    println!("power cut of the VM right after the upload's answer: {}", booted_after_a_cut(&rig, &ran, &img, &[]));
    boot_again(&rig, &[]);
}

/// The settings are on the rig's disk (ext4 in a file on the host): QEMU is
/// killed (`kill -9`) in the middle of a stream of settings writes, and the
/// VM boots again from the same disk.
#[test]
#[ignore = "needs the ARM rig: bash cross/vm/test.sh"]
fn power_cuts_while_settings_are_written_leave_each_file_old_or_new() {
    let rig = Rig::get();
    for (cut, delay) in [("early", 150u64), ("later", 700), ("latest", 1400)] {
        let uid = rig.uid();
        let before = rig.get_cgi(&format!("/cgi-bin/osd?uid={uid}")).attr("title_utf8").unwrap_or_default();
        let http = rig.http;
        let sent = std::sync::Arc::new(std::sync::Mutex::new(Vec::<(String, bool)>::new()));
        let log = sent.clone();
        let writer = std::thread::spawn(move || {
            for n in 0..200 {
                let title = format!("{cut}-{n}");
                log.lock().unwrap().push((title.clone(), false));
                let Ok(mut s) = TcpStream::connect(("127.0.0.1", http)) else { return };
                let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
                let _ = write!(s, "GET /cgi-bin/osd?title_utf8={title}&uid={uid} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
                let mut answer = String::new();
                let _ = s.read_to_string(&mut answer);
                if !answer.contains(&format!("title_utf8=\"{title}\"")) {
                    return;
                }
                if let Some(last) = log.lock().unwrap().last_mut() {
                    last.1 = true;
                }
            }
        });
        std::thread::sleep(Duration::from_millis(delay));
        boot_again(&rig, &[]);
        writer.join().unwrap();
        let title = rig.get_cgi(&format!("/cgi-bin/osd?uid={}", rig.uid())).attr("title_utf8").unwrap_or_default();
        let sent = sent.lock().unwrap().clone();
        // Before any write is acknowledged, the title from before the stream is the last one.
        let acknowledged = sent.iter().rev().find(|(_, ok)| *ok).map(|(t, _)| t.clone()).or(Some(before));
        let in_flight = sent.last().filter(|(_, ok)| !ok).map(|(t, _)| t.clone());
        let console = std::fs::read_to_string(rig.dir.join("console.log")).unwrap_or_default();
        assert!(!console.contains("unusable"), "no settings file was torn: {console}");
        let outcome = if Some(&title) == acknowledged.as_ref() {
            "the last one acknowledged"
        } else if Some(&title) == in_flight.as_ref() {
            "the one being written"
        } else {
            panic!("osd.xml holds {title:?}: neither the last acknowledged ({acknowledged:?}) nor the one in flight ({in_flight:?})")
        };
        println!("power cut of the VM {delay} ms into {} settings writes: osd.xml holds {title:?}, {outcome}", sent.len());
    }
}

/// Cuts the VM's power and boots it again, with more kernel parameters.
fn boot_again(rig: &Rig, parameters: &[&str]) {
    let pid = std::fs::read_to_string(rig.dir.join("qemu.pid")).unwrap();
    std::process::Command::new("kill").args(["-9", pid.trim()]).status().unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let boot = std::process::Command::new("bash")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/cross/vm/boot.sh"))
        .args([rig.dir.as_os_str(), rig.http.to_string().as_ref(), rig.shell.to_string().as_ref()])
        .args(parameters)
        .output()
        .unwrap();
    assert!(boot.status.success(), "{}", String::from_utf8_lossy(&boot.stderr));
    rig.wait_for_camcgi();
}

/// A block that goes bad under the upgrade (nandsim's weak block 80, in
/// slot B, fails its first erase): the upgrade fails cleanly and the slot
/// that ran still boots.
#[test]
#[ignore = "needs the ARM rig: bash cross/vm/test.sh"]
fn a_block_that_fails_its_erase_fails_the_upgrade_cleanly_and_the_old_slot_boots() {
    let rig = Rig::get();
    boot_again(&rig, &["rig.nandsim=weakblocks=80:0"]);
    assert_eq!(rig.env("boot_slot"), "A", "a new NAND boots slot A");
    let img = signed("4.0.0", &vec![0x5a; 1_500_000]);
    let r = post(rig.http, "/cgi-bin/OnvifFirmwareUpgrade", ADMIN, &img);
    assert_eq!(r.status, 500, "{}", r.text());
    assert!(r.text().contains("<reason>device error: flash "), "{}", r.text());
    assert_eq!((rig.env("boot_slot"), rig.env("boot_confirmed"), rig.env("upgrade_available")), ("A".into(), "A".into(), "0".into()));
    rig.restart_camcgi();
    assert_eq!(rig.env("boot_slot"), "A", "slot A still boots");
    println!("a block gone bad in the upgrade's way: {}; slot A boots", r.text().lines().last().unwrap_or_default());
    boot_again(&rig, &[]);
}

#[test]
#[ignore = "needs the ARM rig: bash cross/vm/test.sh"]
fn https_is_served_with_a_certificate_made_and_kept_on_the_camera() {
    let rig = Rig::get();
    let https = env_port("CAMCGI_VM_HTTPS");
    let curl = |args: &[&str]| {
        let out = output(std::process::Command::new("curl").args(["-sS", "--max-time", "30"]).args(args)).unwrap();
        assert!(out.status.success(), "curl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let uid = rig.uid();
    let ca = rig.dir.join("camera.pem");
    std::fs::write(&ca, rig.get_cgi(&format!("/cgi-bin/https?uid={uid}&action=certificate")).text()).unwrap();
    let fingerprint = rig.get_cgi(&format!("/cgi-bin/https?uid={uid}")).attr("fingerprint").unwrap();
    // The camera's own name is in its certificate (localhost, and 127.0.0.1).
    let started = Instant::now();
    let text =
        curl(&["--cacert", ca.to_str().unwrap(), &format!("https://localhost:{https}/cgi-bin/getuid?username=admin&password=123456")]);
    say(&format!("rig: a full TLS 1.3 handshake and a login over HTTPS in {:?}", started.elapsed()));
    assert!(text.contains("<uid>"), "{text}");
    let stored = rig.sh("cat /data/https.pem");
    assert!(stored.contains("CAMCGI SEALED GENERATED KEY") && !stored.contains("PRIVATE KEY"), "{stored}");
    // Kept across a restart: the same certificate.
    rig.restart_camcgi();
    let uid = rig.uid();
    assert_eq!(rig.get_cgi(&format!("/cgi-bin/https?uid={uid}")).attr("fingerprint"), Some(fingerprint));
    let text = curl(&["--cacert", ca.to_str().unwrap(), &format!("https://127.0.0.1:{https}/cgi-bin/getinfo?uid={uid}")]);
    assert!(text.contains("<info "), "{text}");
}
