//! Read-only access to a system state by role, for properties, the boundary and reports.

use crate::actor::KelpState;
use crate::broker::BrokerState;
use crate::config::Config;
use crate::controller::ControllerState;
use crate::ids::{BrokerId, LeaderEpoch, PartitionId, ProducerId};
use crate::producer::ProducerState;
use crate::system::SystemState;

pub struct View<'a> {
    pub cfg: &'a Config,
    pub state: &'a SystemState,
}

impl<'a> View<'a> {
    pub fn new(cfg: &'a Config, state: &'a SystemState) -> Self {
        View { cfg, state }
    }

    fn actor(&self, index: usize) -> &'a KelpState {
        &self.state.actor_states[index]
    }

    pub fn controller(&self) -> &'a ControllerState {
        self.actor(0).as_controller().expect("actor 0 is the controller")
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

    /// The broker that leads `p` now: up, acting as leader, in the controller's current epoch.
    pub fn current_leader(&self, p: PartitionId) -> Option<(BrokerId, &'a BrokerState, LeaderEpoch)> {
        let epoch = self.controller().partitions[usize::from(p.0)].leader_epoch;
        self.brokers().find(|(_, b)| b.leading_epoch(p) == Some(epoch)).map(|(id, b)| (id, b, epoch))
    }
}
