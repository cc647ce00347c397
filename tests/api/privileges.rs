//! The one privilege table (`state::acts`), walked: every CGI interface and
//! every ONVIF operation refuses each privilege below what its act needs,
//! over HTTP and SOAP, and ONVIF answers only its pre-authentication set
//! without credentials.

use crate::common::*;
use camcgi::interfaces::onvif::{operations, Service};
use camcgi::state::accounts::Privilege;

#[test]
fn every_cgi_interface_refuses_the_privileges_below_its_act() {
    let cam = Cam::start();
    let accounts = [(cam.user_with("viewer", "User"), Privilege::User), (cam.user_with("op", "Operator"), Privilege::Operator)];
    let mut refusals = 0;
    for policy in camcgi::router::policies() {
        for (uid, privilege) in &accounts {
            if *privilege < policy.query.privilege() {
                assert_fault(&cam.get(&format!("{}?uid={uid}", policy.path)), 400, policy.path, policy.denied);
                refusals += 1;
            }
            if let Some(first) = policy.params.first() {
                let set = cam.get(&format!("{}?{first}=1&uid={uid}", policy.path));
                if *privilege < policy.set.privilege() {
                    assert_fault(&set, 400, policy.path, policy.denied);
                    refusals += 1;
                } else {
                    assert_ne!(set.element("reason").as_deref(), Some(policy.denied), "{} as {privilege:?}", policy.path);
                }
            }
        }
    }
    say(&format!("privileges: {refusals} CGI refusals checked"));
    assert!(refusals >= 20, "{refusals}");
}

#[test]
fn every_onvif_operation_refuses_the_privileges_below_its_act() {
    let cam = Cam::start();
    let port = cam.port();
    cam.user_with("viewer", "User");
    cam.user_with("op", "Operator");
    let senders = [(basic("viewer", "pwviewer"), Privilege::User), (basic("op", "pwop"), Privilege::Operator)];
    let mut checked = 0;
    for service in [Service::Device, Service::Media, Service::Media2, Service::Ptz, Service::Imaging, Service::Events] {
        for op in operations(service) {
            // WS-BaseNotification's operations are in its namespace, the others in their service's.
            let namespace = service.namespaces()[usize::from(matches!(op.name, "Renew" | "Unsubscribe"))];
            let body = format!("<{} xmlns=\"{namespace}\"/>", op.name);
            for (header, privilege) in &senders {
                if *privilege < op.act.privilege() {
                    let r = soap(port, service.path(), &body, header);
                    assert_soap_fault(&r, 400, "ter:NotAuthorized", &format!("{} needs a higher privilege", op.name));
                    checked += 1;
                }
            }
            let anonymous = soap(port, service.path(), &body, "");
            if op.open {
                assert_ne!(anonymous.status, 401, "{} is answered before authentication", op.name);
            } else {
                assert_soap_fault(&anonymous, 401, "ter:NotAuthorized", "credentials are required");
            }
            checked += 1;
        }
    }
    say(&format!("privileges: {checked} ONVIF answers checked"));
    assert!(checked >= 69, "{checked}");
}
