//! camcgi: a server's connections, served by a few threads waiting on one
//! epoll instance.
//!
//! Upstream gave every connection a thread for its whole life: each request
//! woke a thread of its own (a context switch per request), and 64 open
//! connections held 64 threads and their stacks. Here a connection waiting
//! for a request, or for its client to take an answer, holds no thread: it
//! is registered in epoll once, edge-triggered, and its events are counted
//! so that one thread at a time serves it. A thread takes up to `BATCH`
//! events per wait and queues those it does not serve first.
//!
//! A thread that takes a connection's event reads what has arrived, without
//! blocking, behind what was kept from before. Once a whole head is in (and a
//! body of up to `SMALL_BODY` sent without `Expect`), it parses it and calls
//! the handler on that same thread. The answer goes into the connection's
//! outbox and out without blocking; what the socket cannot take yet waits
//! there until the socket is writable, and no pipelined request is read
//! meanwhile. A larger body is read by the handler from the socket,
//! blocking, within the timeout of each read; an answer larger than the
//! outbox is written the same way, within the police's deadline.
//!
//! One thread serves while the handlers it calls return promptly. When no
//! thread is waiting for events and none has finished one for `STALL` (a
//! handler blocks: a snapshot, a firmware upload, an outside server), a
//! spare thread starts, so a handler that blocks holds up the others by
//! `STALL` at most; the events it had queued are taken by the spare, or by
//! a waiting thread woken for them. Starting a thread whenever none waits instead grew 93
//! threads for 64 busy connections on two cores: a thread that is merely
//! preempted does not wait either. A thread idle for `IDLE_THREAD_LINGER`
//! ends, unless it is the last one waiting for events.

use std::collections::VecDeque;
use std::convert::TryFrom;
use std::io::{self, Cursor, Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread;
use std::time::Duration;

use nix::errno::Errno;
use nix::sys::epoll::{Epoll, EpollCreateFlags, EpollEvent, EpollFlags, EpollTimeout};

use crate::client::{parse_head, Parsed, MAX_HEAD};
use crate::connection::Connection;
use crate::request::{body_framing, expectation, new_request, Expectation, Framing, SMALL_BODY};
use crate::util::shared::SharedWriter;
use crate::util::{Registry, Watch};
use crate::{HTTPVersion, Handler, Response, StatusCode};

/// What a connection's bytes are read into: a head and a small body.
const READ_BUFFER: usize = MAX_HEAD + SMALL_BODY;
/// Answer bytes kept in a connection's outbox before it is written out,
/// blocking.
const OUTBOX_LIMIT: usize = 16 * 1024;
/// An outbox's memory kept for the connection's next answer.
const OUTBOX_KEPT: usize = 4 * 1024;
/// How long the event loop may go without a thread waiting for events and
/// without an event served before a spare thread starts.
const STALL: Duration = Duration::from_millis(10);
/// How long a thread beyond the first waits for an event before it ends.
const IDLE_THREAD_LINGER: Duration = Duration::from_secs(10);
/// The event that wakes every thread when the server has ended.
const WAKER: u64 = u64::MAX;
/// The event that wakes one waiting thread to take the queued events.
const POKE: u64 = u64::MAX - 1;
/// Events taken from epoll at once.
const BATCH: usize = 16;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// A connection is registered once, edge-triggered: an event says that
/// something changed (bytes arrived, room to write, the peer closed), and
/// nothing is re-armed per request.
fn interest() -> EpollFlags {
    EpollFlags::EPOLLIN | EpollFlags::EPOLLOUT | EpollFlags::EPOLLRDHUP | EpollFlags::EPOLLET
}

/// An answer on its way to the socket.
pub(crate) struct Outbox {
    bytes: Vec<u8>,
    socket: Arc<Connection>,
    watch: Arc<Watch>,
}

impl Outbox {
    /// Sends what the socket takes now; whether everything went.
    fn send_now(&mut self) -> io::Result<bool> {
        let mut sent = 0;
        let mut flushed = true;
        while sent < self.bytes.len() {
            match self.socket.send_now(&self.bytes[sent..]) {
                Ok(n) => sent += n,
                Err(Errno::EAGAIN) => break,
                Err(Errno::EINTR) => {}
                Err(e) => {
                    self.bytes = Vec::new();
                    return Err(e.into());
                }
            }
        }
        if sent > 0 {
            self.watch.progressed();
        }
        self.bytes.drain(..sent);
        if self.bytes.is_empty() {
            if self.bytes.capacity() > OUTBOX_KEPT {
                self.bytes = Vec::new();
            }
            // A TLS connection's last records.
            flushed = self.socket.flush_now().map_err(|e| {
                self.bytes = Vec::new();
                io::Error::from(e)
            })?;
        }
        Ok(self.bytes.is_empty() && flushed)
    }

    /// Nothing waits to be sent, neither answer bytes nor TLS records.
    fn is_empty(&self) -> bool {
        self.bytes.is_empty() && !self.socket.sending()
    }

    /// Writes `bytes` blocking, each write's progress marked, so that a
    /// client taking a large answer steadily is seen to make progress.
    fn write_blocking(&self, mut bytes: &[u8]) -> io::Result<()> {
        while !bytes.is_empty() {
            match (&*self.socket).write(bytes) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => {
                    self.watch.progressed();
                    bytes = &bytes[n..];
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}

impl Write for Outbox {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.bytes.len() + buf.len() > OUTBOX_LIMIT {
            // A large answer: written as it comes, blocking.
            self.write_blocking(&self.bytes)?;
            self.bytes = Vec::new();
            if buf.len() > OUTBOX_LIMIT {
                self.write_blocking(buf)?;
                return Ok(buf.len());
            }
        }
        self.bytes.extend_from_slice(buf);
        Ok(buf.len())
    }

    /// Sends what the socket takes now; the rest follows when it is writable.
    fn flush(&mut self) -> io::Result<()> {
        self.send_now().map(drop)
    }
}

/// A request's body: what was read with its head, then the socket, at the
/// rate the police holds a body to.
struct BodySource {
    buffered: Cursor<Vec<u8>>,
    socket: Arc<Connection>,
    watch: Arc<Watch>,
}

impl Read for BodySource {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.buffered.read(buf)?;
        if n > 0 || buf.is_empty() {
            return Ok(n);
        }
        self.watch.reading_body();
        let n = (&*self.socket).read(buf)?;
        self.watch.body_progressed(n);
        Ok(n)
    }
}

/// What a connection keeps between its events.
#[derive(Default)]
struct Kept {
    /// Bytes read that are not a whole request yet.
    input: Vec<u8>,
    /// The connection ends once its outbox is empty.
    ending: bool,
}

/// One accepted connection.
struct Conn {
    socket: Arc<Connection>,
    watch: Arc<Watch>,
    peer: Option<SocketAddr>,
    outbox: SharedWriter<Outbox>,
    kept: Mutex<Kept>,
    /// Its events not yet served. The thread that raises it from 0 serves
    /// the connection until it is back at 0; a thread that takes an event
    /// meanwhile only counts it, so one thread at a time serves a connection.
    events: AtomicUsize,
    closed: AtomicBool,
}

/// The connections of one server, and the threads that serve them.
pub(crate) struct EventLoop {
    epoll: Epoll,
    registry: Arc<Registry>,
    handler: Handler,
    /// Indexed by descriptor: a descriptor is one connection's while it is open.
    conns: Mutex<Vec<Option<Arc<Conn>>>>,
    threads: AtomicUsize,
    waiting: AtomicUsize,
    /// Events served so far.
    served: AtomicUsize,
    /// Events taken from epoll by a thread that serves another first. A
    /// thread takes from here before it waits for more, so that a handler
    /// that blocks holds none of them longer than `STALL`.
    queued: Mutex<VecDeque<u64>>,
    /// Written to, to wake one waiting thread for the queued events.
    poker: UnixStream,
    pokee: UnixStream,
    /// No thread was waiting for events when one last took an event; the
    /// stall watch is on.
    unwatched: Mutex<bool>,
    stall_bell: Condvar,
    /// Written to once the server has ended, to wake every thread.
    waker: UnixStream,
    _wakee: UnixStream,
}

impl EventLoop {
    /// A loop with its first thread.
    pub(crate) fn start(registry: Arc<Registry>, handler: Handler) -> io::Result<Arc<EventLoop>> {
        let epoll = Epoll::new(EpollCreateFlags::EPOLL_CLOEXEC)?;
        let (waker, wakee) = UnixStream::pair()?;
        waker.set_nonblocking(true)?;
        epoll.add(&wakee, EpollEvent::new(EpollFlags::EPOLLIN, WAKER))?;
        let (poker, pokee) = UnixStream::pair()?;
        poker.set_nonblocking(true)?;
        pokee.set_nonblocking(true)?;
        epoll.add(&pokee, EpollEvent::new(EpollFlags::EPOLLIN | EpollFlags::EPOLLET, POKE))?;
        let event_loop = Arc::new(EventLoop {
            epoll,
            registry,
            handler,
            conns: Mutex::new(Vec::new()),
            threads: AtomicUsize::new(0),
            waiting: AtomicUsize::new(0),
            served: AtomicUsize::new(0),
            queued: Mutex::new(VecDeque::new()),
            poker,
            pokee,
            unwatched: Mutex::new(false),
            stall_bell: Condvar::new(),
            waker,
            _wakee: wakee,
        });
        let watching = event_loop.clone();
        thread::Builder::new().name("http-stalls".into()).spawn(move || watching.watch_stalls())?;
        if !event_loop.spawn_thread() {
            return Err(io::Error::other("no thread for the event loop"));
        }
        Ok(event_loop)
    }

    /// Serves a connection the registry has admitted.
    pub(crate) fn add(&self, socket: Arc<Connection>, peer: Option<SocketAddr>, watch: Arc<Watch>) {
        let fd = socket.as_raw_fd();
        let outbox = SharedWriter::new(Outbox { bytes: Vec::new(), socket: socket.clone(), watch: watch.clone() });
        let conn = Arc::new(Conn {
            socket,
            watch,
            peer,
            outbox,
            kept: Mutex::new(Kept::default()),
            events: AtomicUsize::new(0),
            closed: AtomicBool::new(false),
        });
        let Ok(slot) = usize::try_from(fd) else { return self.close(&conn) };
        {
            let mut conns = lock(&self.conns);
            if conns.len() <= slot {
                conns.resize(slot + 1, None);
            }
            conns[slot] = Some(conn.clone());
        }
        if self.epoll.add(&*conn.socket, EpollEvent::new(interest(), slot as u64)).is_err() {
            self.close(&conn);
        }
    }

    /// The server accepts no more connections and has none left.
    fn ended(&self) -> bool {
        !self.registry.admitting() && self.registry.connections() == 0
    }

    /// Wakes every thread if the server has ended, so that they end too.
    pub(crate) fn wake_if_ended(&self) {
        if self.ended() {
            let _ = (&self.waker).write(&[1]);
            let _unwatched = lock(&self.unwatched);
            self.stall_bell.notify_one();
        }
    }

    /// No thread waits for events now: the stall watch goes on.
    fn unwatched(&self) {
        let mut unwatched = lock(&self.unwatched);
        if !*unwatched {
            *unwatched = true;
            self.stall_bell.notify_one();
        }
    }

    /// Whenever no thread has waited for events, nor served one, for
    /// `STALL`, and events wait for a thread: wakes a waiting thread for the
    /// queued events, or starts a spare one. Sleeps while a thread waits and
    /// nothing is queued.
    fn watch_stalls(self: Arc<Self>) {
        let mut unwatched = lock(&self.unwatched);
        loop {
            while !*unwatched && !self.ended() {
                unwatched = self.stall_bell.wait(unwatched).unwrap_or_else(|p| p.into_inner());
            }
            if self.ended() {
                return;
            }
            let served = self.served.load(Ordering::SeqCst);
            drop(unwatched);
            thread::sleep(STALL);
            unwatched = lock(&self.unwatched);
            let queued = !lock(&self.queued).is_empty();
            let waiting = self.waiting.load(Ordering::SeqCst) > 0;
            if self.served.load(Ordering::SeqCst) == served {
                if !waiting {
                    self.spawn_thread();
                } else if queued {
                    let _ = (&self.poker).write(&[1]);
                }
            }
            if waiting && !queued {
                // A thread that takes the last waiting place, or queues
                // events, turns the watch on again.
                *unwatched = false;
            }
        }
    }

    fn spawn_thread(self: &Arc<Self>) -> bool {
        // One thread per connection being served, and one waiting, at most.
        let most = self.registry.limits().max_connections.saturating_add(1);
        if self.threads.fetch_add(1, Ordering::SeqCst) >= most {
            self.threads.fetch_sub(1, Ordering::SeqCst);
            return false;
        }
        let event_loop = self.clone();
        let spawned = thread::Builder::new().name("http".into()).spawn(move || event_loop.run());
        if spawned.is_err() {
            self.threads.fetch_sub(1, Ordering::SeqCst);
        }
        spawned.is_ok()
    }

    /// Ends this idle thread if another remains and another waits for
    /// events: the last thread waiting never ends, so that a new event
    /// always finds a thread, however long the others' handlers block (a
    /// long-poll holds its thread up to a minute).
    fn retire(&self) -> bool {
        self.waiting.load(Ordering::SeqCst) > 0
            && self.threads.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| (n > 1).then(|| n - 1)).is_ok()
    }

    /// The next event to serve: a queued one, or those epoll has.
    fn next_event(&self, events: &mut [EpollEvent; BATCH]) -> Result<u64, Option<Errno>> {
        if let Some(token) = lock(&self.queued).pop_front() {
            return Ok(token);
        }
        let timeout = if self.threads.load(Ordering::SeqCst) > 1 {
            EpollTimeout::try_from(IDLE_THREAD_LINGER).unwrap_or(EpollTimeout::NONE)
        } else {
            EpollTimeout::NONE
        };
        self.waiting.fetch_add(1, Ordering::SeqCst);
        let got = self.epoll.wait(events, timeout);
        let others_waiting = self.waiting.fetch_sub(1, Ordering::SeqCst) > 1;
        let got = match got {
            Ok(0) => return Err(None),
            Ok(n) => n.min(BATCH),
            Err(e) => return Err(Some(e)),
        };
        if got > 1 {
            lock(&self.queued).extend(events[1..got].iter().map(EpollEvent::data));
            if others_waiting {
                // Threads are idle (spares that a stall started): one takes
                // the queued events now, rather than after a stall.
                let _ = (&self.poker).write(&[1]);
            }
        }
        if !others_waiting || got > 1 {
            self.unwatched();
        }
        Ok(events[0].data())
    }

    fn run(self: Arc<Self>) {
        let mut buffer = [0u8; READ_BUFFER];
        let mut events = [EpollEvent::empty(); BATCH];
        loop {
            let got = self.next_event(&mut events);
            if self.ended() {
                self.wake_if_ended();
                break;
            }
            let token = match got {
                Ok(token) => token,
                Err(None) if self.retire() => return,
                Err(None | Some(Errno::EINTR)) => continue,
                Err(Some(e)) => {
                    log::error!("waiting for connections' events: {}", e);
                    thread::sleep(Duration::from_millis(100));
                    continue;
                }
            };
            match token {
                WAKER => continue,
                POKE => {
                    let mut drained = [0u8; 64];
                    while matches!((&self.pokee).read(&mut drained), Ok(n) if n > 0) {}
                    continue;
                }
                _ => {}
            }
            let conn = usize::try_from(token).ok().and_then(|slot| lock(&self.conns).get(slot).cloned().flatten());
            if let Some(conn) = conn {
                self.take(&conn, &mut buffer);
            }
            self.served.fetch_add(1, Ordering::Relaxed);
        }
        self.threads.fetch_sub(1, Ordering::SeqCst);
    }

    /// Serves a connection's event, and those that come while it is served,
    /// unless another thread serves it already.
    fn take(&self, conn: &Arc<Conn>, buffer: &mut [u8; READ_BUFFER]) {
        if conn.events.fetch_add(1, Ordering::SeqCst) > 0 {
            return;
        }
        let mut taken = 1;
        while self.serve(conn, buffer) {
            let before = conn.events.fetch_sub(taken, Ordering::SeqCst);
            if before == taken {
                return;
            }
            taken = before - taken;
        }
    }

    fn close(&self, conn: &Arc<Conn>) {
        if conn.closed.swap(true, Ordering::SeqCst) {
            return;
        }
        let _ = self.epoll.delete(&*conn.socket);
        if let Ok(slot) = usize::try_from(conn.socket.as_raw_fd()) {
            let mut conns = lock(&self.conns);
            if conns.get(slot).and_then(Option::as_ref).is_some_and(|c| Arc::ptr_eq(c, conn)) {
                conns[slot] = None;
            }
        }
        conn.socket.say_goodbye();
        let _ = conn.socket.shutdown(Shutdown::Both);
        self.registry.release(&conn.watch);
        self.wake_if_ended();
    }

    /// Answers a head the parser refused, and ends the connection.
    fn refuse(&self, conn: &Conn, kept: &mut Kept, status: u16) {
        let response = Response::new_empty(StatusCode(status)).with_connection_close();
        let _ = response.raw_print(conn.outbox.share(), HTTPVersion(1, 1), &[], false, None);
        kept.ending = true;
    }

    /// Serves a connection's event: the rest of an answer, then the requests
    /// that have arrived whole. Whether the connection is still open.
    fn serve(&self, conn: &Arc<Conn>, buffer: &mut [u8; READ_BUFFER]) -> bool {
        let mut kept = lock(&conn.kept);
        {
            let mut outbox = conn.outbox.lock();
            let answering = !outbox.is_empty();
            match outbox.send_now() {
                // The rest goes when the socket has room again (an event).
                Ok(false) => return true,
                Ok(true) if answering => conn.watch.waiting(),
                Ok(true) => {}
                Err(_) => {
                    drop(outbox);
                    self.close(conn);
                    return false;
                }
            }
        }
        loop {
            if kept.ending || conn.watch.ending() || self.registry.closing() {
                self.close(conn);
                return false;
            }
            let mut len = kept.input.len();
            buffer[..len].copy_from_slice(&kept.input);
            kept.input = Vec::new();
            // Edge-triggered: the socket is read to its end, or another
            // event comes for what arrives later. A read that fills the
            // buffer may have left bytes behind.
            let mut filled = false;
            if len < buffer.len() {
                match conn.socket.recv_now(&mut buffer[len..]) {
                    Ok(0) => {
                        self.close(conn);
                        return false;
                    }
                    Ok(n) => {
                        conn.watch.progressed();
                        len += n;
                        filled = len == buffer.len();
                    }
                    Err(Errno::EAGAIN | Errno::EINTR) => {}
                    Err(_) => {
                        self.close(conn);
                        return false;
                    }
                }
            }
            let start = self.answer_requests(conn, &mut kept, &buffer[..len]);
            let sent = {
                let mut outbox = conn.outbox.lock();
                (!outbox.is_empty()).then(|| outbox.send_now())
            };
            let answered = sent.is_none();
            if let Some(sent) = sent {
                // An answer not sent whole: the rest goes out when the
                // socket can take it, and the next pipelined request waits.
                match sent {
                    Ok(false) => {
                        conn.watch.writing();
                        if !kept.ending {
                            kept.input = buffer[start..len].to_vec();
                        }
                        return true;
                    }
                    Ok(true) => conn.watch.waiting(),
                    Err(_) => {
                        self.close(conn);
                        return false;
                    }
                }
            }
            if kept.ending {
                self.close(conn);
                return false;
            }
            if start < len {
                kept.input = buffer[start..len].to_vec();
            }
            if answered && !filled {
                return true;
            }
        }
    }

    /// Answers the whole requests at the start of `input`, until one's
    /// answer waits in the outbox; where the rest of `input` starts.
    fn answer_requests(&self, conn: &Arc<Conn>, kept: &mut Kept, input: &[u8]) -> usize {
        let mut start = 0;
        while start < input.len() && !kept.ending {
            let head = match parse_head(&input[start..]) {
                Parsed::Incomplete => break,
                Parsed::Refused(status) => {
                    self.refuse(conn, kept, status.0);
                    break;
                }
                Parsed::Head(head) => head,
            };
            // A client that waits for `100 Continue` (or asks for what is
            // refused) sends no body before its answer.
            let expects = expectation(&head.headers) != Expectation::None;
            let after_head = input.len() - start - head.length;
            let buffered = match body_framing(&head.headers, &head.version) {
                // A small body is read whole before the request is handled.
                Framing::Length(n) if n <= SMALL_BODY && !expects && after_head < n => break,
                Framing::Length(n) => n.min(after_head),
                Framing::Chunked | Framing::Upgrade => after_head,
                Framing::Empty | Framing::Invalid => 0,
            };
            let body_start = start + head.length;
            start = body_start + buffered;
            if head.version > (1, 1) {
                self.refuse(conn, kept, 505);
                break;
            }
            let body = BodySource {
                buffered: Cursor::new(input[body_start..start].to_vec()),
                socket: conn.socket.clone(),
                watch: conn.watch.clone(),
            };
            let request = new_request(head.method, head.path, head.version, head.headers, conn.peer, body, conn.outbox.share());
            let request = match request {
                Ok(request) => request,
                Err(crate::request::RequestCreationError::ExpectationFailed) => {
                    self.refuse(conn, kept, 417);
                    break;
                }
                Err(crate::request::RequestCreationError::CreationIoError) => {
                    kept.ending = true;
                    break;
                }
            };
            kept.ending = request.closes_connection();
            conn.watch.handling();
            (self.handler)(request.with_watch(conn.watch.clone()).with_secure(conn.socket.is_secure()));
            kept.ending |= conn.watch.ending() || self.registry.closing();
            if !conn.outbox.lock().is_empty() {
                break;
            }
            conn.watch.waiting();
        }
        start
    }
}
