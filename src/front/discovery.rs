//! The WS-Discovery responder: one UDP socket on port 3702 in the
//! 239.255.255.250 group, answering probes (bounded, one datagram at a
//! time) while the camera is discoverable, with Hello at start and Bye at
//! stop.

use crate::interfaces::onvif::discovery::{bye, hello, probe_matches, MAX_PROBE, MULTICAST};
use crate::router::camera::App;
use crate::state::app::lock;
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, AtomicU16, Ordering};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::Duration;

/// A running responder.
pub struct Responder {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<()>,
}

/// The address this host reaches `peer` from (the route's source).
fn local_address_towards(peer: SocketAddr) -> Option<IpAddr> {
    let probe = UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0)).ok()?;
    probe.connect(peer).ok()?;
    probe.local_addr().ok().map(|a| a.ip())
}

fn xaddr(ip: IpAddr, port: u16) -> String {
    match ip {
        IpAddr::V6(v6) => format!("http://[{v6}]:{port}/onvif/device_service"),
        IpAddr::V4(v4) => format!("http://{v4}:{port}/onvif/device_service"),
    }
}

fn discoverable(app: &App) -> bool {
    let access = *lock(&app.access);
    access.onvif && access.discoverable
}

impl Responder {
    /// Binds `addr` and joins the discovery group on every interface the
    /// kernel picks (a camera has one); `port` is the HTTP port served now.
    pub fn start(app: Arc<App>, addr: SocketAddr, port: Arc<AtomicU16>) -> io::Result<Responder> {
        let socket = UdpSocket::bind(addr)?;
        if let Err(e) = socket.join_multicast_v4(&Ipv4Addr::new(239, 255, 255, 250), &Ipv4Addr::UNSPECIFIED) {
            log::warn!("ws-discovery: not in the multicast group ({e}); unicast probes only");
        }
        socket.set_read_timeout(Some(Duration::from_millis(500)))?;
        log::info!("ws-discovery on {}", socket.local_addr()?);
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = stop.clone();
        let thread = thread::Builder::new().name("ws-discovery".into()).spawn(move || {
            let cam = app.onvif();
            if discoverable(&app) {
                if let Some(ip) = local_address_towards(MULTICAST) {
                    let _ = socket.send_to(&hello(&cam, &xaddr(ip, port.load(Ordering::Relaxed))), MULTICAST);
                }
            }
            let mut buf = vec![0u8; MAX_PROBE];
            while !stopping.load(Ordering::Relaxed) {
                let (n, peer) = match socket.recv_from(&mut buf) {
                    Ok(got) => got,
                    Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut | io::ErrorKind::Interrupted) => continue,
                    Err(e) => {
                        log::error!("ws-discovery: {e}");
                        thread::sleep(Duration::from_millis(500));
                        continue;
                    }
                };
                if !discoverable(&app) {
                    continue;
                }
                let Some(ip) = local_address_towards(peer) else { continue };
                if let Some(answer) = probe_matches(&cam, &buf[..n], &xaddr(ip, port.load(Ordering::Relaxed))) {
                    if let Err(e) = socket.send_to(&answer, peer) {
                        log::debug!("ws-discovery: no answer to {peer}: {e}");
                    }
                }
            }
            if discoverable(&app) {
                let _ = socket.send_to(&bye(&cam), MULTICAST);
            }
        })?;
        Ok(Responder { stop, thread })
    }

    /// Says Bye and stops.
    pub fn stop(self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.thread.join();
    }
}
