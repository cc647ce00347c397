//! The notifier: one thread that pushes the messages of `Subscribe`
//! subscriptions to their consumers as WS-BaseNotification `Notify`
//! requests, one consumer at a time, each delivery bounded by
//! [`DELIVERY`]. A consumer that cannot be reached, or does not answer 2xx,
//! keeps its messages (its queue bounded, the oldest going first) and is
//! tried again after [`RESEND_AFTER`](super::subscriptions), so a dead or
//! silent address costs the others at most one delivery's time in that
//! span. The thread is the only one pushing, whatever the number of
//! subscriptions.

use super::events::notification;
use super::soap::envelope_with_header;
use super::subscriptions::Delivery;
use crate::interfaces::camera::App;
use crate::outbound::post::post;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// The longest one delivery takes: name lookup, connection, request and
/// the answer's status line.
pub const DELIVERY: Duration = Duration::from_secs(2);
/// How often the notifier looks again when nothing wakes it (a consumer
/// due to be tried again).
const LOOK_AGAIN: Duration = Duration::from_millis(500);
const NOTIFY_ACTION: &str = "http://docs.oasis-open.org/wsn/bw-2/NotificationConsumer/Notify";

/// The running notifier.
#[derive(Debug)]
pub struct Notifier {
    stopping: Arc<AtomicBool>,
    thread: JoinHandle<()>,
}

impl Notifier {
    /// Starts the notifier's thread.
    pub fn start(app: Arc<App>) -> std::io::Result<Notifier> {
        let stopping = Arc::new(AtomicBool::new(false));
        let stop = stopping.clone();
        let thread = thread::Builder::new().name("onvif-notify".into()).stack_size(128 * 1024).spawn(move || {
            while !stop.load(Ordering::SeqCst) {
                // A delivery that panics is given up; the notifier goes on.
                let round = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| push_next(&app)));
                if round.is_err() {
                    log::error!("a notification delivery panicked");
                }
            }
        })?;
        Ok(Notifier { stopping, thread })
    }

    /// Stops the thread after the delivery under way, if any.
    pub fn stop(self, app: &App) {
        self.stopping.store(true, Ordering::SeqCst);
        app.events.arrived.notify_all();
        let _ = self.thread.join();
    }
}

/// Waits for a subscription with messages to push, and pushes them.
fn push_next(app: &App) {
    let Some(delivery) = app.events.next_delivery(|| app.now(), LOOK_AGAIN) else { return };
    let ok = deliver(&delivery);
    app.events.delivered(&delivery, ok, app.now());
}

/// The `Notify` request for a delivery's messages.
fn notify(d: &Delivery) -> Vec<u8> {
    let mut body = String::from("<wsnt:Notify>");
    for m in &d.messages {
        notification(&mut body, m);
    }
    body.push_str("</wsnt:Notify>");
    let header = format!("<wsa:Action>{NOTIFY_ACTION}</wsa:Action><wsa:To>{}</wsa:To>", super::soap::esc(&d.to.url()));
    envelope_with_header(&header, &body)
}

fn deliver(d: &Delivery) -> bool {
    let content_type = format!("application/soap+xml; charset=utf-8; action=\"{NOTIFY_ACTION}\"");
    match post(&d.to, &content_type, &notify(d), Instant::now() + DELIVERY) {
        Ok(status) if (200..300).contains(&status) => true,
        Ok(status) => {
            log::warn!("notification consumer {}:{} answered {status}", d.to.host, d.to.port);
            false
        }
        Err(f) => {
            log::warn!("notification consumer {}:{}: {}: {}", d.to.host, d.to.port, f.step, f.detail);
            false
        }
    }
}
