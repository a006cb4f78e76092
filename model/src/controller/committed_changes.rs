//! What an acting candidate writes to the coordinator after an event: the pieces of the committed
//! state the event changed (a partition's state znode; a broker's registration, which in
//! ZooKeeper-era Kafka is the broker's own ephemeral znode and the model keeps beside them) and
//! nothing else. Kafka's ZooKeeper-era controller writes the znodes a change touches
//! (`KafkaZkClient.updateLeaderAndIsr`, one `SetData` per partition) and none it did not; an event
//! that changed nothing (a refusal, a description) writes nothing. So a deposed controller's write
//! never puts back the pieces it holds stale, with or without the controller epoch fence.

use super::{ControllerState, Registration};
use crate::ids::{BrokerEpoch, BrokerId};
use crate::metadata::PartitionState;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct CommittedChanges {
    /// The registrations the event changed, in broker id order.
    pub brokers: Vec<(BrokerId, Registration)>,
    /// The next broker epoch, where the event handed one out.
    pub next_broker_epoch: Option<BrokerEpoch>,
    /// The new states of the partitions the event changed, in partition id order.
    pub partitions: Vec<PartitionState>,
    /// The session expiry count, where the event injected one.
    pub session_expiries: Option<u8>,
}

impl CommittedChanges {
    /// What `after` holds that `before` does not: each changed piece with its new value.
    pub fn between(before: &ControllerState, after: &ControllerState) -> Self {
        let brokers = after
            .brokers
            .iter()
            .zip(1u8..)
            .filter(|(registration, id)| before.brokers.get(usize::from(*id) - 1) != Some(*registration))
            .map(|(registration, id)| (BrokerId(id), *registration))
            .collect();
        let partitions = after
            .partitions
            .iter()
            .enumerate()
            .filter(|(i, partition)| before.partitions.get(*i) != Some(*partition))
            .map(|(_, partition)| partition.clone())
            .collect();
        CommittedChanges {
            brokers,
            next_broker_epoch: changed(before.next_broker_epoch, after.next_broker_epoch),
            partitions,
            session_expiries: changed(before.session_expiries, after.session_expiries),
        }
    }

    /// Whether the event changed nothing: its write only checks the controller epoch.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// Writes each changed piece over what `committed` holds, leaving the others as they are.
    pub fn apply_to(self, committed: &mut ControllerState) {
        for (broker, registration) in self.brokers {
            committed.brokers[usize::from(broker.0) - 1] = registration;
        }
        if let Some(epoch) = self.next_broker_epoch {
            committed.next_broker_epoch = epoch;
        }
        for partition in self.partitions {
            let slot = usize::from(partition.partition.0);
            committed.partitions[slot] = partition;
        }
        if let Some(expiries) = self.session_expiries {
            committed.session_expiries = expiries;
        }
    }
}

/// `after`, where it differs from `before`.
fn changed<T: PartialEq>(before: T, after: T) -> Option<T> {
    (before != after).then_some(after)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::ids::{BrokerId, LeaderEpoch};
    use proptest::prelude::*;

    fn bootstrap() -> ControllerState {
        ControllerState::bootstrap(&Config { partitions: 2, ..Config::default() }).committed_image()
    }

    #[test]
    fn nothing_changed_is_empty() {
        let state = bootstrap();
        assert!(CommittedChanges::between(&state, &state).is_empty());
    }

    #[test]
    fn only_the_changed_pieces_are_written() {
        let before = bootstrap();
        let mut after = before.clone();
        after.brokers[1].fenced = true;
        after.partitions[1].leader = Some(BrokerId(3));
        after.partitions[1].leader_epoch = LeaderEpoch(2);
        let changes = CommittedChanges::between(&before, &after);
        assert_eq!(
            changes,
            CommittedChanges {
                brokers: vec![(BrokerId(2), after.brokers[1])],
                next_broker_epoch: None,
                partitions: vec![after.partitions[1].clone()],
                session_expiries: None,
            }
        );
    }

    #[test]
    fn applying_leaves_what_the_writer_did_not_change_as_committed() {
        // A stale writer fenced broker 2; meanwhile the committed state moved partition 0 on.
        let stale = bootstrap();
        let mut written = stale.clone();
        written.brokers[1].fenced = true;
        let mut committed = stale.clone();
        committed.partitions[0].leader_epoch = LeaderEpoch(5);
        CommittedChanges::between(&stale, &written).apply_to(&mut committed);
        assert!(committed.brokers[1].fenced);
        assert_eq!(committed.partitions[0].leader_epoch, LeaderEpoch(5), "not put back");
    }

    proptest! {
        /// Writing the changes between two states over the first gives the second.
        #[test]
        fn applying_the_changes_to_before_gives_after(
            fenced in proptest::collection::vec(any::<bool>(), 3),
            leaders in proptest::collection::vec(prop::option::of(1u8..=3), 2),
            epoch in 1u32..4,
            expiries in 0u8..3,
        ) {
            let before = bootstrap();
            let mut after = before.clone();
            for (registration, fenced) in after.brokers.iter_mut().zip(fenced) {
                registration.fenced = fenced;
            }
            for (partition, leader) in after.partitions.iter_mut().zip(leaders) {
                partition.leader = leader.map(BrokerId);
            }
            after.next_broker_epoch = BrokerEpoch(epoch);
            after.session_expiries = expiries;
            let mut applied = before.clone();
            CommittedChanges::between(&before, &after).apply_to(&mut applied);
            prop_assert_eq!(applied, after);
        }
    }
}
