//! Renaming the controller's and ZooKeeper's state: registrations reindexed by broker id, partition
//! records, committed changes, and held sends.

use super::*;

impl Rename for Registration {
    fn rename(&self, _: &Permutation) -> Self {
        let Registration { epoch, fenced, in_controlled_shutdown, silent, incarnation } = *self;
        Registration { epoch, fenced, in_controlled_shutdown, silent, incarnation }
    }
}

impl Rename for ControllerState {
    fn rename(&self, p: &Permutation) -> Self {
        let ControllerState { brokers, next_broker_epoch, partitions, session_expiries, role, writes } = self;
        // Indexed by broker id - 1: broker b's registration moves to slot π(b) - 1.
        let mut renamed = brokers.clone();
        for (registration, id) in brokers.iter().zip(1u8..) {
            renamed[usize::from(p.broker(BrokerId(id)).0) - 1] = registration.rename(p);
        }
        ControllerState {
            brokers: renamed,
            next_broker_epoch: *next_broker_epoch,
            partitions: partitions.rename(p),
            session_expiries: *session_expiries,
            role: *role,
            writes: *writes,
        }
    }
}

impl Rename for CommittedChanges {
    fn rename(&self, p: &Permutation) -> Self {
        let CommittedChanges { brokers, next_broker_epoch, partitions, session_expiries, follows } = self;
        // In broker id order, as `CommittedChanges::between` writes them.
        let mut brokers: Vec<_> = brokers.iter().map(|(id, r)| (id.rename(p), r.rename(p))).collect();
        brokers.sort_by_key(|(id, _)| *id);
        CommittedChanges {
            brokers,
            next_broker_epoch: *next_broker_epoch,
            partitions: partitions.rename(p),
            session_expiries: *session_expiries,
            follows: *follows,
        }
    }
}

impl Rename for CoordinatorState {
    fn rename(&self, p: &Permutation) -> Self {
        let CoordinatorState { controller, epoch, committed, waiting, expiries } = self;
        CoordinatorState {
            controller: *controller,
            epoch: *epoch,
            committed: committed.rename(p),
            waiting: waiting.rename(p),
            expiries: *expiries,
        }
    }
}
