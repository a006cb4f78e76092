//! What an acting candidate writes to the coordinator after an event: the pieces of the committed
//! state the event changed (a partition's state znode; a broker's registration, which in
//! ZooKeeper-era Kafka is the broker's own ephemeral znode and the model keeps beside them) and
//! nothing else. Kafka's ZooKeeper-era controller writes the znodes a change touches
//! (`KafkaZkClient.updateLeaderAndIsr`, one `SetData` per partition) and none it did not; an event
//! that changed nothing (a refusal, a description) writes nothing. So a deposed controller's write
//! never puts back the pieces it holds stale, with or without the controller epoch fence.
//!
//! In the reference cluster a write also names the writes it follows (`WriteCount`): applied
//! after a lost one, its pieces would sit beside the stale ones the lost write was to replace.

use super::{ControllerState, Registration};
use crate::ids::{BrokerEpoch, BrokerId, WriteCount};
use crate::metadata::PartitionState;
use serde::ser::SerializeStruct;
use serde::{Deserialize, Serialize, Serializer};

#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
pub struct CommittedChanges {
    /// The registrations the event changed, in broker id order.
    pub brokers: Vec<(BrokerId, Registration)>,
    /// The next broker epoch, where the event handed one out.
    pub next_broker_epoch: Option<BrokerEpoch>,
    /// The new states of the partitions the event changed, in partition id order.
    pub partitions: Vec<PartitionState>,
    /// The session expiry count, where the event injected one.
    pub session_expiries: Option<u8>,
    /// The writes the coordinator must have applied, and no more, to apply this one: the
    /// writer's count when it wrote (runtime only; always 0 in the checker).
    #[serde(default)]
    pub follows: WriteCount,
}

/// Field by field, except that a readable format (a trace file's JSON) leaves out `follows` when
/// 0 (always, in the checker); a compact format (the cluster's bincode datagrams) has no field
/// names to tell a missing field by, and gets every field.
impl Serialize for CommittedChanges {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let CommittedChanges { brokers, next_broker_epoch, partitions, session_expiries, follows } = self;
        let skip_follows = serializer.is_human_readable() && *follows == WriteCount(0);
        let mut out = serializer.serialize_struct("CommittedChanges", 5 - usize::from(skip_follows))?;
        out.serialize_field("brokers", brokers)?;
        out.serialize_field("next_broker_epoch", next_broker_epoch)?;
        out.serialize_field("partitions", partitions)?;
        out.serialize_field("session_expiries", session_expiries)?;
        if skip_follows {
            out.skip_field("follows")?;
        } else {
            out.serialize_field("follows", follows)?;
        }
        out.end()
    }
}

impl CommittedChanges {
    /// What `after` holds that `before` does not: each changed piece with its new value, to be
    /// applied on top of the writes `before` follows.
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
            follows: before.writes.count,
        }
    }

    /// Whether the event changed nothing: its write only checks the controller epoch (and, in
    /// the reference cluster, that the writes before it were applied).
    pub fn is_empty(&self) -> bool {
        *self == Self { follows: self.follows, ..Self::default() }
    }

    /// Writes each changed piece over what `committed` holds, leaving the others as they are
    /// (the count of writes is the coordinator's to keep).
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
                follows: WriteCount(0),
            }
        );
    }

    #[test]
    fn changes_follow_the_writes_of_the_state_they_were_made_on() {
        let mut before = bootstrap();
        before.writes.count = WriteCount(7);
        let changes = CommittedChanges::between(&before, &before);
        assert_eq!(changes.follows, WriteCount(7));
        assert!(changes.is_empty(), "a check-only write still names the writes it follows");
    }

    #[test]
    fn a_count_of_0_hashes_as_nothing_so_the_checker_s_fingerprints_stand() {
        use std::hash::BuildHasher;
        let hasher = std::collections::hash_map::RandomState::new();
        let changes = CommittedChanges { session_expiries: Some(1), ..Default::default() };
        let fields = (&changes.brokers, changes.next_broker_epoch, &changes.partitions, changes.session_expiries);
        assert_eq!(hasher.hash_one(&changes), hasher.hash_one(fields));
        let counted = CommittedChanges { follows: WriteCount(1), ..changes.clone() };
        assert_ne!(hasher.hash_one(&counted), hasher.hash_one(&changes));
    }

    #[test]
    fn a_trace_file_leaves_follows_out_while_it_is_0_and_a_datagram_always_carries_it() {
        let mut changes = CommittedChanges { session_expiries: Some(1), ..Default::default() };
        let json = serde_json::to_string(&changes).unwrap();
        assert!(!json.contains("follows"), "{json}");
        assert_eq!(serde_json::from_str::<CommittedChanges>(&json).unwrap(), changes);
        changes.follows = WriteCount(3);
        let json = serde_json::to_string(&changes).unwrap();
        assert!(json.ends_with(r#""follows":3}"#), "{json}");
        assert_eq!(serde_json::from_str::<CommittedChanges>(&json).unwrap(), changes);
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
