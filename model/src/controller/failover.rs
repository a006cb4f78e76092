//! Controller failover with controller candidates (`Config::controllers` > 1, the ZooKeeper-era
//! controller): which candidate acts; taking over with a new controller epoch and the committed
//! state (`KafkaController.onControllerFailover`); resigning (`onControllerResignation`); and how
//! an acting controller's changes reach the brokers: committed to the coordinator first, then
//! sent stamped with its controller epoch. A candidate whose session expired acts on until it is
//! told: that zombie is what the controller epoch fences.

use super::{CommittedChanges, ControllerRole, ControllerState, Writes};
use crate::config::Config;
use crate::effects::{Address, Effects};
use crate::ids::{BrokerEpoch, ControllerEpoch, ControllerId};
use crate::msg::Msg;
use crate::timer::Timer;

impl ControllerState {
    /// A candidate at start: with candidates, candidate 1 holds `/controller` in controller epoch 1
    /// (the cluster was formatted with it) and the others watch the node.
    pub fn start(cfg: &Config, id: ControllerId) -> Self {
        let bootstrap = Self::bootstrap(cfg);
        match (cfg.has_coordinator(), id.0) {
            (false, _) => bootstrap,
            (true, 1) => ControllerState { role: ControllerRole::Active(ControllerEpoch(1)), ..bootstrap },
            (true, _) => Self::standby(),
        }
    }

    /// A candidate started again (`Saved::Candidate`, the reference cluster): it kept nothing of
    /// the cluster, so it is a standby, and it runs the election at once (`KafkaController.startup`
    /// and `elect`): it claims `/controller`, which ZooKeeper refuses while the node is taken (by
    /// another candidate, or by this one's previous session until that expires), and it watches
    /// the node. Not the bootstrap's controller of epoch 1: that would be a zombie.
    pub fn restart(fx: &mut Effects) -> Self {
        fx.send(Address::Coordinator, Msg::ClaimController);
        Self::standby()
    }

    /// A candidate that is not the controller holds no state of the cluster: it reads all of it
    /// when it takes over (and a resigning one forgets what it had: `onControllerResignation`).
    fn standby() -> Self {
        ControllerState {
            brokers: Vec::new(),
            next_broker_epoch: BrokerEpoch::default(),
            partitions: Vec::new(),
            session_expiries: 0,
            role: ControllerRole::Standby,
            writes: Writes::default(),
        }
    }

    /// Whether this candidate acts as the controller (a zombie believes it does, and acts).
    pub fn acts(&self) -> bool {
        self.role != ControllerRole::Standby
    }

    /// What is committed to the coordinator: everything but the role and the writes in flight.
    pub fn committed_image(&self) -> ControllerState {
        ControllerState { role: ControllerRole::Standby, writes: self.writes.committed(), ..self.clone() }
    }

    /// A candidate's event, with a coordinator: the coordinator's own messages, and the brokers'
    /// requests it forwards, which only an acting controller handles.
    pub(super) fn on_msg_with_candidates(&mut self, cfg: &Config, msg: Msg, fx: &mut Effects) {
        match msg {
            Msg::ControllerGone if !self.acts() => fx.send(Address::Coordinator, Msg::ClaimController),
            Msg::ControllerGone => {}
            Msg::ControllerElected { epoch, image } => self.take_over(cfg, epoch, *image, fx),
            // With runtime heartbeats (the reference cluster) a candidate told that its session
            // expired runs the election again at once, as Kafka's does when its new session starts
            // (`RegisterBrokerAndReelect`): that new session's watch is what would tell it of a free
            // `/controller`, and for a restarted candidate the expired session was its previous
            // process's. In the checker, where an expiry is a bounded fault, the expired candidate
            // only resigns and the other candidates' watches fire.
            Msg::ControllerSessionExpired if cfg.runtime.heartbeats => {
                self.resign();
                fx.send(Address::Coordinator, Msg::ClaimController);
            }
            Msg::ControllerSessionExpired | Msg::WriteRejected => self.resign(),
            // Runtime only: a write of this term followed a lost one. The coordinator refused it
            // and deleted `/controller` if this candidate owned it: the candidate resigns and
            // claims the node again, as its own watch fires in Kafka (refused while another
            // holds it), rather than wait for a `ControllerGone` that may be lost too. A refusal
            // of an earlier term's write is stale.
            Msg::WriteOutOfOrder { epoch, .. } if self.role == ControllerRole::Active(epoch) => {
                self.resign();
                fx.send(Address::Coordinator, Msg::ClaimController);
            }
            Msg::WriteOutOfOrder { .. } => {}
            // The write is committed: now the requests go out (already stamped).
            Msg::WriteAccepted { then } => fx.sends.extend(then),
            // Runtime only: so are the writes before it (applied in order). The time-out of the
            // writes still unanswered runs from this answer: ZooKeeper is applying them.
            Msg::WriteApplied { applied, then } => {
                self.writes.applied(applied);
                if self.writes.unanswered > 0 {
                    fx.restart_timer(Timer::CoordinatorWriteTimeout);
                }
                fx.sends.extend(then)
            }
            request if is_broker_request(&request) && !self.acts() => {
                fx.send(Address::Coordinator, Msg::NotController(Box::new(request)))
            }
            request => {
                let before = self.clone();
                let cause = is_broker_request(&request).then(|| request.clone());
                self.dispatch(cfg, request, fx);
                self.commit(cfg, &before, cause, fx);
            }
        }
    }

    /// `onControllerFailover`: the new controller reads the committed state and elects leaders for
    /// partitions that have none. Kafka also sends every broker an UpdateMetadata in the new epoch;
    /// the model leaves it out (it changes no broker's metadata, and would multiply the
    /// interleavings): brokers learn the new epoch from the new controller's first request. Safety
    /// does not rest on it: the coordinator refuses a deposed controller's writes, so its requests
    /// never leave.
    fn take_over(&mut self, cfg: &Config, epoch: ControllerEpoch, image: ControllerState, fx: &mut Effects) {
        *self = ControllerState { role: ControllerRole::Active(epoch), ..image };
        let loaded = self.clone();
        self.elect_leaderless(cfg, fx);
        self.commit(cfg, &loaded, None, fx);
    }

    /// `onControllerResignation`: forget the controller's state and watch `/controller` again.
    fn resign(&mut self) {
        *self = Self::standby();
    }

    /// It has had writes unanswered since `Timer::CoordinatorWriteTimeout` was armed or last
    /// restarted by an answer (runtime only:
    /// a datagram lost, where ZooKeeper's TCP session would have delivered it, or failed): the
    /// candidate cannot tell whether they committed, so it resigns and deletes `/controller`, as
    /// Kafka's controller gives `/controller` up when it cannot go on (`triggerControllerMove`;
    /// Kafka's ZooKeeper client itself retries until its session expires, which TCP makes safe).
    /// The next controller reads what did commit: the requests of a write never answered never
    /// left, so the brokers were told nothing more than that. The candidate claims the node
    /// again right after, as its own watch fires in Kafka, so that a lost `ControllerGone` leaves
    /// nobody waiting for a node nobody claims.
    pub(super) fn give_up_controller(&mut self, fx: &mut Effects) {
        if self.acts() && self.writes.unanswered > 0 {
            self.resign();
            fx.send(Address::Coordinator, Msg::ResignController);
            fx.send(Address::Coordinator, Msg::ClaimController);
        }
    }

    /// After an acting controller's event: stamps what it sends to brokers with its controller
    /// epoch, and holds every send back behind a conditional write of what the event changed
    /// (Kafka's controller writes ZooKeeper, then sends LeaderAndIsr). `cause` is the broker's
    /// request the event handled, if any. In the reference cluster each write is numbered
    /// (`WriteCount`) and timed (`Timer::CoordinatorWriteTimeout`): a datagram may be lost.
    pub(super) fn commit(&mut self, cfg: &Config, before: &ControllerState, cause: Option<Msg>, fx: &mut Effects) {
        let ControllerRole::Active(epoch) = self.role else { return };
        let mut stamped: Vec<(Address, Msg)> = fx
            .sends
            .drain(..)
            .map(|(to, msg)| match to {
                Address::Broker(_) => (to, Msg::FromController { epoch, msg: Box::new(msg) }),
                _ => (to, msg),
            })
            .collect();
        // Sends to different actors travel on different connections, so only each destination's
        // own order matters: a stable sort by destination keeps it, and gives held requests one
        // canonical order (renaming brokers or producers then commutes with the model).
        stamped.sort_by_key(|(to, _)| *to);
        // An event that changed nothing and tells nobody anything needs no write (its messages
        // to the coordinator, such as the ZooKeeper session heartbeat, go at once). One that
        // answers a broker or a client with nothing to commit (a refusal, a description) writes
        // nothing, as Kafka's controller does, but its answer waits behind a write that only
        // checks the controller epoch: the answer comes from this candidate's state, which may
        // hold changes not yet written (a zombie's, never to be), and only a controller of now
        // may give it. Kafka's controller handles one event at a time, after the ZooKeeper
        // writes of the one before, and resigns when a write fails.
        let changes = CommittedChanges::between(before, self);
        let tells_someone = stamped.iter().any(|(to, _)| *to != Address::Coordinator);
        if changes.is_empty() && !tells_someone {
            fx.sends = stamped;
            return;
        }
        let write =
            Msg::CoordinatorWrite { epoch, changes: Box::new(changes), then: stamped, cause: cause.map(Box::new) };
        fx.sends = vec![(Address::Coordinator, write)];
        self.writes.sent(cfg);
    }
}

/// The requests brokers send the controller (through the coordinator).
fn is_broker_request(msg: &Msg) -> bool {
    matches!(
        msg,
        Msg::RegisterBroker { .. }
            | Msg::BrokerHeartbeat { .. }
            | Msg::HeartbeatsStopped { .. }
            | Msg::ControlledShutdown { .. }
            | Msg::AlterPartition { .. }
    )
}

#[cfg(test)]
mod tests {
    //! A candidate's handlers with a coordinator, message in, exact sends and state out. Default
    //! cluster (three brokers, partition 0 on all three led by broker 1, one producer) with two
    //! candidates.

    use super::*;
    use crate::ids::{BrokerEpoch, BrokerId, ProducerId, WriteCount};
    use crate::msg::{ClientRequest, ClientResponse, ElectionType};
    use crate::timer::Timer;

    fn cfg() -> Config {
        Config { controllers: 2, ..Config::default() }
    }

    fn step(c: &mut ControllerState, msg: Msg) -> Vec<(Address, Msg)> {
        let mut fx = Effects::default();
        c.on_msg(&cfg(), msg, &mut fx);
        fx.sends
    }

    fn stopped(broker: u8) -> Msg {
        Msg::HeartbeatsStopped { broker: BrokerId(broker), broker_epoch: BrokerEpoch(u32::from(broker)) }
    }

    fn stamped(epoch: u32, msg: Msg) -> Msg {
        Msg::FromController { epoch: ControllerEpoch(epoch), msg: Box::new(msg) }
    }

    #[test]
    fn candidate_1_starts_active_in_epoch_1_and_the_others_as_empty_standbys() {
        let cfg = cfg();
        let one = ControllerState::start(&cfg, ControllerId(1));
        assert_eq!(one.role, ControllerRole::Active(ControllerEpoch(1)));
        assert_eq!(one.committed_image(), ControllerState::bootstrap(&cfg).committed_image());
        let two = ControllerState::start(&cfg, ControllerId(2));
        assert_eq!(two, ControllerState::standby());
        assert_eq!(two.wanted_timers(&cfg), Vec::<Timer>::new());
        // Without candidates nothing changes.
        assert_eq!(ControllerState::start(&Config::default(), ControllerId(1)), ControllerState::bootstrap(&cfg));
    }

    #[test]
    fn a_refusal_changes_nothing_yet_waits_behind_a_write_so_that_a_zombie_never_gives_it() {
        let mut c = ControllerState::start(&cfg(), ControllerId(1));
        let stale = Msg::AlterPartition {
            partition: crate::ids::PartitionId(0),
            leader: BrokerId(1),
            broker_epoch: BrokerEpoch(1),
            leader_epoch: crate::ids::LeaderEpoch(1),
            partition_epoch: crate::ids::PartitionEpoch(0),
            isr: vec![crate::msg::IsrMember { broker: BrokerId(1), broker_epoch: Some(BrokerEpoch(1)) }],
        };
        let sends = step(&mut c, stale.clone());
        let refusal = Msg::AlterPartitionResponse {
            partition: crate::ids::PartitionId(0),
            request_partition_epoch: crate::ids::PartitionEpoch(0),
            result: Err(crate::msg::AlterPartitionError::InvalidUpdateVersion),
        };
        // Nothing to write: the write only checks the controller epoch.
        let write = Msg::CoordinatorWrite {
            epoch: ControllerEpoch(1),
            changes: Box::default(),
            then: vec![(Address::Broker(BrokerId(1)), stamped(1, refusal))],
            cause: Some(Box::new(stale)),
        };
        assert_eq!(sends, vec![(Address::Coordinator, write)]);
        assert_eq!(c.committed_image(), ControllerState::bootstrap(&cfg()).committed_image(), "nothing changed");
    }

    /// A client of the reference cluster (an actor id past the configured ones).
    const CLIENT: Address = Address::Producer(ProducerId(9));

    fn ask(c: &mut ControllerState, request: ClientRequest) -> Vec<(Address, Msg)> {
        let mut fx = Effects::default();
        c.on_client_request(&cfg(), CLIENT, request, &mut fx);
        fx.sends
    }

    #[test]
    fn a_client_s_answer_waits_behind_a_write_even_when_nothing_changed() {
        let mut c = ControllerState::start(&cfg(), ControllerId(1));
        let before = c.clone();
        let sends = ask(&mut c, ClientRequest::DescribePartitions);
        let answer = Msg::Response(ClientResponse::Partitions(c.partitions.clone()));
        let write = Msg::CoordinatorWrite {
            epoch: ControllerEpoch(1),
            changes: Box::default(),
            then: vec![(CLIENT, answer)],
            cause: None,
        };
        assert_eq!(sends, vec![(Address::Coordinator, write)]);
        assert_eq!(c, before);
    }

    #[test]
    fn an_election_s_answer_goes_out_with_its_records_once_written() {
        let cfg = cfg();
        let mut c = ControllerState::start(&cfg, ControllerId(1));
        // Broker 2 leads; broker 1, the preferred replica, is back in the ISR.
        c.partitions[0].leader = Some(BrokerId(2));
        c.partitions[0].leader_epoch = crate::ids::LeaderEpoch(2);
        let request = ClientRequest::ElectLeaders {
            election: ElectionType::Preferred,
            partitions: vec![crate::ids::PartitionId(0)],
        };
        let sends = ask(&mut c, request);
        assert_eq!(c.partitions[0].leader, Some(BrokerId(1)));
        let [(Address::Coordinator, Msg::CoordinatorWrite { changes, then, cause: None, .. })] = &sends[..] else {
            panic!("one write: {sends:?}")
        };
        assert_eq!(**changes, CommittedChanges { partitions: vec![c.partitions[0].clone()], ..Default::default() });
        let answer = Msg::Response(ClientResponse::LeadersElected(vec![(crate::ids::PartitionId(0), Ok(()))]));
        assert!(then.contains(&(CLIENT, answer)), "{then:?}");
        assert!(then.iter().any(|(to, _)| matches!(to, Address::Broker(_))), "the records too: {then:?}");
    }

    #[test]
    fn a_standby_leaves_a_client_unanswered() {
        let mut c = ControllerState::start(&cfg(), ControllerId(2));
        assert_eq!(ask(&mut c, ClientRequest::DescribePartitions), vec![]);
        assert_eq!(c, ControllerState::standby());
    }

    #[test]
    fn a_change_is_written_first_with_its_cause_and_nothing_goes_to_a_broker_yet() {
        let mut c = ControllerState::start(&cfg(), ControllerId(1));
        let sends = step(&mut c, stopped(1));
        assert!(c.brokers[0].silent);
        // Broker 1's registration, and nothing else.
        let changes = CommittedChanges { brokers: vec![(BrokerId(1), c.brokers[0])], ..Default::default() };
        let write = Msg::CoordinatorWrite {
            epoch: ControllerEpoch(1),
            changes: Box::new(changes),
            then: vec![],
            cause: Some(Box::new(stopped(1))),
        };
        assert_eq!(sends, vec![(Address::Coordinator, write)]);
    }

    #[test]
    fn an_election_s_requests_wait_behind_the_write_stamped_for_brokers_in_destination_order() {
        let cfg = cfg();
        let mut c = ControllerState::start(&cfg, ControllerId(1));
        step(&mut c, stopped(1));
        let mut fx = Effects::default();
        c.on_timer(&cfg, Timer::SessionTimeout(BrokerId(1)), &mut fx);
        let record = c.partitions[0].clone();
        assert_eq!(record.leader, Some(BrokerId(2)));
        let session_expired = Msg::SessionExpired { broker_epoch: BrokerEpoch(1) };
        let then = vec![
            (Address::Broker(BrokerId(1)), stamped(1, Msg::PartitionChange(record.clone()))),
            (Address::Broker(BrokerId(1)), stamped(1, session_expired)),
            (Address::Broker(BrokerId(2)), stamped(1, Msg::PartitionChange(record.clone()))),
            (Address::Broker(BrokerId(3)), stamped(1, Msg::PartitionChange(record.clone()))),
            (Address::Producer(ProducerId(1)), Msg::PartitionChange(record)),
        ];
        assert!(c.brokers[0].fenced);
        let changes = CommittedChanges {
            brokers: vec![(BrokerId(1), c.brokers[0])],
            partitions: vec![c.partitions[0].clone()],
            ..Default::default()
        };
        let write = Msg::CoordinatorWrite { epoch: ControllerEpoch(1), changes: Box::new(changes), then, cause: None };
        assert_eq!(fx.sends, vec![(Address::Coordinator, write)]);
    }

    #[test]
    fn an_accepted_write_releases_its_requests_as_they_are() {
        let mut c = ControllerState::start(&cfg(), ControllerId(1));
        let then =
            vec![(Address::Broker(BrokerId(2)), stamped(1, Msg::ShutdownAccepted { broker_epoch: BrokerEpoch(2) }))];
        let before = c.clone();
        assert_eq!(step(&mut c, Msg::WriteAccepted { then: then.clone() }), then);
        assert_eq!(c, before);
    }

    #[test]
    fn an_event_that_commits_nothing_sends_at_once() {
        // A heartbeat of an incarnation the controller does not know changes nothing.
        let mut c = ControllerState::start(&cfg(), ControllerId(1));
        let stale = Msg::BrokerHeartbeat { broker: BrokerId(2), broker_epoch: BrokerEpoch(9) };
        assert_eq!(step(&mut c, stale), vec![]);
    }

    /// Where an unanswered write times out (the reference cluster: a datagram can be lost).
    fn runtime() -> Config {
        let runtime = crate::config::RuntimeSettings { controller_request_timeout: true, ..Default::default() };
        Config { runtime, ..cfg() }
    }

    #[test]
    fn in_the_checker_a_write_is_never_counted_as_unanswered_nor_numbered() {
        let mut c = ControllerState::start(&cfg(), ControllerId(1));
        step(&mut c, stopped(1));
        assert!(c.writes.is_none());
        assert!(!c.wanted_timers(&cfg()).contains(&Timer::CoordinatorWriteTimeout));
    }

    /// The writes in `sends`, by the count each follows.
    fn follows(sends: &[(Address, Msg)]) -> Vec<u32> {
        sends
            .iter()
            .filter_map(|(_, msg)| match msg {
                Msg::CoordinatorWrite { changes, .. } => Some(changes.follows.0),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn in_the_cluster_each_write_follows_the_one_before_from_the_count_read_at_take_over() {
        let cfg = runtime();
        let mut c = ControllerState::start(&cfg, ControllerId(2));
        let image = ControllerState::bootstrap(&cfg).committed_image();
        let image = ControllerState { writes: Writes { unanswered: 0, count: WriteCount(6) }, ..image };
        let mut fx = Effects::default();
        c.on_msg(&cfg, Msg::ControllerElected { epoch: ControllerEpoch(2), image: Box::new(image) }, &mut fx);
        // Nothing to elect at take-over: no write.
        assert_eq!(follows(&fx.sends), Vec::<u32>::new());
        let mut sent = Vec::new();
        for broker in [1, 2] {
            let mut fx = Effects::default();
            c.on_msg(&cfg, stopped(broker), &mut fx);
            sent.extend(follows(&fx.sends));
        }
        assert_eq!(sent, vec![6, 7]);
        assert_eq!(c.writes, Writes { unanswered: 2, count: WriteCount(8) });
    }

    /// Candidate 1 acting, with two writes unanswered (brokers 1 and 2 stopped heartbeating).
    fn after_two_writes(cfg: &Config) -> ControllerState {
        let mut c = ControllerState::start(cfg, ControllerId(1));
        for broker in [1, 2] {
            let mut fx = Effects::default();
            c.on_msg(cfg, stopped(broker), &mut fx);
        }
        c
    }

    #[test]
    fn in_the_cluster_unanswered_writes_are_timed_until_every_one_is_answered() {
        let cfg = runtime();
        let mut c = after_two_writes(&cfg);
        assert_eq!(c.writes.unanswered, 2);
        assert!(c.wanted_timers(&cfg).contains(&Timer::CoordinatorWriteTimeout));
        // Only the timers of that list are armed (and cancelled) for the actor.
        assert!(ControllerState::all_timers(&cfg).contains(&Timer::CoordinatorWriteTimeout));

        // An answer to the first write: the second is unanswered, its time-out runs from now.
        let applied = |n| Msg::WriteApplied { applied: WriteCount(n), then: vec![] };
        let mut fx = Effects::default();
        c.on_msg(&cfg, applied(1), &mut fx);
        assert_eq!(c.writes.unanswered, 1);
        assert_eq!(fx.restart_timers, vec![Timer::CoordinatorWriteTimeout]);
        assert!(c.wanted_timers(&cfg).contains(&Timer::CoordinatorWriteTimeout));

        let mut fx = Effects::default();
        c.on_msg(&cfg, applied(2), &mut fx);
        assert_eq!(c.writes.unanswered, 0);
        assert_eq!(fx.restart_timers, vec![]);
        assert!(!c.wanted_timers(&cfg).contains(&Timer::CoordinatorWriteTimeout));
        assert_eq!(
            c.committed_image().writes,
            Writes { unanswered: 0, count: WriteCount(2) },
            "the count is committed"
        );
    }

    #[test]
    fn in_the_cluster_an_answer_counts_for_every_write_before_it_and_a_late_one_for_nothing() {
        let cfg = runtime();
        let mut c = after_two_writes(&cfg);
        assert_eq!(c.writes, Writes { unanswered: 2, count: WriteCount(2) });
        // The answer to write 1 was lost: the answer to write 2 answers it too, and its requests
        // go out.
        let accepted = Msg::ShutdownAccepted { broker_epoch: BrokerEpoch(2) };
        let then = vec![(Address::Broker(BrokerId(2)), stamped(1, accepted))];
        let mut fx = Effects::default();
        c.on_msg(&cfg, Msg::WriteApplied { applied: WriteCount(2), then: then.clone() }, &mut fx);
        assert_eq!((c.writes.unanswered, fx.sends), (0, then));
        // A write later, a late answer to write 1 answers nothing new.
        let mut fx = Effects::default();
        c.on_msg(&cfg, stopped(3), &mut fx);
        c.on_msg(&cfg, Msg::WriteApplied { applied: WriteCount(1), then: vec![] }, &mut fx);
        assert_eq!(c.writes, Writes { unanswered: 1, count: WriteCount(3) });
    }

    #[test]
    fn a_controller_whose_writes_go_unanswered_resigns_and_deletes_controller() {
        let cfg = runtime();
        let mut c = ControllerState::start(&cfg, ControllerId(1));
        let mut fx = Effects::default();
        c.on_msg(&cfg, stopped(1), &mut fx);
        let mut fx = Effects::default();
        c.on_timer(&cfg, Timer::CoordinatorWriteTimeout, &mut fx);
        assert_eq!(
            fx.sends,
            vec![(Address::Coordinator, Msg::ResignController), (Address::Coordinator, Msg::ClaimController)]
        );
        assert_eq!(c, ControllerState::standby());
        // With every write answered the time-out has nothing to do.
        let mut c = ControllerState::start(&cfg, ControllerId(1));
        let mut fx = Effects::default();
        c.on_timer(&cfg, Timer::CoordinatorWriteTimeout, &mut fx);
        assert_eq!((fx.sends, c.role), (vec![], ControllerRole::Active(ControllerEpoch(1))));
    }

    #[test]
    fn a_refused_write_or_an_expired_session_makes_the_controller_resign_and_forget() {
        for notice in [Msg::WriteRejected, Msg::ControllerSessionExpired] {
            let mut c = ControllerState::start(&cfg(), ControllerId(1));
            step(&mut c, stopped(1));
            assert_eq!(step(&mut c, notice), vec![]);
            assert_eq!(c, ControllerState::standby());
        }
    }

    #[test]
    fn with_runtime_heartbeats_an_expired_candidate_runs_the_election_again() {
        let mut cfg = runtime();
        cfg.runtime.heartbeats = true;
        let mut c = ControllerState::restart(&mut Effects::default());
        let mut fx = Effects::default();
        c.on_msg(&cfg, Msg::ControllerSessionExpired, &mut fx);
        assert_eq!((c, fx.sends), (ControllerState::standby(), vec![(Address::Coordinator, Msg::ClaimController)]));
    }

    #[test]
    fn a_write_out_of_order_of_this_term_makes_the_controller_resign_and_claim_again() {
        let cfg = runtime();
        let out_of_order = |epoch| Msg::WriteOutOfOrder {
            epoch: ControllerEpoch(epoch),
            follows: WriteCount(2),
            applied: WriteCount(1),
        };
        let mut c = ControllerState::start(&cfg, ControllerId(1));
        step(&mut c, stopped(1));
        assert_eq!(step(&mut c, out_of_order(1)), vec![(Address::Coordinator, Msg::ClaimController)]);
        assert_eq!(c, ControllerState::standby());
        // Re-elected in epoch 2, it takes a late refusal of an epoch 1 write for what it is.
        let image = Box::new(ControllerState::bootstrap(&cfg).committed_image());
        step(&mut c, Msg::ControllerElected { epoch: ControllerEpoch(2), image });
        assert_eq!(step(&mut c, out_of_order(1)), vec![]);
        assert_eq!(c.role, ControllerRole::Active(ControllerEpoch(2)));
    }

    #[test]
    fn a_standby_claims_controller_when_its_watch_fires_and_hands_back_broker_requests() {
        let mut standby = ControllerState::start(&cfg(), ControllerId(2));
        assert_eq!(step(&mut standby, Msg::ControllerGone), vec![(Address::Coordinator, Msg::ClaimController)]);
        let request = stopped(3);
        let back = Msg::NotController(Box::new(request.clone()));
        assert_eq!(step(&mut standby, request), vec![(Address::Coordinator, back)]);
        // An acting controller's watch is not armed: it ignores the notice.
        let mut active = ControllerState::start(&cfg(), ControllerId(1));
        assert_eq!(step(&mut active, Msg::ControllerGone), vec![]);
    }

    #[test]
    fn a_new_controller_reads_the_committed_state_and_elects_where_no_leader_is_left() {
        let cfg = cfg();
        // Committed: partition 0 lost its leader (broker 1 fenced), broker 2 active again.
        let mut image = ControllerState::bootstrap(&cfg).committed_image();
        image.brokers[0].fenced = true;
        image.partitions[0].leader = None;
        image.partitions[0].isr = crate::broker_set::BrokerSet::of([BrokerId(2), BrokerId(3)]);

        let mut c = ControllerState::start(&cfg, ControllerId(2));
        let sends = step(&mut c, Msg::ControllerElected { epoch: ControllerEpoch(2), image: Box::new(image) });
        assert_eq!(c.role, ControllerRole::Active(ControllerEpoch(2)));
        let record = c.partitions[0].clone();
        assert_eq!((record.leader, record.leader_epoch.0), (Some(BrokerId(2)), 2));
        let then = vec![
            (Address::Broker(BrokerId(1)), stamped(2, Msg::PartitionChange(record.clone()))),
            (Address::Broker(BrokerId(2)), stamped(2, Msg::PartitionChange(record.clone()))),
            (Address::Broker(BrokerId(3)), stamped(2, Msg::PartitionChange(record.clone()))),
            (Address::Producer(ProducerId(1)), Msg::PartitionChange(record)),
        ];
        // What the election changed, over the image read.
        let changes = CommittedChanges { partitions: vec![c.partitions[0].clone()], ..Default::default() };
        let write = Msg::CoordinatorWrite { epoch: ControllerEpoch(2), changes: Box::new(changes), then, cause: None };
        assert_eq!(sends, vec![(Address::Coordinator, write)]);

        // With a leader in place, taking over sends nothing.
        let mut c = ControllerState::start(&cfg, ControllerId(2));
        let image = Box::new(ControllerState::bootstrap(&cfg).committed_image());
        assert_eq!(step(&mut c, Msg::ControllerElected { epoch: ControllerEpoch(2), image }), vec![]);
    }
}
