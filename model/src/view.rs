//! Read-only access to a system state by role, for properties, the boundary and reports.

use crate::actor::KelpState;
use crate::broker::{BrokerState, ReplicaDisk};
use crate::broker_set::BrokerSet;
use crate::config::Config;
use crate::controller::{ControllerRole, ControllerState};
use crate::coordinator::CoordinatorState;
use crate::ids::{BrokerId, ControllerId, LeaderEpoch, PartitionId, ProducerId};
use crate::metadata::PartitionState;
use crate::producer::ProducerState;
use crate::system::SystemState;

pub struct View<'a> {
    pub cfg: &'a Config,
    pub state: &'a SystemState,
    /// An actor whose state reads as this one instead (`after_step`).
    stepped: Option<(usize, &'a KelpState)>,
}

impl<'a> View<'a> {
    pub fn new(cfg: &'a Config, state: &'a SystemState) -> Self {
        View { cfg, state, stepped: None }
    }

    /// `state`'s actors as they would be after actor `index` stepped to `next`, for judging a
    /// step before building its successor: only what the view reads through the actors' states
    /// (brokers, controllers, the coordinator, producers) is the successor's; `state`'s network
    /// and timers are the parent's. Crate-private: a property read through it would mix the two
    /// states; only the budget's actor-only rules use it (`system::step_leaves_budget`).
    pub(crate) fn after_step(cfg: &'a Config, state: &'a SystemState, index: usize, next: &'a KelpState) -> Self {
        View { cfg, state, stepped: Some((index, next)) }
    }

    fn actor(&self, index: usize) -> &'a KelpState {
        match self.stepped {
            Some((stepped, next)) if stepped == index => next,
            _ => &self.state.actor_states[index],
        }
    }

    /// The controller whose word counts: the sole controller, or with candidates the one the
    /// coordinator names once it has taken over in the current controller epoch (never a zombie
    /// that still believes it leads), or else the state committed to the coordinator.
    pub fn controller(&self) -> &'a ControllerState {
        let Some(coordinator) = self.coordinator() else {
            return self.candidate(ControllerId(1));
        };
        coordinator
            .controller
            .map(|id| self.candidate(id))
            .filter(|c| c.role == ControllerRole::Active(coordinator.epoch))
            .unwrap_or(&coordinator.committed)
    }

    /// Every controller candidate, by id (the sole controller alone without candidates).
    pub fn controllers(&self) -> impl Iterator<Item = (ControllerId, &'a ControllerState)> + '_ {
        self.cfg.controller_ids().map(|id| (id, self.candidate(id)))
    }

    fn candidate(&self, id: ControllerId) -> &'a ControllerState {
        self.actor(self.cfg.controller_actor_index(id)).as_controller().expect("a controller candidate")
    }

    /// The coordinator, with candidates.
    pub fn coordinator(&self) -> Option<&'a CoordinatorState> {
        let index = self.cfg.coordinator_actor_index()?;
        Some(self.actor(index).as_coordinator().expect("the coordinator"))
    }

    pub fn broker(&self, b: BrokerId) -> &'a BrokerState {
        self.actor(b.actor_index()).as_broker().expect("broker actor")
    }

    pub fn brokers(&self) -> impl Iterator<Item = (BrokerId, &'a BrokerState)> + '_ {
        self.cfg.broker_ids().map(|b| (b, self.broker(b)))
    }

    pub fn producers(&self) -> impl Iterator<Item = (ProducerId, &'a ProducerState)> + '_ {
        self.cfg
            .producer_ids()
            .map(|p| (p, self.actor(self.cfg.producer_actor_index(p)).as_producer().expect("producer actor")))
    }

    /// The brokers of `members` whose current incarnation the controller has registered, as the
    /// ISR and ELR properties judge them: a member down, or restarted and not yet registered, is
    /// judged once it registers (registration is where Kafka fences a lost incarnation).
    pub fn registered(&self, members: BrokerSet) -> impl Iterator<Item = (BrokerId, &'a BrokerState)> + '_ {
        let controller = self.controller();
        members.iter().filter_map(move |member| {
            let broker = self.broker(member);
            (broker.broker_epoch() == Some(controller.registration(member).epoch)).then_some((member, broker))
        })
    }

    /// Each partition that has a current leader: the controller's record of it, the leader, and
    /// the leader's replica of it.
    pub fn led_partitions(&self) -> impl Iterator<Item = (&'a PartitionState, BrokerId, &'a ReplicaDisk)> + '_ {
        self.controller().partitions.iter().filter_map(move |record| {
            let (leader, state, _) = self.current_leader(record.partition)?;
            Some((record, leader, state.disk.replica(record.partition)))
        })
    }

    /// The broker that leads `p` now: up, acting as leader, in the controller's current epoch.
    pub fn current_leader(&self, p: PartitionId) -> Option<(BrokerId, &'a BrokerState, LeaderEpoch)> {
        let epoch = self.controller().partitions[usize::from(p.0)].leader_epoch;
        self.brokers().find(|(_, b)| b.leading_epoch(p) == Some(epoch)).map(|(id, b)| (id, b, epoch))
    }
}
