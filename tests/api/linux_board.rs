//! camcgi on the Linux board, configured by TOML, against a pseudo-terminal and temp files.

use crate::common::*;
use camcgi::Config;
use camcgi_hal::ManualMonotonic;
use std::fs;
use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::sync::Arc;
use std::time::Duration;

struct Rig {
    dir: TempDir,
    master: fs::File,
    running: Option<camcgi::Running>,
    clock: ManualMonotonic,
}

impl Rig {
    fn start() -> Rig {
        let dir = TempDir::new();
        let d = &dir.0;
        let pty = nix::pty::openpty(None, None).unwrap();
        let slave = nix::unistd::ttyname(&pty.slave).unwrap();
        fs::write(d.join("serial"), "SN-ACME-0042\n").unwrap();
        fs::write(d.join("version"), "acme-fs 2.3\n").unwrap();
        fs::write(d.join("model"), "ACME-T1\n").unwrap();
        fs::write(d.join("video0"), "").unwrap();
        fs::create_dir_all(d.join("net/eth0")).unwrap();
        fs::write(d.join("net/eth0/address"), "02:00:5e:10:20:30\n").unwrap();
        fs::create_dir_all(d.join("sd")).unwrap();
        fs::write(d.join("mounts"), format!("/dev/mmcblk0p1 {} vfat rw 0 0\n", d.join("sd").display())).unwrap();
        let snap = d.join("snap.sh");
        fs::write(&snap, "#!/bin/sh\nprintf '\\377\\330camcgi-%s\\377\\331' \"$1\"\n").unwrap();
        fs::set_permissions(&snap, fs::Permissions::from_mode(0o755)).unwrap();
        let config = format!(
            r#"
board_id = "acme-test"
[system]
serial_file = "{d}/serial"
firmware_version_file = "{d}/version"
model_file = "{d}/model"
[ptz]
port = "{slave}"
baud = 2400
address = 3
[image]
device = "{d}/video0"
[network]
interface = "eth0"
resolv_conf = "{d}/resolv.conf"
control_file = "{d}/network.conf"
sys_class_net = "{d}/net"
[clock]
control_file = "{d}/time.conf"
[video]
control_file = "{d}/video.conf"
snapshot_command = ["{snap}"]
[[video.stream1]]
mode = "H264"
resolutions = [{{ name = "1080P", framerate = [1, 30], bitrate = [500, 6000] }}]
[[video.stream2]]
mode = "H264"
resolutions = [{{ name = "VGA", framerate = [1, 30], bitrate = [50, 2000] }}]
[osd]
control_file = "{d}/osd.conf"
[motion]
rows = 4
cols = 4
control_file = "{d}/motion.conf"
[storage]
sd_mount = "{d}/sd"
nfs_mount = "{d}/nfs"
mounts_file = "{d}/mounts"
[firmware]
slot_dir = "{d}/slots"
slot_size = 1048576
uboot_env_file = "{d}/uboot.env"
"#,
            d = d.display(),
            slave = slave.display(),
            snap = snap.display()
        );
        fs::write(d.join("board.toml"), config).unwrap();
        let board_config = camcgi_board_linux::config::load(&d.join("board.toml")).unwrap();
        let board = camcgi_board_linux::board(&board_config).unwrap();
        let clock = ManualMonotonic::new();
        let mut cfg = Config::new("127.0.0.1:0".parse().unwrap(), d.join("data"));
        cfg.tick = Duration::from_millis(20);
        cfg.timeout = Some(TIMEOUT);
        let running = camcgi::start(&cfg, board, Arc::new(clock.clone())).unwrap();
        Rig { master: fs::File::from(pty.master), dir, running: Some(running), clock }
    }

    fn get(&self, target: &str) -> Resp {
        request(self.running.as_ref().unwrap().port(), "GET", target, "")
    }

    fn frame(&mut self) -> [u8; 7] {
        let mut f = [0u8; 7];
        self.master.read_exact(&mut f).unwrap();
        f
    }

    fn file(&self, name: &str) -> String {
        fs::read_to_string(self.dir.0.join(name)).unwrap_or_default()
    }
}

impl Drop for Rig {
    fn drop(&mut self) {
        if let Some(r) = self.running.take() {
            r.stop();
        }
    }
}

#[test]
fn pelco_d_frames_reach_the_wire_and_the_watchdog_stops_the_head() {
    let mut rig = Rig::start();
    let uid = rig.get("/cgi-bin/getuid?username=admin&password=123456").element("uid").unwrap();
    assert_ok(rig.get(&format!("/cgi-bin/ptz_ctrl?move_x=1&move_y=1&speed=10&uid={uid}")), "ptz_ctrl");
    // Address 3, up and right at full speed.
    assert_eq!(rig.frame(), [0xff, 0x03, 0x00, 0x0a, 0x3f, 0x3f, 0x8b]);
    assert_ok(rig.get(&format!("/cgi-bin/ptz_ctrl?add_preset=9&uid={uid}")), "ptz_ctrl");
    assert_eq!(rig.frame(), [0xff, 0x03, 0x00, 0x03, 0x00, 0x09, 0x0f]);
    rig.clock.advance(Duration::from_secs(60));
    // The watchdog's stop frame, with no HTTP request at all.
    assert_eq!(rig.frame(), [0xff, 0x03, 0x00, 0x00, 0x00, 0x00, 0x03]);
    let uid = rig.get("/cgi-bin/getuid?username=admin&password=123456").element("uid").unwrap();
    assert_ok(rig.get(&format!("/cgi-bin/ptz_ctrl?call_preset=9&uid={uid}")), "ptz_ctrl");
    assert_eq!(rig.frame(), [0xff, 0x03, 0x00, 0x07, 0x00, 0x09, 0x13]);
}

#[test]
fn the_other_parts_reach_files_commands_and_mounts() {
    let rig = Rig::start();
    let uid = rig.get("/cgi-bin/getuid?username=admin&password=123456").element("uid").unwrap();
    let q = |p: &str| rig.get(&format!("/cgi-bin/{p}&uid={uid}"));
    let info = assert_ok(q("getinfo?"), "info");
    assert_eq!(info.attr("sn").as_deref(), Some("SN-ACME-0042"));
    assert_eq!(info.attr("filesystem").as_deref(), Some("acme-fs 2.3"));
    assert!(!info.attr("kernel").unwrap().is_empty());
    assert_eq!(q("getmodel?").element("model").as_deref(), Some("ACME-T1"));
    assert_eq!(q("getcapabilities?").attr("audio").as_deref(), Some("0"));
    assert_eq!(q("network?").attr("macaddr").as_deref(), Some("02-00-5E-10-20-30"));
    assert_ok(q("network?dns1=9.9.9.9&dns2=1.1.1.1"), "network");
    assert_eq!(rig.file("resolv.conf"), "nameserver 9.9.9.9\nnameserver 1.1.1.1\n");
    assert!(rig.file("network.conf").contains("dns1=9.9.9.9\n"));
    assert_ok(q("osd?title_utf8=Gate%201%3B%20%24(reboot)"), "osd");
    assert!(rig.file("osd.conf").contains("title=Gate 1; $(reboot)\n"), "{}", rig.file("osd.conf"));
    assert_fault(&q("osd?title_utf8=a%0Aenable%3D0"), 400, "/cgi-bin/osd", "title_utf8 error");
    assert!(!rig.file("osd.conf").contains("\nenable=0\n"), "a value never forges a key");
    assert_ok(q("motion?areavalue=f00f"), "motion");
    assert!(rig.file("motion.conf").contains("area=f00f\n"));
    assert_ok(q("videoencoder/stream1?bitrate=3000"), "videoencoder");
    assert!(rig.file("video.conf").contains("stream1.bitrate=3000\n"));
    assert_ok(q("time?timezone=GMT+05:30"), "time");
    assert!(rig.file("time.conf").contains("utc_offset_minutes=330\n"));
    let snap = q("snapshot.cgi?stream=1");
    assert_eq!(snap.body, b"\xff\xd8camcgi-stream1\xff\xd9");
    assert_ok(q("snapshot.cgi?stream=0&upload=0"), "upload");
    let stored: Vec<_> = fs::read_dir(rig.dir.0.join("sd")).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(stored.len(), 1);
    assert_eq!(fs::read(&stored[0]).unwrap(), b"\xff\xd8camcgi-stream2\xff\xd9");
    assert_fault(&q("snapshot.cgi?upload=3"), 400, "/cgi-bin/snapshot", "NFS Server not mounted");
}

/// Issue 12, points 4 and 5: the snapshot hand-off command is killed at its
/// deadline or past its output bound, and holds no lock while it runs.
#[test]
fn point4_a_hung_or_flooding_snapshot_command_is_killed_and_holds_no_lock() {
    let rig = Rig::start();
    let uid = rig.get("/cgi-bin/getuid?username=admin&password=123456").element("uid").unwrap();
    let snap = rig.dir.0.join("snap.sh");
    fs::write(&snap, "#!/bin/sh\nsleep 30\n").unwrap();
    let port = rig.running.as_ref().unwrap().port();
    let target = format!("/cgi-bin/snapshot.cgi?stream=1&uid={uid}");
    let started = std::time::Instant::now();
    let hung = std::thread::spawn(move || request(port, "GET", &target, ""));
    std::thread::sleep(Duration::from_millis(500));
    // The video settings answer while the command hangs.
    let query = std::time::Instant::now();
    assert_ok(rig.get(&format!("/cgi-bin/videoencoder?uid={uid}")), "videoencoder");
    assert_ok(rig.get(&format!("/cgi-bin/videoencoder/stream1?bitrate=2000&uid={uid}")), "videoencoder");
    assert!(query.elapsed() < Duration::from_secs(1), "{:?}", query.elapsed());
    let r = hung.join().unwrap();
    assert_eq!(r.status, 500, "{}", r.text());
    assert!(r.element("reason").unwrap().contains("ran past its time limit"), "{}", r.text());
    assert!(started.elapsed() < Duration::from_secs(8), "{:?}", started.elapsed());
    fs::write(&snap, "#!/bin/sh\nprintf '\\377\\330'\nexec cat /dev/zero\n").unwrap();
    let started = std::time::Instant::now();
    let r = rig.get(&format!("/cgi-bin/snapshot.cgi?stream=1&uid={uid}"));
    assert_eq!(r.status, 500, "{}", r.text());
    assert!(r.element("reason").unwrap().contains("printed more than 16777216 bytes"), "{}", r.text());
    assert!(started.elapsed() < Duration::from_secs(8), "{:?}", started.elapsed());
}
