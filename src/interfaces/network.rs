//! The network family: `/cgi-bin/network` (addressing, DNS, HTTP port).

use crate::api::fields::{flag_or, given_flag, given_int, Given};
use crate::api::query::Params;
use crate::api::refusal::Refusal;
use crate::api::xml::Doc;
use crate::interfaces::call::{After, Call, Reply};
use crate::state::app::{load_unit, lock, reset_unit, Shared, Unit};
use crate::state::store::Store;
use camcgi_hal::{DeviceError, ErrorKind, NetworkConfig, NetworkInterface};
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::sync::Mutex;

/// The interface's parameters, in its table's order.
pub const PARAMS: &[&str] = &["dhcp", "ipaddr", "netmask", "gateway", "dns1", "dns2", "port"];
const FILE: &str = "network.xml";

/// The network interface and its settings.
pub type NetworkUnit = Unit<dyn NetworkInterface<Error = DeviceError> + Send, NetworkConfig>;

/// The CGI document's example addressing, serving on `port`.
fn defaults(port: u16) -> NetworkConfig {
    NetworkConfig {
        dhcp: false,
        ipaddr: Ipv4Addr::new(192, 168, 0, 10),
        netmask: Ipv4Addr::new(255, 255, 255, 0),
        gateway: Ipv4Addr::new(192, 168, 0, 1),
        dns1: Ipv4Addr::new(114, 114, 114, 114),
        dns2: Ipv4Addr::new(8, 8, 8, 8),
        port,
        hostname: String::new(),
    }
}

fn apply(hal: &mut (dyn NetworkInterface<Error = DeviceError> + Send + 'static), c: &NetworkConfig) -> Result<(), DeviceError> {
    hal.apply(c)
}

fn valid_port(port: u16) -> bool {
    port == 80 || port >= 1000
}

fn valid_host(a: Ipv4Addr) -> bool {
    !(a.is_unspecified() || a.is_broadcast() || a.is_multicast())
}

/// A netmask is contiguous ones followed by zeros, and not empty.
fn valid_netmask(m: Ipv4Addr) -> bool {
    let bits = u32::from(m);
    bits != 0 && bits.leading_ones() + bits.trailing_zeros() == 32
}

/// A host name as RFC 1123 has it: dot-separated labels of 1-63 letters,
/// digits and hyphens, neither starting nor ending with a hyphen, 253 bytes at
/// most, and not all digits and dots (that would read as an address).
pub fn valid_hostname(name: &str) -> bool {
    let label_ok = |l: &str| {
        (1..=63).contains(&l.len()) && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') && !l.starts_with('-') && !l.ends_with('-')
    };
    (1..=253).contains(&name.len()) && name.split('.').all(label_ok) && !name.bytes().all(|b| b.is_ascii_digit() || b == b'.')
}

fn valid(c: &NetworkConfig) -> bool {
    valid_host(c.ipaddr)
        && valid_netmask(c.netmask)
        && valid_host(c.gateway)
        && valid_port(c.port)
        && (c.hostname.is_empty() || valid_hostname(&c.hostname))
}

/// Loads the settings (the default port is the one first bound) and applies them.
pub fn load(hal: Box<dyn NetworkInterface<Error = DeviceError> + Send>, store: &Store, port: u16) -> NetworkUnit {
    load_unit(hal, store, FILE, defaults(port), valid, apply)
}

/// Factory defaults.
pub fn reset(unit: &mut NetworkUnit, store: &Store, port: u16) {
    reset_unit(unit, store, FILE, defaults(port), apply);
}

/// A change to the addressing, each field given or not; `set` checks them in the table's order.
#[derive(Debug, Clone, Default)]
pub struct NetworkChange {
    /// Addressing by DHCP.
    pub dhcp: Given<bool>,
    /// The static address, netmask and gateway.
    pub ipaddr: Given<Ipv4Addr>,
    /// Contiguous ones, then zeros.
    pub netmask: Given<Ipv4Addr>,
    /// In the address's subnet, not the address itself.
    pub gateway: Given<Ipv4Addr>,
    /// The name servers.
    pub dns: [Given<Ipv4Addr>; 2],
    /// The HTTP port: 80 or 1000-65535.
    pub port: Given<i64>,
    /// The host name (not a CGI parameter; ONVIF's `SetHostname`).
    pub hostname: Given<String>,
}

impl NetworkChange {
    /// `/cgi-bin/network`'s parameters.
    pub fn from_params(p: &Params) -> NetworkChange {
        let address = |name| match p.get(name) {
            None => Given::Absent,
            Some(v) => v.parse().map_or(Given::Unreadable, Given::Value),
        };
        NetworkChange {
            dhcp: given_flag(p, "dhcp"),
            ipaddr: address("ipaddr"),
            netmask: address("netmask"),
            gateway: address("gateway"),
            dns: [address("dns1"), address("dns2")],
            port: given_int(p, "port"),
            hostname: Given::Absent,
        }
    }
}

/// An address `ok` accepts, or `current` when absent: `NAME error`.
fn address(given: Given<Ipv4Addr>, name: &str, ok: fn(Ipv4Addr) -> bool, current: Ipv4Addr) -> Result<Ipv4Addr, Refusal> {
    given.or_keep(current, |a| ok(*a), || Refusal::error(name))
}

/// Checks a change, applies it to the interface and writes it; a fault
/// changes nothing. A new port is bound before anything changes, so a port
/// in use is a fault and not a lost camera: the listener is returned for the
/// server to move to.
pub fn set(app: &Shared, network: &Mutex<NetworkUnit>, change: NetworkChange) -> Result<(NetworkConfig, Option<TcpListener>), Refusal> {
    let mut unit = lock(network);
    let mut new = unit.config.clone();
    new.dhcp = flag_or(change.dhcp, "dhcp", new.dhcp)?;
    new.ipaddr = address(change.ipaddr, "ipaddr", valid_host, new.ipaddr)?;
    new.netmask = address(change.netmask, "netmask", valid_netmask, new.netmask)?;
    new.gateway = address(change.gateway, "gateway", valid_host, new.gateway)?;
    let subnet = |a: Ipv4Addr| u32::from(a) & u32::from(new.netmask);
    if subnet(new.gateway) != subnet(new.ipaddr) || new.gateway == new.ipaddr {
        return Err(Refusal::error("gateway"));
    }
    let [dns1, dns2] = change.dns;
    new.dns1 = address(dns1, "dns1", valid_host, new.dns1)?;
    new.dns2 = address(dns2, "dns2", valid_host, new.dns2)?;
    new.port =
        change.port.map(|n| u16::try_from(n).ok()).or_keep(new.port, |p| valid_port(*p), || Refusal::bad("port range: 80,1000-65535"))?;
    new.hostname = change.hostname.or_keep(new.hostname, |n| valid_hostname(n), || Refusal::error("hostname"))?;
    let mut rebind = None;
    if new.port != unit.config.port {
        let listener = TcpListener::bind(SocketAddr::new(app.listen.ip(), new.port))
            .map_err(|e| Refusal::device(&DeviceError::new("network", ErrorKind::Busy, format!("port {}: {e}", new.port))))?;
        rebind = Some(listener);
    }
    unit.commit(&app.store, FILE, new, apply)?;
    Ok((unit.config.clone(), rebind))
}

/// `/cgi-bin/network`: query, or set addressing, DNS or the HTTP port.
pub fn handle(app: &Shared, network: &Mutex<NetworkUnit>, call: &Call) -> Result<Reply, Refusal> {
    let (mut c, rebind) =
        if call.is_set() { set(app, network, NetworkChange::from_params(&call.params))? } else { (lock(network).config.clone(), None) };
    let unit = lock(network);
    // With DHCP the lease's address is the one that matters.
    if c.dhcp {
        if let Some((ipaddr, netmask)) = unit.hal.live_address().map_err(|e| Refusal::device(&e))? {
            c.ipaddr = ipaddr;
            c.netmask = netmask;
        }
    }
    let mac = unit.hal.mac_address().map_err(|e| Refusal::device(&e))?;
    let mac: Vec<String> = mac.iter().map(|b| format!("{b:02X}")).collect();
    let mut doc = Doc::new();
    doc.element("network")
        .attr("macaddr", mac.join("-"))
        .attr("dhcp", u8::from(c.dhcp))
        .attr("ipaddr", c.ipaddr)
        .attr("netmask", c.netmask)
        .attr("gateway", c.gateway)
        .attr("dns1", c.dns1)
        .attr("dns2", c.dns2)
        .attr("port", c.port)
        .empty();
    let reply = Reply::xml(doc.finish());
    Ok(match rebind {
        Some(listener) => reply.then(After::Rebind(listener)),
        None => reply,
    })
}
