//! The one stateright `Actor` of the model: one type for every role (its `Address`: the controller,
//! a broker, a producer, the operator, another controller candidate, the coordinator), each with
//! its variant of `KelpState`. It turns stateright events into calls of the pure handlers and
//! their `Effects` back into `Out` commands: sends, saves (a broker's disk; in the reference
//! cluster the controller's metadata, ZooKeeper's data and a candidate's mark), and the timers
//! each actor wants in its new state. The checker (`system.rs`) and the networked runtime
//! (`impl/`) both drive this same code.

use crate::broker::{BrokerState, Ctx};
use crate::config::Config;
use crate::controller::ControllerState;
use crate::coordinator::CoordinatorState;
use crate::effects::{Address, Effects};
use crate::ids::{BrokerId, ControllerId, Incarnation, ProducerId};
use crate::log::Value;
use crate::msg::Msg;
use crate::operator::OperatorState;
use crate::producer::ProducerState;
use crate::saved::{self, Saved};
use crate::timer::Timer;
use serde::{Deserialize, Serialize};
use stateright::actor::{Actor, Id, Out};
use std::borrow::Cow;
use std::sync::Arc;

#[derive(Clone, Debug)]
pub struct KelpActor {
    pub cfg: Arc<Config>,
    pub role: Address,
    /// A producer's record values by sequence: the application's input, like the configuration,
    /// so not part of the state. Empty in the checker, whose records carry no payload.
    pub values: Arc<[Value]>,
    /// The incarnation of a broker process started from its disk (`on_start` with storage, which
    /// only the reference cluster does): drawn at random by the node, as Kafka draws a UUID.
    pub incarnation: Incarnation,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum KelpState {
    Controller(ControllerState),
    Broker(BrokerState),
    Producer(ProducerState),
    Operator(OperatorState),
    /// Last, so that the variants above keep their hashes.
    Coordinator(CoordinatorState),
}

impl KelpActor {
    pub fn new(cfg: Arc<Config>, role: Address) -> Self {
        KelpActor { cfg, role, values: Arc::from([]), incarnation: Incarnation::default() }
    }

    /// A producer that sends `values` (record `s` carries `values[s]`).
    pub fn producer_of(cfg: Arc<Config>, me: ProducerId, values: Arc<[Value]>) -> Self {
        KelpActor { cfg, role: Address::Producer(me), values, incarnation: Incarnation::default() }
    }

    /// Attaches the application's payload to a produce request the producer's handlers built.
    fn with_value(&self, msg: Msg) -> Msg {
        match msg {
            Msg::Produce { partition, producer, sequence, acks, idempotent, .. } => {
                let value = self.values.get(sequence.index()).cloned().unwrap_or_default();
                Msg::Produce { partition, producer, sequence, acks, idempotent, value }
            }
            other => other,
        }
    }

    fn broker_ctx(&self, me: BrokerId) -> Ctx<'_> {
        Ctx { cfg: &self.cfg, me }
    }

    /// Carries out a handler's effects, then re-arms exactly the timers the new state wants.
    fn apply(&self, state: &KelpState, fx: Effects, o: &mut Out<Self>) {
        for (to, msg) in fx.sends {
            // With candidates, brokers reach the controller through the coordinator (ZooKeeper's
            // broker znodes and notifications reach whoever holds `/controller`).
            let to = match (state, to) {
                (KelpState::Broker(_), Address::Controller) if self.cfg.has_coordinator() => Address::Coordinator,
                _ => to,
            };
            // A cut link (`Timer::CutLink`) loses what the broker sends to that producer.
            if let (KelpState::Broker(b), Address::Producer(p)) = (state, to) {
                if b.cut_off_from(p) {
                    continue;
                }
            }
            o.send(to.id(&self.cfg), self.with_value(msg));
        }
        let (wanted, all) = match (state, self.role) {
            (KelpState::Controller(c), _) => (c.wanted_timers(&self.cfg), ControllerState::all_timers(&self.cfg)),
            (KelpState::Broker(b), Address::Broker(me)) => {
                if fx.save_disk {
                    o.save(Saved::Broker(b.disk.clone()));
                }
                let ctx = self.broker_ctx(me);
                (b.wanted_timers(ctx), BrokerState::all_timers(ctx))
            }
            (KelpState::Producer(p), _) => (p.wanted_timers(&self.cfg), vec![Timer::RequestTimeout]),
            (KelpState::Operator(_), _) => (Vec::new(), Vec::new()),
            (KelpState::Coordinator(z), _) => (z.wanted_timers(&self.cfg), CoordinatorState::all_timers()),
            (KelpState::Broker(_), _) => unreachable!("broker state in a non-broker actor"),
        };
        for timer in all {
            if wanted.contains(&timer) {
                if fx.restart_timers.contains(&timer) {
                    o.cancel_timer(timer);
                }
                o.set_timer(timer, timer.duration());
            } else {
                o.cancel_timer(timer);
            }
        }
    }

    fn handle(&self, state: &mut Cow<KelpState>, o: &mut Out<Self>, event: impl FnOnce(&mut KelpState, &mut Effects)) {
        let mut fx = Effects::default();
        let before = self.metadata(state);
        let next = state.to_mut();
        event(next, &mut fx);
        // Saved before anything is sent (the runtime carries out every `Save` first).
        if let (Some(before), Some(after)) = (before, self.metadata(next)) {
            if after != before {
                o.save(after);
            }
        }
        self.apply(next, fx, o);
    }

    /// What this actor keeps of `state` on disk besides a broker's `Disk` (`saved::metadata_kind`).
    fn metadata(&self, state: &KelpState) -> Option<Saved> {
        let kind = saved::metadata_kind(&self.cfg, self.role)?;
        match state {
            // A candidate keeps only that it started: its id, the same at every event.
            KelpState::Controller(_) if kind == saved::CANDIDATE_MARK => {
                self.role.controller_id().map(Saved::Candidate)
            }
            KelpState::Controller(c) => Some(Saved::Controller(c.clone())),
            KelpState::Coordinator(z) => Some(Saved::Coordinator(z.clone())),
            _ => None,
        }
    }
}

impl Actor for KelpActor {
    type Msg = Msg;
    type State = KelpState;
    type Timer = Timer;
    type Random = ();
    type Storage = Saved;

    /// Each role starts from what it saved, if anything, else from the freshly formatted cluster.
    fn on_start(&self, _id: Id, storage: &Option<Saved>, o: &mut Out<Self>) -> KelpState {
        let mut fx = Effects::default();
        let state = match (self.role, storage) {
            (Address::Controller, Some(Saved::Controller(image))) => {
                KelpState::Controller(ControllerState::recover(image.clone()))
            }
            (Address::Controller, None) => KelpState::Controller(ControllerState::start(&self.cfg, ControllerId(1))),
            (Address::OtherController(id), None) => KelpState::Controller(ControllerState::start(&self.cfg, id)),
            (Address::Controller | Address::OtherController(_), Some(Saved::Candidate(_))) => {
                KelpState::Controller(ControllerState::restart(&mut fx))
            }
            (Address::Coordinator, Some(Saved::Coordinator(z))) => {
                KelpState::Coordinator(z.clone().recover(&self.cfg, &mut fx))
            }
            (Address::Coordinator, None) => KelpState::Coordinator(CoordinatorState::start(&self.cfg)),
            (Address::Broker(me), None) => {
                KelpState::Broker(BrokerState::bootstrap(self.broker_ctx(me), &bootstrap_records(&self.cfg), &mut fx))
            }
            (Address::Broker(me), Some(Saved::Broker(disk))) => KelpState::Broker(BrokerState::start_from_disk(
                self.broker_ctx(me),
                disk.clone(),
                Default::default(),
                self.incarnation,
                &mut fx,
            )),
            (Address::Producer(me), _) => {
                KelpState::Producer(ProducerState::bootstrap(&self.cfg, me, &bootstrap_records(&self.cfg), &mut fx))
            }
            (Address::Operator, _) => KelpState::Operator(OperatorState::default()),
            // The runtime opens each role's own kind of storage.
            (role, Some(saved)) => unreachable!("{role} started from {}", saved.kind()),
        };
        // What a role keeps is on disk from its first start (a candidate's mark, above all).
        if let (None, Some(kept)) = (storage, self.metadata(&state)) {
            o.save(kept);
        }
        self.apply(&state, fx, o);
        state
    }

    fn on_msg(&self, _id: Id, state: &mut Cow<KelpState>, src: Id, msg: Msg, o: &mut Out<Self>) {
        let cfg = &self.cfg;
        let src = Address::of(src, cfg);
        // ... and what the producer sends over it never arrives.
        if let (KelpState::Broker(b), Address::Producer(p)) = (state.as_ref(), src) {
            if b.cut_off_from(p) {
                return;
            }
        }
        if let Msg::Request(request) = msg {
            return self.handle(state, o, |s, fx| {
                match (s, self.role) {
                    (KelpState::Controller(c), _) => c.on_client_request(cfg, src, request, fx),
                    (KelpState::Broker(b), Address::Broker(me)) => {
                        // A request is answered to whoever sent it (Kafka: on the same connection).
                        if let Some(response) = b.on_client_request(self.broker_ctx(me), request) {
                            fx.send(src, Msg::Response(response));
                        }
                    }
                    _ => {}
                }
            });
        }
        self.handle(state, o, |s, fx| match (s, self.role) {
            (KelpState::Controller(c), _) => c.on_msg(cfg, msg, fx),
            (KelpState::Broker(b), Address::Broker(me)) => b.on_msg(self.broker_ctx(me), msg, fx),
            (KelpState::Producer(p), Address::Producer(me)) => p.on_msg(cfg, me, src, msg, fx),
            (KelpState::Operator(op), _) => op.on_msg(cfg, msg, fx),
            (KelpState::Coordinator(z), _) => z.on_msg(cfg, src, msg, fx),
            _ => unreachable!("state and role disagree"),
        });
    }

    fn on_timeout(&self, _id: Id, state: &mut Cow<KelpState>, timer: &Timer, o: &mut Out<Self>) {
        let cfg = &self.cfg;
        let timer = *timer;
        self.handle(state, o, |s, fx| match (s, self.role) {
            (KelpState::Controller(c), _) => c.on_timer(cfg, timer, fx),
            (KelpState::Broker(b), Address::Broker(me)) => b.on_timer(self.broker_ctx(me), timer, fx),
            (KelpState::Producer(p), Address::Producer(me)) => p.on_timer(cfg, me, timer, fx),
            (KelpState::Operator(_), _) => {}
            (KelpState::Coordinator(z), _) => z.on_timer(cfg, timer, fx),
            _ => unreachable!("state and role disagree"),
        });
    }
}

impl KelpState {
    pub fn as_controller(&self) -> Option<&ControllerState> {
        match self {
            KelpState::Controller(c) => Some(c),
            _ => None,
        }
    }
    pub fn as_broker(&self) -> Option<&BrokerState> {
        match self {
            KelpState::Broker(b) => Some(b),
            _ => None,
        }
    }
    pub fn as_operator(&self) -> Option<&OperatorState> {
        match self {
            KelpState::Operator(o) => Some(o),
            _ => None,
        }
    }
    pub fn as_coordinator(&self) -> Option<&CoordinatorState> {
        match self {
            KelpState::Coordinator(z) => Some(z),
            _ => None,
        }
    }
    pub fn as_producer(&self) -> Option<&ProducerState> {
        match self {
            KelpState::Producer(p) => Some(p),
            _ => None,
        }
    }
}

/// The partition records of the freshly formatted cluster, which every broker and client has
/// applied when the model starts.
fn bootstrap_records(cfg: &Config) -> Vec<crate::metadata::PartitionState> {
    ControllerState::bootstrap(cfg).partitions
}

/// The actors of a cluster, in actor-id order: controller, brokers, producers, the operator if
/// configured, then with controller candidates the other candidates and the coordinator.
pub fn cluster_actors(cfg: &Arc<Config>) -> Vec<KelpActor> {
    std::iter::once(Address::Controller)
        .chain(cfg.broker_ids().map(Address::Broker))
        .chain(cfg.producer_ids().map(Address::Producer))
        .chain(cfg.operator_demotes.then_some(Address::Operator))
        .chain(cfg.controller_ids().skip(1).map(Address::OtherController))
        .chain(cfg.has_coordinator().then_some(Address::Coordinator))
        .map(|role| KelpActor::new(cfg.clone(), role))
        .collect()
}

#[cfg(test)]
mod tests {
    //! The actor layer through stateright's `Actor` interface: events in, exact `Out` commands
    //! out. Default configuration (three brokers, one partition, one producer: actor ids 0 for
    //! the controller, 1..=3 for the brokers, 4 for the producer).

    use super::*;
    use crate::broker::Disk;
    use crate::config::{Acks, FaultBudget};
    use crate::controller::ControllerRole;
    use crate::ids::{BrokerEpoch, ControllerEpoch, LeaderEpoch, Offset, PartitionId, Sequence};
    use crate::log::Record;
    use crate::msg::{ClientRequest, ClientResponse, ElectionType};
    use stateright::actor::Command;

    const P0: PartitionId = PartitionId(0);
    const ME: ProducerId = ProducerId(1);

    /// A comparable `Command`; a timer is set for the duration `Timer::duration` gives.
    #[derive(Debug, PartialEq)]
    enum Cmd {
        Send(Id, Msg),
        Set(Timer),
        Cancel(Timer),
        Save(Saved),
    }

    fn commands(out: Out<KelpActor>) -> Vec<Cmd> {
        out.into_iter()
            .map(|c| match c {
                Command::Send(to, msg) => Cmd::Send(to, msg),
                Command::SetTimer(timer, duration) => {
                    assert_eq!(duration, timer.duration(), "{timer:?}");
                    Cmd::Set(timer)
                }
                Command::CancelTimer(timer) => Cmd::Cancel(timer),
                Command::Save(saved) => Cmd::Save(saved),
                Command::ChooseRandom(..) => panic!("kelp actors choose nothing at random"),
            })
            .collect()
    }

    /// Every command but the cancellations of timers (which every event repeats for each timer
    /// an actor does not want).
    fn effective(out: Out<KelpActor>) -> Vec<Cmd> {
        commands(out).into_iter().filter(|c| !matches!(c, Cmd::Cancel(_))).collect()
    }

    fn id(n: usize) -> Id {
        Id::from(n)
    }

    /// No faults at all: the actors arm no fault timers.
    fn calm() -> Arc<Config> {
        let budget = FaultBudget::none();
        Arc::new(Config { budget, ..Config::default() })
    }

    fn start(actor: &KelpActor, storage: Option<Saved>) -> KelpState {
        actor.on_start(actor.role.id(&actor.cfg), &storage, &mut Out::new())
    }

    fn deliver(actor: &KelpActor, state: &mut KelpState, src: usize, msg: Msg) -> Out<KelpActor> {
        let mut o = Out::new();
        let mut cow = Cow::Borrowed(&*state);
        actor.on_msg(actor.role.id(&actor.cfg), &mut cow, id(src), msg, &mut o);
        *state = cow.into_owned();
        o
    }

    fn fire(actor: &KelpActor, state: &mut KelpState, timer: Timer) -> Out<KelpActor> {
        let mut o = Out::new();
        let mut cow = Cow::Borrowed(&*state);
        actor.on_timeout(actor.role.id(&actor.cfg), &mut cow, &timer, &mut o);
        *state = cow.into_owned();
        o
    }

    fn controller(state: &KelpState) -> &ControllerState {
        state.as_controller().expect("a controller")
    }

    fn broker(state: &KelpState) -> &BrokerState {
        state.as_broker().expect("a broker")
    }

    /// An idempotent producer's record 0 for p0.
    fn first_record(producer: ProducerId, acks: Acks, value: &str) -> Msg {
        Msg::Produce {
            partition: P0,
            producer,
            sequence: Sequence(0),
            acks,
            idempotent: true,
            value: Value::from(value),
        }
    }

    fn rec(epoch: u32, sequence: u32, value: &str) -> Record {
        Record { value: Value::from(value), ..Record::new(LeaderEpoch(epoch), ME, Sequence(sequence)) }
    }

    #[test]
    fn a_request_to_the_controller_is_answered_to_its_sender() {
        let cfg = calm();
        let actor = KelpActor::new(cfg.clone(), Address::Controller);
        let mut state = start(&actor, None);
        let partitions = ControllerState::bootstrap(&cfg).partitions;
        for client in [4, 9] {
            let o = deliver(&actor, &mut state, client, Msg::Request(ClientRequest::DescribePartitions));
            assert_eq!(
                commands(o),
                vec![
                    Cmd::Send(id(client), Msg::Response(ClientResponse::Partitions(partitions.clone()))),
                    Cmd::Cancel(Timer::SessionTimeout(BrokerId(1))),
                    Cmd::Cancel(Timer::SessionTimeout(BrokerId(2))),
                    Cmd::Cancel(Timer::SessionTimeout(BrokerId(3))),
                    Cmd::Cancel(Timer::PreferredElection(P0)),
                ]
            );
        }
        assert_eq!(*controller(&state), ControllerState::bootstrap(&cfg));
    }

    /// `calm` with `RuntimeSettings::durable_metadata`, and `controllers` candidates.
    fn durable(controllers: u8) -> Arc<Config> {
        let mut cfg = Config { controllers, ..(*calm()).clone() };
        cfg.runtime.durable_metadata = true;
        Arc::new(cfg)
    }

    /// A preferred election of p0 while broker 2 leads it: the controller's record changes.
    fn preferred_election(actor: &KelpActor, state: &mut KelpState) -> Out<KelpActor> {
        let request = ClientRequest::ElectLeaders { election: ElectionType::Preferred, partitions: vec![P0] };
        deliver(actor, state, 7, Msg::Request(request))
    }

    fn led_by_2(cfg: &Config) -> KelpState {
        let mut c = ControllerState::bootstrap(cfg);
        c.partitions[0].leader = Some(BrokerId(2));
        c.partitions[0].leader_epoch = LeaderEpoch(2);
        KelpState::Controller(c)
    }

    #[test]
    fn with_durable_metadata_the_sole_controller_saves_each_change_before_it_sends_anything() {
        let cfg = durable(1);
        let actor = KelpActor::new(cfg.clone(), Address::Controller);
        let mut state = led_by_2(&cfg);
        // A description changes nothing: nothing to save.
        let o = deliver(&actor, &mut state, 7, Msg::Request(ClientRequest::DescribePartitions));
        assert!(!effective(o).iter().any(|c| matches!(c, Cmd::Save(_))));
        let o = preferred_election(&actor, &mut state);
        let commands = effective(o);
        assert_eq!(commands[0], Cmd::Save(Saved::Controller(controller(&state).clone())));
        assert_eq!(commands.iter().filter(|c| matches!(c, Cmd::Save(_))).count(), 1);
        // Without the setting (the checker), nothing is saved.
        let actor = KelpActor::new(calm(), Address::Controller);
        let mut state = led_by_2(&calm());
        assert!(!effective(preferred_election(&actor, &mut state)).iter().any(|c| matches!(c, Cmd::Save(_))));
    }

    #[test]
    fn a_restarted_controller_recovers_its_metadata_with_every_unfenced_broker_given_a_new_session() {
        // As the cluster runs it: with heartbeats, every unfenced broker's session can run out.
        let mut cfg = (*durable(1)).clone();
        cfg.runtime.heartbeats = true;
        let cfg = Arc::new(cfg);
        let actor = KelpActor::new(cfg.clone(), Address::Controller);
        let mut saved = ControllerState::bootstrap(&cfg);
        saved.partitions[0].leader_epoch = LeaderEpoch(5);
        saved.next_broker_epoch = BrokerEpoch(9);
        saved.brokers[1].silent = true;
        saved.brokers[2].fenced = true;
        let mut o = Out::new();
        let state = actor.on_start(id(0), &Some(Saved::Controller(saved.clone())), &mut o);
        let mut expected = saved;
        expected.brokers[1].silent = false;
        assert_eq!(*controller(&state), expected);
        assert_eq!(*controller(&state), ControllerState::recover(expected.clone()));
        let sessions: Vec<Cmd> =
            effective(o).into_iter().filter(|c| matches!(c, Cmd::Set(Timer::SessionTimeout(_)))).collect();
        assert_eq!(
            sessions,
            vec![Cmd::Set(Timer::SessionTimeout(BrokerId(1))), Cmd::Set(Timer::SessionTimeout(BrokerId(2)))]
        );
    }

    #[test]
    fn a_candidate_saves_only_its_mark_at_first_start_and_restarts_from_it_as_a_standby_that_claims() {
        let cfg = durable(2);
        let candidate = KelpActor::new(cfg.clone(), Address::Controller);
        let mut o = Out::new();
        let mut state = candidate.on_start(id(0), &None, &mut o);
        assert_eq!(controller(&state).role, ControllerRole::Active(ControllerEpoch(1)), "the formatted cluster's");
        assert_eq!(effective(o)[0], Cmd::Save(Saved::Candidate(ControllerId(1))));
        let stopped = Msg::HeartbeatsStopped { broker: BrokerId(1), broker_epoch: BrokerEpoch(1) };
        let coordinator = Address::Coordinator.id(&cfg).into();
        assert!(!effective(deliver(&candidate, &mut state, coordinator, stopped))
            .iter()
            .any(|c| matches!(c, Cmd::Save(_))));

        let mut o = Out::new();
        let state = candidate.on_start(id(0), &Some(Saved::Candidate(ControllerId(1))), &mut o);
        assert_eq!(controller(&state).role, ControllerRole::Standby, "not the zombie of epoch 1");
        assert!(controller(&state).partitions.is_empty(), "it knows nothing of the cluster until it takes over");
        let commands = effective(o);
        assert!(commands.contains(&Cmd::Send(id(coordinator), Msg::ClaimController)), "{commands:?}");
        assert!(!commands.iter().any(|c| matches!(c, Cmd::Save(_))), "the mark is there already");
    }

    #[test]
    fn the_coordinator_saves_and_recovers_its_data() {
        let cfg = durable(2);
        let zookeeper = KelpActor::new(cfg.clone(), Address::Coordinator);
        let mut state = start(&zookeeper, None);
        let o = deliver(&zookeeper, &mut state, 0, Msg::ResignController);
        let z = state.as_coordinator().expect("the coordinator").clone();
        assert_eq!(z.controller, None);
        assert_eq!(effective(o)[0], Cmd::Save(Saved::Coordinator(z.clone())));
        assert_eq!(start(&zookeeper, Some(Saved::Coordinator(z.clone()))), KelpState::Coordinator(z));
    }

    #[test]
    fn an_election_request_publishes_the_record_before_answering() {
        let cfg = calm();
        let actor = KelpActor::new(cfg.clone(), Address::Controller);
        let mut c = ControllerState::bootstrap(&cfg);
        c.partitions[0].leader = Some(BrokerId(2));
        c.partitions[0].leader_epoch = LeaderEpoch(2);
        let mut state = KelpState::Controller(c);
        let request = ClientRequest::ElectLeaders { election: ElectionType::Preferred, partitions: vec![P0] };
        let o = deliver(&actor, &mut state, 7, Msg::Request(request));
        let r = controller(&state).partitions[0].clone();
        assert_eq!((r.leader, r.leader_epoch), (Some(BrokerId(1)), LeaderEpoch(3)));
        let change = || Msg::PartitionChange(r.clone());
        assert_eq!(
            effective(o),
            vec![
                Cmd::Send(id(1), change()),
                Cmd::Send(id(2), change()),
                Cmd::Send(id(3), change()),
                Cmd::Send(id(4), change()),
                Cmd::Send(id(7), Msg::Response(ClientResponse::LeadersElected(vec![(P0, Ok(()))]))),
            ]
        );
    }

    #[test]
    fn a_consumer_fetch_to_the_leader_is_answered_to_its_sender() {
        let cfg = calm();
        let actor = KelpActor::new(cfg.clone(), Address::Broker(BrokerId(1)));
        let mut state = start(&actor, None);
        if let KelpState::Broker(b) = &mut state {
            let disk = b.disk.replica_mut(P0);
            disk.log.append(rec(1, 0, "a"));
            disk.log.append(rec(1, 1, "b"));
            disk.high_watermark = Offset(1);
        }
        let before = state.clone();
        let fetch = ClientRequest::ConsumerFetch { partition: P0, fetch_offset: Offset(0) };
        let o = deliver(&actor, &mut state, 5, Msg::Request(fetch));
        let result = Ok((vec![rec(1, 0, "a")], Offset(1)));
        let answer = ClientResponse::ConsumerRecords { partition: P0, fetch_offset: Offset(0), result };
        assert_eq!(effective(o), vec![Cmd::Send(id(5), Msg::Response(answer))]);
        assert_eq!(state, before);
    }

    #[test]
    fn requests_nobody_answers_send_nothing() {
        let cfg = calm();
        let fetch = || Msg::Request(ClientRequest::ConsumerFetch { partition: P0, fetch_offset: Offset(0) });
        // A consumer fetch to the controller.
        let actor = KelpActor::new(cfg.clone(), Address::Controller);
        let mut state = start(&actor, None);
        assert_eq!(effective(deliver(&actor, &mut state, 4, fetch())), vec![]);
        // A controller's request to a broker.
        let actor = KelpActor::new(cfg.clone(), Address::Broker(BrokerId(1)));
        let mut state = start(&actor, None);
        let describe = Msg::Request(ClientRequest::DescribePartitions);
        assert_eq!(effective(deliver(&actor, &mut state, 4, describe)), vec![]);
        // Any request to a producer.
        let actor = KelpActor::new(cfg.clone(), Address::Producer(ME));
        let mut state = start(&actor, None);
        let before = state.clone();
        assert_eq!(effective(deliver(&actor, &mut state, 0, fetch())), vec![Cmd::Set(Timer::RequestTimeout)]);
        assert_eq!(state, before);
    }

    #[test]
    fn a_broker_that_is_down_answers_no_consumer_fetch() {
        let cfg = calm();
        let actor = KelpActor::new(cfg.clone(), Address::Broker(BrokerId(1)));
        let mut state = start(&actor, None);
        if let KelpState::Broker(b) = &mut state {
            b.process = None;
        }
        let fetch = Msg::Request(ClientRequest::ConsumerFetch { partition: P0, fetch_offset: Offset(0) });
        // Only the restart timer, which a stopped broker always wants.
        assert_eq!(effective(deliver(&actor, &mut state, 4, fetch)), vec![Cmd::Set(Timer::Restart)]);
    }

    #[test]
    fn a_producer_attaches_the_application_value_of_each_sequence() {
        let cfg = Arc::new(Config { records: 3, acks: Acks::One, ..(*calm()).clone() });
        let values: Arc<[Value]> = Arc::from(vec![Value::from("a"), Value::from("b")]);
        let actor = KelpActor::producer_of(cfg.clone(), ME, values);
        let produce = |sequence: u32, value: &str| Msg::Produce {
            partition: P0,
            producer: ME,
            sequence: Sequence(sequence),
            acks: Acks::One,
            idempotent: true,
            value: Value::from(value),
        };
        let mut o = Out::new();
        let mut state = actor.on_start(id(4), &None, &mut o);
        assert_eq!(commands(o), vec![Cmd::Send(id(1), produce(0, "a")), Cmd::Set(Timer::RequestTimeout)]);
        let ack = |s: u32| Msg::ProduceResponse { partition: P0, sequence: Sequence(s), result: Ok(Offset(s)) };
        let o = deliver(&actor, &mut state, 1, ack(0));
        assert_eq!(commands(o), vec![Cmd::Send(id(1), produce(1, "b")), Cmd::Set(Timer::RequestTimeout)]);
        // Past the values given: an empty value.
        let o = deliver(&actor, &mut state, 1, ack(1));
        assert_eq!(commands(o), vec![Cmd::Send(id(1), produce(2, "")), Cmd::Set(Timer::RequestTimeout)]);
        // The producer's state holds no values: its handlers never look at them.
        let acked = |s: u32| crate::producer::Outcome::Acked { partition: P0, offset: Offset(s) };
        assert_eq!(state.as_producer().expect("a producer").outcomes, vec![acked(0), acked(1)]);

        // A producer without values sends empty ones.
        let actor = KelpActor::new(cfg, Address::Producer(ME));
        let mut o = Out::new();
        actor.on_start(id(4), &None, &mut o);
        assert_eq!(commands(o), vec![Cmd::Send(id(1), produce(0, "")), Cmd::Set(Timer::RequestTimeout)]);
    }

    #[test]
    fn the_leader_stores_the_value_of_a_produce_and_saves_its_disk() {
        let cfg = calm();
        let actor = KelpActor::new(cfg.clone(), Address::Broker(BrokerId(1)));
        let mut state = start(&actor, None);
        let produce = first_record(ME, Acks::One, "hello");
        let o = deliver(&actor, &mut state, 4, produce);
        let disk = broker(&state).disk.clone();
        assert_eq!(disk.replica(P0).log.records, vec![rec(1, 0, "hello")]);
        let answer = Msg::ProduceResponse { partition: P0, sequence: Sequence(0), result: Ok(Offset(0)) };
        assert_eq!(effective(o), vec![Cmd::Send(id(4), answer), Cmd::Save(Saved::Broker(disk))]);
    }

    #[test]
    fn a_broker_started_from_its_disk_recovers_saves_and_registers() {
        let cfg = calm();
        let actor =
            KelpActor { incarnation: Incarnation(77), ..KelpActor::new(cfg.clone(), Address::Broker(BrokerId(2))) };
        let mut disk = Disk::empty(&cfg);
        disk.replica_mut(P0).log.append(rec(1, 0, "a"));
        disk.replica_mut(P0).high_watermark = Offset(3);
        disk.clean_shutdown_epoch = Some(BrokerEpoch(2));
        let mut o = Out::new();
        let state = actor.on_start(id(2), &Some(Saved::Broker(disk.clone())), &mut o);
        let mut recovered = disk;
        recovered.replica_mut(P0).high_watermark = Offset(1);
        recovered.clean_shutdown_epoch = None;
        let register = Msg::RegisterBroker {
            broker: BrokerId(2),
            previous_epoch: Some(BrokerEpoch(2)),
            incarnation: Incarnation(77),
        };
        assert_eq!(effective(o), vec![Cmd::Send(id(0), register), Cmd::Save(Saved::Broker(recovered.clone()))]);
        assert_eq!(broker(&state).disk, recovered);
    }

    #[test]
    fn a_heartbeat_restarts_the_session_timer_by_cancelling_it_first() {
        let mut cfg = (*calm()).clone();
        cfg.runtime.heartbeats = true;
        let actor = KelpActor::new(Arc::new(cfg), Address::Controller);
        let mut state = start(&actor, None);
        let heartbeat = Msg::BrokerHeartbeat { broker: BrokerId(2), broker_epoch: BrokerEpoch(2) };
        let o = deliver(&actor, &mut state, 2, heartbeat);
        assert_eq!(
            commands(o),
            vec![
                Cmd::Set(Timer::SessionTimeout(BrokerId(1))),
                Cmd::Cancel(Timer::SessionTimeout(BrokerId(2))),
                Cmd::Set(Timer::SessionTimeout(BrokerId(2))),
                Cmd::Set(Timer::SessionTimeout(BrokerId(3))),
                Cmd::Cancel(Timer::PreferredElection(P0)),
            ]
        );
    }

    #[test]
    fn a_brokers_heartbeat_timer_sends_a_heartbeat_and_is_armed_again() {
        let mut cfg = (*calm()).clone();
        cfg.runtime.heartbeats = true;
        let actor = KelpActor::new(Arc::new(cfg), Address::Broker(BrokerId(2)));
        let mut state = start(&actor, None);
        let o = fire(&actor, &mut state, Timer::Heartbeat);
        let heartbeat = Msg::BrokerHeartbeat { broker: BrokerId(2), broker_epoch: BrokerEpoch(2) };
        assert_eq!(effective(o), vec![Cmd::Send(id(0), heartbeat), Cmd::Set(Timer::Heartbeat)]);
    }

    #[test]
    fn a_refreshing_producer_asks_the_controller_and_learns_from_the_answer() {
        let mut cfg = (*calm()).clone();
        cfg.runtime.metadata_refresh = true;
        let cfg = Arc::new(cfg);
        let actor = KelpActor::producer_of(cfg.clone(), ME, Arc::from(vec![Value::from("v")]));
        let ask = || Msg::Request(ClientRequest::DescribePartitions);
        let mut o = Out::new();
        let mut state = actor.on_start(id(4), &None, &mut o);
        assert_eq!(commands(o), vec![Cmd::Send(id(0), ask()), Cmd::Set(Timer::RequestTimeout)]);
        let o = fire(&actor, &mut state, Timer::RequestTimeout);
        assert_eq!(commands(o), vec![Cmd::Send(id(0), ask()), Cmd::Set(Timer::RequestTimeout)]);
        let answer = Msg::Response(ClientResponse::Partitions(ControllerState::bootstrap(&cfg).partitions));
        let o = deliver(&actor, &mut state, 0, answer);
        let produce = first_record(ME, Acks::All, "v");
        assert_eq!(commands(o), vec![Cmd::Send(id(1), produce), Cmd::Set(Timer::RequestTimeout)]);
    }

    #[test]
    fn a_cut_link_loses_the_producers_requests_and_the_brokers_answers() {
        let budget = FaultBudget { link_cuts: 1, ..calm().budget.clone() };
        let cfg = Arc::new(Config { budget, producers: 2, ..(*calm()).clone() });
        let actor = KelpActor::new(cfg.clone(), Address::Broker(BrokerId(1)));
        let mut state = start(&actor, None);
        // Leading p0, the broker may lose its link to producer 1 (actor 4).
        let o = fire(&actor, &mut state, Timer::CutLink(ME));
        assert_eq!(effective(o), vec![]);
        assert_eq!(broker(&state).links_cut, vec![ME]);
        // The budget is spent: no more cuts armed.
        assert!(!broker(&state).wanted_timers(actor.broker_ctx(BrokerId(1))).contains(&Timer::CutLink(ME)));

        // A produce over the cut link never arrives: nothing changes, nothing is sent.
        let before = state.clone();
        let produce = first_record(ME, Acks::One, "lost");
        let o = deliver(&actor, &mut state, 4, produce);
        assert_eq!(commands(o), vec![]);
        assert_eq!(state, before);

        // Only that link is cut: producer 2 (actor 5) still gets through and is answered.
        let other = first_record(ProducerId(2), Acks::One, "kept");
        let o = deliver(&actor, &mut state, 5, other);
        let answer = Msg::ProduceResponse { partition: P0, sequence: Sequence(0), result: Ok(Offset(0)) };
        assert_eq!(effective(o), vec![Cmd::Send(id(5), answer), Cmd::Save(Saved::Broker(broker(&state).disk.clone()))]);
    }

    #[test]
    fn what_the_broker_sends_over_a_cut_link_is_lost() {
        let budget = FaultBudget { link_cuts: 1, ..calm().budget.clone() };
        let cfg = Arc::new(Config { budget, min_insync_replicas: 1, replication_factor: 1, ..(*calm()).clone() });
        let actor = KelpActor::new(cfg.clone(), Address::Broker(BrokerId(1)));
        let mut state = start(&actor, None);
        fire(&actor, &mut state, Timer::CutLink(ME));
        // The broker handles the produce (a test's shortcut: the model drops it at arrival), and
        // its acks=all answer (RF 1: at once) is lost on the way out.
        let KelpState::Broker(b) = &mut state else { unreachable!() };
        let mut fx = Effects::default();
        let produce = first_record(ME, Acks::All, "x");
        b.on_msg(actor.broker_ctx(BrokerId(1)), produce, &mut fx);
        assert_eq!(fx.sends.len(), 1, "the handler answers producer 1");
        let mut o = Out::new();
        actor.apply(&state, fx, &mut o);
        assert!(effective(o).iter().all(|c| !matches!(c, Cmd::Send(..))), "the answer never leaves");
    }

    #[test]
    fn a_cut_link_survives_a_restart() {
        let budget = FaultBudget { link_cuts: 1, crashes: 1, ..calm().budget.clone() };
        let cfg = Arc::new(Config { budget, ..(*calm()).clone() });
        let actor = KelpActor::new(cfg, Address::Broker(BrokerId(1)));
        let mut state = start(&actor, None);
        fire(&actor, &mut state, Timer::CutLink(ME));
        fire(&actor, &mut state, Timer::Crash);
        fire(&actor, &mut state, Timer::Restart);
        assert_eq!(broker(&state).links_cut, vec![ME], "a property of the network, not of the process");
    }
}
