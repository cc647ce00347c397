//! The event service: pull-point and pushed (`Subscribe`, delivered by the
//! notifier) subscriptions in a fixed table, fed with
//! the board's motion detector as `tns1:RuleEngine/CellMotionDetector/Motion`
//! (`IsMotion`) and `tns1:VideoSource/MotionAlarm` (`State`). A pull waits
//! for a message up to its `Timeout`; a subscription ends at its
//! termination time.
//!
//! The table is shared out by holder (an account, or for anonymous
//! requests the client: an IPv4 address or an IPv6 /64): one holds at most
//! [`PER_HOLDER`], its next subscription ending its own oldest, and when the
//! table is full a holder with fewer takes the oldest of the one holding
//! most. One pull waits per subscription: a second pull answers the first at
//! once (with what the queue has), so the pulls waiting at any time number
//! at most [`CAPACITY`], and one holder's at most [`PER_HOLDER`]. Only its
//! holder, or an Administrator, may pull, renew or end a subscription; to
//! anyone else it does not exist.

use super::soap::{Envelope, SoapFault};
use super::subscriptions::{Holder, Message, Subscription, CAPACITY, DEFAULT_LIFE, MAX_LIFE, MAX_PULL, QUEUE};
use super::xsd::{datetime, duration_ms, format_datetime};
use super::Operation;
use super::{Answer, App, Context};
use crate::outbound::post::Endpoint;
use crate::state::accounts::Privilege;
use crate::state::acts::Act::{Read, Subscribe};
use crate::state::app::lock;
use crate::state::lockout::Client;
use heapless::Deque;
use std::fmt::Write;
use std::time::{Duration, Instant};

const MOTION: &str = "tns1:RuleEngine/CellMotionDetector/Motion";
const ALARM: &str = "tns1:VideoSource/MotionAlarm";

pub(super) fn notification(out: &mut String, m: &Message) {
    let op = if m.initial { "Initialized" } else { "Changed" };
    let at = format_datetime(m.at);
    let value = m.motion;
    let _ = write!(
        out,
        "<wsnt:NotificationMessage>\
            <wsnt:Topic Dialect=\"http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet\">{MOTION}</wsnt:Topic>\
            <wsnt:Message><tt:Message UtcTime=\"{at}\" PropertyOperation=\"{op}\"><tt:Source>\
            <tt:SimpleItem Name=\"VideoSourceConfigurationToken\" Value=\"video_src_config\"/>\
            <tt:SimpleItem Name=\"VideoAnalyticsConfigurationToken\" Value=\"analytics\"/>\
            <tt:SimpleItem Name=\"Rule\" Value=\"MotionDetectorRule\"/></tt:Source><tt:Data>\
            <tt:SimpleItem Name=\"IsMotion\" Value=\"{value}\"/></tt:Data></tt:Message></wsnt:Message>\
            </wsnt:NotificationMessage>\
         <wsnt:NotificationMessage>\
         <wsnt:Topic Dialect=\"http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet\">{ALARM}</wsnt:Topic>\
         <wsnt:Message>\
             <tt:Message UtcTime=\"{at}\" PropertyOperation=\"{op}\"><tt:Source>\
             <tt:SimpleItem Name=\"Source\" Value=\"video_src\"/></tt:Source><tt:Data>\
             <tt:SimpleItem Name=\"State\" Value=\"{value}\"/></tt:Data></tt:Message></wsnt:Message>\
             </wsnt:NotificationMessage>"
    );
}

/// A termination time: an `xs:duration` from now or an `xs:dateTime`.
/// The two clocks a subscription is kept on: its end on the monotonic
/// clock, and what the client is told on the wall clock.
#[derive(Debug, Clone, Copy)]
struct Clocks {
    now: Duration,
    wall: i64,
}

impl Clocks {
    fn read(cam: &App) -> Clocks {
        Clocks { now: cam.shared.now(), wall: lock(&cam.time).hal.now().unwrap_or(0) }
    }

    /// A monotonic time as the wall clock's `xs:dateTime`.
    fn wall_at(&self, t: Duration) -> String {
        format_datetime(self.wall + i64::try_from(t.saturating_sub(self.now).as_secs()).unwrap_or(0))
    }

    /// `CurrentTime` and `TerminationTime` for a subscription ending at `ends`,
    /// in the order of `CreatePullPointSubscriptionResponse`.
    fn times(&self, ends: Duration) -> String {
        format!(
            "<wsnt:CurrentTime>{}</wsnt:CurrentTime><wsnt:TerminationTime>{}</wsnt:TerminationTime>",
            format_datetime(self.wall),
            self.wall_at(ends)
        )
    }
}

fn life(text: Option<&str>, wall: i64) -> Result<Duration, SoapFault> {
    let Some(text) = text else { return Ok(DEFAULT_LIFE) };
    let life = match duration_ms(text) {
        Some(ms) => Duration::from_millis(ms),
        None => {
            let at = datetime(text).ok_or_else(|| SoapFault::sender(&["ter:InvalidArgVal"], "TerminationTime: a duration or a time"))?;
            Duration::from_secs(
                u64::try_from(at - wall).map_err(|_| SoapFault::sender(&["ter:InvalidArgVal"], "TerminationTime: in the past"))?,
            )
        }
    };
    Ok(life.clamp(Duration::from_secs(1), MAX_LIFE))
}

fn subscription_id(ctx: &Context) -> Result<u64, SoapFault> {
    crate::api::query::Params::parse(ctx.request.query).ok().and_then(|p| p.get("id").and_then(|id| id.parse().ok())).ok_or_else(unknown)
}

fn holder(ctx: &Context) -> Holder {
    if ctx.session.user.is_empty() {
        Holder::Client(Client::of(ctx.request.presented.peer))
    } else {
        Holder::Account(ctx.session.user.clone())
    }
}

/// Whether the request may act on a subscription: its holder's, or an
/// Administrator's. Anyone else is told it does not exist.
fn ours(ctx: &Context, me: &Holder, s: &Subscription) -> bool {
    &s.holder == me || ctx.session.privilege == Privilege::Administrator
}

/// WS-ResourceFramework's fault for a subscription the camera does not hold
/// (ended, unsubscribed, or another holder's): the camera's, as ONVIF's
/// Core has it.
fn unknown() -> SoapFault {
    SoapFault::receiver(&["wsrf-rw:ResourceUnknownFault"], "no such subscription")
}

/// The event service's operations (and its subscriptions'): name, privilege, answered before authentication, handler.
pub const OPERATIONS: &[Operation] = &[
    Operation { name: "GetServiceCapabilities", act: Read, open: true, run: get_service_capabilities },
    Operation { name: "GetEventProperties", act: Read, open: false, run: get_event_properties },
    Operation { name: "CreatePullPointSubscription", act: Subscribe, open: false, run: create_pull_point_subscription },
    Operation { name: "Subscribe", act: Subscribe, open: false, run: subscribe },
    Operation { name: "PullMessages", act: Subscribe, open: false, run: pull_messages },
    Operation { name: "Renew", act: Subscribe, open: false, run: renew },
    Operation { name: "Unsubscribe", act: Subscribe, open: false, run: unsubscribe },
    Operation { name: "SetSynchronizationPoint", act: Subscribe, open: false, run: set_synchronization_point },
];

fn get_service_capabilities(_cam: &App, _ctx: &Context, _env: &Envelope) -> Result<Answer, SoapFault> {
    Ok(Answer::new(format!("<tev:GetServiceCapabilitiesResponse>{}</tev:GetServiceCapabilitiesResponse>", super::capabilities::EVENTS)))
}

fn get_event_properties(_cam: &App, _ctx: &Context, _env: &Envelope) -> Result<Answer, SoapFault> {
    let body = "<tev:GetEventPropertiesResponse>\
        <tev:TopicNamespaceLocation>http://www.onvif.org/onvif/ver10/topics/topicns.xml</tev:TopicNamespaceLocation>\
        <wsnt:FixedTopicSet>true</wsnt:FixedTopicSet>\
        <wstop:TopicSet xmlns:wstop=\"http://docs.oasis-open.org/wsn/t-1\"><tns1:RuleEngine><CellMotionDetector>\
        <Motion wstop:topic=\"true\">\
            <tt:MessageDescription IsProperty=\"true\"><tt:Source>\
            <tt:SimpleItemDescription Name=\"VideoSourceConfigurationToken\" Type=\"tt:ReferenceToken\"/>\
            <tt:SimpleItemDescription Name=\"VideoAnalyticsConfigurationToken\" Type=\"tt:ReferenceToken\"/>\
            <tt:SimpleItemDescription Name=\"Rule\" Type=\"xs:string\"/></tt:Source><tt:Data>\
            <tt:SimpleItemDescription Name=\"IsMotion\" Type=\"xs:boolean\"/></tt:Data></tt:MessageDescription></Motion>\
            </CellMotionDetector></tns1:RuleEngine>\
        <tns1:VideoSource><MotionAlarm wstop:topic=\"true\"><tt:MessageDescription IsProperty=\"true\"><tt:Source>\
            <tt:SimpleItemDescription Name=\"Source\" Type=\"tt:ReferenceToken\"/></tt:Source><tt:Data>\
            <tt:SimpleItemDescription Name=\"State\" Type=\"xs:boolean\"/></tt:Data></tt:MessageDescription></MotionAlarm>\
            </tns1:VideoSource></wstop:TopicSet>\
        <wsnt:TopicExpressionDialect>http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet</wsnt:TopicExpressionDialect>\
        <wsnt:TopicExpressionDialect>http://docs.oasis-open.org/wsn/t-1/TopicExpression/Concrete</wsnt:TopicExpressionDialect>\
        <tev:MessageContentFilterDialect>http://www.onvif.org/ver10/tev/messageContentFilter/ItemFilter</tev:MessageContentFilterDialect>\
        <tev:MessageContentSchemaLocation>http://www.onvif.org/onvif/ver10/schema/onvif.xsd</tev:MessageContentSchemaLocation>\
        </tev:GetEventPropertiesResponse>"
        .to_string();
    Ok(Answer::new(body))
}

/// Adds a subscription for the request's holder, pulled or pushed to
/// `consumer`: its id, end, and the clocks it was made by.
fn add_subscription(
    cam: &App,
    ctx: &Context,
    life_given: Option<&str>,
    consumer: Option<Endpoint>,
) -> Result<(u64, Clocks, Duration), SoapFault> {
    let events = &cam.events;
    let clocks = Clocks::read(cam);
    let (now, wall) = (clocks.now, clocks.wall);
    let ends = now + life(life_given, wall)?;
    let id = u64::from_le_bytes(crate::state::secret::random::<8>()) >> 1;
    let mut table = lock(&events.table);
    table.subscriptions.retain(|s| s.ends > now);
    let motion = table.motion;
    let holder = holder(ctx);
    let room = table.make_room(&holder);
    // A pull on a subscription that ended wakes to say so; the notifier
    // wakes to push the state to a new consumer.
    events.arrived.notify_all();
    let mut s = Subscription { id, holder, ends, queue: Deque::new(), pulls: 0, consumer, resend_at: Duration::ZERO, queued: 0 };
    s.push(Message { at: wall, motion, initial: true });
    if !room || table.subscriptions.push(s).is_err() {
        return Err(SoapFault::receiver(&["ter:Action", "ter:TooManySubscriptions"], format!("{CAPACITY} subscriptions are live")));
    }
    Ok((id, clocks, ends))
}

fn create_pull_point_subscription(cam: &App, ctx: &Context, env: &Envelope) -> Result<Answer, SoapFault> {
    let (id, clocks, ends) = add_subscription(cam, ctx, env.text("InitialTerminationTime"), None)?;
    Ok(Answer::new(format!(
        "<tev:CreatePullPointSubscriptionResponse><tev:SubscriptionReference>\
            <wsa:Address>{}/onvif/subscription?id={id}</wsa:Address>\
            </tev:SubscriptionReference>{}</tev:CreatePullPointSubscriptionResponse>",
        ctx.base,
        clocks.times(ends)
    )))
}

/// WS-BaseNotification's `Subscribe`: the messages are pushed to the
/// consumer's `http://` address (`Notify`) by the notifier.
fn subscribe(cam: &App, ctx: &Context, env: &Envelope) -> Result<Answer, SoapFault> {
    let address = env.within("ConsumerReference").iter().find(|e| e.name == "Address").map(|e| e.text.trim());
    let consumer = address
        .and_then(Endpoint::parse)
        .ok_or_else(|| SoapFault::sender(&["ter:InvalidArgVal"], "ConsumerReference: an http:// address (the camera pushes no HTTPS)"))?;
    let (id, clocks, ends) = add_subscription(cam, ctx, env.text("InitialTerminationTime"), Some(consumer))?;
    Ok(Answer::new(format!(
        "<wsnt:SubscribeResponse><wsnt:SubscriptionReference>\
            <wsa:Address>{}/onvif/subscription?id={id}</wsa:Address>\
            </wsnt:SubscriptionReference>{}</wsnt:SubscribeResponse>",
        ctx.base,
        clocks.times(ends)
    )))
}

fn pull_messages(cam: &App, ctx: &Context, env: &Envelope) -> Result<Answer, SoapFault> {
    let events = &cam.events;
    let clocks = Clocks::read(cam);
    let wall = clocks.wall;
    let id = subscription_id(ctx)?;
    let wait = env.text("Timeout").map(|t| duration_ms(t).ok_or_else(|| SoapFault::invalid("Timeout: an xs:duration"))).transpose()?;
    let wait = wait.map_or(Duration::from_secs(10), Duration::from_millis).min(MAX_PULL);
    let limit = env.text("MessageLimit").and_then(|l| l.parse::<usize>().ok()).unwrap_or(QUEUE).clamp(1, QUEUE);
    let deadline = Instant::now() + wait;
    let mut table = lock(&events.table);
    let me = holder(ctx);
    // A pushed subscription is not pulled from.
    let live = |s: &Subscription| s.id == id && s.ends > cam.shared.now() && s.consumer.is_none() && ours(ctx, &me, s);
    let s = table.subscriptions.iter_mut().find(|s| live(s)).ok_or_else(unknown)?;
    s.pulls = s.pulls.wrapping_add(1);
    let this_pull = s.pulls;
    // An earlier pull still waiting on this subscription answers now.
    events.arrived.notify_all();
    let (messages, ends) = loop {
        let s = table.subscriptions.iter_mut().find(|s| live(s)).ok_or_else(unknown)?;
        if !s.queue.is_empty() || Instant::now() >= deadline || s.pulls != this_pull {
            // A client that gave up its pull takes nothing: what arrived
            // stays queued for its next pull (Core: messages not sent are
            // not discarded).
            let gone = (ctx.request.peer_gone)();
            let taken: Vec<Message> = std::iter::from_fn(|| s.queue.pop_front()).take(if gone { 0 } else { limit }).collect();
            break (taken, s.ends);
        }
        let left = deadline.saturating_duration_since(Instant::now());
        table = events.arrived.wait_timeout(table, left).map(|(t, _)| t).unwrap_or_else(|p| p.into_inner().0);
    };
    drop(table);
    let mut body = format!(
        "<tev:PullMessagesResponse><tev:CurrentTime>{}</tev:CurrentTime><tev:TerminationTime>{}</tev:TerminationTime>",
        format_datetime(lock(&cam.time).hal.now().unwrap_or(wall)),
        clocks.wall_at(ends)
    );
    for m in &messages {
        notification(&mut body, m);
    }
    Ok(Answer {
        action: Some("http://www.onvif.org/ver10/events/wsdl/PullPointSubscription/PullMessagesResponse"),
        ..Answer::new(body + "</tev:PullMessagesResponse>")
    })
}

fn renew(cam: &App, ctx: &Context, env: &Envelope) -> Result<Answer, SoapFault> {
    let events = &cam.events;
    let clocks = Clocks::read(cam);
    let (now, wall) = (clocks.now, clocks.wall);
    let body = {
        let id = subscription_id(ctx)?;
        let ends = now + life(env.text("TerminationTime"), wall)?;
        let mut table = lock(&events.table);
        let me = holder(ctx);
        let s = table.subscriptions.iter_mut().find(|s| s.id == id && s.ends > now && ours(ctx, &me, s)).ok_or_else(unknown)?;
        s.ends = ends;
        // WS-BaseNotification's order: TerminationTime, then CurrentTime.
        format!(
            "<wsnt:RenewResponse><wsnt:TerminationTime>{}</wsnt:TerminationTime>\
                <wsnt:CurrentTime>{}</wsnt:CurrentTime></wsnt:RenewResponse>",
            clocks.wall_at(ends),
            format_datetime(wall)
        )
    };
    Ok(Answer::new(body))
}

fn unsubscribe(cam: &App, ctx: &Context, _env: &Envelope) -> Result<Answer, SoapFault> {
    let events = &cam.events;
    let body = {
        let id = subscription_id(ctx)?;
        let me = holder(ctx);
        let mut table = lock(&events.table);
        let before = table.subscriptions.len();
        table.subscriptions.retain(|s| s.id != id || !ours(ctx, &me, s));
        if table.subscriptions.len() == before {
            return Err(unknown());
        }
        events.arrived.notify_all();
        "<wsnt:UnsubscribeResponse/>".to_string()
    };
    Ok(Answer::new(body))
}

fn set_synchronization_point(cam: &App, ctx: &Context, _env: &Envelope) -> Result<Answer, SoapFault> {
    let events = &cam.events;
    let Clocks { now, wall } = Clocks::read(cam);
    let body = {
        let id = subscription_id(ctx)?;
        let mut table = lock(&events.table);
        let motion = table.motion;
        let me = holder(ctx);
        let s = table.subscriptions.iter_mut().find(|s| s.id == id && s.ends > now && ours(ctx, &me, s)).ok_or_else(unknown)?;
        s.push(Message { at: wall, motion, initial: true });
        events.arrived.notify_all();
        "<tev:SetSynchronizationPointResponse/>".to_string()
    };
    Ok(Answer::new(body))
}
