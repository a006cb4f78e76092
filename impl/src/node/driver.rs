//! One model actor run over an `Endpoint`: messages delivered, real timers fired, and the
//! actor's commands carried out (saves first, then sends, then timers). A node runs one; a client
//! drives a model actor (a producer) the same way.

use super::changes::{describe_changes, describe_start};
use super::logging::log;
use super::panics::run_handler;
use super::{node_name, Endpoint, NodeError, SendError, TimerQueue};
use crate::storage::{MetadataFile, Storage};
use kelp_model::actor::{KelpActor, KelpState};
use kelp_model::config::Config;
use kelp_model::effects::Address;
use kelp_model::ids::Incarnation;
use kelp_model::msg::Msg;
use kelp_model::saved::Saved;
use kelp_model::timer::Timer;
use stateright::actor::{Actor, Command, Id, Out};
use std::borrow::Cow;
use std::collections::hash_map::RandomState;
use std::collections::{BTreeMap, BTreeSet};
use std::error::Error as StdError;
use std::hash::{BuildHasher, Hasher};
use std::ops::Range;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tracing::{debug, error, warn};

/// Where an actor's `Save`s go: a broker's `Storage`, the `MetadataFile` of the controller, a
/// candidate or ZooKeeper, or anything else that keeps what the model saves.
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
        let outcome = run_handler(|| {
            let mut cow = Cow::Borrowed(state);
            let mut out = Out::new();
            actor.on_msg(me, &mut cow, from, msg, &mut out);
            (changed(cow), out)
        });
        match outcome {
            Ok((next, out)) => self.advance(next, out),
            Err(why) => {
                let from = self.name_of(from);
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
        match u32::try_from(raw).ok().and_then(|n| self.endpoint.cluster().node(n)) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster_file::ClusterFile;
    use crate::node::test_support::{config, heartbeat, ms};
    use kelp_model::ids::{BrokerId, PartitionId, ProducerId, Sequence};
    use std::io;
    use std::net::UdpSocket;
    use std::os::fd::AsRawFd;
    use std::sync::Mutex;

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
        let recorder = Recorder { saves: saves.clone(), probe: controller.socket().try_clone().unwrap(), fail: false };
        let broker = Endpoint::node(cluster, 1).unwrap();
        let mut driver =
            Driver::start(broker, Address::Broker(BrokerId(1)), Some(Box::new(recorder)), None, ArmPolicy::KeepRunning)
                .unwrap();
        while controller.recv(Duration::from_millis(20)).is_some() {}
        if fail {
            let probe = controller.socket().try_clone().unwrap();
            driver.sink = Some(Box::new(Recorder { saves: saves.clone(), probe, fail: true }));
        }
        saves.lock().unwrap().clear();
        (driver, controller, saves)
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
}
