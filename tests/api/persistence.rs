//! Settings across restarts, power cuts (kill -9), corrupt files, and the binary itself.

use crate::common::*;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

#[test]
fn settings_and_accounts_survive_a_restart() {
    let dir = Arc::new(TempDir::new());
    let mut cam = Cam::start_in(dir.clone());
    let uid = cam.admin();
    assert_ok(cam.get(&format!("/cgi-bin/image?brightness=7&uid={uid}")), "image");
    assert_ok(cam.get(&format!("/cgi-bin/videoencoder/stream2?encode_mode=H264&resolution=VGA&uid={uid}")), "videoencoder");
    assert_ok(cam.get(&format!("/cgi-bin/osd?title_utf8=%E4%BD%A0%E5%A5%BD&uid={uid}")), "osd");
    assert_ok(cam.get(&format!("/cgi-bin/time?timezone=GMT-03:30&uid={uid}")), "time");
    assert_ok(cam.get(&format!("/cgi-bin/audioencoder?encode_type=AAC&samplerate=16000&bitrate=16000&uid={uid}")), "audioencoder");
    assert_ok(cam.get(&format!("/cgi-bin/motion?sensitivity=33&uid={uid}")), "motion");
    assert_ok(cam.get(&format!("/cgi-bin/ptz_ctrl?add_preset=9&uid={uid}")), "ptz_ctrl");
    assert_ok(cam.get(&format!("/cgi-bin/network?dns2=1.0.0.1&uid={uid}")), "network");
    assert_ok(cam.get(&format!("/cgi-bin/user_management?action=edit&name=admin&newpasswd=n3w&uid={uid}")), "user_management");
    cam.stop();
    drop(cam);

    let cam = Cam::start_in(dir);
    let uid = cam.login("admin", "n3w");
    let q = |p: &str| cam.get(&format!("/cgi-bin/{p}?uid={uid}"));
    assert_eq!(q("image").attr("brightness").as_deref(), Some("7"));
    assert!(q("videoencoder").text().contains("<stream2 encode_mode=\"H264\" resolution=\"VGA\""));
    assert_eq!(q("osd").attr("title_utf8").as_deref(), Some("你好"));
    assert_eq!(q("time").attr("timezone").as_deref(), Some("GMT-03:30"));
    assert_eq!(q("audioencoder").attr("encode_type").as_deref(), Some("AAC"));
    assert_eq!(q("motion").attr("sensitivity").as_deref(), Some("33"));
    assert_eq!(q("network").attr("dns2").as_deref(), Some("1.0.0.1"));
    assert_ok(cam.get(&format!("/cgi-bin/ptz_ctrl?call_preset=9&uid={uid}")), "ptz_ctrl");
    // What was stored reached the hardware at start.
    assert_eq!(cam.mock.image_value(camcgi_hal::ImageControl::Brightness), 7);
}

#[test]
fn corrupt_or_unreadable_files_are_set_aside_and_replaced_by_defaults() {
    let dir = Arc::new(TempDir::new());
    let files = ["image.xml", "video.xml", "audio.xml", "osd.xml", "motion.xml", "time.xml", "network.xml", "ptz.xml"];
    for (i, f) in files.iter().enumerate() {
        let garbage: &[u8] = match i % 3 {
            0 => b"\x00\xff not xml at all",
            1 => b"<image><brightness>999</brightness>",
            _ => b"",
        };
        std::fs::write(dir.0.join(f), garbage).unwrap();
    }
    // An out-of-range but well-formed file is also refused.
    std::fs::write(
        dir.0.join("image.xml"),
        "<image><brightness>999</brightness><contrast>1</contrast><saturation>1</saturation><sharpness>1</sharpness></image>",
    )
    .unwrap();
    // A directory where a file should be cannot be read.
    std::fs::create_dir(dir.0.join("ptz.xml")).unwrap_or_else(|_| {
        std::fs::remove_file(dir.0.join("ptz.xml")).unwrap();
        std::fs::create_dir(dir.0.join("ptz.xml")).unwrap();
    });
    std::fs::write(dir.0.join("ptz.xml").join("x"), "x").unwrap();
    let cam = Cam::start_in(dir.clone());
    let uid = cam.admin();
    assert_eq!(cam.get(&format!("/cgi-bin/image?uid={uid}")).attr("brightness").as_deref(), Some("128"));
    assert_ok(cam.get(&format!("/cgi-bin/videoencoder?uid={uid}")), "videoencoder");
    assert_ok(cam.get(&format!("/cgi-bin/motion?uid={uid}")), "motion");
    for f in files {
        assert!(dir.0.join(format!("{f}.corrupt")).exists(), "{f} set aside");
    }
    // New settings are written normally afterwards.
    assert_ok(cam.get(&format!("/cgi-bin/image?brightness=3&uid={uid}")), "image");
    assert!(std::fs::read_to_string(dir.0.join("image.xml")).unwrap().contains("<brightness>3</brightness>"));
}

/// An accounts file with no enabled Administrator is unusable: with no copy,
/// the camera stays closed (issue 23 point 4) rather than start from the
/// published default.
#[test]
fn an_accounts_file_without_an_enabled_administrator_is_refused() {
    let dir = Arc::new(TempDir::new());
    let digest = camcgi::state::accounts::digest("bob", "pw");
    std::fs::write(
        dir.0.join("accounts.xml"),
        format!("<accounts><user name=\"bob\" privilege=\"User\" enable=\"true\" digest=\"{digest}\"/></accounts>"),
    )
    .unwrap();
    let cam = Cam::start_in(dir);
    assert_fault(&cam.get("/cgi-bin/getuid?username=admin&password=123456"), 400, "/cgi-bin/getuid", "password error");
    assert_fault(&cam.get("/cgi-bin/getuid?username=bob&password=pw"), 400, "/cgi-bin/getuid", "password error");
}

#[test]
fn a_failed_write_changes_nothing() {
    let cam = Cam::start();
    let uid = cam.admin();
    // A directory in the file's place makes the atomic write's rename fail.
    std::fs::create_dir(cam.data_dir().join("image.xml")).unwrap();
    let r = cam.get(&format!("/cgi-bin/image?brightness=1&uid={uid}"));
    assert_eq!(r.status, 500);
    assert!(r.element("reason").unwrap().starts_with("device error: settings storage"), "{}", r.text());
    assert_eq!(cam.mock.image_value(camcgi_hal::ImageControl::Brightness), 128, "hardware rolled back");
    assert_eq!(cam.get(&format!("/cgi-bin/image?uid={uid}")).attr("brightness").as_deref(), Some("128"));
}

#[test]
fn kill_9_during_writes_leaves_the_old_or_the_new_state() {
    let dir = TempDir::new();
    for round in 0..3 {
        let cam = Process::start(&dir.0, &[]);
        let uid = cam.uid("123456");
        let stop = Arc::new(AtomicBool::new(false));
        let writers: Vec<_> = (0..2)
            .map(|w| {
                let (stop, uid, port) = (stop.clone(), uid.clone(), cam.port);
                std::thread::spawn(move || {
                    let mut i = 0u32;
                    while !stop.load(Ordering::SeqCst) {
                        i += 1;
                        let q = if w == 0 {
                            format!("/cgi-bin/image?brightness={}&uid={uid}", i % 200 + 1)
                        } else {
                            format!("/cgi-bin/osd?title_utf8=round{round}-{i}&uid={uid}")
                        };
                        // The connection may die with the process.
                        if std::panic::catch_unwind(|| request(port, "GET", &q, "")).is_err() {
                            break;
                        }
                    }
                })
            })
            .collect();
        std::thread::sleep(Duration::from_millis(300 + 150 * round));
        let mut cam = cam;
        cam.child.kill().unwrap();
        cam.child.wait().unwrap();
        stop.store(true, Ordering::SeqCst);
        for w in writers {
            let _ = w.join();
        }
        let mut again = Process::start(&dir.0, &[]);
        let uid = again.uid("123456");
        let b: u32 = again.get(&format!("/cgi-bin/image?uid={uid}")).attr("brightness").unwrap().parse().unwrap();
        assert!((1..=200).contains(&b) || b == 128, "{b}");
        let title = again.get(&format!("/cgi-bin/osd?uid={uid}")).attr("title_utf8").unwrap();
        assert!(title == "IPCamera" || title.starts_with("round"), "{title}");
        let logged = again.logged().join("\n");
        assert!(!logged.contains("unusable"), "a file was torn: {logged}");
        let entries: Vec<_> = std::fs::read_dir(&dir.0).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert!(!entries.iter().any(|n| n.to_string_lossy().ends_with(".corrupt")), "{entries:?}");
    }
}

#[test]
fn sigterm_stops_cleanly_and_secrets_never_reach_the_log() {
    let dir = TempDir::new();
    let mut cam = Process::start(&dir.0, &["--log-level", "debug"]);
    let uid = cam.uid("123456");
    cam.get(&format!("/cgi-bin/user_management?action=edit&name=admin&newpasswd=Sup3rSecret&uid={uid}"));
    cam.get("/cgi-bin/getuid?username=admin&password=Sup3rSecret");
    cam.get("/cgi/auth.cgi?act=auth&data=<root><encrypt>0123abcdSECRETDIGEST</encrypt></root>");
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(cam.child.id() as i32), nix::sys::signal::Signal::SIGTERM).unwrap();
    let status = cam.child.wait().unwrap();
    assert!(status.success(), "{status}");
    let log = cam.logged().join("\n");
    assert!(log.contains("SIGTERM: stopping") && log.contains("stopped"), "{log}");
    assert!(log.contains("user_management?action=edit&name=admin&newpasswd=***"), "{log}");
    for secret in ["Sup3rSecret", "123456", "SECRETDIGEST", uid.as_str()] {
        assert!(!log.contains(secret), "{secret} logged: {log}");
    }
    assert!(log.contains("initial password"), "the default password is warned about: {log}");
}

#[test]
fn bad_command_lines_are_refused_with_usage() {
    let out = output(camcgi_command().args(["--board", "nonesuch", "--data-dir"]).arg(std::env::temp_dir())).unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = output(camcgi_command().args(["--listen", "nowhere"])).unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("usage: camcgi"));
}

#[test]
fn kill_9_during_an_upload_leaves_the_running_slot_and_selection_untouched() {
    let dir = TempDir::new();
    let fw = dir.0.join("firmware");
    std::fs::create_dir_all(&fw).unwrap();
    // A factory image in slot A, running and confirmed.
    let factory: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(fw.join("slot-a.bin"), &factory).unwrap();
    std::fs::write(fw.join("boot.state"), "confirmed=A selected=A tries=0\n").unwrap();
    let img = crate::firmware::image(camcgi_hal::mock::MOCK_BOARD_ID, "3.0.0", &vec![0x5a; 2_000_000], None);
    let cam = Process::start(&dir.0, &[]);
    let mut s = std::net::TcpStream::connect(("127.0.0.1", cam.port)).unwrap();
    use std::io::Write;
    write!(s, "POST /cgi-bin/OnvifFirmwareUpgrade HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Basic YWRtaW46MTIzNDU2\r\nContent-Length: {}\r\n\r\n", img.len()).unwrap();
    s.write_all(&img[..1_000_000]).unwrap();
    let uid = cam.uid("123456");
    let receiving = || {
        let st = cam.get(&format!("/cgi-bin/upgrade_status?uid={uid}"));
        st.attr("state").as_deref() == Some("receiving") && st.attr("received").unwrap().parse::<u64>().unwrap() > 500_000
    };
    for _ in 0..500 {
        if receiving() {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(receiving(), "the upload is under way");
    let mut cam = cam;
    cam.child.kill().unwrap();
    cam.child.wait().unwrap();
    assert_eq!(std::fs::read_to_string(fw.join("boot.state")).unwrap(), "confirmed=A selected=A tries=0\n");
    assert_eq!(std::fs::read(fw.join("slot-a.bin")).unwrap(), factory);
    // Power on again: slot A boots, unchanged, and the camera serves.
    let again = Process::start(&dir.0, &[]);
    again.uid("123456");
    assert_eq!(std::fs::read_to_string(fw.join("boot.state")).unwrap(), "confirmed=A selected=A tries=0\n");
    assert_eq!(std::fs::read(fw.join("slot-a.bin")).unwrap(), factory);
}

#[test]
fn the_mock_boards_sd_card_is_a_directory_of_the_data_dir() {
    let dir = TempDir::new();
    let cam = Process::start(&dir.0, &[]);
    let r = cam.get("/cgi-bin/snapshot.cgi?stream=0&upload=0&username=admin&password=123456");
    assert_eq!(r.element("upload").as_deref(), Some("OK"), "{}", r.text());
    let files: Vec<_> = std::fs::read_dir(dir.0.join("sd")).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(files.len(), 1);
    assert_eq!(std::fs::read(&files[0]).unwrap(), cam.get("/cgi-bin/snapshot.cgi?stream=0&username=admin&password=123456").body);
    let r = cam.get("/cgi-bin/snapshot.cgi?upload=3&username=admin&password=123456");
    assert_eq!(r.element("reason").as_deref(), Some("NFS Server not mounted"));
    std::fs::create_dir(dir.0.join("nfs")).unwrap();
    let r = cam.get("/cgi-bin/snapshot.cgi?upload=3&username=admin&password=123456");
    assert_eq!(r.element("upload").as_deref(), Some("OK"));
    std::fs::remove_dir_all(dir.0.join("sd")).unwrap();
    let r = cam.get("/cgi-bin/snapshot.cgi?upload=0&username=admin&password=123456");
    assert_eq!(r.element("reason").as_deref(), Some("sd card not mounted"));
}

/// camcgi once started itself again with glibc's tunables set, which needed
/// /proc and leaked the variable into every command it ran.
#[test]
fn the_binary_runs_as_started_and_leaves_its_environment_alone() {
    if emulated() {
        return;
    }
    let dir = TempDir::new();
    let mut command = camcgi_command();
    command.env_remove("GLIBC_TUNABLES");
    let cam = Process::start_command(command, &dir.0, &[]);
    let environ = std::fs::read(format!("/proc/{}/environ", cam.child.id())).unwrap();
    assert!(!environ.split(|b| *b == 0).any(|v| v.starts_with(b"GLIBC_TUNABLES=")));
    assert_eq!(cam.get("/cgi-bin/getuid?username=admin&password=123456").status, 200);
}
