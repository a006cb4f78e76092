//! AlterPartition (KIP-497): the leader asks for an ISR change; the controller validates it
//! against its record (`ReplicationControlManager.alterPartition`, `validateAlterPartitionData`)
//! and applies it.

use super::changes::Ask;
use super::ControllerState;
use crate::broker_set::BrokerSet;
use crate::config::Config;
use crate::effects::{Address, Effects};
use crate::ids::{BrokerEpoch, BrokerId, LeaderEpoch, PartitionEpoch, PartitionId};
use crate::msg::{AlterPartitionError, IsrMember, Msg};
use crate::rules::partition_change::ElectionOutcome;

/// An AlterPartition request as the controller reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AlterPartitionRequest {
    pub partition: PartitionId,
    pub leader: BrokerId,
    pub broker_epoch: BrokerEpoch,
    pub leader_epoch: LeaderEpoch,
    pub partition_epoch: PartitionEpoch,
    pub isr: Vec<IsrMember>,
}

impl ControllerState {
    pub fn on_alter_partition(&mut self, cfg: &Config, req: AlterPartitionRequest, fx: &mut Effects) {
        let result = self.validate_alter_partition(cfg, &req).and_then(|target_isr| {
            let ask = Ask::controller(req.partition, target_isr, Self::default_election(cfg));
            let outcome = self.change_partition(cfg, Ask { requested_by_leader: true, ..ask }, fx);
            match outcome {
                // The change moved leadership away from the requester (NEW_LEADER_ELECTED).
                Some(ElectionOutcome::Clean(_) | ElectionOutcome::Unclean(_) | ElectionOutcome::Offline) => {
                    Err(AlterPartitionError::NotLeader)
                }
                _ => Ok(self.partitions[usize::from(req.partition.0)].clone()),
            }
        });
        let response = Msg::AlterPartitionResponse {
            partition: req.partition,
            request_partition_epoch: req.partition_epoch,
            result,
        };
        fx.send(Address::Broker(req.leader), response);
    }

    /// The checks of `alterPartition`, in Kafka's order; the target ISR when all pass.
    fn validate_alter_partition(
        &self,
        cfg: &Config,
        req: &AlterPartitionRequest,
    ) -> Result<BrokerSet, AlterPartitionError> {
        let record = &self.partitions[usize::from(req.partition.0)];
        if self.registration(req.leader).epoch != req.broker_epoch {
            return Err(AlterPartitionError::StaleBrokerEpoch);
        }
        if req.leader_epoch < record.leader_epoch {
            return Err(AlterPartitionError::FencedLeaderEpoch);
        }
        if record.leader != Some(req.leader) {
            return Err(AlterPartitionError::NotLeader);
        }
        if req.partition_epoch < record.partition_epoch {
            return Err(AlterPartitionError::InvalidUpdateVersion);
        }
        // "The ISR must always include the current leader", and only replicas (`Replicas.validateIsr`).
        let in_assignment = req.isr.iter().all(|m| record.replicas.contains(&m.broker));
        if !req.isr.iter().any(|m| m.broker == req.leader) || !in_assignment {
            return Err(AlterPartitionError::InvalidRequest);
        }
        // KIP-841: fenced or shutting-down brokers may not join; KIP-903: nor may a member whose
        // broker epoch (as the leader saw it in its fetches) is not its current registration.
        let active = self.active_brokers();
        for member in &req.isr {
            let stale = cfg.broker_epoch_fencing
                && member.broker_epoch.is_some_and(|e| e != self.registration(member.broker).epoch);
            if !active.contains(member.broker) || stale {
                return Err(AlterPartitionError::IneligibleReplica);
            }
        }
        Ok(BrokerSet::of(req.isr.iter().map(|m| m.broker)))
    }
}
