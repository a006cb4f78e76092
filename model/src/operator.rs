//! The operator (`Config::operator_demotes`): a person with Cruise Control at hand, who watches
//! the producers' alerts. When a producer's requests to a broker time out (`ProduceStalled`), they
//! demote that broker the way Cruise Control's `demote_broker` does: every partition's replica
//! list is reordered with the broker last (AlterPartitionReassignments, KIP-455), then a preferred
//! election runs (ElectLeaders, KIP-460), so leadership leaves the broker without it failing. One
//! broker is demoted at a time: demoting another puts the first back in its place, which keeps
//! some broker at the top of every list. The controller's own rules decide who may lead, so a
//! demotion never elects a replica outside the ISR.

use crate::config::Config;
use crate::effects::{Address, Effects};
use crate::ids::{BrokerId, PartitionId};
use crate::msg::{ClientRequest, ElectionType, Msg};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct OperatorState {
    /// The broker demoted now, if any.
    pub demoted: Option<BrokerId>,
}

impl OperatorState {
    pub fn on_msg(&mut self, cfg: &Config, msg: Msg, fx: &mut Effects) {
        // The controller's answers need no action. A refused election (the new first replica is
        // out of the ISR) leaves the order in place; this operator does not retry it, and
        // `auto.leader.rebalance.enable`, where on, finishes the move later.
        if let Msg::ProduceStalled { broker } = msg {
            self.demote(cfg, broker, fx);
        }
    }

    fn demote(&mut self, cfg: &Config, broker: BrokerId, fx: &mut Effects) {
        if self.demoted == Some(broker) {
            return;
        }
        let before = self.demoted.replace(broker);
        let mut reordered = Vec::new();
        for p in cfg.partition_ids() {
            let replicas = Self::priority(cfg, p, Some(broker));
            if replicas != Self::priority(cfg, p, before) {
                reordered.push(p);
                let request = ClientRequest::AlterPartitionReassignments { partition: p, replicas };
                fx.send(Address::Controller, Msg::Request(request));
            }
        }
        if !reordered.is_empty() {
            let request = ClientRequest::ElectLeaders { election: ElectionType::Preferred, partitions: reordered };
            fx.send(Address::Controller, Msg::Request(request));
        }
    }

    /// `p`'s assignment with `demoted` moved to the end: the leadership priority after a demotion.
    pub fn priority(cfg: &Config, p: PartitionId, demoted: Option<BrokerId>) -> Vec<BrokerId> {
        let (mut kept, last): (Vec<BrokerId>, Vec<BrokerId>) =
            cfg.replicas(p).into_iter().partition(|b| Some(*b) != demoted);
        kept.extend(last);
        kept
    }
}
