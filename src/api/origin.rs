//! Who may reach the camera from a browser: the `Host` a request names, and
//! the site a state-changing request comes from.
//!
//! - **Host.** DNS rebinding points a name the attacker owns at the camera, so
//!   the attacker's page becomes "same-origin" with it. A request is answered
//!   only when its `Host` is an IP address literal (an address cannot be
//!   rebound), `localhost`, the camera's host name (and `NAME.local`), or a
//!   name given with `--host-name`. A request without `Host` (HTTP/1.0) passes.
//! - **Cross-site.** A page on another site can make a browser send requests
//!   to the camera carrying credentials in the query. A request that changes
//!   something is refused when the browser says it comes from another site
//!   (`Sec-Fetch-Site: cross-site` or `same-site`), or, from browsers that do
//!   not send that, when its `Origin` is neither the camera's own (`http://` or
//!   `https://` and its `Host`) nor one given with `--allow-origin`. Clients that are not browsers send neither header
//!   and are not affected.

use std::net::IpAddr;

/// What the camera's owner allows beyond its own origin.
#[derive(Debug, Clone, Default)]
pub struct Sites {
    /// Origins whose pages may change settings and post firmware (CORS).
    pub allowed_origins: Vec<String>,
    /// Names the camera answers to besides addresses, `localhost` and its host name.
    pub host_names: Vec<String>,
}

/// The fault for a `Host` the camera does not answer to.
pub const HOST_REFUSED: &str = "host not allowed";
/// The fault for a state-changing request from another site.
pub const CROSS_SITE_REFUSED: &str = "cross-site request refused";

/// The browser headers a request carried.
#[derive(Debug, Clone, Copy, Default)]
pub struct Browser<'a> {
    /// `Host`.
    pub host: Option<&'a str>,
    /// `Origin`.
    pub origin: Option<&'a str>,
    /// `Sec-Fetch-Site`.
    pub fetch_site: Option<&'a str>,
}

/// The host part of a `Host` value: `[v6]:port`, `v4:port`, `name:port`.
fn host_part(host: &str) -> &str {
    if let Some(rest) = host.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    match host.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => host,
    }
}

/// The kernel's host name, as the camera's own name.
pub fn own_name() -> Option<String> {
    nix::unistd::gethostname().ok()?.into_string().ok().filter(|n| !n.is_empty())
}

impl Sites {
    /// Whether a request naming `host` is answered.
    pub fn host_allowed(&self, host: Option<&str>) -> bool {
        let Some(host) = host else { return true };
        let name = host_part(host.trim());
        if name.parse::<IpAddr>().is_ok() {
            return true;
        }
        let name = name.strip_suffix('.').unwrap_or(name);
        if name.eq_ignore_ascii_case("localhost") || self.host_names.iter().any(|n| n.eq_ignore_ascii_case(name)) {
            return true;
        }
        own_name().is_some_and(|own| {
            name.eq_ignore_ascii_case(&own)
                || name.strip_suffix(".local").or_else(|| name.strip_suffix(".LOCAL")).is_some_and(|n| n.eq_ignore_ascii_case(&own))
        })
    }

    /// Whether `origin` is one given with `--allow-origin`.
    pub fn origin_allowed(&self, origin: Option<&str>) -> Option<&str> {
        let origin = origin?;
        self.allowed_origins.iter().find(|a| *a == origin).map(String::as_str)
    }

    /// Whether a request that changes something may be carried out: it does
    /// not come from a browser page of another site, unless that site is allowed.
    pub fn same_site(&self, browser: &Browser) -> bool {
        if self.origin_allowed(browser.origin).is_some() {
            return true;
        }
        match browser.fetch_site.map(str::trim) {
            Some(site) if site.eq_ignore_ascii_case("same-origin") || site.eq_ignore_ascii_case("none") => true,
            Some(_) => false,
            None => match (browser.origin, browser.host) {
                (None, _) => true,
                // The camera's own page, or the same page through a TLS proxy.
                (Some(origin), Some(host)) => origin
                    .strip_prefix("http://")
                    .or_else(|| origin.strip_prefix("https://"))
                    .is_some_and(|o| o.eq_ignore_ascii_case(host.trim())),
                (Some(_), None) => false,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts() {
        let sites = Sites { host_names: vec!["cam.example.net".into()], ..Sites::default() };
        for ok in [
            "192.0.2.7",
            "192.0.2.7:8080",
            "[::1]:80",
            "[fe80::1]",
            "localhost:8080",
            "LOCALHOST",
            "cam.example.net.",
            "CAM.example.net:80",
        ] {
            assert!(sites.host_allowed(Some(ok)), "{ok}");
        }
        for refused in ["attacker.example", "attacker.example:8080", "192.0.2.7.attacker.example", ""] {
            assert!(!sites.host_allowed(Some(refused)), "{refused}");
        }
        assert!(sites.host_allowed(None));
    }

    #[test]
    fn sites() {
        let sites = Sites { allowed_origins: vec!["https://vms.example".into()], ..Sites::default() };
        let b = |origin, fetch_site| Browser { host: Some("192.0.2.7:8080"), origin, fetch_site };
        assert!(sites.same_site(&b(None, None)), "curl and NVRs send neither");
        assert!(sites.same_site(&b(Some("http://192.0.2.7:8080"), None)));
        assert!(sites.same_site(&b(Some("https://192.0.2.7:8080"), None)));
        assert!(!sites.same_site(&b(Some("http://192.0.2.7:8081"), None)));
        assert!(sites.same_site(&b(Some("http://192.0.2.7:8080"), Some("same-origin"))));
        assert!(sites.same_site(&b(None, Some("none"))), "typed into the address bar");
        assert!(!sites.same_site(&b(Some("http://evil.example"), None)));
        assert!(!sites.same_site(&b(Some("null"), None)));
        assert!(!sites.same_site(&b(None, Some("cross-site"))));
        assert!(!sites.same_site(&b(Some("http://192.0.2.7:8080"), Some("same-site"))));
        assert!(sites.same_site(&b(Some("https://vms.example"), Some("cross-site"))));
    }
}
