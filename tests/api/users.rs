//! user_management: accounts, faults, the last administrator, revocation.

use crate::common::*;

const PATH: &str = "/cgi-bin/user_management";

fn um(cam: &Cam, uid: &str, q: &str) -> Resp {
    cam.get(&format!("{PATH}?{q}&uid={uid}"))
}

#[track_caller]
fn ok(r: Resp) {
    assert_eq!(r.text(), "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<user_management>OK</user_management>\n");
}

#[test]
fn add_list_edit_delete() {
    let cam = Cam::start();
    let uid = cam.admin();
    ok(um(&cam, &uid, "action=add&name=alice&newpasswd=s3cret!&privilege=User&enable=Enable"));
    ok(um(&cam, &uid, "action=add&name=bob.op@site&newpasswd=x&privilege=Operator&enable=Disable"));
    let r = um(&cam, &uid, "action=get_user");
    assert_eq!(
        r.text(),
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<user_management>\n\
         <user name=\"admin\" privilege=\"Administrator\" enable=\"Enable\"/>\n\
         <user name=\"alice\" privilege=\"User\" enable=\"Enable\"/>\n\
         <user name=\"bob.op@site\" privilege=\"Operator\" enable=\"Disable\"/>\n</user_management>\n"
    );
    cam.login("alice", "s3cret!");
    assert_fault(&cam.get("/cgi-bin/getuid?username=bob.op@site&password=x"), 400, "/cgi-bin/getuid", "password error");
    ok(um(&cam, &uid, "action=edit&name=bob.op@site&newpasswd=y&privilege=User&enable=Enable"));
    cam.login("bob.op@site", "y");
    ok(um(&cam, &uid, "action=edit&name=bob.op@site&newpasswd=z"));
    cam.login("bob.op@site", "z");
    ok(um(&cam, &uid, "action=delete&name=bob.op@site"));
    assert_fault(&cam.get("/cgi-bin/getuid?username=bob.op@site&password=z"), 400, "/cgi-bin/getuid", "password error");
    // Never a password or digest in an answer or in the stored file.
    assert!(!um(&cam, &uid, "action=get_user").text().contains("s3cret"));
    let stored = std::fs::read_to_string(cam.data_dir().join("accounts.xml")).unwrap();
    assert!(!stored.contains("s3cret") && !stored.contains("123456"), "{stored}");
}

#[test]
fn faults_change_nothing() {
    let cam = Cam::start();
    let uid = cam.admin();
    ok(um(&cam, &uid, "action=add&name=alice&newpasswd=pw&privilege=User&enable=Enable"));
    let before = um(&cam, &uid, "action=get_user").text();
    let missing = "The parameters must Correct include name,newpasswd,privilege,enable";
    let long = "n".repeat(41);
    let cases = [
        ("".to_string(), "action: add or edit or delete"),
        ("action=remove".to_string(), "action: add or edit or delete"),
        ("action=add&name=x&newpasswd=y&privilege=User".to_string(), missing),
        ("action=add&name=&newpasswd=y&privilege=User&enable=Enable".to_string(), missing),
        ("action=add&name=alice&newpasswd=y&privilege=User&enable=Enable".to_string(), "error username duplicated"),
        ("action=add&name=x&newpasswd=y&privilege=Root&enable=Enable".to_string(), "privilege: User or Administrator or Operator"),
        ("action=add&name=x&newpasswd=y&privilege=User&enable=yes".to_string(), "enable: Enable or Disable"),
        ("action=add&name=a;rm%20-rf&newpasswd=y&privilege=User&enable=Enable".to_string(), "name error"),
        (format!("action=add&name={long}&newpasswd=y&privilege=User&enable=Enable"), "name error"),
        ("action=add&name=x&newpasswd=%C3%A9&privilege=User&enable=Enable".to_string(), "newpasswd error"),
        (format!("action=add&name=x&newpasswd={}&privilege=User&enable=Enable", "p".repeat(65)), "newpasswd error"),
        ("action=delete&name=ghost".to_string(), "error username"),
        ("action=delete".to_string(), "error username"),
        ("action=edit&name=ghost&newpasswd=x".to_string(), "username none exist to edit"),
        ("action=edit&name=alice&privilege=God".to_string(), "privilege: User or Administrator or Operator"),
        ("action=edit&name=alice&enable=0".to_string(), "enable: Enable or Disable"),
    ];
    for (q, reason) in cases {
        assert_fault(&um(&cam, &uid, &q), 400, PATH, reason);
    }
    assert_eq!(um(&cam, &uid, "action=get_user").text(), before);
    cam.login("alice", "pw");
}

#[test]
fn at_most_16_accounts() {
    let cam = Cam::start();
    let uid = cam.admin();
    for i in 1..16 {
        ok(um(&cam, &uid, &format!("action=add&name=u{i}&newpasswd=p&privilege=User&enable=Enable")));
    }
    assert_fault(&um(&cam, &uid, "action=add&name=u16&newpasswd=p&privilege=User&enable=Enable"), 400, PATH, "too many users");
}

#[test]
fn the_last_administrator_is_protected() {
    let cam = Cam::start();
    let uid = cam.admin();
    let last = "cannot remove the last administrator";
    assert_fault(&um(&cam, &uid, "action=delete&name=admin"), 400, PATH, last);
    assert_fault(&um(&cam, &uid, "action=edit&name=admin&privilege=Operator"), 400, PATH, last);
    assert_fault(&um(&cam, &uid, "action=edit&name=admin&enable=Disable"), 400, PATH, last);
    ok(um(&cam, &uid, "action=add&name=root2&newpasswd=pw&privilege=Administrator&enable=Disable"));
    // A disabled administrator does not count.
    assert_fault(&um(&cam, &uid, "action=delete&name=admin"), 400, PATH, last);
    ok(um(&cam, &uid, "action=edit&name=root2&enable=Enable"));
    ok(um(&cam, &uid, "action=edit&name=admin&privilege=User"));
    let root2 = cam.login("root2", "pw");
    assert_fault(&um(&cam, &root2, "action=delete&name=root2"), 400, PATH, last);
}

#[test]
fn changing_an_account_ends_its_sessions_at_once() {
    let cam = Cam::start();
    let admin = cam.admin();
    ok(um(&cam, &admin, "action=add&name=alice&newpasswd=pw&privilege=Operator&enable=Enable"));
    let gone = |uid: &str| assert_fault(&cam.get(&format!("/cgi-bin/keep_alive?uid={uid}")), 400, "/cgi-bin/keep_alive", "uid error");
    let alive = |uid: &str| assert_ok(cam.get(&format!("/cgi-bin/keep_alive?uid={uid}")), "keep_alive");

    let a = cam.login("alice", "pw");
    ok(um(&cam, &admin, "action=edit&name=alice&privilege=Operator&enable=Enable"));
    alive(&a);
    ok(um(&cam, &admin, "action=edit&name=alice&newpasswd=pw2"));
    gone(&a);
    let a = cam.login("alice", "pw2");
    ok(um(&cam, &admin, "action=edit&name=alice&privilege=User"));
    gone(&a);
    let a = cam.login("alice", "pw2");
    assert_fault(&cam.get(&format!("/cgi-bin/image?brightness=1&uid={a}")), 400, "/cgi-bin/image", "permission denied");
    ok(um(&cam, &admin, "action=edit&name=alice&enable=Disable"));
    gone(&a);
    assert_fault(&cam.get("/cgi-bin/getuid?username=alice&password=pw2"), 400, "/cgi-bin/getuid", "password error");
    ok(um(&cam, &admin, "action=edit&name=alice&enable=Enable"));
    let a = cam.login("alice", "pw2");
    ok(um(&cam, &admin, "action=delete&name=alice"));
    gone(&a);
    alive(&admin);
}
