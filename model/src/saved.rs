//! What an actor keeps across a restart: its stateright `Storage`. A broker keeps its `Disk`,
//! in the checker and in the reference cluster alike. With `RuntimeSettings::durable_metadata`
//! (the reference cluster) the sole controller keeps its metadata, as KRaft's controller keeps
//! the `__cluster_metadata` log it replays at start (the model saves the image the log replays
//! to), and the coordinator its data, as ZooKeeper keeps its snapshot and transaction log. The
//! checker restarts only brokers, so only brokers save there. ZooKeeper-era controller
//! candidates keep nothing of the cluster (they read ZooKeeper when they take over), only that
//! they have started before, as a Kafka broker's log directory does: a restarted candidate is a
//! standby that runs the election, not the controller the cluster was formatted with.

use crate::broker::Disk;
use crate::broker_set::BrokerSet;
use crate::config::Config;
use crate::controller::{ControllerRole, ControllerState};
use crate::coordinator::CoordinatorState;
use crate::effects::Address;
use crate::ids::{ControllerId, PartitionId};
use serde::{Deserialize, Serialize};
use std::hash::{Hash, Hasher};

/// What each kind of `Saved` is called in messages (`Saved::kind`).
pub const BROKER_DISK: &str = "a broker's disk";
pub const CONTROLLER_METADATA: &str = "the controller's metadata";
pub const COORDINATOR_DATA: &str = "ZooKeeper's data";
pub const CANDIDATE_MARK: &str = "a controller candidate's mark";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Saved {
    Broker(Disk),
    /// The sole controller's state: its metadata (`ControllerState::recover`), with the checker's
    /// fault count, which the cluster's budget never spends.
    Controller(ControllerState),
    Coordinator(CoordinatorState),
    /// A ZooKeeper-era controller candidate has started before (Kafka: its broker's formatted log
    /// directory), so it starts again as a standby that runs `KafkaController.elect`
    /// (`ControllerState::restart`).
    Candidate(ControllerId),
}

/// The kind of state `role` keeps on disk besides a broker's `Disk`, if any: the sole
/// controller's metadata, the coordinator's data and a candidate's mark, with
/// `RuntimeSettings::durable_metadata`.
pub fn metadata_kind(cfg: &Config, role: Address) -> Option<&'static str> {
    if !cfg.runtime.durable_metadata {
        return None;
    }
    match role {
        Address::Controller if !cfg.has_coordinator() => Some(CONTROLLER_METADATA),
        Address::Coordinator => Some(COORDINATOR_DATA),
        Address::Controller | Address::OtherController(_) => Some(CANDIDATE_MARK),
        _ => None,
    }
}

impl Saved {
    /// What kind of actor saved it, for messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Saved::Broker(_) => BROKER_DISK,
            Saved::Controller(_) => CONTROLLER_METADATA,
            Saved::Coordinator(_) => COORDINATOR_DATA,
            Saved::Candidate(_) => CANDIDATE_MARK,
        }
    }

    /// Whether the controller's metadata or ZooKeeper's data fits the cluster `cfg` describes (a
    /// file of another cluster's shape, or edited by hand, would have the handlers index past
    /// their brokers or partitions): why not, if it does not. A broker's disk is checked as it is
    /// recovered.
    pub fn fits(&self, cfg: &Config) -> Result<(), String> {
        match self {
            Saved::Broker(_) => Ok(()),
            Saved::Controller(c) if !c.role.is_sole() => Err(format!("the sole controller's role is {:?}", c.role)),
            Saved::Controller(c) => image_fits(c, cfg),
            Saved::Coordinator(z) => {
                if z.committed.role != ControllerRole::Standby {
                    return Err(format!("the committed state's role is {:?}", z.committed.role));
                }
                if z.epoch.0 == u32::MAX {
                    return Err(format!("/controller_epoch is the last there is ({})", z.epoch));
                }
                if let Some(owner) = z.controller.filter(|c| !cfg.controller_ids().any(|id| id == *c)) {
                    return Err(format!("/controller names candidate {owner}, of {} candidate(s)", cfg.controllers));
                }
                image_fits(&z.committed, cfg)
            }
            Saved::Candidate(id) if !cfg.controller_ids().any(|c| c == *id) => {
                Err(format!("it names candidate {id}, of {} candidate(s)", cfg.controllers))
            }
            Saved::Candidate(_) => Ok(()),
        }
    }
}

/// A controller's image has one registration per broker and one record per partition, in id
/// order, each over the partition's replicas (in any order: reassignments reorder them).
fn image_fits(c: &ControllerState, cfg: &Config) -> Result<(), String> {
    if c.brokers.len() != usize::from(cfg.brokers) || c.partitions.len() != usize::from(cfg.partitions) {
        let (brokers, partitions) = (c.brokers.len(), c.partitions.len());
        return Err(format!(
            "{brokers} broker(s) and {partitions} partition(s), where the cluster has {} and {}",
            cfg.brokers, cfg.partitions
        ));
    }
    for (record, index) in c.partitions.iter().zip(0u8..) {
        let mut replicas = record.replicas.clone();
        replicas.sort();
        let mut expected = cfg.replicas(PartitionId(index));
        expected.sort();
        if record.partition != PartitionId(index) || replicas != expected {
            return Err(format!("the record of partition {index} is of another partition or its replicas: {record}"));
        }
    }
    for record in &c.partitions {
        let foreign = |set: BrokerSet| set.iter().find(|b| !record.replicas.contains(b));
        let member = record.leader.filter(|l| !record.replicas.contains(l));
        if let Some(b) = member.or_else(|| foreign(record.isr.union(record.elr).union(record.last_known_elr))) {
            return Err(format!(
                "the record of partition {} names broker {b}, not one of its replicas: {record}",
                record.partition
            ));
        }
        if record.leader_epoch.0 == u32::MAX || record.partition_epoch.0 == u32::MAX {
            return Err(format!(
                "the record of partition {} is at the last epoch there is: {record}",
                record.partition
            ));
        }
    }
    // Broker epochs are handed out once each: every registration's is below the next one.
    if c.next_broker_epoch.0 == u32::MAX {
        return Err(format!("the next broker epoch is the last there is ({})", c.next_broker_epoch));
    }
    if let Some((b, r)) = cfg.broker_ids().zip(&c.brokers).find(|(_, r)| r.epoch >= c.next_broker_epoch) {
        return Err(format!(
            "broker {b}'s registration is in broker epoch {}, not below the next broker epoch {}",
            r.epoch, c.next_broker_epoch
        ));
    }
    if !c.writes.is_none() && c.role.is_sole() {
        return Err("the sole controller counts writes to ZooKeeper".to_string());
    }
    Ok(())
}

/// A broker's disk hashes as the disk alone, so that the checker's states keep the fingerprints,
/// search order and counterexamples they had while a disk was the only storage.
impl Hash for Saved {
    fn hash<H: Hasher>(&self, state: &mut H) {
        match self {
            Saved::Broker(disk) => disk.hash(state),
            Saved::Controller(controller) => (1u8, controller).hash(state),
            Saved::Coordinator(coordinator) => (2u8, coordinator).hash(state),
            Saved::Candidate(id) => (3u8, id).hash(state),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{BrokerId, ControllerId};

    fn cfg() -> Config {
        Config { partitions: 2, controllers: 2, ..Config::default() }
    }

    fn image() -> ControllerState {
        ControllerState::bootstrap(&Config { partitions: 2, ..Config::default() })
    }

    #[test]
    fn what_the_cluster_saved_fits_it_replicas_reordered_or_not() {
        let mut c = image();
        assert_eq!(Saved::Controller(c.clone()).fits(&Config { partitions: 2, ..Config::default() }), Ok(()));
        c.partitions[1].replicas.reverse();
        assert_eq!(Saved::Controller(c).fits(&Config { partitions: 2, ..Config::default() }), Ok(()));
        assert_eq!(Saved::Coordinator(CoordinatorState::start(&cfg())).fits(&cfg()), Ok(()));
    }

    #[test]
    fn a_candidates_mark_fits_a_cluster_with_that_candidate() {
        assert_eq!(Saved::Candidate(ControllerId(2)).fits(&cfg()), Ok(()));
        let refusal = Saved::Candidate(ControllerId(3)).fits(&cfg());
        assert_eq!(refusal, Err("it names candidate 3, of 2 candidate(s)".to_string()));
    }

    #[test]
    fn metadata_of_another_shape_does_not_fit() {
        let sole = Config { partitions: 2, ..Config::default() };
        let fewer_brokers = Config { brokers: 2, replication_factor: 2, min_insync_replicas: 1, ..sole.clone() };
        let why = Saved::Controller(image()).fits(&fewer_brokers).unwrap_err();
        assert_eq!(why, "3 broker(s) and 2 partition(s), where the cluster has 2 and 2");

        let mut swapped = image();
        swapped.partitions.swap(0, 1);
        let why = Saved::Controller(swapped).fits(&sole).unwrap_err();
        assert!(why.starts_with("the record of partition 0 is of another partition or its replicas"), "{why}");

        let mut foreign = image();
        foreign.partitions[0].replicas = vec![BrokerId(1), BrokerId(1), BrokerId(2)];
        assert!(Saved::Controller(foreign).fits(&sole).is_err());

        let standby = ControllerState { role: ControllerRole::Standby, ..image() };
        assert_eq!(Saved::Controller(standby).fits(&sole).unwrap_err(), "the sole controller's role is Standby");

        let mut z = CoordinatorState::start(&cfg());
        z.controller = Some(ControllerId(3));
        assert_eq!(Saved::Coordinator(z).fits(&cfg()).unwrap_err(), "/controller names candidate 3, of 2 candidate(s)");
    }

    #[test]
    fn metadata_that_names_a_stranger_or_would_hand_out_an_epoch_twice_does_not_fit() {
        let sole = Config { partitions: 2, ..Config::default() };
        let refused = |edit: &dyn Fn(&mut ControllerState)| {
            let mut c = image();
            edit(&mut c);
            Saved::Controller(c).fits(&sole).unwrap_err()
        };
        let why = refused(&|c| c.partitions[0].isr = BrokerSet::of([BrokerId(9)]));
        assert!(why.starts_with("the record of partition 0 names broker 9, not one of its replicas"), "{why}");
        let why = refused(&|c| c.partitions[1].leader = Some(BrokerId(7)));
        assert!(why.starts_with("the record of partition 1 names broker 7"), "{why}");
        let why = refused(&|c| c.partitions[0].leader_epoch = crate::ids::LeaderEpoch(u32::MAX));
        assert!(why.starts_with("the record of partition 0 is at the last epoch there is"), "{why}");
        let why = refused(&|c| c.next_broker_epoch = crate::ids::BrokerEpoch(2));
        assert_eq!(why, "broker 2's registration is in broker epoch 2, not below the next broker epoch 2");
        let why = refused(&|c| c.next_broker_epoch = crate::ids::BrokerEpoch(u32::MAX));
        assert!(why.starts_with("the next broker epoch is the last there is"), "{why}");
        let mut z = CoordinatorState::start(&cfg());
        z.epoch = crate::ids::ControllerEpoch(u32::MAX);
        assert!(Saved::Coordinator(z).fits(&cfg()).unwrap_err().starts_with("/controller_epoch is the last"));
    }

    #[test]
    fn a_broker_s_disk_hashes_as_the_disk_alone() {
        use std::hash::BuildHasher;
        let hasher = std::collections::hash_map::RandomState::new();
        let disk = Disk::empty(&cfg());
        assert_eq!(hasher.hash_one(Some(Saved::Broker(disk.clone()))), hasher.hash_one(Some(disk)));
    }
}
