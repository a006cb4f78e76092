//! The controller's record of one partition (KRaft's `PartitionRecord`/`PartitionChangeRecord`
//! applied), which it publishes to brokers and clients. Brokers keep the latest copy they applied.

use crate::broker_set::BrokerSet;
use crate::ids::{BrokerId, LeaderEpoch, PartitionEpoch, PartitionId};
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct PartitionState {
    pub partition: PartitionId,
    /// The assignment, preferred leader first.
    pub replicas: Vec<BrokerId>,
    pub leader: Option<BrokerId>,
    pub leader_epoch: LeaderEpoch,
    pub partition_epoch: PartitionEpoch,
    pub isr: BrokerSet,
    /// KIP-966 eligible leader replicas.
    pub elr: BrokerSet,
    /// KIP-966: the last ELR members, kept for operators' unclean recovery once the ELR is empty.
    pub last_known_elr: BrokerSet,
}

impl PartitionState {
    pub fn preferred_leader(&self) -> BrokerId {
        self.replicas[0]
    }

    pub fn is_leader(&self, broker: BrokerId) -> bool {
        self.leader == Some(broker)
    }
}

impl fmt::Display for PartitionState {
    /// `kafka-topics --describe` format (tab separated), topic `t`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let replicas: Vec<String> = self.replicas.iter().map(|b| b.to_string()).collect();
        let leader = self.leader.map_or_else(|| "none".to_string(), |b| b.to_string());
        write!(
            f,
            "Topic: t\tPartition: {}\tLeader: {}\tReplicas: {}\tIsr: {}\tElr: {}\tLastKnownElr: {}",
            self.partition,
            leader,
            replicas.join(","),
            self.isr,
            self.elr,
            self.last_known_elr
        )
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::ids::PartitionId;

    /// Partition 0's record (replicas 1,2,3) with the given leader, epochs and ISR; no ELR.
    pub(crate) fn partition_record(
        leader: Option<u8>,
        leader_epoch: u32,
        partition_epoch: u32,
        isr: &[u8],
    ) -> PartitionState {
        PartitionState {
            partition: PartitionId(0),
            replicas: vec![BrokerId(1), BrokerId(2), BrokerId(3)],
            leader: leader.map(BrokerId),
            leader_epoch: LeaderEpoch(leader_epoch),
            partition_epoch: PartitionEpoch(partition_epoch),
            isr: BrokerSet::of(isr.iter().copied().map(BrokerId)),
            elr: BrokerSet::EMPTY,
            last_known_elr: BrokerSet::EMPTY,
        }
    }

    #[test]
    fn describes_itself_as_kafka_topics_does() {
        let record = partition_record(Some(2), 3, 4, &[2, 3]);
        assert_eq!(
            record.to_string(),
            "Topic: t\tPartition: 0\tLeader: 2\tReplicas: 1,2,3\tIsr: 2,3\tElr: \tLastKnownElr: "
        );
    }
}
