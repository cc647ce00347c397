//! getinfo, getcapabilities, getmodel, reboot, factory_reset, and privileges.

use crate::common::*;
use camcgi_hal::mock::{Call, Device};
use camcgi_hal::ErrorKind;
use camcgi_hal::ImageControl;

#[test]
fn info_capabilities_and_model() {
    let cam = Cam::start();
    let uid = cam.user_with("viewer", "User");
    let r = assert_ok(cam.get(&format!("/cgi-bin/getinfo?uid={uid}")), "info");
    assert_eq!(r.attr("kernel").as_deref(), Some("4.9.37-mock"));
    assert_eq!(r.attr("sn").as_deref(), Some("MOCK0000000001"));
    assert!(r.attr("filesystem").unwrap().starts_with("camcgi-mock-"));
    let r = cam.get(&format!("/cgi-bin/getcapabilities?uid={uid}"));
    assert_eq!(r.text(), "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<capabilities video=\"1\" audio=\"1\" ptz=\"1\"/>\n");
    cam.mock.set_ptz_present(false);
    let r = cam.get(&format!("/cgi-bin/getcapabilities?uid={uid}"));
    assert_eq!(r.attr("ptz").as_deref(), Some("0"));
    let r = cam.get(&format!("/cgi-bin/getmodel?uid={uid}"));
    assert_eq!(r.text(), "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<model>MC200J6</model>\n");
    assert_fault(&cam.get(&format!("/cgi-bin/getmodel?x=1&uid={uid}")), 400, "/cgi-bin/getmodel", "x: unknown parameter");
}

#[test]
fn device_failures_on_reads_are_500_faults() {
    let cam = Cam::start();
    let uid = cam.admin();
    cam.mock.fail_next(Device::System, ErrorKind::Io);
    assert_fault(
        &cam.get(&format!("/cgi-bin/getinfo?uid={uid}")),
        500,
        "/cgi-bin/getinfo",
        "device error: system i/o failure (mock system info failed)",
    );
    cam.mock.fail_next(Device::System, ErrorKind::Timeout);
    assert_fault(
        &cam.get(&format!("/cgi-bin/getmodel?uid={uid}")),
        500,
        "/cgi-bin/getmodel",
        "device error: system timeout (mock model failed)",
    );
    cam.mock.fail_next(Device::Network, ErrorKind::Io);
    assert_fault(
        &cam.get(&format!("/cgi-bin/network?uid={uid}")),
        500,
        "/cgi-bin/network",
        "device error: network i/o failure (mock mac address failed)",
    );
    cam.mock.fail_next(Device::Clock, ErrorKind::Io);
    assert_fault(
        &cam.get(&format!("/cgi-bin/time?uid={uid}")),
        500,
        "/cgi-bin/time",
        "device error: clock i/o failure (mock clock read failed)",
    );
    cam.mock.fail_next(Device::Video, ErrorKind::Busy);
    assert_fault(
        &cam.get(&format!("/cgi-bin/snapshot.cgi?uid={uid}")),
        500,
        "/cgi-bin/snapshot",
        "device error: video encoder busy (mock snapshot failed)",
    );
    assert_ok(cam.get(&format!("/cgi-bin/getinfo?uid={uid}")), "info");
}

#[test]
fn reboot_answers_first_then_acts() {
    let cam = Cam::start();
    let user = cam.user_with("viewer", "User");
    assert_fault(&cam.get(&format!("/cgi-bin/reboot?uid={user}")), 400, "/cgi-bin/reboot", "permission denied");
    let uid = cam.user_with("op", "Operator");
    let r = cam.get(&format!("/cgi-bin/reboot?uid={uid}"));
    assert_eq!(r.text(), "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<reboot>true</reboot>\n");
    cam.eventually("the reboot reaches the board", || cam.mock.reboots() == 1);
    // The mock keeps serving after its recorded reboot.
    assert_ok(cam.get(&format!("/cgi-bin/keep_alive?uid={uid}")), "keep_alive");
}

#[test]
fn factory_reset_restores_settings_and_accounts() {
    let cam = Cam::start();
    let uid = cam.admin();
    assert_ok(cam.get(&format!("/cgi-bin/image?brightness=10&uid={uid}")), "image");
    assert_ok(cam.get(&format!("/cgi-bin/network?dns1=1.1.1.1&uid={uid}")), "network");
    cam.user_with("extra", "User");
    let uid = cam.admin();
    let r = cam.get(&format!("/cgi-bin/factory_reset?uid={uid}"));
    assert_eq!(r.text(), "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<factory_reset>true</factory_reset>\n");
    cam.eventually("defaults reach the board", || cam.mock.calls().contains(&Call::FactoryDefaults));
    assert_eq!(cam.mock.image_value(ImageControl::Brightness), 128);
    // Sessions ended; default accounts only.
    assert_fault(&cam.get(&format!("/cgi-bin/keep_alive?uid={uid}")), 400, "/cgi-bin/keep_alive", "uid error");
    assert_fault(&cam.get("/cgi-bin/getuid?username=extra&password=pwextra"), 400, "/cgi-bin/getuid", "password error");
    let uid = cam.admin();
    assert_eq!(cam.get(&format!("/cgi-bin/image?uid={uid}")).attr("brightness").as_deref(), Some("128"));
    assert_eq!(cam.get(&format!("/cgi-bin/network?uid={uid}")).attr("dns1").as_deref(), Some("114.114.114.114"));
}

#[test]
fn factory_reset_can_keep_the_network() {
    let cam = Cam::start();
    let uid = cam.admin();
    assert_ok(cam.get(&format!("/cgi-bin/network?dns1=1.1.1.1&uid={uid}")), "network");
    assert_ok(cam.get(&format!("/cgi-bin/image?contrast=5&uid={uid}")), "image");
    assert_ok(cam.get(&format!("/cgi-bin/factory_reset?retain_network=1&uid={uid}")), "factory_reset");
    cam.eventually("defaults reach the board", || cam.mock.calls().contains(&Call::FactoryDefaults));
    let uid = cam.admin();
    assert_eq!(cam.get(&format!("/cgi-bin/network?uid={uid}")).attr("dns1").as_deref(), Some("1.1.1.1"));
    assert_eq!(cam.get(&format!("/cgi-bin/image?uid={uid}")).attr("contrast").as_deref(), Some("128"));
}

#[test]
fn factory_reset_faults() {
    let cam = Cam::start();
    let uid = cam.admin();
    let path = "/cgi-bin/factory_reset";
    assert_fault(&cam.get(&format!("{path}?retain_network=2&uid={uid}")), 400, path, "retain_network 0 or 1");
    assert_fault(&cam.get(&format!("{path}?retain_network=&uid={uid}")), 400, path, "retain_network: NULL");
    assert!(!cam.mock.calls().contains(&Call::FactoryDefaults));
}

/// Every interface, as a query and as a set, with what each role may do.
#[test]
fn privileges_follow_the_table() {
    let cam = Cam::start();
    let user = cam.user_with("viewer", "User");
    let operator = cam.user_with("op", "Operator");
    let queries = [
        "/cgi-bin/getinfo?",
        "/cgi-bin/getcapabilities?",
        "/cgi-bin/getmodel?",
        "/cgi-bin/network?",
        "/cgi-bin/time?",
        "/cgi-bin/videoencoder/getcapabilities?",
        "/cgi-bin/videoencoder?",
        "/cgi-bin/videoencoder/stream1?",
        "/cgi-bin/audioencoder/getcapabilities?",
        "/cgi-bin/audioencoder?",
        "/cgi-bin/osd?",
        "/cgi-bin/image?",
        "/cgi-bin/motion?",
        "/cgi-bin/keep_alive?",
    ];
    for q in queries {
        for uid in [&user, &operator] {
            let r = cam.get(&format!("{q}uid={uid}"));
            assert_eq!(r.status, 200, "{q}: {}", r.text());
        }
    }
    let sets = [
        ("/cgi-bin/network", "dns2=8.8.4.4"),
        ("/cgi-bin/time", "timezone=GMT+01:00"),
        ("/cgi-bin/videoencoder/stream2", "framerate=20"),
        ("/cgi-bin/audioencoder", "input_volume=50"),
        ("/cgi-bin/osd", "color=2"),
        ("/cgi-bin/image", "sharpness=90"),
        ("/cgi-bin/motion", "sensitivity=50"),
        ("/cgi-bin/ptz_ctrl", "stop=1"),
        ("/cgi-bin/reboot", ""),
    ];
    for (path, set) in sets {
        assert_fault(&cam.get(&format!("{path}?{set}&uid={user}")), 400, path, "permission denied");
        let r = cam.get(&format!("{path}?{set}&uid={operator}"));
        assert_eq!(r.status, 200, "{path}: {}", r.text());
    }
    for uid in [&user, &operator] {
        let path = "/cgi-bin/user_management";
        for q in ["action=get_user", "action=add&name=x&newpasswd=y&privilege=User&enable=Enable"] {
            assert_fault(&cam.get(&format!("{path}?{q}&uid={uid}")), 400, path, "Non-administrators cannot edit users");
        }
        let path = "/cgi-bin/factory_reset";
        assert_fault(&cam.get(&format!("{path}?uid={uid}")), 400, path, "permission denied");
    }
    assert!(!cam.mock.calls().contains(&Call::FactoryDefaults));
}
