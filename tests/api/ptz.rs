//! ptz_ctrl: commands reaching the motors, presets, faults, the watchdog.

use crate::common::*;
use camcgi_hal::mock::{Call, Device};
use camcgi_hal::{Dir, ErrorKind, LensPart, PtzCommand};
use std::time::Duration;

const PATH: &str = "/cgi-bin/ptz_ctrl";

fn ptz(cam: &Cam, uid: &str, q: &str) -> Resp {
    cam.get(&format!("{PATH}?{q}&uid={uid}"))
}

fn last_ptz(cam: &Cam) -> PtzCommand {
    cam.mock.calls().iter().rev().find_map(|c| if let Call::Ptz(p) = c { Some(*p) } else { None }).unwrap()
}

#[test]
fn every_document_url_reaches_the_motors() {
    let cam = Cam::start();
    let uid = cam.user_with("op", "Operator");
    use Dir::*;
    let moves = [
        ("move_x=-1&move_y=0&speed=5", Negative, Still),
        ("move_x=1&move_y=0&speed=5", Positive, Still),
        ("move_x=0&move_y=1&speed=5", Still, Positive),
        ("move_x=0&move_y=-1&speed=5", Still, Negative),
        ("move_x=-1&move_y=1&speed=5", Negative, Positive),
        ("move_x=-1&move_y=-1&speed=5", Negative, Negative),
        ("move_x=1&move_y=1&speed=5", Positive, Positive),
        ("move_x=1&move_y=-1&speed=5", Positive, Negative),
    ];
    for (q, pan, tilt) in moves {
        let r = ptz(&cam, &uid, q);
        assert_eq!(r.text(), "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ptz_ctrl>true</ptz_ctrl>\n");
        assert_eq!(last_ptz(&cam), PtzCommand::Move { pan, tilt, speed: 5 });
    }
    let lens = [
        ("zoom=1", LensPart::Zoom, Positive),
        ("zoom=-1", LensPart::Zoom, Negative),
        ("focus=1", LensPart::Focus, Positive),
        ("focus=-1", LensPart::Focus, Negative),
        ("iris=1", LensPart::Iris, Positive),
        ("iris=-1", LensPart::Iris, Negative),
    ];
    for (q, part, dir) in lens {
        assert_ok(ptz(&cam, &uid, q), "ptz_ctrl");
        assert_eq!(last_ptz(&cam), PtzCommand::Lens { part, dir, speed: 5 });
    }
    assert_ok(ptz(&cam, &uid, "stop=1"), "ptz_ctrl");
    assert_eq!(last_ptz(&cam), PtzCommand::Stop);
    assert_ok(ptz(&cam, &uid, "move_x=1&speed=10"), "ptz_ctrl");
    assert_eq!(last_ptz(&cam), PtzCommand::Move { pan: Positive, tilt: Still, speed: 10 });
}

#[test]
fn the_head_moves_with_speed_and_time_and_presets_recall_positions() {
    let cam = Cam::start();
    let uid = cam.admin();
    assert_ok(ptz(&cam, &uid, "move_x=1&move_y=0&speed=5"), "ptz_ctrl");
    cam.clock.advance(Duration::from_secs(2));
    assert_ok(ptz(&cam, &uid, "stop=1"), "ptz_ctrl");
    let at = cam.mock.ptz_position();
    assert!((at.pan - 60.0).abs() < 1e-6, "{at:?}");
    assert_ok(ptz(&cam, &uid, "add_preset=1"), "ptz_ctrl");
    assert_ok(ptz(&cam, &uid, "move_x=-1&move_y=1&speed=2"), "ptz_ctrl");
    cam.clock.advance(Duration::from_secs(3));
    assert_ok(ptz(&cam, &uid, "stop=1"), "ptz_ctrl");
    assert_ne!(cam.mock.ptz_position(), at);
    assert_ok(ptz(&cam, &uid, "call_preset=1"), "ptz_ctrl");
    assert_eq!(cam.mock.ptz_position(), at);
    assert_eq!(last_ptz(&cam), PtzCommand::CallPreset(1));
    assert_ok(ptz(&cam, &uid, "delete_preset=1"), "ptz_ctrl");
    assert_eq!(last_ptz(&cam), PtzCommand::ClearPreset(1));
    assert_fault(&ptz(&cam, &uid, "call_preset=1"), 400, PATH, "call_preset: preset not set");
}

#[test]
fn ptz_faults_send_nothing() {
    let cam = Cam::start();
    let uid = cam.admin();
    cam.mock.clear_calls();
    let cases = [
        ("move_x=2", "move_x range: -1,0,1"),
        ("move_x=1&move_y=x", "move_y range: -1,0,1"),
        ("move_x=1&speed=11", "speed range: 1-10"),
        ("move_x=1&speed=0", "speed range: 1-10"),
        ("zoom=0", "zoom range: -1,1"),
        ("focus=2", "focus range: -1,1"),
        ("iris=open", "iris range: -1,1"),
        ("call_preset=0", "call_preset range: 1-255"),
        ("add_preset=256", "add_preset range: 1-255"),
        ("delete_preset=x", "delete_preset range: 1-255"),
        ("stop=0", "stop: 1"),
        ("speed=3", "error, parse parameters"),
        ("stop=1&zoom=1", "zoom: one action per request"),
        ("move_x=1&iris=1", "iris: one action per request"),
        ("call_preset=5", "call_preset: preset not set"),
        ("delete_preset=5", "delete_preset: preset not set"),
        ("move_x=9&zoom=9", "move_x range: -1,0,1"),
    ];
    for (q, reason) in cases {
        assert_fault(&ptz(&cam, &uid, q), 400, PATH, reason);
    }
    assert_fault(&cam.get(&format!("{PATH}?uid={uid}")), 400, PATH, "error, parse parameters");
    assert!(cam.mock.calls().is_empty(), "{:?}", cam.mock.calls());
    cam.mock.fail_next(Device::Ptz, ErrorKind::Io);
    assert_fault(&ptz(&cam, &uid, "zoom=1"), 500, PATH, "device error: ptz i/o failure (mock ptz command failed)");
}

#[test]
fn a_camera_without_ptz_says_so() {
    let cam = Cam::start();
    cam.mock.set_ptz_present(false);
    let uid = cam.admin();
    assert_fault(&ptz(&cam, &uid, "stop=1"), 400, PATH, "ptz not supported");
    assert_fault(&ptz(&cam, &uid, "move_x=1"), 400, PATH, "ptz not supported");
}

#[test]
fn a_move_stops_by_itself_after_60_seconds_without_a_command() {
    let cam = Cam::start();
    let uid = cam.admin();
    let stops = || cam.mock.calls().iter().filter(|c| **c == Call::Ptz(PtzCommand::Stop)).count();
    assert_ok(ptz(&cam, &uid, "move_x=1&speed=3"), "ptz_ctrl");
    cam.advance_and_tick(Duration::from_secs(59));
    assert_eq!(stops(), 0, "the watchdog has checked at 59 s and let the move go on");
    // A new command restarts the minute.
    assert_ok(ptz(&cam, &uid, "move_x=-1&speed=3"), "ptz_ctrl");
    cam.advance_and_tick(Duration::from_secs(59));
    assert_eq!(stops(), 0, "59 s after the second command");
    cam.advance_and_tick(Duration::from_secs(1));
    assert_eq!(stops(), 1, "the watchdog stops the head at 60 s");
    let parked = cam.mock.ptz_position();
    cam.advance_and_tick(Duration::from_secs(120));
    assert_eq!(cam.mock.ptz_position(), parked);
    assert_eq!(stops(), 1, "the watchdog stops once");
    // Lens drives are watched too (the minutes above ended the session).
    let uid = cam.admin();
    assert_ok(ptz(&cam, &uid, "zoom=1"), "ptz_ctrl");
    cam.advance_and_tick(Duration::from_secs(60));
    assert_eq!(stops(), 2, "the watchdog stops the zoom");
}
