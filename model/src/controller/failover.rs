//! Controller failover with controller candidates (`Config::controllers` > 1, the ZooKeeper-era
//! controller): which candidate acts; taking over with a new controller epoch and the committed
//! state (`KafkaController.onControllerFailover`); resigning (`onControllerResignation`); and how
//! an acting controller's changes reach the brokers: committed to the coordinator first, then
//! sent stamped with its controller epoch. A candidate whose session expired acts on until it is
//! told: that zombie is what the controller epoch fences.

use super::{ControllerRole, ControllerState};
use crate::config::Config;
use crate::effects::{Address, Effects};
use crate::ids::{BrokerEpoch, ControllerEpoch, ControllerId};
use crate::msg::Msg;

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

    /// A candidate that is not the controller holds no state of the cluster: it reads all of it
    /// when it takes over (and a resigning one forgets what it had: `onControllerResignation`).
    fn standby() -> Self {
        ControllerState {
            brokers: Vec::new(),
            next_broker_epoch: BrokerEpoch::default(),
            partitions: Vec::new(),
            session_expiries: 0,
            role: ControllerRole::Standby,
        }
    }

    /// Whether this candidate acts as the controller (a zombie believes it does, and acts).
    pub fn acts(&self) -> bool {
        self.role != ControllerRole::Standby
    }

    /// What is committed to the coordinator: everything but the role.
    pub fn committed_image(&self) -> ControllerState {
        ControllerState { role: ControllerRole::Standby, ..self.clone() }
    }

    /// A candidate's event, with a coordinator: the coordinator's own messages, and the brokers'
    /// requests it forwards, which only an acting controller handles.
    pub(super) fn on_msg_with_candidates(&mut self, cfg: &Config, msg: Msg, fx: &mut Effects) {
        match msg {
            Msg::ControllerGone if !self.acts() => fx.send(Address::Coordinator, Msg::ClaimController),
            Msg::ControllerGone => {}
            Msg::ControllerElected { epoch, image } => self.take_over(cfg, epoch, *image, fx),
            Msg::ControllerSessionExpired | Msg::WriteRejected => self.resign(),
            // The write is committed: now the requests go out (already stamped).
            Msg::WriteAccepted { then } => fx.sends.extend(then),
            request if is_broker_request(&request) && !self.acts() => {
                fx.send(Address::Coordinator, Msg::NotController(Box::new(request)))
            }
            request => {
                let before = self.clone();
                let cause = is_broker_request(&request).then(|| request.clone());
                self.dispatch(cfg, request, fx);
                self.commit(&before, cause, fx);
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
        self.commit(&loaded, None, fx);
    }

    /// `onControllerResignation`: forget the controller's state and watch `/controller` again.
    fn resign(&mut self) {
        *self = Self::standby();
    }

    /// After an acting controller's event: stamps what it sends to brokers with its controller
    /// epoch, and if the event changed the committed state, holds every send back behind a
    /// conditional write of the new state (Kafka's controller writes ZooKeeper, then sends
    /// LeaderAndIsr). `cause` is the broker's request the event handled, if any.
    pub(super) fn commit(&self, before: &ControllerState, cause: Option<Msg>, fx: &mut Effects) {
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
        if self.committed_image() == before.committed_image() {
            fx.sends = stamped;
            return;
        }
        let image = Box::new(self.committed_image());
        let write = Msg::CoordinatorWrite { epoch, image, then: stamped, cause: cause.map(Box::new) };
        fx.sends = vec![(Address::Coordinator, write)];
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
