//! snapshot.cgi: authentication three ways, JPEGs, storage targets.

use crate::common::*;
use camcgi_hal::StorageTarget;

const VALUE: &str = "/cgi-bin/snapshot";

/// Width and height from a JPEG's SOF0 segment.
fn jpeg_size(data: &[u8]) -> (u16, u16) {
    assert_eq!(&data[..2], &[0xff, 0xd8], "SOI");
    assert_eq!(&data[data.len() - 2..], &[0xff, 0xd9], "EOI");
    let sof = data.windows(2).position(|w| w == [0xff, 0xc0]).expect("baseline SOF0");
    let h = u16::from_be_bytes([data[sof + 5], data[sof + 6]]);
    let w = u16::from_be_bytes([data[sof + 7], data[sof + 8]]);
    (w, h)
}

#[test]
fn a_jpeg_by_uid_per_stream() {
    let cam = Cam::start();
    let uid = cam.user_with("viewer", "User");
    let r = cam.get(&format!("/cgi-bin/snapshot.cgi?uid={uid}"));
    assert_eq!(r.status, 200);
    assert_eq!(r.header("Content-Type"), Some("image/jpeg"));
    assert_eq!(jpeg_size(&r.body), (480, 360), "stream 0 is the sub stream");
    let r = cam.get(&format!("/cgi-bin/snapshot.cgi?stream=1&uid={uid}"));
    assert_eq!(jpeg_size(&r.body), (1920, 1080));
}

#[test]
fn a_jpeg_by_username_and_password_in_both_url_forms() {
    let cam = Cam::start();
    let r = cam.get("/cgi-bin/snapshot.cgi&username=admin&password=123456");
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(jpeg_size(&r.body), (480, 360));
    let r = cam.get("/cgi-bin/snapshot.cgi?stream=0&username=admin&password=123456");
    assert_eq!(r.header("Content-Type"), Some("image/jpeg"));
}

#[test]
fn http_basic_after_a_challenge() {
    let cam = Cam::start();
    let r = cam.get("/cgi-bin/snapshot.cgi?stream=1");
    assert_fault(&r, 401, VALUE, "error, parse username");
    assert_challenges(&r);
    // admin:123456
    let r = cam.get_with("/cgi-bin/snapshot.cgi?stream=1", "Authorization: Basic YWRtaW46MTIzNDU2\r\n");
    assert_eq!(r.status, 200);
    assert_eq!(jpeg_size(&r.body), (1920, 1080));
    // admin:wrong
    let r = cam.get_with("/cgi-bin/snapshot.cgi", "Authorization: Basic YWRtaW46d3Jvbmc=\r\n");
    assert_fault(&r, 401, VALUE, "password error");
    assert_challenges(&r);
    let r = cam.get_with("/cgi-bin/snapshot.cgi", "Authorization: Basic !!!\r\n");
    assert_fault(&r, 401, VALUE, "error, parse username");
}

#[test]
fn credential_faults_are_401() {
    let cam = Cam::start();
    assert_fault(&cam.get("/cgi-bin/snapshot.cgi?username=admin&password=x"), 401, VALUE, "password error");
    assert_fault(&cam.get("/cgi-bin/snapshot.cgi?username=admin"), 401, VALUE, "error, parse password");
    let r = cam.get("/cgi-bin/snapshot.cgi?uid=0123456789abcdef0123456789abcdef");
    assert_fault(&r, 401, VALUE, "uid error");
    assert_challenges(&r);
    // Snapshot failures count towards the lockout like any login.
    // One failure above, four here.
    for _ in 0..4 {
        cam.get("/cgi-bin/snapshot.cgi?username=admin&password=x");
    }
    assert_fault(&cam.get("/cgi-bin/getuid?username=admin&password=123456"), 400, "/cgi-bin/getuid", "too many failed logins");
    assert_fault(&cam.get("/cgi-bin/snapshot.cgi?username=admin&password=123456"), 401, VALUE, "too many failed logins");
}

#[test]
fn parameter_faults() {
    let cam = Cam::start();
    let uid = cam.admin();
    assert_fault(&cam.get(&format!("/cgi-bin/snapshot.cgi?stream=2&uid={uid}")), 400, VALUE, "stream: 0 or 1");
    assert_fault(&cam.get(&format!("/cgi-bin/snapshot.cgi?upload=4&uid={uid}")), 400, VALUE, "upload 0 or 1 or 2 or 3");
    assert_fault(&cam.get(&format!("/cgi-bin/snapshot.cgi?upload=&uid={uid}")), 400, VALUE, "upload 0 or 1 or 2 or 3");
    assert_fault(&cam.get(&format!("/cgi-bin/snapshot.cgi?size=2&uid={uid}")), 400, VALUE, "size: unknown parameter");
    assert!(cam.mock.stored_files().is_empty());
}

#[test]
fn uploads_store_the_jpeg_or_name_the_missing_target() {
    let cam = Cam::start();
    let uid = cam.admin();
    cam.get(&format!("/cgi-bin/time?timezone=GMT+08:00&update_method=MANUAL&year=2017&month=11&day=30&hour=8&min=0&sec=0&uid={uid}"));
    let r = cam.get("/cgi-bin/snapshot.cgi?stream=0&upload=0&username=admin&password=123456");
    assert_eq!(r.text(), "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<upload>OK</upload>\n");
    let files = cam.mock.stored_files();
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].target, StorageTarget::SdCard);
    assert!(files[0].name.starts_with("snapshot_20171130-08000"), "{}", files[0].name);
    assert!(files[0].name.ends_with("_stream0.jpg"));
    assert_eq!(jpeg_size(&files[0].data), (480, 360));
    let stream1 = "/cgi-bin/snapshot.cgi?stream=1&username=admin&password=123456&upload=";
    assert_fault(&cam.get(&format!("{stream1}1")), 400, VALUE, "Ftp not deploy");
    assert_fault(&cam.get(&format!("{stream1}2")), 400, VALUE, "Email not deploy");
    assert_fault(&cam.get(&format!("{stream1}3")), 400, VALUE, "NFS Server not mounted");
    cam.mock.set_target_present(StorageTarget::SdCard, false);
    assert_fault(&cam.get(&format!("{stream1}0")), 400, VALUE, "sd card not mounted");
    cam.mock.set_target_present(StorageTarget::Nfs, true);
    assert_ok(cam.get(&format!("{stream1}3")), "upload");
    let files = cam.mock.stored_files();
    assert_eq!(files.len(), 2);
    assert_eq!(files[1].target, StorageTarget::Nfs);
    assert!(files[1].name.ends_with("_stream1.jpg"));
}
