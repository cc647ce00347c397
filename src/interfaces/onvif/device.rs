//! The device service: identity, clock, capabilities and services,
//! scopes, network, accounts, reboot and defaults, discovery mode.

use super::identity::identity;
use super::soap::{esc, Envelope, SoapFault};
use super::{clock, device_fault, network, scopes, Operation};
use super::{from_refusal, Answer, App, Context};
use crate::interfaces::access;
use crate::interfaces::call::After;
use crate::interfaces::users::{self, change_accounts, AccountChange, Change};
use crate::state::accounts::Privilege;
use crate::state::acts::Act::{Administer, Configure, FactoryReset, Read, Reboot};
use crate::state::app::lock;
use std::fmt::Write;

/// ONVIF's user levels are the CGI's names; `Anonymous` and `Extended` are refused.
fn wanted_level(text: Option<&str>) -> Result<Option<Privilege>, SoapFault> {
    text.map(|v| Privilege::parse(v).ok_or_else(|| SoapFault::invalid("UserLevel: Administrator, Operator or User"))).transpose()
}

/// The services and their addresses.
/// Each service the camera has: its namespace, address and capabilities.
fn services(base: &str, ptz: bool) -> Vec<(&'static str, String, &'static str)> {
    let mut all = vec![
        ("http://www.onvif.org/ver10/device/wsdl", format!("{base}/onvif/device_service"), super::capabilities::DEVICE),
        ("http://www.onvif.org/ver10/media/wsdl", format!("{base}/onvif/media_service"), super::capabilities::MEDIA),
        ("http://www.onvif.org/ver20/media/wsdl", format!("{base}/onvif/media2_service"), super::capabilities::MEDIA2),
        ("http://www.onvif.org/ver10/events/wsdl", format!("{base}/onvif/events_service"), super::capabilities::EVENTS),
        ("http://www.onvif.org/ver20/imaging/wsdl", format!("{base}/onvif/imaging_service"), super::capabilities::IMAGING),
    ];
    if ptz {
        all.push(("http://www.onvif.org/ver20/ptz/wsdl", format!("{base}/onvif/ptz_service"), super::capabilities::PTZ));
    }
    all
}

fn users(cam: &App, env: &Envelope, operation: &str) -> Result<Answer, SoapFault> {
    let mut changes = Vec::new();
    match operation {
        "GetUsers" => {
            let mut body = String::from("<tds:GetUsersResponse>");
            for a in &lock(&cam.shared.accounts).users {
                let _ = write!(
                    body,
                    "<tds:User><tt:Username>{}</tt:Username><tt:UserLevel>{}</tt:UserLevel></tds:User>",
                    esc(&a.name),
                    a.privilege.name()
                );
            }
            body.push_str("</tds:GetUsersResponse>");
            return Ok(Answer::new(body));
        }
        "DeleteUsers" => changes.extend(env.all("Username").map(|u| Change::Delete(u.text.as_str()))),
        _ => {
            // Each User's own fields: one left out is not taken from the next.
            for user in env.each_within("User") {
                let field = |name: &'static str| user.iter().find(|e| e.name == name).map(|e| e.text.as_str());
                let wanted = AccountChange {
                    name: field("Username").unwrap_or_default(),
                    password: field("Password"),
                    privilege: wanted_level(field("UserLevel"))?,
                    enabled: None,
                };
                if wanted.password.is_some_and(|p| !crate::state::accounts::valid_password(p)) {
                    return Err(SoapFault::invalid("Password: 1-64 printable characters"));
                }
                changes.push(if operation == "CreateUsers" { Change::Add(wanted) } else { Change::Edit(wanted) });
            }
        }
    }
    if changes.is_empty() {
        return Err(SoapFault::invalid("no user given"));
    }
    change_accounts(&cam.shared, &changes).map_err(|f| {
        let reason = f.reason.into_owned();
        match reason.as_str() {
            users::DUPLICATED => SoapFault::sender(&["ter:OperationProhibited", "ter:UsernameClash"], reason),
            users::TOO_MANY => SoapFault::receiver(&["ter:Action", "ter:TooManyUsers"], reason),
            users::NO_SUCH_USER | users::NO_USER_TO_EDIT => SoapFault::invalid(format!("{reason}: no such user")),
            _ => SoapFault::invalid(reason),
        }
    })?;
    Ok(Answer::new(format!("<tds:{operation}Response/>")))
}

/// The device service's operations: name, privilege, answered before authentication, handler.
pub const OPERATIONS: &[Operation] = &[
    Operation { name: "GetDeviceInformation", act: Read, open: false, run: get_device_information },
    Operation { name: "GetSystemDateAndTime", act: Read, open: true, run: clock::get_system_date_and_time },
    Operation { name: "SetSystemDateAndTime", act: Configure, open: false, run: clock::set_system_date_and_time },
    Operation { name: "GetCapabilities", act: Read, open: true, run: get_capabilities },
    Operation { name: "GetServices", act: Read, open: true, run: get_services },
    Operation { name: "GetServiceCapabilities", act: Read, open: true, run: get_service_capabilities },
    Operation { name: "GetWsdlUrl", act: Read, open: true, run: get_wsdl_url },
    Operation { name: "GetEndpointReference", act: Read, open: true, run: get_endpoint_reference },
    Operation { name: "GetScopes", act: Read, open: false, run: scopes::get_scopes },
    Operation { name: "SetScopes", act: Administer, open: false, run: scopes::set_scopes },
    Operation { name: "AddScopes", act: Administer, open: false, run: scopes::add_scopes },
    Operation { name: "RemoveScopes", act: Administer, open: false, run: scopes::remove_scopes },
    Operation { name: "GetHostname", act: Read, open: true, run: network::get_hostname },
    Operation { name: "SetHostname", act: Configure, open: false, run: network::set_hostname },
    Operation { name: "GetNetworkInterfaces", act: Read, open: false, run: network::get_network_interfaces },
    Operation { name: "SetNetworkInterfaces", act: Configure, open: false, run: network::set_network_interfaces },
    Operation { name: "GetNetworkProtocols", act: Read, open: false, run: network::get_network_protocols },
    Operation { name: "SetNetworkProtocols", act: Configure, open: false, run: network::set_network_protocols },
    Operation { name: "GetNetworkDefaultGateway", act: Read, open: false, run: network::get_network_default_gateway },
    Operation { name: "SetNetworkDefaultGateway", act: Configure, open: false, run: network::set_network_default_gateway },
    Operation { name: "GetDNS", act: Read, open: false, run: network::get_dns },
    Operation { name: "SetDNS", act: Configure, open: false, run: network::set_dns },
    Operation { name: "GetNTP", act: Read, open: false, run: network::get_ntp },
    Operation { name: "SetNTP", act: Configure, open: false, run: network::set_ntp },
    Operation { name: "GetUsers", act: Administer, open: false, run: accounts },
    Operation { name: "CreateUsers", act: Administer, open: false, run: accounts },
    Operation { name: "DeleteUsers", act: Administer, open: false, run: accounts },
    Operation { name: "SetUser", act: Administer, open: false, run: accounts },
    Operation { name: "SystemReboot", act: Reboot, open: false, run: system_reboot },
    Operation { name: "SetSystemFactoryDefault", act: FactoryReset, open: false, run: set_system_factory_default },
    Operation { name: "GetDiscoveryMode", act: Read, open: false, run: get_discovery_mode },
    Operation { name: "SetDiscoveryMode", act: Administer, open: false, run: set_discovery_mode },
];

fn get_device_information(cam: &App, _ctx: &Context, _env: &Envelope) -> Result<Answer, SoapFault> {
    let body = {
        let system = lock(&cam.system);
        let info = system.info().map_err(device_fault)?;
        let model = system.model().unwrap_or_default();
        format!(
            "<tds:GetDeviceInformationResponse><tds:Manufacturer>camcgi</tds:Manufacturer><tds:Model>{m}</tds:Model>\
                <tds:FirmwareVersion>{}</tds:FirmwareVersion><tds:SerialNumber>{}</tds:SerialNumber>\
                <tds:HardwareId>{m}</tds:HardwareId></tds:GetDeviceInformationResponse>",
            esc(&info.filesystem),
            esc(&info.serial),
            m = esc(&model)
        )
    };
    Ok(Answer::new(body))
}

fn get_capabilities(cam: &App, ctx: &Context, _env: &Envelope) -> Result<Answer, SoapFault> {
    let base = &ctx.base;
    let body = {
        let ptz = identity(cam).ptz;
        let ptz = if ptz { format!("<tt:PTZ><tt:XAddr>{base}/onvif/ptz_service</tt:XAddr></tt:PTZ>") } else { String::new() };
        format!(
            "<tds:GetCapabilitiesResponse><tds:Capabilities>\
             <tt:Device><tt:XAddr>{base}/onvif/device_service</tt:XAddr><tt:Network><tt:IPFilter>false</tt:IPFilter>\
             <tt:ZeroConfiguration>false</tt:ZeroConfiguration><tt:IPVersion6>false</tt:IPVersion6>\
             <tt:DynDNS>false</tt:DynDNS></tt:Network>\
             <tt:System><tt:DiscoveryResolve>false</tt:DiscoveryResolve><tt:DiscoveryBye>true</tt:DiscoveryBye>\
             <tt:RemoteDiscovery>false</tt:RemoteDiscovery><tt:SystemBackup>false</tt:SystemBackup>\
             <tt:SystemLogging>false</tt:SystemLogging><tt:FirmwareUpgrade>true</tt:FirmwareUpgrade>\
             <tt:SupportedVersions><tt:Major>2</tt:Major><tt:Minor>60</tt:Minor></tt:SupportedVersions></tt:System>\
             <tt:Security><tt:TLS1.1>false</tt:TLS1.1><tt:TLS1.2>false</tt:TLS1.2>\
             <tt:OnboardKeyGeneration>false</tt:OnboardKeyGeneration>\
             <tt:AccessPolicyConfig>false</tt:AccessPolicyConfig><tt:X.509Token>false</tt:X.509Token>\
             <tt:SAMLToken>false</tt:SAMLToken><tt:KerberosToken>false</tt:KerberosToken>\
             <tt:RELToken>false</tt:RELToken></tt:Security></tt:Device>\
             <tt:Events><tt:XAddr>{base}/onvif/events_service</tt:XAddr>\
             <tt:WSSubscriptionPolicySupport>false</tt:WSSubscriptionPolicySupport>\
             <tt:WSPullPointSupport>true</tt:WSPullPointSupport>\
             <tt:WSPausableSubscriptionManagerInterfaceSupport>false</tt:WSPausableSubscriptionManagerInterfaceSupport>\
             </tt:Events>\
             <tt:Imaging><tt:XAddr>{base}/onvif/imaging_service</tt:XAddr></tt:Imaging>\
             <tt:Media><tt:XAddr>{base}/onvif/media_service</tt:XAddr><tt:StreamingCapabilities>\
             <tt:RTPMulticast>false</tt:RTPMulticast><tt:RTP_TCP>true</tt:RTP_TCP>\
             <tt:RTP_RTSP_TCP>true</tt:RTP_RTSP_TCP></tt:StreamingCapabilities></tt:Media>\
             {ptz}</tds:Capabilities></tds:GetCapabilitiesResponse>"
        )
    };
    Ok(Answer::new(body))
}

fn get_services(cam: &App, ctx: &Context, env: &Envelope) -> Result<Answer, SoapFault> {
    let base = &ctx.base;
    let with_capabilities = env.flag("IncludeCapability")?.unwrap_or(false);
    let body = {
        let mut body = String::from("<tds:GetServicesResponse>");
        for (namespace, xaddr, capabilities) in services(base, identity(cam).ptz) {
            let _ = write!(body, "<tds:Service><tds:Namespace>{namespace}</tds:Namespace><tds:XAddr>{xaddr}</tds:XAddr>");
            if with_capabilities {
                let _ = write!(body, "<tds:Capabilities>{capabilities}</tds:Capabilities>");
            }
            body.push_str("<tds:Version><tt:Major>2</tt:Major><tt:Minor>60</tt:Minor></tds:Version></tds:Service>");
        }
        body.push_str("</tds:GetServicesResponse>");
        body
    };
    Ok(Answer::new(body))
}

fn get_service_capabilities(_cam: &App, _ctx: &Context, _env: &Envelope) -> Result<Answer, SoapFault> {
    Ok(Answer::new(format!("<tds:GetServiceCapabilitiesResponse>{}</tds:GetServiceCapabilitiesResponse>", super::capabilities::DEVICE)))
}

fn get_wsdl_url(_cam: &App, _ctx: &Context, _env: &Envelope) -> Result<Answer, SoapFault> {
    let body =
        "<tds:GetWsdlUrlResponse><tds:WsdlUrl>http://www.onvif.org/Documents/Specifications.aspx</tds:WsdlUrl></tds:GetWsdlUrlResponse>"
            .to_string();
    Ok(Answer::new(body))
}

fn get_endpoint_reference(cam: &App, _ctx: &Context, _env: &Envelope) -> Result<Answer, SoapFault> {
    let body = format!("<tds:GetEndpointReferenceResponse><tds:GUID>{}</tds:GUID></tds:GetEndpointReferenceResponse>", endpoint(cam));
    Ok(Answer::new(body))
}

fn accounts(cam: &App, _ctx: &Context, env: &Envelope) -> Result<Answer, SoapFault> {
    let operation = env.operation();
    users(cam, env, operation)
}

fn system_reboot(_cam: &App, ctx: &Context, _env: &Envelope) -> Result<Answer, SoapFault> {
    log::info!("onvif: reboot asked by {}", ctx.session.user);
    Ok(Answer {
        after: Some(After::Reboot),
        ..Answer::new("<tds:SystemRebootResponse><tds:Message>Rebooting</tds:Message></tds:SystemRebootResponse>".into())
    })
}

fn set_system_factory_default(_cam: &App, _ctx: &Context, env: &Envelope) -> Result<Answer, SoapFault> {
    let retain_network = match env.text("FactoryDefault") {
        Some("Soft") => true,
        Some("Hard") => false,
        _ => return Err(SoapFault::invalid("FactoryDefault: Hard or Soft")),
    };
    Ok(Answer { after: Some(After::FactoryReset { retain_network }), ..Answer::new("<tds:SetSystemFactoryDefaultResponse/>".into()) })
}

fn get_discovery_mode(cam: &App, _ctx: &Context, _env: &Envelope) -> Result<Answer, SoapFault> {
    let body = {
        let mode = if lock(&cam.shared.access).discoverable { "Discoverable" } else { "NonDiscoverable" };
        format!("<tds:GetDiscoveryModeResponse><tds:DiscoveryMode>{mode}</tds:DiscoveryMode></tds:GetDiscoveryModeResponse>")
    };
    Ok(Answer::new(body))
}

fn set_discovery_mode(cam: &App, _ctx: &Context, env: &Envelope) -> Result<Answer, SoapFault> {
    let body = {
        let on = match env.text("DiscoveryMode") {
            Some("Discoverable") => true,
            Some("NonDiscoverable") => false,
            _ => return Err(SoapFault::invalid("DiscoveryMode: Discoverable or NonDiscoverable")),
        };
        access::change(&cam.shared, |a| a.discoverable = on).map_err(from_refusal)?;
        "<tds:SetDiscoveryModeResponse/>".to_string()
    };
    Ok(Answer::new(body))
}

/// The camera's WS-Discovery endpoint: a UUID made from its MAC address,
/// so it stays the same across restarts.
pub fn endpoint(cam: &App) -> String {
    let mac = lock(&cam.network).hal.mac_address().unwrap_or_default();
    endpoint_from_mac(mac)
}

/// `urn:uuid:` of a name-based UUID for a MAC address.
pub fn endpoint_from_mac(mac: [u8; 6]) -> String {
    let mut bytes = [0u8; 16];
    bytes[..4].copy_from_slice(b"cmcg");
    bytes[10..].copy_from_slice(&mac);
    bytes[6] = 0x40 | (bytes[6] & 0x0f);
    bytes[8] = 0x80 | (bytes[8] & 0x3f);
    format!("urn:uuid:{}", uuid::Uuid::from_bytes(bytes).hyphenated())
}
