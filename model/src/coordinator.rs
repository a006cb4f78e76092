//! The coordination service of a cluster with controller candidates (`Config::controllers` > 1):
//! ZooKeeper's part in the ZooKeeper-era controller. It holds the ephemeral `/controller` node
//! (which candidate is controller, while that candidate's session lives and it does not give the
//! node up), `/controller_epoch`, and
//! the committed cluster state (the partition state znodes and broker registrations). The active
//! controller commits each change here with a conditional write before it tells the brokers; the
//! brokers' requests reach the controller through it (ephemeral broker znodes and change
//! notifications, which ZooKeeper's watches deliver to whoever holds `/controller`).

use crate::config::Config;
use crate::controller::{CommittedChanges, ControllerState};
use crate::effects::{Address, Effects};
use crate::ids::{BrokerId, ControllerEpoch, ControllerId};
use crate::msg::Msg;
use crate::timer::Timer;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CoordinatorState {
    /// The owner of the ephemeral `/controller` node; none between a session expiry or a
    /// resignation (runtime only) and the next candidate's claim.
    pub controller: Option<ControllerId>,
    /// `/controller_epoch`: bumped by every successful claim.
    pub epoch: ControllerEpoch,
    /// What the controllers committed (its role is always `Standby`: it is data, not an actor).
    pub committed: ControllerState,
    /// Brokers' requests that arrived while nobody held `/controller`: znodes and notifications
    /// wait in ZooKeeper for the next controller, which reads them when it takes over.
    pub waiting: Vec<Msg>,
    /// Controller session expiries injected so far (fault budget).
    pub expiries: u8,
}

impl CoordinatorState {
    /// The freshly formatted cluster: candidate 1 holds `/controller` in controller epoch 1.
    pub fn start(cfg: &Config) -> Self {
        CoordinatorState {
            controller: Some(ControllerId(1)),
            epoch: ControllerEpoch(1),
            committed: ControllerState::committed_image(&ControllerState::bootstrap(cfg)),
            waiting: Vec::new(),
            expiries: 0,
        }
    }

    /// ZooKeeper started again from its data (`RuntimeSettings::durable_metadata`): its snapshot
    /// and transaction log give back every node, `/controller` and its owner's session included
    /// (the session's time-out starts afresh). The candidates' clients set their watches again
    /// as they reconnect, and a watch fires for what changed meanwhile: with `/controller` free
    /// (deleted just before the restart, or never claimed again), every candidate is told, so
    /// that one claims it; nothing else would make one try.
    pub fn recover(self, cfg: &Config, fx: &mut Effects) -> Self {
        if self.controller.is_none() {
            self.fire_watches(cfg, None, fx);
        }
        self
    }

    pub fn on_msg(&mut self, cfg: &Config, src: Address, msg: Msg, fx: &mut Effects) {
        match (src.controller_id(), msg) {
            (Some(writer), Msg::CoordinatorWrite { epoch, changes, then, cause }) => {
                self.on_write(cfg, writer, epoch, *changes, then, cause, fx)
            }
            (Some(candidate), Msg::ClaimController) => self.on_claim(candidate, fx),
            (Some(candidate), Msg::ResignController) if self.controller == Some(candidate) => {
                self.delete_controller(cfg, fx)
            }
            // The owner of `/controller` hands a request back: it does not act as controller
            // (it resigned and its `ResignController` was lost, or its `ControllerElected` was:
            // runtime only, the checker's network loses nothing). Forwarding to it again would
            // bounce the request between the two until its session expires: `/controller` is
            // deleted as if it had resigned, and the request waits for the next controller.
            (Some(candidate), Msg::NotController(request)) if self.controller == Some(candidate) => {
                self.delete_controller(cfg, fx);
                self.forward(*request, fx);
            }
            // The owner's session lives on (runtime heartbeats).
            (Some(candidate), Msg::SessionHeartbeat) if self.controller == Some(candidate) => {
                fx.restart_timer(Timer::ControllerSessionExpiry)
            }
            // A candidate that does not act as controller (any more) hands a broker's request
            // back: Kafka's brokers resend to the new controller on NOT_CONTROLLER.
            (Some(_), Msg::NotController(request)) => self.forward(*request, fx),
            (Some(_), _) => {}
            (None, Msg::FetchMetadata { broker }) => self.answer_metadata(broker, fx),
            (None, request) => self.forward(request, fx),
        }
    }

    /// A controller's write: with epoch fencing it succeeds only in the current controller epoch
    /// (KAFKA-6082: a `multi` that checks `/controller_epoch`'s version); without, whoever writes
    /// a piece last wins it. In the reference cluster it must also follow exactly the writes
    /// applied (`WriteCount`): one after a lost write is refused, and if its writer owns
    /// `/controller` the node is deleted. A refused write's cause, if a broker's request, goes
    /// to the controller of now.
    #[allow(clippy::too_many_arguments)]
    fn on_write(
        &mut self,
        cfg: &Config,
        writer: ControllerId,
        epoch: ControllerEpoch,
        changes: CommittedChanges,
        then: Vec<(Address, Msg)>,
        cause: Option<Box<Msg>>,
        fx: &mut Effects,
    ) {
        let applied = self.committed.writes.count;
        if cfg.controller_epoch_fencing && epoch != self.epoch {
            fx.send(Address::controller(writer), Msg::WriteRejected);
        } else if changes.follows != applied {
            let refusal = Msg::WriteOutOfOrder { epoch, follows: changes.follows, applied };
            fx.send(Address::controller(writer), refusal);
            if self.controller == Some(writer) {
                self.delete_controller(cfg, fx);
            }
        } else {
            changes.apply_to(&mut self.committed);
            let answer = if cfg.runtime.controller_request_timeout {
                self.committed.writes.count = applied.next();
                Msg::WriteApplied { applied: self.committed.writes.count, then }
            } else {
                Msg::WriteAccepted { then }
            };
            fx.send(Address::controller(writer), answer);
            return;
        }
        if let Some(request) = cause {
            self.forward(*request, fx);
        }
    }

    /// `KafkaController.elect`: the first candidate to create `/controller` is controller in the
    /// next controller epoch and reads the committed state; a later one finds the node taken
    /// (NODEEXISTS) and keeps watching.
    fn on_claim(&mut self, candidate: ControllerId, fx: &mut Effects) {
        if self.controller.is_some() {
            return;
        }
        self.controller = Some(candidate);
        self.epoch = self.epoch.next();
        let image = Box::new(self.committed.clone());
        fx.send(Address::controller(candidate), Msg::ControllerElected { epoch: self.epoch, image });
        for request in std::mem::take(&mut self.waiting) {
            fx.send(Address::controller(candidate), request);
        }
    }

    /// A broker's fetch of the metadata (`RuntimeSettings::metadata_fetch`) is answered from what
    /// is committed, never from a controller's state, which holds changes not yet written (and a
    /// zombie's, changes that never will be): each record of the broker's partitions, stamped
    /// with the controller epoch of now.
    fn answer_metadata(&self, broker: BrokerId, fx: &mut Effects) {
        for record in self.committed.records_of(broker) {
            let msg = Msg::FromController { epoch: self.epoch, msg: Box::new(Msg::PartitionChange(record.clone())) };
            fx.send(Address::Broker(broker), msg);
        }
    }

    /// A broker's request goes to the controller (a watch fires at `/controller`'s owner), or
    /// waits for one.
    fn forward(&mut self, request: Msg, fx: &mut Effects) {
        match self.controller {
            Some(controller) => fx.send(Address::controller(controller), request),
            None => self.waiting.push(request),
        }
    }

    pub fn on_timer(&mut self, cfg: &Config, timer: Timer, fx: &mut Effects) {
        if timer == Timer::ControllerSessionExpiry {
            self.expire_controller_session(cfg, fx);
        }
    }

    /// The controller's session expired (a GC pause or a network blip longer than
    /// `zookeeper.session.timeout.ms`): its ephemeral `/controller` node is deleted, and the
    /// watches of the other candidates fire. The old controller learns of the expiry only when it
    /// reconnects; until that notice arrives it still acts as controller.
    fn expire_controller_session(&mut self, cfg: &Config, fx: &mut Effects) {
        let Some(old) = self.controller.take() else { return };
        self.expiries = self.expiries.saturating_add(1);
        fx.send(Address::controller(old), Msg::ControllerSessionExpired);
        self.fire_watches(cfg, Some(old), fx);
    }

    /// Its owner gives `/controller` up (`triggerControllerMove` deletes the node): no
    /// expiry, and every candidate's watch fires, the old owner's too.
    fn delete_controller(&mut self, cfg: &Config, fx: &mut Effects) {
        self.controller = None;
        self.fire_watches(cfg, None, fx);
    }

    /// `/controller` was deleted: the watch of every candidate but `except` (whose session
    /// expired: it has no watch until it reconnects) fires. A candidate that deleted the node
    /// itself (`ResignController`) watches it again, like the others.
    fn fire_watches(&self, cfg: &Config, except: Option<ControllerId>, fx: &mut Effects) {
        for candidate in cfg.controller_ids().filter(|c| Some(*c) != except) {
            fx.send(Address::controller(candidate), Msg::ControllerGone);
        }
    }

    /// The session timer of `/controller`'s owner: a fault while the budget allows, or with
    /// runtime heartbeats what happens whenever they stop (a dead or stalled controller).
    pub fn wanted_timers(&self, cfg: &Config) -> Vec<Timer> {
        let may_expire = self.expiries < cfg.budget.controller_session_expiries || cfg.runtime.heartbeats;
        if self.controller.is_some() && may_expire {
            vec![Timer::ControllerSessionExpiry]
        } else {
            Vec::new()
        }
    }

    pub fn all_timers() -> Vec<Timer> {
        vec![Timer::ControllerSessionExpiry]
    }
}

#[cfg(test)]
mod tests {
    //! The coordinator's handlers, message in, exact sends and state out: two controller
    //! candidates (actor addresses `Controller` and `OtherController(2)`), one expiry allowed.

    use super::*;
    use crate::ids::{BrokerEpoch, BrokerId, WriteCount};

    fn cfg(fencing: bool) -> Config {
        let mut cfg = Config { controllers: 2, controller_epoch_fencing: fencing, ..Config::default() };
        cfg.budget.controller_session_expiries = 1;
        cfg
    }

    const ONE: Address = Address::Controller;
    const TWO: Address = Address::OtherController(ControllerId(2));

    fn stopped(broker: u8) -> Msg {
        Msg::HeartbeatsStopped { broker: BrokerId(broker), broker_epoch: BrokerEpoch(u32::from(broker)) }
    }

    /// A committed image that differs from the bootstrap one: broker 1 is silent.
    fn image_with_silent_broker_1(cfg: &Config) -> ControllerState {
        let mut image = ControllerState::bootstrap(cfg).committed_image();
        image.brokers[0].silent = true;
        image
    }

    /// The write that takes the bootstrap image to `image_with_silent_broker_1`.
    fn broker_1_silent(cfg: &Config) -> CommittedChanges {
        let image = image_with_silent_broker_1(cfg);
        CommittedChanges { brokers: vec![(BrokerId(1), image.brokers[0])], ..Default::default() }
    }

    /// What every write of these tests releases once it is accepted.
    fn then() -> Vec<(Address, Msg)> {
        vec![(Address::Broker(BrokerId(2)), Msg::ControllerGone)]
    }

    fn write(epoch: u32, changes: CommittedChanges, cause: Option<Msg>) -> Msg {
        Msg::CoordinatorWrite {
            epoch: ControllerEpoch(epoch),
            changes: Box::new(changes),
            then: then(),
            cause: cause.map(Box::new),
        }
    }

    /// The coordinator's answer to controller 1's accepted write.
    fn accepted() -> Vec<(Address, Msg)> {
        vec![(ONE, Msg::WriteAccepted { then: then() })]
    }

    fn receive(z: &mut CoordinatorState, cfg: &Config, src: Address, msg: Msg) -> Vec<(Address, Msg)> {
        let mut fx = Effects::default();
        z.on_msg(cfg, src, msg, &mut fx);
        fx.sends
    }

    fn expire(z: &mut CoordinatorState, cfg: &Config) -> Vec<(Address, Msg)> {
        let mut fx = Effects::default();
        z.on_timer(cfg, Timer::ControllerSessionExpiry, &mut fx);
        fx.sends
    }

    /// Controller 2 took over in epoch 2 after controller 1's session expired.
    fn after_failover(cfg: &Config) -> CoordinatorState {
        let mut z = CoordinatorState::start(cfg);
        expire(&mut z, cfg);
        receive(&mut z, cfg, TWO, Msg::ClaimController);
        z
    }

    #[test]
    fn at_start_candidate_1_holds_controller_in_epoch_1_and_the_expiry_is_armed() {
        let cfg = cfg(true);
        let z = CoordinatorState::start(&cfg);
        assert_eq!((z.controller, z.epoch, z.expiries), (Some(ControllerId(1)), ControllerEpoch(1), 0));
        assert_eq!(z.committed, ControllerState::bootstrap(&cfg).committed_image());
        assert_eq!(z.wanted_timers(&cfg), vec![Timer::ControllerSessionExpiry]);
    }

    #[test]
    fn a_write_in_the_current_epoch_or_without_fencing_is_committed_and_its_requests_released() {
        // Controller 1 in epoch 1 with fencing; deposed (controller 2 in epoch 2) without.
        let fenced = cfg(true);
        let unfenced = cfg(false);
        for (cfg, mut z) in [(&fenced, CoordinatorState::start(&fenced)), (&unfenced, after_failover(&unfenced))] {
            let sends = receive(&mut z, cfg, ONE, write(1, broker_1_silent(cfg), Some(stopped(1))));
            assert_eq!(sends, accepted());
            assert_eq!(z.committed, image_with_silent_broker_1(cfg));
        }
    }

    #[test]
    fn a_metadata_fetch_is_answered_from_the_committed_image_stamped_with_the_epoch_of_now() {
        let cfg = cfg(true);
        let mut z = after_failover(&cfg);
        // Even with nobody holding `/controller`, and whatever a controller holds uncommitted.
        expire(&mut z, &cfg);
        let record = z.committed.partitions[0].clone();
        let sends = receive(&mut z, &cfg, Address::Broker(BrokerId(3)), Msg::FetchMetadata { broker: BrokerId(3) });
        let stamped = Msg::FromController { epoch: ControllerEpoch(2), msg: Box::new(Msg::PartitionChange(record)) };
        assert_eq!(sends, vec![(Address::Broker(BrokerId(3)), stamped)]);
        assert_eq!(z.waiting, vec![], "nothing waits for a controller");
    }

    #[test]
    fn a_session_expiry_deletes_controller_tells_the_old_one_and_fires_the_others_watches() {
        let cfg = cfg(true);
        let mut z = CoordinatorState::start(&cfg);
        let sends = expire(&mut z, &cfg);
        assert_eq!(sends, vec![(ONE, Msg::ControllerSessionExpired), (TWO, Msg::ControllerGone)]);
        assert_eq!((z.controller, z.epoch, z.expiries), (None, ControllerEpoch(1), 1));
        assert_eq!(z.wanted_timers(&cfg), Vec::<Timer>::new(), "the budget is spent");
    }

    #[test]
    fn requests_wait_while_nobody_is_controller_and_go_to_the_first_claimant_after_its_election() {
        let cfg = cfg(true);
        let mut z = CoordinatorState::start(&cfg);
        assert_eq!(receive(&mut z, &cfg, Address::Broker(BrokerId(1)), stopped(1)), vec![(ONE, stopped(1))]);
        expire(&mut z, &cfg);
        assert_eq!(receive(&mut z, &cfg, Address::Broker(BrokerId(3)), stopped(3)), vec![]);
        assert_eq!(z.waiting, vec![stopped(3)]);

        let committed = Box::new(z.committed.clone());
        let sends = receive(&mut z, &cfg, TWO, Msg::ClaimController);
        let elected = Msg::ControllerElected { epoch: ControllerEpoch(2), image: committed };
        assert_eq!(sends, vec![(TWO, elected), (TWO, stopped(3))]);
        assert_eq!((z.controller, z.epoch, z.waiting.len()), (Some(ControllerId(2)), ControllerEpoch(2), 0));

        // NODEEXISTS: a later claim changes nothing.
        assert_eq!(receive(&mut z, &cfg, ONE, Msg::ClaimController), vec![]);
        assert_eq!(z.controller, Some(ControllerId(2)));
    }

    #[test]
    fn with_fencing_the_deposed_controller_s_write_is_refused_and_its_cause_goes_to_the_new_one() {
        let cfg = cfg(true);
        let mut z = after_failover(&cfg);
        let before = z.committed.clone();
        let sends = receive(&mut z, &cfg, ONE, write(1, broker_1_silent(&cfg), Some(stopped(1))));
        assert_eq!(sends, vec![(ONE, Msg::WriteRejected), (TWO, stopped(1))]);
        assert_eq!(z.committed, before);
        // So is a write that only checks the epoch (a refusal or an answer behind it).
        let sends = receive(&mut z, &cfg, ONE, write(1, CommittedChanges::default(), None));
        assert_eq!(sends, vec![(ONE, Msg::WriteRejected)]);
    }

    #[test]
    fn without_fencing_a_deposed_controller_s_write_puts_back_nothing_it_did_not_change() {
        let cfg = cfg(false);
        let mut z = after_failover(&cfg);
        // The new controller moved partition 0 on; the zombie, which still holds it at leader
        // epoch 1, writes only broker 1's registration, then answers behind a check-only write.
        z.committed.partitions[0].leader_epoch = crate::ids::LeaderEpoch(2);
        let moved_on = z.committed.partitions[0].clone();
        receive(&mut z, &cfg, ONE, write(1, broker_1_silent(&cfg), None));
        let sends = receive(&mut z, &cfg, ONE, write(1, CommittedChanges::default(), None));
        assert_eq!(sends, accepted());
        assert_eq!(z.committed.partitions[0], moved_on);
        assert!(z.committed.brokers[0].silent);
    }

    #[test]
    fn a_controller_that_resigns_deletes_controller_and_every_candidate_s_watch_fires() {
        let cfg = cfg(true);
        let mut z = CoordinatorState::start(&cfg);
        // Only the owner's request counts.
        assert_eq!(receive(&mut z, &cfg, TWO, Msg::ResignController), vec![]);
        assert_eq!(z.controller, Some(ControllerId(1)));
        let sends = receive(&mut z, &cfg, ONE, Msg::ResignController);
        assert_eq!(sends, vec![(ONE, Msg::ControllerGone), (TWO, Msg::ControllerGone)]);
        assert_eq!((z.controller, z.epoch, z.expiries), (None, ControllerEpoch(1), 0), "not a session expiry");
        assert_eq!(z.wanted_timers(&cfg), Vec::<Timer>::new());
    }

    #[test]
    fn a_request_handed_back_by_the_owner_of_controller_waits_and_controller_is_deleted() {
        let cfg = cfg(true);
        let mut z = CoordinatorState::start(&cfg);
        let sends = receive(&mut z, &cfg, ONE, Msg::NotController(Box::new(stopped(2))));
        assert_eq!(sends, vec![(ONE, Msg::ControllerGone), (TWO, Msg::ControllerGone)]);
        assert_eq!((z.controller, z.waiting.clone()), (None, vec![stopped(2)]));
        // The next controller gets it after its election.
        let sends = receive(&mut z, &cfg, TWO, Msg::ClaimController);
        assert_eq!(sends[1..], [(TWO, stopped(2))]);
    }

    /// `cfg` as the reference cluster runs it: writes numbered.
    fn numbered(mut cfg: Config) -> Config {
        cfg.runtime.controller_request_timeout = true;
        cfg
    }

    fn following(follows: u32, changes: CommittedChanges) -> CommittedChanges {
        CommittedChanges { follows: WriteCount(follows), ..changes }
    }

    #[test]
    fn in_the_cluster_each_write_applied_is_counted_and_the_checker_counts_none() {
        // The second write follows the first where writes are counted, and 0 writes where not;
        // the answer names the count where there is one.
        let applied = vec![(ONE, Msg::WriteApplied { applied: WriteCount(2), then: then() })];
        let cases = [(numbered(cfg(true)), 1, WriteCount(2), applied), (cfg(true), 0, WriteCount(0), accepted())];
        for (cfg, second_follows, counted, answer) in cases {
            let mut z = CoordinatorState::start(&cfg);
            receive(&mut z, &cfg, ONE, write(1, broker_1_silent(&cfg), None));
            let second = following(second_follows, CommittedChanges::default());
            let sends = receive(&mut z, &cfg, ONE, write(1, second, None));
            assert_eq!(sends, answer);
            assert_eq!(z.committed.writes.count, counted);
            // A candidate that takes over reads the count with the rest.
            expire(&mut z, &cfg);
            let sends = receive(&mut z, &cfg, TWO, Msg::ClaimController);
            let [(_, Msg::ControllerElected { image, .. }), ..] = &sends[..] else { panic!("{sends:?}") };
            assert_eq!(image.writes.count, counted);
        }
    }

    #[test]
    fn a_write_after_a_lost_one_is_refused_controller_is_deleted_and_its_cause_waits() {
        let cfg = numbered(cfg(true));
        let mut z = CoordinatorState::start(&cfg);
        receive(&mut z, &cfg, ONE, write(1, broker_1_silent(&cfg), None));
        let before = z.committed.clone();
        // Write 2 (fencing broker 2, say) was lost; write 3 only checks the epoch, behind an
        // answer that would tell of write 2's change.
        let sends = receive(&mut z, &cfg, ONE, write(1, following(2, CommittedChanges::default()), Some(stopped(3))));
        let out_of_order =
            Msg::WriteOutOfOrder { epoch: ControllerEpoch(1), follows: WriteCount(2), applied: WriteCount(1) };
        assert_eq!(sends, vec![(ONE, out_of_order), (ONE, Msg::ControllerGone), (TWO, Msg::ControllerGone)]);
        assert_eq!((z.committed.clone(), z.controller, z.expiries), (before, None, 0));
        assert_eq!(z.waiting, vec![stopped(3)]);
    }

    #[test]
    fn a_write_out_of_order_from_a_candidate_that_does_not_own_controller_deletes_nothing() {
        // Fencing off, so that the epoch lets the deposed controller's write through to the count.
        let cfg = numbered(cfg(false));
        let mut z = after_failover(&cfg);
        let sends = receive(&mut z, &cfg, ONE, write(1, following(3, broker_1_silent(&cfg)), None));
        let out_of_order =
            Msg::WriteOutOfOrder { epoch: ControllerEpoch(1), follows: WriteCount(3), applied: WriteCount(0) };
        assert_eq!(sends, vec![(ONE, out_of_order)]);
        assert_eq!(z.controller, Some(ControllerId(2)));
        assert!(!z.committed.brokers[0].silent);
    }

    #[test]
    fn restarted_from_its_data_zookeeper_tells_the_candidates_only_of_a_free_controller_node() {
        let cfg = cfg(true);
        let mut fx = Effects::default();
        let owned = CoordinatorState::start(&cfg).recover(&cfg, &mut fx);
        assert_eq!((owned.controller, fx.sends), (Some(ControllerId(1)), vec![]));
        let mut free = CoordinatorState::start(&cfg);
        receive(&mut free, &cfg, ONE, Msg::ResignController);
        let mut fx = Effects::default();
        let recovered = free.clone().recover(&cfg, &mut fx);
        assert_eq!(recovered, free);
        assert_eq!(fx.sends, vec![(ONE, Msg::ControllerGone), (TWO, Msg::ControllerGone)]);
    }

    #[test]
    fn a_request_a_standby_hands_back_goes_to_the_controller_of_now() {
        let cfg = cfg(true);
        let mut z = after_failover(&cfg);
        let sends = receive(&mut z, &cfg, ONE, Msg::NotController(Box::new(stopped(2))));
        assert_eq!(sends, vec![(TWO, stopped(2))]);
    }
}
