//! Renaming a broker's state and disk (its replicas, followers' progress, pending ISR changes and
//! acks) and every actor's saved storage (`Saved`).

use super::*;

impl Rename for ReplicaDisk {
    fn rename(&self, p: &Permutation) -> Self {
        let ReplicaDisk { log, flushed, high_watermark } = self;
        ReplicaDisk { log: log.rename(p), flushed: *flushed, high_watermark: *high_watermark }
    }
}

impl Rename for Disk {
    fn rename(&self, p: &Permutation) -> Self {
        let DiskContents { replicas, clean_shutdown_epoch } = &**self;
        Disk::from(DiskContents { replicas: replicas.rename(p), clean_shutdown_epoch: *clean_shutdown_epoch })
    }
}

impl Rename for Saved {
    fn rename(&self, p: &Permutation) -> Self {
        match self {
            Saved::Broker(disk) => Saved::Broker(disk.rename(p)),
            Saved::Controller(controller) => Saved::Controller(controller.rename(p)),
            Saved::Coordinator(coordinator) => Saved::Coordinator(coordinator.rename(p)),
            // Permutations fix the controller candidates.
            Saved::Candidate(id) => Saved::Candidate(*id),
        }
    }
}

impl Rename for Session {
    fn rename(&self, _: &Permutation) -> Self {
        match *self {
            Session::Registering { previous_epoch, incarnation } => {
                Session::Registering { previous_epoch, incarnation }
            }
            Session::Registered(epoch) => Session::Registered(epoch),
            Session::ShuttingDown(epoch) => Session::ShuttingDown(epoch),
        }
    }
}

impl Rename for ParkedFetch {
    fn rename(&self, _: &Permutation) -> Self {
        let ParkedFetch { current_leader_epoch, fetch_offset, known_high_watermark } = *self;
        ParkedFetch { current_leader_epoch, fetch_offset, known_high_watermark }
    }
}

impl Rename for FollowerProgress {
    fn rename(&self, p: &Permutation) -> Self {
        let FollowerProgress { broker, end_offset, broker_epoch, parked } = *self;
        FollowerProgress { broker: broker.rename(p), end_offset, broker_epoch, parked: parked.rename(p) }
    }
}

impl Rename for PendingIsr {
    fn rename(&self, p: &Permutation) -> Self {
        let PendingIsr { members, partition_epoch, answered } = self;
        // In broker-id order, as the leader lists them (it iterates a `BrokerSet`).
        let mut members = members.rename(p);
        members.sort_by_key(|m| m.broker);
        PendingIsr { members, partition_epoch: *partition_epoch, answered: *answered }
    }
}

impl Rename for PendingAck {
    fn rename(&self, p: &Permutation) -> Self {
        let PendingAck { producer, sequence, offset } = *self;
        PendingAck { producer: producer.rename(p), sequence, offset }
    }
}

impl Rename for LeaderState {
    fn rename(&self, p: &Permutation) -> Self {
        let LeaderState { followers, pending_isr, pending_acks, epoch_start } = self;
        LeaderState {
            // Assignment order (`become_leader` builds it from `replicas`), fixed by the group.
            followers: followers.rename(p),
            pending_isr: pending_isr.rename(p),
            // Arrival order.
            pending_acks: pending_acks.rename(p),
            epoch_start: *epoch_start,
        }
    }
}

impl Rename for FetchState {
    fn rename(&self, _: &Permutation) -> Self {
        match *self {
            FetchState::Idle => FetchState::Idle,
            FetchState::AwaitingEpochEnd { epoch } => FetchState::AwaitingEpochEnd { epoch },
            FetchState::Fetching { fetch_offset } => FetchState::Fetching { fetch_offset },
            FetchState::Backoff { truncating } => FetchState::Backoff { truncating },
        }
    }
}

impl Rename for Role {
    fn rename(&self, p: &Permutation) -> Self {
        match self {
            Role::None => Role::None,
            Role::Leader(leader) => Role::Leader(leader.rename(p)),
            Role::Follower(fetch) => Role::Follower(fetch.rename(p)),
        }
    }
}

impl Rename for Replica {
    fn rename(&self, p: &Permutation) -> Self {
        let Replica { meta, role } = self;
        Replica { meta: meta.rename(p), role: role.rename(p) }
    }
}

impl Rename for Process {
    fn rename(&self, p: &Permutation) -> Self {
        let Process { session, replicas, controller_epoch } = self;
        Process { session: session.rename(p), replicas: replicas.rename(p), controller_epoch: *controller_epoch }
    }
}

impl Rename for FaultsSuffered {
    fn rename(&self, _: &Permutation) -> Self {
        let FaultsSuffered { crashes, power_losses, shutdowns, isr_shrinks, restarts, truncated } = *self;
        FaultsSuffered { crashes, power_losses, shutdowns, isr_shrinks, restarts, truncated }
    }
}

impl Rename for BrokerState {
    fn rename(&self, p: &Permutation) -> Self {
        let BrokerState { disk, process, faults, links_cut } = self;
        // The producers cut off, renamed, kept sorted as `BrokerState::cut_link` keeps them.
        let mut links_cut: Vec<ProducerId> = links_cut.iter().map(|q| q.rename(p)).collect();
        links_cut.sort_unstable();
        BrokerState { disk: disk.rename(p), process: process.rename(p), faults: faults.rename(p), links_cut }
    }
}
