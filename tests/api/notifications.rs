//! ONVIF's base notification (WS-BaseNotification `Subscribe`): messages
//! pushed to a consumer's address as `Notify`, each delivery bounded, a
//! consumer that cannot be reached kept from holding up the others.

use crate::common::*;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::mpsc::{channel, Receiver};
use std::time::Duration;

const BASIC_ADMIN: &str = "Authorization: Basic YWRtaW46MTIzNDU2\r\n";
const EVENTS: &str = "/onvif/events_service";
const WSNT: &str = "http://docs.oasis-open.org/wsn/b-2";
const WSA: &str = "http://www.w3.org/2005/08/addressing";

/// A consumer on loopback: each request it is sent (head and body), answered 200.
fn consumer() -> (String, Receiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://127.0.0.1:{}/onvif/notify?cam=1", listener.local_addr().unwrap().port());
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let request = read_request(&mut stream);
            let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
            if tx.send(request).is_err() {
                return;
            }
        }
    });
    (url, rx)
}

/// A consumer that takes connections and never answers.
fn silent_consumer() -> (String, TcpListener) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    (format!("http://127.0.0.1:{}/", listener.local_addr().unwrap().port()), listener)
}

fn read_request(stream: &mut TcpStream) -> String {
    stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut data = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let text = String::from_utf8_lossy(&data).to_string();
        if let Some(end) = text.find("\r\n\r\n") {
            let length = text[..end]
                .lines()
                .find_map(|l| l.strip_prefix("Content-Length: "))
                .and_then(|n| n.trim().parse::<usize>().ok())
                .unwrap_or(0);
            if data.len() >= end + 4 + length {
                return text;
            }
        }
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return String::from_utf8_lossy(&data).to_string(),
            Ok(n) => data.extend_from_slice(&buf[..n]),
        }
    }
}

fn subscribe(cam: &Cam, address: &str) -> Resp {
    let body = format!(
        "<Subscribe xmlns=\"{WSNT}\"><ConsumerReference><Address xmlns=\"{WSA}\">{address}</Address></ConsumerReference>\
         <InitialTerminationTime>PT60S</InitialTerminationTime></Subscribe>"
    );
    soap(cam.port(), EVENTS, &body, BASIC_ADMIN)
}

fn next(rx: &Receiver<String>, what: &str) -> String {
    rx.recv_timeout(Duration::from_secs(10)).unwrap_or_else(|_| panic!("no Notify: {what}"))
}

#[test]
fn subscribe_pushes_the_state_then_each_change_to_the_consumer_until_unsubscribed() {
    let cam = Cam::start();
    let caps = soap(cam.port(), EVENTS, "<GetServiceCapabilities xmlns=\"http://www.onvif.org/ver10/events/wsdl\"/>", BASIC_ADMIN);
    assert!(caps.text().contains("MaxNotificationProducers=\"32\""), "base notification is offered: {}", caps.text());
    let (url, notified) = consumer();
    let r = subscribe(&cam, &url);
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.text().contains("<wsnt:SubscribeResponse><wsnt:SubscriptionReference><wsa:Address>"), "{}", r.text());
    assert!(r.text().contains("</wsnt:SubscriptionReference><wsnt:CurrentTime>"), "{}", r.text());
    let manager = subscription_path(&r);
    let first = next(&notified, "the state on subscribing");
    assert!(first.starts_with("POST /onvif/notify?cam=1 HTTP/1.1\r\n"), "{first}");
    assert!(first.contains("Content-Type: application/soap+xml; charset=utf-8"), "{first}");
    assert!(first.contains("<wsa:Action>http://docs.oasis-open.org/wsn/bw-2/NotificationConsumer/Notify</wsa:Action>"), "{first}");
    assert!(first.contains(&format!("<wsa:To>{}</wsa:To>", url.replace('&', "&amp;"))), "{first}");
    assert!(first.contains("<env:Body><wsnt:Notify><wsnt:NotificationMessage>"), "{first}");
    assert!(first.contains("PropertyOperation=\"Initialized\"") && first.contains("Name=\"IsMotion\" Value=\"false\""), "{first}");
    cam.mock.set_motion(true);
    cam.advance_and_tick(Duration::from_secs(1));
    let change = next(&notified, "motion seen");
    assert!(change.contains("PropertyOperation=\"Changed\"") && change.contains("Name=\"IsMotion\" Value=\"true\""), "{change}");
    assert!(change.contains("tns1:VideoSource/MotionAlarm") && change.contains("Name=\"State\" Value=\"true\""), "{change}");
    // Its messages are pushed, not pulled.
    let pull = "<PullMessages xmlns=\"http://www.onvif.org/ver10/events/wsdl\"><Timeout>PT0S</Timeout><MessageLimit>10</MessageLimit></PullMessages>";
    assert_soap_fault(&soap(cam.port(), &manager, pull, BASIC_ADMIN), 500, "wsrf-rw:ResourceUnknownFault", "no such subscription");
    let renewed =
        soap(cam.port(), &manager, &format!("<Renew xmlns=\"{WSNT}\"><TerminationTime>PT120S</TerminationTime></Renew>"), BASIC_ADMIN);
    assert_eq!(renewed.status, 200, "{}", renewed.text());
    let ended = soap(cam.port(), &manager, &format!("<Unsubscribe xmlns=\"{WSNT}\"/>"), BASIC_ADMIN);
    assert_eq!(ended.status, 200, "{}", ended.text());
    cam.mock.set_motion(false);
    cam.advance_and_tick(Duration::from_secs(1));
    assert!(notified.recv_timeout(Duration::from_millis(500)).is_err(), "nothing after Unsubscribe");
}

#[test]
fn a_consumer_address_the_camera_cannot_push_to_is_refused_and_adds_nothing() {
    let cam = Cam::start();
    for bad in ["https://127.0.0.1/notify", "ftp://127.0.0.1/", "http://user:pw@127.0.0.1/", "http://127.0.0.1:0/", "not a url", ""] {
        assert_soap_fault(
            &subscribe(&cam, bad),
            400,
            "ter:InvalidArgVal",
            "ConsumerReference: an http:// address (the camera pushes no HTTPS)",
        );
    }
    assert_eq!(cam.running.as_ref().unwrap().app().events.live(), 0);
}

#[test]
fn a_silent_consumer_is_given_up_after_one_delivery_and_tried_again_later() {
    let cam = Cam::start();
    let (silent, listener) = silent_consumer();
    listener.set_nonblocking(true).unwrap();
    let held = std::sync::Mutex::new(Vec::new());
    let accept = |held: &std::sync::Mutex<Vec<TcpStream>>| {
        let mut held = held.lock().unwrap();
        while let Ok((stream, _)) = listener.accept() {
            held.push(stream);
        }
        held.len()
    };
    let (url, notified) = consumer();
    assert_eq!(subscribe(&cam, &silent).status, 200);
    assert_eq!(subscribe(&cam, &url).status, 200);
    // The silent consumer is tried first, given up, then this one is served.
    next(&notified, "the state on subscribing, past the silent consumer");
    assert_eq!(accept(&held), 1, "the silent consumer was tried once");
    // Until it is due again, changes go to the others only.
    cam.mock.set_motion(true);
    cam.advance_and_tick(Duration::from_secs(1));
    let change = next(&notified, "motion seen");
    assert!(change.contains("Name=\"IsMotion\" Value=\"true\""), "{change}");
    assert_eq!(accept(&held), 1, "not tried again before its time");
    // Ten seconds on (the injected clock), it is tried again with what it missed.
    cam.advance_and_tick(Duration::from_secs(10));
    cam.eventually("the silent consumer tried again", || accept(&held) == 2);
}
