//! The event loop that runs one model actor in one process: a UDP socket on the node's address
//! from the cluster file, the model's `KelpActor` for the node's role, the node's storage (a
//! broker's `Storage`, the sole controller's or ZooKeeper's `MetadataFile`), and real timers. Every protocol decision is the actor's; this module only
//!
//! - delivers each datagram that decodes (`wire`) to `on_msg`, and drops the rest with a warning
//!   naming the sender's address and the fault (the process never dies of its input: even a
//!   well-formed message that makes the model's handler panic is dropped, the state unchanged);
//! - fires each armed timer at a random moment of the duration range the model gives it;
//! - carries out the handler's `Out` commands: `Save` first (a failed save halts the node, as
//!   Kafka halts on a log directory failure), then `Send`s, then `SetTimer`/`CancelTimer`;
//! - logs what changed, by comparing the actor's state before and after each event;
//! - on SIGTERM asks the broker model for its controlled shutdown (`Timer::Shutdown`) and exits
//!   once the model says the broker stopped. A restart is a new process (`kelp cluster start`).
//!
//! The same pieces serve client processes: `Endpoint` (a socket with an actor id: send and
//! receive model messages) and `Driver` (an actor with its timers over an endpoint).

use crate::cluster_file::{ClusterFile, ClusterFileError, Role as NodeRole};
use crate::storage::{MetadataFile, Storage, StorageError};
use crate::throttle::{self, Throttle};
use crate::wire::{self, ClusterTag, WireError};
use kelp_model::actor::{KelpActor, KelpState};
use kelp_model::broker::{BrokerState, Role, Session};
use kelp_model::config::Config;
use kelp_model::controller::{ControllerRole, ControllerState};
use kelp_model::coordinator::CoordinatorState;
use kelp_model::effects::Address;
use kelp_model::ids::{BrokerId, ControllerId, Incarnation, PartitionId};
use kelp_model::msg::Msg;
use kelp_model::saved::{self, Saved};
use kelp_model::timer::Timer;
use stateright::actor::{Actor, Command, Id, Out};
use std::borrow::Cow;
use std::collections::hash_map::RandomState;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::error::Error as StdError;
use std::hash::{BuildHasher, Hasher};
use std::io;
use std::net::{Ipv4Addr, SocketAddr, UdpSocket};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tracing::{debug, error, info, warn, Level};

/// The receive buffer: larger than any UDP datagram over IPv4 (65,507 bytes), so an oversize
/// datagram arrives whole and is refused as oversize rather than silently cut.
const RECV_BUFFER: usize = 65_536;
/// How often the loop looks at the stop flag while nothing happens.
const POLL: Duration = Duration::from_millis(100);
/// How long a broker waits for the controller to accept its controlled shutdown before it gives
/// up and stops without the clean-shutdown marker.
pub const CONTROLLED_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(30);
/// At most this many clients' addresses are remembered (a flood of ids cannot grow memory).
const MAX_CLIENTS: usize = 4096;

/// Why a node (or a client's endpoint) stopped or could not start.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    #[error(transparent)]
    ClusterFile(#[from] ClusterFileError),
    #[error("node {id} is not in the cluster file (nodes: 0, the controller, and brokers 1 to {brokers})")]
    UnknownNode { id: u32, brokers: u8 },
    #[error("cannot bind {address}: {source}")]
    Bind { address: SocketAddr, source: io::Error },
    #[error("socket: {0}")]
    Socket(#[source] io::Error),
    #[error("cannot open the data directory: {0}")]
    OpenStorage(#[source] StorageError),
    /// A save failed: the node halts (Kafka's log directory failure).
    #[error("data directory failure: {source} (the node halts)")]
    Save { source: Box<dyn StdError + Send + Sync> },
    #[error("controlled shutdown did not complete: {reason}")]
    ShutdownIncomplete { reason: String },
    #[error("cannot install the signal handlers: {0}")]
    Signals(#[source] io::Error),
    #[error("cannot say it is up (the cluster directory's run/ file): {0}")]
    Announce(#[source] io::Error),
}

/// Why one message was not sent (never fatal to a node).
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error("no address known for actor {to} (not a node, and nothing heard from it)")]
    NoAddress { to: u64 },
    #[error("actor id {to} does not fit the wire's 32 bits")]
    IdOutOfRange { to: u64 },
    #[error(transparent)]
    Wire(#[from] WireError),
    #[error("sending to {address}: {source}")]
    Io { address: SocketAddr, source: io::Error },
}

// --- stop requests ---------------------------------------------------------------------------

static SIGNALS: AtomicUsize = AtomicUsize::new(0);

extern "C" fn on_signal(_signal: libc::c_int) {
    // Async-signal-safe: one lock-free atomic increment.
    SIGNALS.fetch_add(1, Ordering::SeqCst);
}

/// How a node is asked to stop: SIGTERM/SIGINT (`Stop::on_signals`) in a `kelp node` process, or
/// `Stop::request` (tests running nodes as threads). The first request starts a broker's
/// controlled shutdown; a second one stops it at once.
#[derive(Clone, Debug)]
pub struct Stop(StopSource);

#[derive(Clone, Debug)]
enum StopSource {
    Flag(Arc<AtomicUsize>),
    Signals,
}

impl Default for Stop {
    fn default() -> Self {
        Self::new()
    }
}

impl Stop {
    /// A stop flag of its own (for a node run as a thread).
    pub fn new() -> Self {
        Stop(StopSource::Flag(Arc::new(AtomicUsize::new(0))))
    }

    /// Installs handlers for SIGTERM and SIGINT (once per process is enough; again is harmless)
    /// and returns the stop that they request. The handlers only count signals.
    pub fn on_signals() -> Result<Self, NodeError> {
        for signal in [libc::SIGTERM, libc::SIGINT] {
            // SAFETY: a zeroed sigaction is valid; the handler only touches an atomic; no
            // SA_RESTART, so a blocked receive returns EINTR and the loop looks at once.
            let installed = unsafe {
                let mut action: libc::sigaction = std::mem::zeroed();
                action.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
                libc::sigemptyset(&mut action.sa_mask);
                action.sa_flags = 0;
                libc::sigaction(signal, &action, std::ptr::null_mut())
            };
            if installed != 0 {
                return Err(NodeError::Signals(io::Error::last_os_error()));
            }
        }
        Ok(Stop(StopSource::Signals))
    }

    /// Asks the node to stop (as one SIGTERM would).
    pub fn request(&self) {
        self.counter().fetch_add(1, Ordering::SeqCst);
    }

    /// How many stops were requested so far.
    pub fn requests(&self) -> usize {
        self.counter().load(Ordering::SeqCst)
    }

    fn counter(&self) -> &AtomicUsize {
        match &self.0 {
            StopSource::Flag(flag) => flag,
            StopSource::Signals => &SIGNALS,
        }
    }
}

// --- timers ----------------------------------------------------------------------------------

/// Armed timers by deadline. Durations are drawn at random from the range the model gives.
#[derive(Debug)]
pub struct TimerQueue<T: Ord + Clone> {
    by_deadline: BTreeMap<(Instant, u64), T>,
    armed: BTreeMap<T, (Instant, u64)>,
    next_seq: u64,
    rng: u64,
}

impl<T: Ord + Clone> Default for TimerQueue<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Ord + Clone> TimerQueue<T> {
    pub fn new() -> Self {
        let mut hasher = RandomState::new().build_hasher();
        hasher.write_u32(std::process::id());
        Self::with_seed(hasher.finish())
    }

    /// A queue whose random durations follow from `seed`.
    pub fn with_seed(seed: u64) -> Self {
        TimerQueue { by_deadline: BTreeMap::new(), armed: BTreeMap::new(), next_seq: 0, rng: seed }
    }

    /// Arms `timer` to fire after a random duration in `range` from `now`, unless it is armed
    /// already (then its deadline stands). Returns its deadline.
    pub fn arm(&mut self, timer: T, range: Range<Duration>, now: Instant) -> Instant {
        match self.armed.get(&timer) {
            Some(&(deadline, _)) => deadline,
            None => self.insert(timer, range, now),
        }
    }

    /// Arms `timer` afresh: a new random deadline in `range` from `now`, armed or not before.
    pub fn rearm(&mut self, timer: T, range: Range<Duration>, now: Instant) -> Instant {
        self.cancel(&timer);
        self.insert(timer, range, now)
    }

    /// Disarms `timer`; false if it was not armed.
    pub fn cancel(&mut self, timer: &T) -> bool {
        match self.armed.remove(timer) {
            Some(key) => {
                self.by_deadline.remove(&key);
                true
            }
            None => false,
        }
    }

    pub fn is_armed(&self, timer: &T) -> bool {
        self.armed.contains_key(timer)
    }

    pub fn deadline(&self, timer: &T) -> Option<Instant> {
        self.armed.get(timer).map(|&(deadline, _)| deadline)
    }

    /// The earliest deadline.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.by_deadline.keys().next().map(|&(deadline, _)| deadline)
    }

    /// Disarms and returns the earliest timer whose deadline is at or before `now`.
    pub fn pop_due(&mut self, now: Instant) -> Option<T> {
        let (&key, _) = self.by_deadline.iter().next().filter(|((deadline, _), _)| *deadline <= now)?;
        let timer = self.by_deadline.remove(&key).expect("just seen");
        self.armed.remove(&timer);
        Some(timer)
    }

    /// The armed timers, earliest first.
    pub fn armed(&self) -> impl Iterator<Item = (&T, Instant)> {
        self.by_deadline.iter().map(|(&(deadline, _), timer)| (timer, deadline))
    }

    pub fn len(&self) -> usize {
        self.armed.len()
    }

    pub fn is_empty(&self) -> bool {
        self.armed.is_empty()
    }

    fn insert(&mut self, timer: T, range: Range<Duration>, now: Instant) -> Instant {
        let deadline = now + self.pick(range);
        let key = (deadline, self.next_seq);
        self.next_seq += 1;
        self.by_deadline.insert(key, timer.clone());
        self.armed.insert(timer, key);
        deadline
    }

    /// A duration in `range` (its start when the range is empty).
    fn pick(&mut self, range: Range<Duration>) -> Duration {
        let width = range.end.saturating_sub(range.start).as_nanos();
        if width == 0 {
            return range.start;
        }
        // splitmix64
        self.rng = self.rng.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        let offset = u128::from(z) % width;
        range.start + Duration::from_nanos(u64::try_from(offset).unwrap_or(u64::MAX))
    }
}

// --- the endpoint ----------------------------------------------------------------------------

fn wire_id(id: Id) -> Result<u32, SendError> {
    let raw = usize::from(id) as u64;
    u32::try_from(raw).map_err(|_| SendError::IdOutOfRange { to: raw })
}

fn actor_id(id: u32) -> Id {
    Id::from(id as usize)
}

/// A UDP socket on 127.0.0.1 speaking for one actor id of one cluster: it frames and sends model
/// messages, and receives them, dropping (with a warning) every datagram that does not decode or
/// is addressed to another actor. Nodes are found in the cluster file; any other actor (a client)
/// is answered at the address its last datagram came from.
#[derive(Debug)]
pub struct Endpoint {
    socket: UdpSocket,
    me: u32,
    cluster: ClusterFile,
    tag: ClusterTag,
    clients: HashMap<u32, SocketAddr>,
    buffer: Vec<u8>,
    /// How often a dropped datagram or message gets a log line of its own.
    drops: Throttle,
}

impl Endpoint {
    /// The endpoint of node `id`, bound to the node's address in the cluster file.
    pub fn node(cluster: ClusterFile, id: u32) -> Result<Self, NodeError> {
        let address = cluster.address_of(id).ok_or(NodeError::UnknownNode { id, brokers: cluster.config.brokers })?;
        let socket = UdpSocket::bind(address).map_err(|source| NodeError::Bind { address, source })?;
        Ok(Self::with_socket(socket, cluster, id))
    }

    /// A client's endpoint for actor id `id`, bound to an ephemeral port of 127.0.0.1.
    pub fn client(cluster: ClusterFile, id: u32) -> Result<Self, NodeError> {
        let address = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
        let socket = UdpSocket::bind(address).map_err(|source| NodeError::Bind { address, source })?;
        Ok(Self::with_socket(socket, cluster, id))
    }

    /// A random actor id for a client that is no configured actor: above the controller, the
    /// brokers and the producers of the cluster's configuration.
    pub fn fresh_client_id(cluster: &ClusterFile) -> u32 {
        let first = cluster.config.actor_count() as u32;
        let mut hasher = RandomState::new().build_hasher();
        hasher.write_u32(std::process::id());
        // 2^30 ids: two clients of one cluster share an id (and, as producers, would see each
        // other's records as duplicates) with probability n^2 / 2^31 for n clients.
        first + (hasher.finish() % (1 << 30)) as u32
    }

    fn with_socket(socket: UdpSocket, cluster: ClusterFile, me: u32) -> Self {
        let tag = cluster.tag();
        let buffer = vec![0; RECV_BUFFER];
        Endpoint { socket, me, cluster, tag, clients: HashMap::new(), buffer, drops: Throttle::default() }
    }

    /// This endpoint's actor id.
    pub fn id(&self) -> Id {
        actor_id(self.me)
    }

    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.socket.local_addr()
    }

    pub fn cluster(&self) -> &ClusterFile {
        &self.cluster
    }

    /// Where actor `to` is: its node address, or where a client's last datagram came from.
    pub fn address_of(&self, to: Id) -> Option<SocketAddr> {
        let to = wire_id(to).ok()?;
        self.cluster.address_of(to).or_else(|| self.clients.get(&to).copied())
    }

    /// Sends `msg` to actor `to`.
    pub fn send(&mut self, to: Id, msg: &Msg) -> Result<(), SendError> {
        let to_wire = wire_id(to)?;
        let address = self.address_of(to).ok_or(SendError::NoAddress { to: usize::from(to) as u64 })?;
        let frame = wire::encode(self.tag, self.me, to_wire, msg)?;
        self.socket.send_to(&frame, address).map_err(|source| SendError::Io { address, source })?;
        Ok(())
    }

    /// The next message for this actor, waiting at most `timeout`; `None` if none came (or a
    /// signal interrupted the wait). Datagrams that do not decode, or are addressed to another
    /// actor, are logged and dropped, and the wait goes on.
    pub fn recv(&mut self, timeout: Duration) -> Option<(Id, Msg)> {
        if let Some(unlogged) = self.drops.closed_at(Instant::now()) {
            warn!("{}", throttle::summary(unlogged));
        }
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return None;
            }
            if let Err(e) = self.socket.set_read_timeout(Some(left.max(Duration::from_millis(1)))) {
                warn!("cannot set the socket's read timeout: {e}");
                return None;
            }
            match self.socket.recv_from(&mut self.buffer) {
                Ok((len, source)) => {
                    if let Some(received) = self.accept(len, source) {
                        return Some(received);
                    }
                }
                Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => return None,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => return None,
                Err(e) => {
                    warn!("receive failed: {e}");
                    return None;
                }
            }
        }
    }

    /// Logs a warning about something dropped (`line` says what), unless too many came of late
    /// (`Throttle`).
    pub fn dropped(&mut self, line: impl FnOnce() -> String) {
        let verdict = self.drops.drop_at(Instant::now());
        if let Some(unlogged) = verdict.unlogged_before {
            warn!("{}", throttle::summary(unlogged));
        }
        if verdict.log {
            warn!("{}", line());
        }
    }

    /// Decodes the datagram in the buffer; `None` (logged) when it is refused.
    fn accept(&mut self, len: usize, source: SocketAddr) -> Option<(Id, Msg)> {
        let frame = match wire::decode(&self.buffer[..len], self.tag) {
            Ok(frame) => frame,
            Err(e) => {
                self.dropped(|| format!("dropped a {len}-byte datagram from {source}: {e}"));
                return None;
            }
        };
        if frame.to != self.me {
            let me = self.me;
            self.dropped(|| {
                format!(
                    "dropped a frame from {source} (actor {}) for actor {}: this is actor {me}",
                    frame.from, frame.to
                )
            });
            return None;
        }
        match self.cluster.address_of(frame.from) {
            Some(known) if known != source => {
                debug!("actor {} (a node, at {known}) speaks from {source}", frame.from);
            }
            Some(_) => {}
            None => {
                if self.clients.len() >= MAX_CLIENTS && !self.clients.contains_key(&frame.from) {
                    let evicted = *self.clients.keys().next().expect("full");
                    self.clients.remove(&evicted);
                }
                self.clients.insert(frame.from, source);
            }
        }
        Some((actor_id(frame.from), frame.msg))
    }
}

// --- the driver ------------------------------------------------------------------------------

/// Where an actor's `Save`s go: a broker's `Storage`, the controller's or ZooKeeper's
/// `MetadataFile`, or anything else that keeps what the model saves.
pub trait SaveSink {
    fn save(&mut self, saved: &Saved) -> Result<(), Box<dyn StdError + Send + Sync>>;
}

impl SaveSink for Storage {
    fn save(&mut self, saved: &Saved) -> Result<(), Box<dyn StdError + Send + Sync>> {
        match saved {
            Saved::Broker(disk) => Storage::save(self, disk).map_err(Into::into),
            other => Err(format!("a broker's data directory cannot keep {}", other.kind()).into()),
        }
    }
}

impl SaveSink for MetadataFile {
    fn save(&mut self, saved: &Saved) -> Result<(), Box<dyn StdError + Send + Sync>> {
        MetadataFile::save(self, saved).map_err(Into::into)
    }
}

/// What `SetTimer` does to a timer that is already armed. The model re-arms every timer it wants
/// after every event; the runtime decides whether that restarts the clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArmPolicy {
    /// The deadline stands until the timer fires or is cancelled: a timer runs from the moment
    /// the actor's state first wanted it (a session, a lagging follower, a backoff). Nodes use it:
    /// restarting would let any unrelated message postpone a time-out for ever.
    KeepRunning,
    /// Every `SetTimer` restarts the clock (stateright's reading). For a client whose every
    /// event is about its one request, e.g. a producer's `request.timeout.ms`.
    Restart,
}

/// What one `Driver::step` did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// Nothing arrived and no timer was due.
    Idle,
    /// A message was delivered to the actor.
    Message { from: Id, msg: Msg },
    /// A timer fired.
    Timer(Timer),
}

/// One model actor run over an endpoint: it delivers messages, fires timers and carries out the
/// actor's commands. Nodes run one in `run`; clients can drive a model actor (a producer) the
/// same way.
pub struct Driver {
    actor: KelpActor,
    state: KelpState,
    endpoint: Endpoint,
    timers: TimerQueue<Timer>,
    policy: ArmPolicy,
    sink: Option<Box<dyn SaveSink>>,
    /// Fault timers the model armed (a non-zero fault budget), warned about once each.
    ignored: BTreeSet<Timer>,
    /// Durations a client chose instead of the model's (Kafka's client settings, such as the
    /// producer's `request.timeout.ms`).
    durations: BTreeMap<Timer, Range<Duration>>,
}

/// A random incarnation for this process (Kafka draws a UUID at every start): never 0, the
/// bootstrap process's. Two starts of one broker share one with probability 2^-64.
fn fresh_incarnation() -> Incarnation {
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u32(std::process::id());
    Incarnation(hasher.finish().max(1))
}

impl Driver {
    /// Starts the actor `role` of the endpoint's cluster (`on_start` with `saved`, what its
    /// storage recovered) and carries out what it asks.
    pub fn start(
        endpoint: Endpoint,
        role: Address,
        sink: Option<Box<dyn SaveSink>>,
        saved: Option<Saved>,
        policy: ArmPolicy,
    ) -> Result<Self, NodeError> {
        let actor = KelpActor::new(Arc::new(endpoint.cluster().config.clone()), role);
        let actor = KelpActor { incarnation: fresh_incarnation(), ..actor };
        Self::start_actor(endpoint, actor, sink, saved, policy, BTreeMap::new())
    }

    /// Starts `actor` (a client's own, e.g. a producer with its records and settings), with
    /// `durations` replacing the model's for those timers.
    pub fn start_actor(
        endpoint: Endpoint,
        actor: KelpActor,
        sink: Option<Box<dyn SaveSink>>,
        saved: Option<Saved>,
        policy: ArmPolicy,
        durations: BTreeMap<Timer, Range<Duration>>,
    ) -> Result<Self, NodeError> {
        let mut out = Out::new();
        let state = actor.on_start(endpoint.id(), &saved, &mut out);
        let timers = TimerQueue::new();
        let ignored = BTreeSet::new();
        let mut driver = Driver { actor, state, endpoint, timers, policy, sink, ignored, durations };
        for (level, line) in describe_start(&driver.actor.cfg, &driver.state) {
            log(level, &line);
        }
        driver.carry_out(out)?;
        Ok(driver)
    }

    pub fn state(&self) -> &KelpState {
        &self.state
    }

    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// The endpoint, to send requests of the client's own beside the actor's.
    pub fn endpoint_mut(&mut self) -> &mut Endpoint {
        &mut self.endpoint
    }

    pub fn timers(&self) -> &TimerQueue<Timer> {
        &self.timers
    }

    pub fn config(&self) -> &Config {
        &self.actor.cfg
    }

    /// Fires the earliest due timer, or else waits up to `max_wait` (less if a timer falls due
    /// sooner) for one message and delivers it.
    pub fn step(&mut self, max_wait: Duration) -> Result<Step, NodeError> {
        let now = Instant::now();
        if let Some(timer) = self.timers.pop_due(now) {
            self.fire(timer)?;
            return Ok(Step::Timer(timer));
        }
        let wait = match self.timers.next_deadline() {
            Some(deadline) => deadline.saturating_duration_since(now).min(max_wait),
            None => max_wait,
        };
        match self.endpoint.recv(wait) {
            Some((from, msg)) => {
                self.deliver(from, msg.clone())?;
                Ok(Step::Message { from, msg })
            }
            None => Ok(Step::Idle),
        }
    }

    /// Delivers `msg` from `from` to the actor (`on_msg`). A handler that panics on it (a message
    /// the model cannot take, e.g. naming a partition that does not exist) leaves the state as it
    /// was: the message is dropped and logged.
    pub fn deliver(&mut self, from: Id, msg: Msg) -> Result<(), NodeError> {
        debug!("received from {}: {msg}", self.name_of(from));
        let copy = msg.clone();
        let (actor, state, me) = (&self.actor, &self.state, self.endpoint.id());
        IN_HANDLER.set(true);
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let mut cow = Cow::Borrowed(state);
            let mut out = Out::new();
            actor.on_msg(me, &mut cow, from, msg, &mut out);
            (changed(cow), out)
        }));
        IN_HANDLER.set(false);
        match outcome {
            Ok((next, out)) => self.advance(next, out),
            Err(panic) => {
                let from = self.name_of(from);
                let why = panic_message(panic.as_ref());
                self.endpoint
                    .dropped(|| format!("the model's handler cannot take {copy} from {from} ({why}): message dropped"));
                Ok(())
            }
        }
    }

    /// Fires `timer` (`on_timeout`), armed or not.
    pub fn fire(&mut self, timer: Timer) -> Result<(), NodeError> {
        debug!("timer {timer:?} fired");
        self.timers.cancel(&timer);
        let mut cow = Cow::Borrowed(&self.state);
        let mut out = Out::new();
        self.actor.on_timeout(self.endpoint.id(), &mut cow, &timer, &mut out);
        let next = changed(cow);
        self.advance(next, out)
    }

    fn advance(&mut self, next: Option<KelpState>, out: Out<KelpActor>) -> Result<(), NodeError> {
        if let Some(next) = next {
            for (level, line) in describe_changes(&self.actor.cfg, &self.state, &next) {
                log(level, &line);
            }
            self.state = next;
        }
        self.carry_out(out)
    }

    /// Carries out an actor's commands: every `Save` first (nothing is sent that the disk does
    /// not hold yet), then the `Send`s in order, then the timers.
    fn carry_out(&mut self, out: Out<KelpActor>) -> Result<(), NodeError> {
        let commands: Vec<_> = out.into_iter().collect();
        for command in &commands {
            if let Command::Save(saved) = command {
                self.save(saved)?;
            }
        }
        for command in &commands {
            if let Command::Send(to, msg) = command {
                self.send(*to, msg);
            }
        }
        let now = Instant::now();
        for command in commands {
            match command {
                Command::SetTimer(timer, range) => self.set_timer(timer, range, now),
                Command::CancelTimer(timer) => {
                    self.timers.cancel(&timer);
                }
                Command::ChooseRandom(key, _) => debug!("ignored a random choice {key:?} (the model makes none)"),
                Command::Save(_) | Command::Send(..) => {}
            }
        }
        Ok(())
    }

    fn save(&mut self, saved: &Saved) -> Result<(), NodeError> {
        let Some(sink) = self.sink.as_mut() else {
            warn!("the actor saved {}, but this process has no storage: ignored", saved.kind());
            return Ok(());
        };
        sink.save(saved).map_err(|source| {
            error!("data directory failure: {source}; halting");
            NodeError::Save { source }
        })
    }

    fn send(&mut self, to: Id, msg: &Msg) {
        match self.endpoint.send(to, msg) {
            Ok(()) => debug!("sent to {}: {msg}", self.name_of(to)),
            Err(e @ SendError::NoAddress { .. }) => debug!("not sent to {}: {e}: {msg}", self.name_of(to)),
            Err(e) => warn!("not sent to {}: {e}: {msg}", self.name_of(to)),
        }
    }

    fn set_timer(&mut self, timer: Timer, range: Range<Duration>, now: Instant) {
        match timer {
            Timer::Crash | Timer::PowerLoss | Timer::Shutdown => {
                if self.ignored.insert(timer) {
                    warn!(
                        "the model armed the fault timer {timer:?} (the cluster's fault budget allows it); \
                         the runtime never fires fault timers"
                    );
                }
            }
            Timer::Restart => debug!("the broker is stopped: a restart is a new process (`kelp cluster start`)"),
            _ => {
                let range = self.durations.get(&timer).cloned().unwrap_or(range);
                match self.policy {
                    ArmPolicy::KeepRunning => self.timers.arm(timer, range, now),
                    ArmPolicy::Restart => self.timers.rearm(timer, range, now),
                };
            }
        }
    }

    /// `controller`, `broker-2`, `producer 1`, or `actor N` for a client.
    fn name_of(&self, id: Id) -> String {
        let raw = usize::from(id);
        let cfg = &self.actor.cfg;
        match u32::try_from(raw).ok().and_then(|n| self.endpoint.cluster.node(n)) {
            Some(node) => node_name(cfg, node.id),
            None if raw < cfg.actor_count() => Address::of(id, cfg).to_string(),
            None => format!("actor {raw}"),
        }
    }
}

fn changed(cow: Cow<'_, KelpState>) -> Option<KelpState> {
    match cow {
        Cow::Owned(state) => Some(state),
        Cow::Borrowed(_) => None,
    }
}

fn log(level: Level, line: &str) {
    match level {
        Level::ERROR => error!("{line}"),
        Level::WARN => warn!("{line}"),
        Level::INFO => info!("{line}"),
        Level::DEBUG => debug!("{line}"),
        _ => tracing::trace!("{line}"),
    }
}

/// How a node is named in logs, file names and messages: `controller` (candidate 1, the only
/// controller unless there are candidates), `controller-N`, `broker-N`, `zookeeper`; `client-N`
/// for anything else.
pub fn node_name(cfg: &Config, id: u32) -> String {
    match Address::of(actor_id(id), cfg) {
        Address::Controller => "controller".to_string(),
        Address::OtherController(c) => format!("controller-{c}"),
        Address::Broker(b) => format!("broker-{b}"),
        Address::Coordinator => "zookeeper".to_string(),
        Address::Producer(_) | Address::Operator => format!("client-{id}"),
    }
}

/// Node `id`'s data directory: `DIR/data/<node name>` (a broker's `log.dirs`; the controller's or
/// ZooKeeper's metadata).
pub fn data_dir(dir: &Path, cfg: &Config, id: u32) -> PathBuf {
    dir.join("data").join(node_name(cfg, id))
}

// --- state changes, as log lines -------------------------------------------------------------

/// What a state shows at start, as log lines.
pub fn describe_start(cfg: &Config, state: &KelpState) -> Vec<(Level, String)> {
    let mut lines = Vec::new();
    match state {
        KelpState::Controller(c) => {
            for p in &c.partitions {
                lines.push((Level::INFO, partition_line(p)));
            }
        }
        KelpState::Broker(b) => {
            lines.push((Level::INFO, session_line(b)));
            for p in cfg.partition_ids() {
                let disk = b.disk.replica(p);
                lines.push((
                    Level::INFO,
                    format!(
                        "partition {p}: {}; log end offset {}, high watermark {}",
                        role_line(b, p),
                        disk.log.end_offset(),
                        disk.high_watermark
                    ),
                ));
            }
        }
        KelpState::Producer(_) | KelpState::Operator(_) | KelpState::Coordinator(_) => {}
    }
    lines
}

/// What changed from `before` to `after` worth a log line: for a broker its session, each
/// partition's role and leader epoch, log truncations (info) and the HW (debug); for the
/// controller each partition record and each broker's registration. Derived from the states only.
pub fn describe_changes(cfg: &Config, before: &KelpState, after: &KelpState) -> Vec<(Level, String)> {
    match (before, after) {
        (KelpState::Controller(a), KelpState::Controller(b)) => controller_changes(cfg, a, b),
        (KelpState::Broker(a), KelpState::Broker(b)) => broker_changes(cfg, a, b),
        (KelpState::Coordinator(a), KelpState::Coordinator(b)) => coordinator_changes(cfg, a, b),
        _ => Vec::new(),
    }
}

fn partition_line(p: &kelp_model::metadata::PartitionState) -> String {
    format!("{p}\tLeaderEpoch: {}\tPartitionEpoch: {}", p.leader_epoch, p.partition_epoch)
}

/// ZooKeeper's `/controller` and `/controller_epoch`: who is controller, and when that changes.
fn coordinator_changes(cfg: &Config, before: &CoordinatorState, after: &CoordinatorState) -> Vec<(Level, String)> {
    let name = |c: ControllerId| node_name(cfg, cfg.controller_actor_index(c) as u32);
    match (before.controller, after.controller) {
        // An expiry counts against the budget; a resignation does not (`ResignController`, or
        // the owner handing a request back).
        (Some(old), None) if after.expiries > before.expiries => {
            vec![(Level::INFO, format!("session of {} expired: /controller deleted", name(old)))]
        }
        (Some(old), None) => {
            vec![(Level::WARN, format!("{} resigned: /controller deleted", name(old)))]
        }
        (_, Some(new)) if before.controller != Some(new) => vec![(
            Level::INFO,
            format!("{} created /controller: controller in controller epoch {}", name(new), after.epoch),
        )],
        _ => Vec::new(),
    }
}

fn controller_changes(cfg: &Config, before: &ControllerState, after: &ControllerState) -> Vec<(Level, String)> {
    let mut lines = Vec::new();
    match (before.role, after.role) {
        (old, ControllerRole::Active(epoch)) if old != after.role => lines.push((
            Level::INFO,
            format!("active controller in controller epoch {epoch}: read the committed state from zookeeper"),
        )),
        (ControllerRole::Active(epoch), ControllerRole::Standby) => lines.push((
            Level::INFO,
            format!("resigned as controller (controller epoch {epoch} is over): watching /controller"),
        )),
        _ => {}
    }
    for (b, (old, new)) in cfg.broker_ids().zip(before.brokers.iter().zip(&after.brokers)) {
        if old.epoch != new.epoch {
            lines.push((Level::INFO, format!("broker {b} registered with broker epoch {} (fenced)", new.epoch)));
        } else if !old.fenced && new.fenced {
            let why = if after.session_expiries > before.session_expiries || new.silent {
                "session expired"
            } else {
                "fenced"
            };
            lines.push((Level::INFO, format!("broker {b} {why}: fenced in broker epoch {}", new.epoch)));
        }
        if old.fenced && !new.fenced {
            lines.push((Level::INFO, format!("broker {b} unfenced in broker epoch {}", new.epoch)));
        }
        if !old.in_controlled_shutdown && new.in_controlled_shutdown {
            lines.push((Level::INFO, format!("broker {b} in controlled shutdown (broker epoch {})", new.epoch)));
        }
        if !old.silent && new.silent {
            lines.push((Level::INFO, format!("broker {b}'s heartbeats stopped: its session will expire")));
        }
    }
    for (old, new) in before.partitions.iter().zip(&after.partitions) {
        if old != new {
            lines.push((Level::INFO, partition_line(new)));
        }
    }
    lines
}

fn session_line(b: &BrokerState) -> String {
    match &b.process {
        None => match b.disk.clean_shutdown_epoch {
            Some(epoch) => format!("stopped (clean shutdown in broker epoch {epoch})"),
            None => "stopped".to_string(),
        },
        Some(process) => match process.session {
            Session::Registering { .. } => "registering with the controller".to_string(),
            Session::Registered(epoch) => format!("registered in broker epoch {epoch}"),
            Session::ShuttingDown(epoch) => {
                format!("controlled shutdown in broker epoch {epoch}: waiting for leadership to move away")
            }
        },
    }
}

fn role_line(b: &BrokerState, p: PartitionId) -> String {
    let Some(replica) = b.replica(p) else { return "down".to_string() };
    match (&replica.role, &replica.meta) {
        (Role::Leader(_), Some(meta)) => format!("leader in leader epoch {} (ISR {})", meta.leader_epoch, meta.isr),
        (Role::Follower(_), Some(meta)) => match meta.leader {
            Some(leader) => format!("follower of broker {leader} in leader epoch {}", meta.leader_epoch),
            None => format!("follower, no leader in leader epoch {}", meta.leader_epoch),
        },
        _ => "no role".to_string(),
    }
}

fn broker_changes(cfg: &Config, before: &BrokerState, after: &BrokerState) -> Vec<(Level, String)> {
    let mut lines = Vec::new();
    let (old_session, new_session) = (session_line(before), session_line(after));
    if old_session != new_session {
        lines.push((Level::INFO, new_session));
    }
    for p in cfg.partition_ids() {
        if after.is_up() {
            let (old_role, new_role) = (role_line(before, p), role_line(after, p));
            if old_role != new_role {
                lines.push((Level::INFO, format!("partition {p}: {new_role}")));
            }
        }
        let (old, new) = (before.disk.replica(p), after.disk.replica(p));
        let common = old.log.common_prefix(&new.log);
        if common < old.log.end_offset() {
            lines.push((
                Level::INFO,
                format!("partition {p}: log truncated from offset {} to {common}", old.log.end_offset()),
            ));
        }
        if new.log.end_offset() != old.log.end_offset() && new.log.end_offset() > common {
            lines.push((Level::DEBUG, format!("partition {p}: log end offset {}", new.log.end_offset())));
        }
        if new.high_watermark != old.high_watermark {
            lines.push((
                Level::DEBUG,
                format!("partition {p}: high watermark {} -> {}", old.high_watermark, new.high_watermark),
            ));
        }
    }
    lines
}

// --- the node --------------------------------------------------------------------------------

/// Runs node `id` of the cluster in `dir` until `stop` (or, for a broker, until the model says it
/// stopped). The controller stops at the first request. A broker's first request starts its
/// controlled shutdown (the model's `Timer::Shutdown`): it returns `Ok` once the controller
/// accepted it and the broker flushed and wrote its clean-shutdown marker; a second request, or
/// `CONTROLLED_SHUTDOWN_TIMEOUT` without an answer, stops it without the marker
/// (`ShutdownIncomplete`), as a kill would. A failed save is fatal (`NodeError::Save`).
pub fn run(dir: &Path, id: u32, stop: &Stop) -> Result<(), NodeError> {
    let cluster = ClusterFile::load(dir)?;
    let node = *cluster.node(id).ok_or(NodeError::UnknownNode { id, brokers: cluster.config.brokers })?;
    let span = tracing::info_span!("node", name = %node_name(&cluster.config, id));
    let _entered = span.enter();
    let role = Address::of(actor_id(id), &cluster.config);
    // What the model saves of the sole controller and ZooKeeper goes to a `MetadataFile`.
    let metadata_kind = saved::metadata_kind(&cluster.config, role);
    let (sink, saved): (Option<Box<dyn SaveSink>>, Option<Saved>) = match (node.role, role, metadata_kind) {
        (NodeRole::Broker, Address::Broker(broker), _) => {
            let data = data_dir(dir, &cluster.config, id);
            let partitions = usize::from(cluster.config.partitions);
            let (storage, disk) =
                Storage::open(&data, &cluster.cluster_id, broker, partitions).map_err(NodeError::OpenStorage)?;
            match &disk {
                Some(_) => info!("recovered the data directory {}", data.display()),
                None => info!("a fresh data directory {}", data.display()),
            }
            (Some(Box::new(storage)), disk.map(Saved::Broker))
        }
        (_, _, Some(kind)) => {
            let data = data_dir(dir, &cluster.config, id);
            let node_id = u8::try_from(id)
                .map(BrokerId)
                .map_err(|_| NodeError::UnknownNode { id, brokers: cluster.config.brokers })?;
            let (file, saved) =
                MetadataFile::open(&data, &cluster.cluster_id, node_id, kind).map_err(NodeError::OpenStorage)?;
            if let Some(reason) = saved.as_ref().and_then(|s| s.fits(&cluster.config).err()) {
                let reason = format!("does not fit this cluster: {reason}");
                return Err(NodeError::OpenStorage(StorageError::inconsistent(file.path(), reason)));
            }
            match &saved {
                Some(_) => info!("recovered {kind} from {}", file.path().display()),
                None => info!("nothing saved yet in {}: {kind} starts from the formatted cluster", data.display()),
            }
            (Some(Box::new(file)), saved)
        }
        _ => (None, None),
    };
    let cluster_id = cluster.cluster_id.clone();
    let endpoint = Endpoint::node(cluster, id)?;
    info!("{} listening on {} (cluster {cluster_id})", node_name(&endpoint.cluster().config, id), node.address);
    crate::cluster::process::announce_ready(dir, &endpoint.cluster().config, id).map_err(NodeError::Announce)?;
    let mut driver = Driver::start(endpoint, role, sink, saved, ArmPolicy::KeepRunning)?;

    let mut shutdown: Option<(Instant, usize)> = None;
    loop {
        let requests = stop.requests();
        if requests > 0 {
            let Some(broker) = driver.state().as_broker() else {
                info!("stop requested: the controller exits");
                return Ok(());
            };
            match shutdown {
                None => {
                    if !broker.is_up() {
                        break;
                    }
                    info!("stop requested: controlled shutdown");
                    driver.fire(Timer::Shutdown)?;
                    let broker = driver.state().as_broker().expect("a broker stays a broker");
                    let shutting_down =
                        broker.process.as_ref().is_some_and(|p| matches!(p.session, Session::ShuttingDown(_)));
                    if broker.is_up() && !shutting_down {
                        let reason = format!("the broker is not registered ({})", session_line(broker));
                        warn!("controlled shutdown impossible: {reason}; stopping without the clean-shutdown marker");
                        return Err(NodeError::ShutdownIncomplete { reason });
                    }
                    shutdown = Some((Instant::now() + CONTROLLED_SHUTDOWN_TIMEOUT, requests));
                }
                Some((_, seen)) if requests > seen => {
                    let reason = "stopped again before the controller answered".to_string();
                    warn!("{reason}: stopping without the clean-shutdown marker");
                    return Err(NodeError::ShutdownIncomplete { reason });
                }
                Some((deadline, _)) if Instant::now() >= deadline => {
                    let reason = format!("no answer from the controller in {CONTROLLED_SHUTDOWN_TIMEOUT:?}");
                    warn!("{reason}: stopping without the clean-shutdown marker");
                    return Err(NodeError::ShutdownIncomplete { reason });
                }
                Some(_) => {}
            }
        }
        if driver.state().as_broker().is_some_and(|b| !b.is_up()) {
            break;
        }
        driver.step(POLL)?;
    }
    info!("the broker stopped: exiting");
    Ok(())
}

thread_local! {
    /// Whether this thread is in a handler of the model, whose panic `Driver::deliver` catches.
    static IN_HANDLER: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// What a caught panic said.
fn panic_message(payload: &(dyn std::any::Any + Send)) -> &str {
    match (payload.downcast_ref::<&str>(), payload.downcast_ref::<String>()) {
        (Some(text), _) => text,
        (_, Some(text)) => text,
        _ => "a panic",
    }
}

/// A handler's panic on a message it cannot take is logged by `Driver::deliver`, throttled, in
/// one line: not also by the standard hook, whose report (a backtrace with `RUST_BACKTRACE` set)
/// would let such messages flood the log. Any other panic is reported as before.
pub fn report_only_unexpected_panics() {
    let standard = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !IN_HANDLER.get() {
            standard(info);
        }
    }));
}

/// Sets up logging to `writer` (the cluster commands send a node's stderr to
/// `DIR/logs/<name>.log`): one line per event, `info` unless `KELP_LOG` says otherwise (an
/// `EnvFilter` directive such as `debug`). A second call changes nothing.
pub fn init_logging<W>(writer: W)
where
    W: for<'w> tracing_subscriber::fmt::MakeWriter<'w> + Send + Sync + 'static,
{
    let filter = tracing_subscriber::EnvFilter::try_from_env("KELP_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_writer(writer)
        .with_env_filter(filter)
        .with_ansi(false)
        .with_target(false)
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::*;
    use kelp_model::broker::FetchState;
    use kelp_model::config::FaultBudget;
    use kelp_model::ids::{BrokerEpoch, LeaderEpoch, ProducerId, Sequence};
    use kelp_model::log::Record;
    use std::os::fd::AsRawFd;
    use std::sync::Mutex;

    fn config(brokers: u8) -> Config {
        Config {
            brokers,
            partitions: 1,
            replication_factor: brokers.min(3),
            min_insync_replicas: 1,
            producers: 1,
            budget: FaultBudget {
                crashes: 0,
                power_losses: 0,
                session_expiries: 0,
                isr_shrinks: 0,
                ..FaultBudget::default()
            },
            ..Config::default()
        }
    }

    fn ms(lo: u64, hi: u64) -> Range<Duration> {
        Duration::from_millis(lo)..Duration::from_millis(hi)
    }

    /// Whether a datagram is waiting on `socket` (without taking it).
    fn pending(socket: &UdpSocket) -> bool {
        let mut byte = [0u8; 1];
        // SAFETY: a one-byte buffer of our own; MSG_PEEK leaves the datagram queued.
        let n =
            unsafe { libc::recv(socket.as_raw_fd(), byte.as_mut_ptr().cast(), 1, libc::MSG_PEEK | libc::MSG_DONTWAIT) };
        n >= 0
    }

    /// Each thing saved, and whether the probe socket had a datagram waiting then.
    type Saves = Arc<Mutex<Vec<(Saved, bool)>>>;

    /// Records saves, and whether the probe socket had a datagram waiting at each.
    struct Recorder {
        saves: Saves,
        probe: UdpSocket,
        fail: bool,
    }

    impl SaveSink for Recorder {
        fn save(&mut self, saved: &Saved) -> Result<(), Box<dyn StdError + Send + Sync>> {
            if self.fail {
                return Err(Box::new(io::Error::other("disk on fire")));
            }
            self.saves.lock().unwrap().push((saved.clone(), pending(&self.probe)));
            Ok(())
        }
    }

    /// A 1-broker cluster: the broker's driver (saving to a recorder) and the controller's endpoint.
    fn broker_and_controller(fail: bool) -> (Driver, Endpoint, Saves) {
        let cluster = ClusterFile::on_free_ports(config(1)).unwrap();
        let mut controller = Endpoint::node(cluster.clone(), 0).unwrap();
        let saves = Arc::new(Mutex::new(Vec::new()));
        let recorder = Recorder { saves: saves.clone(), probe: controller.socket.try_clone().unwrap(), fail: false };
        let broker = Endpoint::node(cluster, 1).unwrap();
        let mut driver =
            Driver::start(broker, Address::Broker(BrokerId(1)), Some(Box::new(recorder)), None, ArmPolicy::KeepRunning)
                .unwrap();
        while controller.recv(Duration::from_millis(20)).is_some() {}
        if fail {
            let probe = controller.socket.try_clone().unwrap();
            driver.sink = Some(Box::new(Recorder { saves: saves.clone(), probe, fail: true }));
        }
        saves.lock().unwrap().clear();
        (driver, controller, saves)
    }

    fn heartbeat() -> Msg {
        Msg::BrokerHeartbeat { broker: BrokerId(1), broker_epoch: BrokerEpoch(1) }
    }

    #[test]
    fn an_armed_timer_keeps_its_deadline_until_it_fires_or_is_cancelled() {
        let mut q = TimerQueue::with_seed(7);
        let t0 = Instant::now();
        let first = q.arm("a", ms(100, 200), t0);
        assert!(first >= t0 + Duration::from_millis(100) && first < t0 + Duration::from_millis(200));
        assert_eq!(q.arm("a", ms(100, 200), t0 + Duration::from_millis(50)), first, "re-arming keeps the clock");
        let restarted = q.rearm("a", ms(100, 101), t0 + Duration::from_millis(50));
        assert!(restarted >= t0 + Duration::from_millis(150));
        assert_eq!(q.deadline(&"a"), Some(restarted));
        assert!(q.cancel(&"a"));
        assert!(!q.cancel(&"a"));
        assert!(q.is_empty() && q.next_deadline().is_none());
    }

    #[test]
    fn due_timers_pop_earliest_first() {
        let mut q = TimerQueue::with_seed(1);
        let t0 = Instant::now();
        q.arm("late", ms(300, 300), t0);
        q.arm("early", ms(100, 100), t0);
        q.arm("middle", ms(200, 200), t0);
        q.arm("tie", ms(200, 200), t0);
        assert_eq!(q.len(), 4);
        assert_eq!(q.next_deadline(), Some(t0 + Duration::from_millis(100)));
        assert_eq!(q.pop_due(t0 + Duration::from_millis(99)), None);
        assert_eq!(q.pop_due(t0 + Duration::from_millis(250)), Some("early"));
        assert_eq!(q.pop_due(t0 + Duration::from_millis(250)), Some("middle"), "ties fire in arming order");
        assert_eq!(q.pop_due(t0 + Duration::from_millis(250)), Some("tie"));
        assert_eq!(q.pop_due(t0 + Duration::from_millis(250)), None);
        assert!(q.is_armed(&"late"));
        assert_eq!(q.armed().map(|(t, _)| *t).collect::<Vec<_>>(), vec!["late"]);
    }

    #[test]
    fn durations_are_drawn_from_the_models_range() {
        let mut q = TimerQueue::with_seed(42);
        let t0 = Instant::now();
        let mut seen = BTreeSet::new();
        for i in 0..200u32 {
            let d = q.rearm(i % 3, ms(1_000, 1_010), t0) - t0;
            assert!(d >= Duration::from_millis(1_000) && d < Duration::from_millis(1_010), "{d:?}");
            seen.insert(d.as_millis());
        }
        assert!(seen.len() > 5, "random over the range: {seen:?}");
        assert_eq!(q.rearm(9, ms(5, 5), t0), t0 + Duration::from_millis(5), "an empty range gives its start");
    }

    #[test]
    fn commands_are_carried_out_saves_first() {
        let (mut driver, mut controller, saves) = broker_and_controller(false);
        let disk = driver.state().as_broker().unwrap().disk.clone();
        let mut out = Out::new();
        out.send(Id::from(0), heartbeat());
        out.save(Saved::Broker(disk.clone()));
        out.set_timer(Timer::FetchBackoff(PartitionId(0)), ms(30, 40));
        out.set_timer(Timer::Crash, ms(1, 2));
        out.set_timer(Timer::Restart, ms(1, 2));
        out.set_timer(Timer::SessionTimeout(BrokerId(1)), ms(10_000, 10_001));
        out.cancel_timer(Timer::SessionTimeout(BrokerId(1)));
        driver.carry_out(out).unwrap();

        assert_eq!(*saves.lock().unwrap(), vec![(Saved::Broker(disk), false)], "saved before anything was sent");
        assert_eq!(controller.recv(Duration::from_secs(2)), Some((Id::from(1), heartbeat())));
        let armed: Vec<Timer> = driver.timers().armed().map(|(t, _)| *t).collect();
        assert_eq!(armed, vec![Timer::FetchBackoff(PartitionId(0))], "fault and restart timers are never armed");

        let deadline = Instant::now() + Duration::from_secs(2);
        loop {
            match driver.step(Duration::from_millis(100)).unwrap() {
                Step::Timer(timer) => {
                    assert_eq!(timer, Timer::FetchBackoff(PartitionId(0)));
                    break;
                }
                other => assert!(Instant::now() < deadline, "the timer never fired: {other:?}"),
            }
        }
    }

    #[test]
    fn a_failed_save_halts_before_anything_is_sent() {
        let (mut driver, mut controller, _) = broker_and_controller(true);
        let disk = driver.state().as_broker().unwrap().disk.clone();
        let mut out = Out::new();
        out.send(Id::from(0), heartbeat());
        out.save(Saved::Broker(disk));
        let err = driver.carry_out(out).unwrap_err();
        assert!(matches!(err, NodeError::Save { .. }), "{err:?}");
        assert_eq!(err.to_string(), "data directory failure: disk on fire (the node halts)");
        assert_eq!(controller.recv(Duration::from_millis(200)), None);
    }

    #[test]
    fn clients_are_answered_where_they_spoke_from() {
        let cluster = ClusterFile::on_free_ports(config(1)).unwrap();
        let mut node = Endpoint::node(cluster.clone(), 1).unwrap();
        let client_id = Endpoint::fresh_client_id(&cluster);
        assert!(client_id > 2, "above the controller, the broker and the producer");
        let mut client = Endpoint::client(cluster, client_id).unwrap();
        assert!(matches!(node.send(client.id(), &heartbeat()), Err(SendError::NoAddress { .. })));
        client.send(Id::from(1), &heartbeat()).unwrap();
        assert_eq!(node.recv(Duration::from_secs(2)), Some((client.id(), heartbeat())));
        assert_eq!(node.address_of(client.id()), Some(client.local_addr().unwrap()));
        node.send(client.id(), &heartbeat()).unwrap();
        assert_eq!(client.recv(Duration::from_secs(2)), Some((Id::from(1), heartbeat())));
    }

    #[test]
    fn garbage_is_dropped_and_the_next_message_still_arrives() {
        let cluster = ClusterFile::on_free_ports(config(1)).unwrap();
        let mut node = Endpoint::node(cluster.clone(), 1).unwrap();
        let to = node.local_addr().unwrap();
        let raw = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        raw.send_to(b"GET / HTTP/1.1\r\n\r\n", to).unwrap();
        raw.send_to(&wire::encode(ClusterTag::of("kelp-other"), 0, 1, &heartbeat()).unwrap(), to).unwrap();
        raw.send_to(&wire::encode(cluster.tag(), 0, 5, &heartbeat()).unwrap(), to).unwrap();
        raw.send_to(&vec![7u8; 65_100], to).unwrap();
        raw.send_to(&wire::encode(cluster.tag(), 0, 1, &heartbeat()).unwrap(), to).unwrap();
        assert_eq!(node.recv(Duration::from_secs(2)), Some((Id::from(0), heartbeat())));
        assert_eq!(node.recv(Duration::from_millis(50)), None);
    }

    #[test]
    fn a_message_the_model_cannot_take_is_dropped_and_the_state_kept() {
        let (mut driver, _controller, _) = broker_and_controller(false);
        let before = driver.state().clone();
        let impossible = Msg::Produce {
            partition: PartitionId(9),
            producer: ProducerId(1),
            sequence: Sequence(0),
            acks: kelp_model::config::Acks::All,
            idempotent: true,
            value: Default::default(),
        };
        driver.deliver(Id::from(2), impossible).unwrap();
        assert_eq!(*driver.state(), before);
    }

    #[test]
    fn sigterm_requests_a_stop() {
        let stop = Stop::on_signals().unwrap();
        let before = stop.requests();
        // SAFETY: the handler just installed only counts the signal.
        assert_eq!(unsafe { libc::raise(libc::SIGTERM) }, 0);
        assert_eq!(stop.requests(), before + 1);
    }

    #[test]
    fn a_stop_counts_requests() {
        let stop = Stop::new();
        let other = stop.clone();
        assert_eq!(stop.requests(), 0);
        other.request();
        other.request();
        assert_eq!(stop.requests(), 2);
        assert_eq!(Stop::new().requests(), 0);
    }

    #[test]
    fn controller_changes_are_logged_in_describe_form() {
        let cfg = config(3);
        let before = ControllerState::bootstrap(&cfg);
        let mut after = before.clone();
        after.brokers[0].fenced = true;
        after.brokers[1].epoch = BrokerEpoch(9);
        after.brokers[1].fenced = true;
        after.brokers[2].in_controlled_shutdown = true;
        let p = &mut after.partitions[0];
        p.leader = Some(BrokerId(2));
        p.leader_epoch = LeaderEpoch(2);
        p.partition_epoch = kelp_model::ids::PartitionEpoch(2);
        p.isr = kelp_model::broker_set::BrokerSet::of([BrokerId(2), BrokerId(3)]);
        let lines: Vec<String> = describe_changes(&cfg, &KelpState::Controller(before), &KelpState::Controller(after))
            .into_iter()
            .map(|(_, line)| line)
            .collect();
        assert_eq!(
            lines,
            vec![
                "broker 1 fenced: fenced in broker epoch 1".to_string(),
                "broker 2 registered with broker epoch 9 (fenced)".to_string(),
                "broker 3 in controlled shutdown (broker epoch 3)".to_string(),
                "Topic: t\tPartition: 0\tLeader: 2\tReplicas: 1,2,3\tIsr: 2,3\tElr: \tLastKnownElr: \tLeaderEpoch: 2\tPartitionEpoch: 2"
                    .to_string(),
            ]
        );
    }

    #[test]
    fn zookeeper_tells_an_expired_session_from_a_controller_that_gave_up() {
        let cfg = Config { controllers: 2, ..config(3) };
        let before = kelp_model::coordinator::CoordinatorState::start(&cfg);
        let lines = |after: &kelp_model::coordinator::CoordinatorState| -> Vec<String> {
            let (a, b) = (KelpState::Coordinator(before.clone()), KelpState::Coordinator(after.clone()));
            describe_changes(&cfg, &a, &b).into_iter().map(|(_, line)| line).collect()
        };
        let mut expired = before.clone();
        expired.controller = None;
        expired.expiries = 1;
        assert_eq!(lines(&expired), vec!["session of controller expired: /controller deleted".to_string()]);
        let mut gave_up = before.clone();
        gave_up.controller = None;
        let expected = "controller resigned: /controller deleted";
        assert_eq!(lines(&gave_up), vec![expected.to_string()]);
    }

    #[test]
    fn broker_changes_show_roles_and_truncations() {
        let cfg = Arc::new(config(3));
        let actor = KelpActor::new(cfg.clone(), Address::Broker(BrokerId(2)));
        let mut out = Out::new();
        let KelpState::Broker(mut before) = actor.on_start(Id::from(2), &None, &mut out) else { unreachable!() };
        let record = |sequence| Record {
            epoch: LeaderEpoch(1),
            producer: ProducerId(1),
            sequence: Sequence(sequence),
            value: Default::default(),
        };
        for s in 0..3 {
            before.disk.replica_mut(PartitionId(0)).log.append(record(s));
        }
        assert_eq!(role_line(&before, PartitionId(0)), "follower of broker 1 in leader epoch 1");
        let mut after = before.clone();
        after.disk.replica_mut(PartitionId(0)).truncate_to(kelp_model::ids::Offset(1));
        after.disk.replica_mut(PartitionId(0)).high_watermark = kelp_model::ids::Offset(1);
        let replica = &mut after.process.as_mut().unwrap().replicas[0];
        replica.meta.as_mut().unwrap().leader_epoch = LeaderEpoch(2);
        replica.role = Role::Follower(FetchState::Idle);
        let lines = describe_changes(&cfg, &KelpState::Broker(before.clone()), &KelpState::Broker(after.clone()));
        let info: Vec<&str> = lines.iter().filter(|(l, _)| *l == Level::INFO).map(|(_, s)| s.as_str()).collect();
        assert_eq!(
            info,
            vec![
                "partition 0: follower of broker 1 in leader epoch 2",
                "partition 0: log truncated from offset 3 to 1"
            ]
        );
        assert!(lines.contains(&(Level::DEBUG, "partition 0: high watermark 0 -> 1".to_string())), "{lines:?}");

        let mut stopped = before.clone();
        stopped.process = None;
        stopped.disk.clean_shutdown_epoch = Some(BrokerEpoch(2));
        let lines = describe_changes(&cfg, &KelpState::Broker(before), &KelpState::Broker(stopped));
        assert_eq!(lines, vec![(Level::INFO, "stopped (clean shutdown in broker epoch 2)".to_string())]);
    }
}
