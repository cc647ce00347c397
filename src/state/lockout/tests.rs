//! The lockout's rules, on an injected clock.

use super::*;

const S: fn(u64) -> Duration = Duration::from_secs;
const ADMIN: Claim = Claim::Account("admin");

fn v4(n: u8) -> IpAddr {
    [10, 0, 0, n].into()
}

#[test]
fn five_failures_in_a_minute_lock_the_client_for_a_minute() {
    let mut l = Lockout::default();
    for i in 0..4 {
        l.failure(v4(1), ADMIN, S(i * 10));
    }
    assert!(!l.is_locked(v4(1), ADMIN, S(40)));
    l.failure(v4(1), ADMIN, S(59));
    assert!(l.is_locked(v4(1), Claim::Account("other"), S(60)));
    assert!(l.is_locked(v4(1), ADMIN, S(118)));
    assert!(!l.is_locked(v4(1), Claim::Account("other"), S(119)));
    for i in 0..5 {
        l.failure(v4(2), Claim::Account("nobody"), S(200 + i * 20));
    }
    assert!(!l.is_locked(v4(2), ADMIN, S(281)), "failures spread over more than a minute");
}

#[test]
fn an_own_success_forgives_only_the_own_account() {
    let mut l = Lockout::default();
    for round in 0..2 {
        for i in 0..2 {
            l.failure(v4(1), ADMIN, S(round * 10 + i));
        }
        l.success(v4(1), "mallory", S(round * 10 + 5));
    }
    assert!(!l.is_locked(v4(1), ADMIN, S(30)));
    l.failure(v4(1), ADMIN, S(31));
    assert!(l.is_locked(v4(1), ADMIN, S(32)), "four admin failures and one more lock despite mallory's logins");
    let mut l = Lockout::default();
    for i in 0..4 {
        l.failure(v4(1), ADMIN, S(i));
    }
    l.success(v4(1), "admin", S(5));
    l.failure(v4(1), ADMIN, S(6));
    assert!(!l.is_locked(v4(1), ADMIN, S(7)), "the account's own login forgives its typos");
}

#[test]
fn ipv6_counts_by_64_and_mapped_ipv4_as_ipv4() {
    let a: IpAddr = "2001:db8:1:2::1".parse().unwrap();
    let b: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
    let other: IpAddr = "2001:db8:1:3::1".parse().unwrap();
    assert_eq!(Client::of(a), Client::of(b));
    assert_ne!(Client::of(a), Client::of(other));
    assert_eq!(Client::of("::ffff:10.0.0.1".parse().unwrap()), Client::of(v4(1)));
    assert_ne!(Client::of(v4(0)), Client::of("::".parse().unwrap()));
}

#[test]
fn an_attacked_account_locks_for_longer_each_time_but_not_for_its_trusted_client() {
    let mut l = Lockout::default();
    l.success(v4(200), "admin", S(0));
    let mut now = 10;
    for (round, lock) in [60u64, 120, 240].into_iter().enumerate() {
        for i in 0..5u8 {
            l.failure(v4(i + 10 * round as u8), ADMIN, S(now));
        }
        assert!(l.is_locked(v4(99), ADMIN, S(now)), "round {round}");
        assert!(!l.is_locked(v4(200), ADMIN, S(now)), "the trusted client still logs in");
        assert!(!l.is_locked(v4(99), Claim::Account("other"), S(now)));
        assert!(l.is_locked(v4(99), ADMIN, S(now + lock - 1)), "round {round} lock {lock}");
        assert!(!l.is_locked(v4(99), ADMIN, S(now + lock)));
        now += lock;
    }
    assert!(now < 1000);
}

#[test]
fn a_full_client_table_locks_the_untracked_instead_of_forgetting() {
    let mut l = Lockout::default();
    let addr = |i: u32| -> IpAddr { IpAddr::V6(std::net::Ipv6Addr::from(u128::from(i) << 64)) };
    for i in 0..5 {
        l.failure(addr(0), Claim::Account("x"), S(i));
    }
    assert!(l.is_locked(addr(0), ADMIN, S(5)));
    for i in 1..200u32 {
        l.failure(addr(i), Claim::Account("x"), S(6));
    }
    assert!(l.is_locked(addr(0), ADMIN, S(7)), "rotating addresses never unlock a locked one");
    assert!(l.is_locked(addr(500), ADMIN, S(7)), "an untracked client is locked once the overflow is");
    assert!(!l.is_locked(addr(500), ADMIN, S(6 + 60)));
}

#[test]
fn a_name_that_is_no_account_locks_as_one_that_is() {
    let mut l = Lockout::default();
    for i in 0..5u8 {
        l.failure(v4(i), Claim::Account("ghost"), S(1));
        l.failure(v4(i + 10), ADMIN, S(1));
    }
    assert!(l.is_locked(v4(50), Claim::Account("ghost"), S(2)));
    assert!(l.is_locked(v4(50), ADMIN, S(2)));
    assert!(!l.is_locked(v4(50), Claim::Account("other"), S(2)));
}

#[test]
fn a_full_account_table_locks_untracked_names_together_except_for_trusted_clients() {
    let mut l = Lockout::default();
    l.success(v4(200), "admin", S(0));
    // Each name once, from clients that stay under their own limit.
    for i in 0..(ACCOUNTS as u32 + 5) {
        let name = format!("name{i}");
        l.failure(IpAddr::V4(std::net::Ipv4Addr::from(0x0a00_0100 + i)), Claim::Account(&name), S(1));
    }
    assert!(l.is_locked(v4(50), Claim::Account("never-seen"), S(2)), "names beyond the table lock together");
    assert!(!l.is_locked(v4(200), Claim::Account("never-seen"), S(2)), "a trusted client that failed nothing is spared");
    assert!(!l.is_locked(v4(50), Claim::Account("never-seen"), S(61)));
}

#[test]
fn digest_failures_lock_digest_logins_except_from_trusted_clients() {
    let mut l = Lockout::default();
    l.success(v4(200), "operator", S(0));
    for i in 0..5u8 {
        l.failure(v4(i), Claim::Digest, S(1));
    }
    assert!(l.is_locked(v4(50), Claim::Digest, S(2)));
    assert!(!l.is_locked(v4(50), ADMIN, S(2)));
    assert!(!l.is_locked(v4(200), Claim::Digest, S(2)));
    // A user who logs in and then guesses digests loses the exemption at the first guess.
    l.success(v4(60), "mallory", S(3));
    assert!(!l.is_locked(v4(60), Claim::Digest, S(3)));
    l.failure(v4(60), Claim::Digest, S(3));
    assert!(l.is_locked(v4(60), Claim::Digest, S(4)));
}
