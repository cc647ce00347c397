//! The device service's network operations: the interface's addressing,
//! the default gateway, DNS, NTP and the protocols' ports, read from and
//! set through the camera's network and time families (the CGI's checks and
//! faults).

use super::soap::{boolean, esc, Envelope, SoapFault};
use super::{device_fault, from_refusal, Answer, App, Context};
use crate::api::fields::Given;
use crate::interfaces::call::After;
use crate::interfaces::network::{self, NetworkChange};
use crate::interfaces::time::{self, TimeChange};
use crate::state::app::lock;
use camcgi_hal::StreamId;
use std::net::Ipv4Addr;

/// The only interface.
const INTERFACE: &str = "eth0";

/// An IPv4 address the client gave: unreadable text is refused as the CGI refuses it.
fn address(text: Option<&str>) -> Given<Ipv4Addr> {
    match text {
        None => Given::Absent,
        Some(t) => t.parse().map_or(Given::Unreadable, Given::Value),
    }
}

/// A netmask of `prefix` leading ones.
fn netmask(prefix: &str) -> Given<Ipv4Addr> {
    match prefix.parse::<u32>() {
        Ok(n @ 1..=32) => Given::Value(Ipv4Addr::from(u32::MAX << (32 - n))),
        _ => Given::Unreadable,
    }
}

/// Applies a network change; a new HTTP port is moved to after the answer.
fn change_network(cam: &App, change: NetworkChange, response: &str) -> Result<Answer, SoapFault> {
    let (_, rebind) = network::set(&cam.shared, &cam.network, change).map_err(from_refusal)?;
    Ok(Answer { after: rebind.map(After::Rebind), ..Answer::new(response.to_string()) })
}

pub(super) fn get_network_interfaces(cam: &App, _ctx: &Context, _env: &Envelope) -> Result<Answer, SoapFault> {
    let body = {
        let unit = lock(&cam.network);
        let mac = unit.hal.mac_address().map_err(device_fault)?;
        let c = &unit.config;
        let (address, prefix) = match unit.hal.live_address() {
            Ok(Some((a, m))) if c.dhcp => (a, u32::from(m).leading_ones()),
            _ => (c.ipaddr, u32::from(c.netmask).leading_ones()),
        };
        let (manual, dhcp) = if c.dhcp {
            (
                String::new(),
                format!("<tt:FromDHCP><tt:Address>{address}</tt:Address><tt:PrefixLength>{prefix}</tt:PrefixLength></tt:FromDHCP>"),
            )
        } else {
            (format!("<tt:Manual><tt:Address>{address}</tt:Address><tt:PrefixLength>{prefix}</tt:PrefixLength></tt:Manual>"), String::new())
        };
        format!(
            "<tds:GetNetworkInterfacesResponse><tds:NetworkInterfaces token=\"eth0\"><tt:Enabled>true</tt:Enabled>\
                <tt:Info><tt:Name>eth0</tt:Name><tt:HwAddress>{}</tt:HwAddress><tt:MTU>1500</tt:MTU></tt:Info><tt:IPv4>\
                <tt:Enabled>true</tt:Enabled><tt:Config>{manual}{dhcp}<tt:DHCP>{}</tt:DHCP></tt:Config></tt:IPv4>\
                </tds:NetworkInterfaces></tds:GetNetworkInterfacesResponse>",
            super::identity::mac_text(mac),
            c.dhcp
        )
    };
    Ok(Answer::new(body))
}

/// The host name set over ONVIF, else the system's own.
pub(super) fn get_hostname(cam: &App, _ctx: &Context, _env: &Envelope) -> Result<Answer, SoapFault> {
    let set = lock(&cam.network).config.hostname.clone();
    let name = if set.is_empty() { crate::api::origin::own_name().unwrap_or_default() } else { set };
    Ok(Answer::new(format!(
        "<tds:GetHostnameResponse><tds:HostnameInformation><tt:FromDHCP>false</tt:FromDHCP><tt:Name>{}</tt:Name>\
            </tds:HostnameInformation></tds:GetHostnameResponse>",
        esc(&name)
    )))
}

/// Sets the host name, handed to the board with the other network settings.
pub(super) fn set_hostname(cam: &App, _ctx: &Context, env: &Envelope) -> Result<Answer, SoapFault> {
    let name = env.text("Name").unwrap_or_default();
    if !network::valid_hostname(name) {
        return Err(SoapFault::sender(&["ter:InvalidArgVal", "ter:InvalidHostname"], "not a host name (RFC 1123)"));
    }
    let change = NetworkChange { hostname: Given::Value(name.to_string()), ..NetworkChange::default() };
    change_network(cam, change, "<tds:SetHostnameResponse/>")
}

pub(super) fn get_dns(cam: &App, _ctx: &Context, _env: &Envelope) -> Result<Answer, SoapFault> {
    let body = {
        let c = lock(&cam.network).config.clone();
        format!(
            "<tds:GetDNSResponse><tds:DNSInformation><tt:FromDHCP>{}</tt:FromDHCP><tt:DNSManual><tt:Type>IPv4</tt:Type>\
                <tt:IPv4Address>{}</tt:IPv4Address></tt:DNSManual><tt:DNSManual><tt:Type>IPv4</tt:Type>\
                <tt:IPv4Address>{}</tt:IPv4Address></tt:DNSManual></tds:DNSInformation></tds:GetDNSResponse>",
            c.dhcp, c.dns1, c.dns2
        )
    };
    Ok(Answer::new(body))
}

pub(super) fn get_ntp(cam: &App, _ctx: &Context, _env: &Envelope) -> Result<Answer, SoapFault> {
    let body = {
        let server = lock(&cam.time).config.ntp().map(str::to_string);
        let manual = server
            .map(|s| format!("<tt:NTPManual><tt:Type>DNS</tt:Type><tt:DNSname>{}</tt:DNSname></tt:NTPManual>", esc(&s)))
            .unwrap_or_default();
        format!(
            "<tds:GetNTPResponse><tds:NTPInformation><tt:FromDHCP>false</tt:FromDHCP>{manual}</tds:NTPInformation></tds:GetNTPResponse>"
        )
    };
    Ok(Answer::new(body))
}

pub(super) fn set_network_interfaces(cam: &App, _ctx: &Context, env: &Envelope) -> Result<Answer, SoapFault> {
    if env.text("InterfaceToken") != Some(INTERFACE) {
        return Err(SoapFault::sender(&["ter:InvalidArgVal", "ter:InvalidNetworkInterface"], "no such network interface"));
    }
    if env.within("IPv6").iter().any(|e| e.name == "Enabled" && e.text == "true") {
        return Err(SoapFault::sender(&["ter:InvalidArgVal", "ter:IPv6NotSupported"], "IPv6 is not supported"));
    }
    let ipv4 = env.within("IPv4");
    let text = |name: &str| ipv4.iter().find(|e| e.name == name).map(|e| e.text.as_str());
    let dhcp = text("DHCP").map_or(Given::Absent, |t| boolean(t).map_or(Given::Unreadable, Given::Value));
    let change = NetworkChange {
        dhcp,
        ipaddr: address(text("Address")),
        netmask: text("PrefixLength").map_or(Given::Absent, netmask),
        ..NetworkChange::default()
    };
    change_network(
        cam,
        change,
        "<tds:SetNetworkInterfacesResponse><tds:RebootNeeded>false</tds:RebootNeeded></tds:SetNetworkInterfacesResponse>",
    )
}

pub(super) fn get_network_default_gateway(cam: &App, _ctx: &Context, _env: &Envelope) -> Result<Answer, SoapFault> {
    let gateway = lock(&cam.network).config.gateway;
    Ok(Answer::new(format!(
        "<tds:GetNetworkDefaultGatewayResponse><tds:NetworkGateway><tt:IPv4Address>{gateway}</tt:IPv4Address></tds:NetworkGateway>\
            </tds:GetNetworkDefaultGatewayResponse>"
    )))
}

pub(super) fn set_network_default_gateway(cam: &App, _ctx: &Context, env: &Envelope) -> Result<Answer, SoapFault> {
    let change = NetworkChange { gateway: address(env.text("IPv4Address")), ..NetworkChange::default() };
    change_network(cam, change, "<tds:SetNetworkDefaultGatewayResponse/>")
}

pub(super) fn set_dns(cam: &App, _ctx: &Context, env: &Envelope) -> Result<Answer, SoapFault> {
    if env.flag("FromDHCP")? == Some(true) && !lock(&cam.network).config.dhcp {
        return Err(SoapFault::invalid("FromDHCP: the camera's address is not from DHCP"));
    }
    let servers: Vec<&str> = env.all("IPv4Address").map(|e| e.text.as_str()).collect();
    if servers.len() > 2 {
        return Err(SoapFault::sender(&["ter:InvalidArgVal", "ter:InvalidIPv4Address"], "at most two DNS servers"));
    }
    let mut change = NetworkChange::default();
    for (slot, server) in change.dns.iter_mut().zip(servers) {
        *slot = address(Some(server));
    }
    change_network(cam, change, "<tds:SetDNSResponse/>")
}

pub(super) fn set_ntp(cam: &App, _ctx: &Context, env: &Envelope) -> Result<Answer, SoapFault> {
    if env.flag("FromDHCP")? == Some(true) {
        return Err(SoapFault::invalid("FromDHCP: NTP servers from DHCP are not supported"));
    }
    let servers: Vec<&str> = env.all("DNSname").chain(env.all("IPv4Address")).map(|e| e.text.as_str()).collect();
    let server = match servers.as_slice() {
        [] => return Err(SoapFault::invalid("NTPManual: one NTP server")),
        [one] => one.to_string(),
        _ => return Err(SoapFault::invalid("NTPManual: the camera keeps one NTP server")),
    };
    let change = TimeChange { ntpaddr: Some(server), ..TimeChange::default() };
    time::set(&cam.shared, &cam.time, change).map_err(from_refusal)?;
    Ok(Answer::new("<tds:SetNTPResponse/>".into()))
}

pub(super) fn get_network_protocols(cam: &App, _ctx: &Context, _env: &Envelope) -> Result<Answer, SoapFault> {
    let http = lock(&cam.network).config.port;
    let (rtsp, _) = lock(&cam.video).hal.rtsp(StreamId::Main);
    let https = cam.https.get().map_or(String::new(), |h| {
        format!(
            "<tds:NetworkProtocols><tt:Name>HTTPS</tt:Name><tt:Enabled>true</tt:Enabled><tt:Port>{}</tt:Port></tds:NetworkProtocols>",
            h.port
        )
    });
    Ok(Answer::new(format!(
        "<tds:GetNetworkProtocolsResponse>\
            <tds:NetworkProtocols><tt:Name>HTTP</tt:Name><tt:Enabled>true</tt:Enabled><tt:Port>{http}</tt:Port></tds:NetworkProtocols>\
            {https}\
            <tds:NetworkProtocols><tt:Name>RTSP</tt:Name><tt:Enabled>true</tt:Enabled><tt:Port>{rtsp}</tt:Port></tds:NetworkProtocols>\
            </tds:GetNetworkProtocolsResponse>"
    )))
}

/// Sets the HTTP port (the camera moves to it after answering). The RTSP
/// port is the streamer's, another program's: it can be given only as it
/// is, and so can HTTPS's (`--https-listen`), which is served or not.
pub(super) fn set_network_protocols(cam: &App, _ctx: &Context, env: &Envelope) -> Result<Answer, SoapFault> {
    let (rtsp, _) = lock(&cam.video).hal.rtsp(StreamId::Main);
    let mut change = NetworkChange::default();
    for protocol in env.each_within("NetworkProtocols") {
        let text = |name: &str| protocol.iter().find(|e| e.name == name).map(|e| e.text.as_str());
        let enabled = text("Enabled") != Some("false");
        let ports: Vec<&str> = protocol.iter().filter(|e| e.name == "Port").map(|e| e.text.as_str()).collect();
        match (text("Name"), enabled) {
            (Some("HTTP"), false) | (Some("RTSP"), false) => return Err(SoapFault::invalid("HTTP and RTSP cannot be switched off")),
            (Some("HTTP"), true) => match ports.as_slice() {
                [] => {}
                [port] => change.port = crate::api::fields::given_int_text(Some(port)),
                _ => return Err(SoapFault::invalid("HTTP: the camera serves one port")),
            },
            (Some("RTSP"), true) => {
                if ports.iter().any(|p| p.parse::<u16>().ok() != Some(rtsp)) {
                    return Err(SoapFault::invalid(format!("RTSP: the streamer serves port {rtsp}")));
                }
            }
            (Some("HTTPS"), enabled) => match cam.https.get() {
                None if !enabled => {}
                None => return Err(SoapFault::sender(&["ter:InvalidArgVal", "ter:ServiceNotSupported"], "HTTPS is not served")),
                Some(_) if !enabled => return Err(SoapFault::invalid("HTTPS cannot be switched off (plain HTTP can: /cgi-bin/https)")),
                Some(https) => {
                    if ports.iter().any(|p| p.parse::<u16>().ok() != Some(https.port)) {
                        return Err(SoapFault::invalid(format!("HTTPS: the camera serves port {}", https.port)));
                    }
                }
            },
            _ => return Err(SoapFault::invalid("Name: HTTP, HTTPS or RTSP")),
        }
    }
    change_network(cam, change, "<tds:SetNetworkProtocolsResponse/>")
}
