//! Applying partition changes (`ReplicationControlManager.generateLeaderAndIsrUpdates`) and
//! publishing them to replicas and clients (the metadata log).

use super::ControllerState;
use crate::broker_set::BrokerSet;
use crate::config::Config;
use crate::effects::{Address, Effects};
use crate::ids::{BrokerId, PartitionId};
use crate::metadata::PartitionState;
use crate::msg::Msg;
use crate::rules::partition_change::{partition_change, ChangeRequest, ElectionKind, ElectionOutcome};

/// A change the controller asks of one partition.
#[derive(Clone, Copy, Debug)]
pub(super) struct Ask {
    pub partition: PartitionId,
    pub target_isr: BrokerSet,
    pub election: ElectionKind,
    /// A broker that registered again after an unclean shutdown (KIP-966).
    pub unclean_shutdown: Option<BrokerId>,
    /// The leader's own AlterPartition: it learns the result from the response.
    pub requested_by_leader: bool,
}

impl Ask {
    /// A change the controller makes on its own (fencing, unfencing, rebalance).
    pub fn controller(partition: PartitionId, target_isr: BrokerSet, election: ElectionKind) -> Self {
        Ask { partition, target_isr, election, unclean_shutdown: None, requested_by_leader: false }
    }
}

impl ControllerState {
    /// The election every automatic change runs: ONLINE, or UNCLEAN when the topic allows it.
    pub(super) fn default_election(cfg: &Config) -> ElectionKind {
        if cfg.unclean_leader_election {
            ElectionKind::Unclean
        } else {
            ElectionKind::Online
        }
    }

    /// Runs one `PartitionChangeBuilder` change on `ask.partition` and publishes the new record
    /// (except to the leader of an AlterPartition, which learns it from the response).
    /// Returns the election outcome, or `None` when nothing changed.
    pub(super) fn change_partition(&mut self, cfg: &Config, ask: Ask, fx: &mut Effects) -> Option<ElectionOutcome> {
        let Ask { partition, target_isr, election, unclean_shutdown, requested_by_leader } = ask;
        let current = &self.partitions[usize::from(partition.0)];
        let request = ChangeRequest {
            target_isr,
            election,
            acceptable: self.active_brokers(),
            unclean_shutdown,
            elr_enabled: cfg.eligible_leader_replicas,
            last_known_leader: cfg.eligible_leader_replicas && cfg.last_known_leader_election,
            min_isr: usize::from(cfg.min_insync_replicas.min(cfg.replication_factor)),
        };
        let change = partition_change(current, &request)?;
        let leader_changed = change.next.leader_epoch != current.leader_epoch;
        self.partitions[usize::from(partition.0)] = change.next;
        if leader_changed {
            self.publish(cfg, partition, fx);
        } else if !requested_by_leader {
            self.publish_to_leader(partition, fx);
        }
        Some(change.outcome)
    }

    /// Sends a partition's record to its replicas and to every producer (KRaft brokers replay the
    /// metadata log; clients refresh their metadata from it).
    pub fn publish(&self, cfg: &Config, partition: PartitionId, fx: &mut Effects) {
        let record = &self.partitions[usize::from(partition.0)];
        for b in &record.replicas {
            fx.send(Address::Broker(*b), Msg::PartitionChange(record.clone()));
        }
        for p in cfg.producer_ids() {
            fx.send(Address::Producer(p), Msg::PartitionChange(record.clone()));
        }
    }

    /// A broker's fetch of the metadata log (`RuntimeSettings::metadata_fetch`): the current
    /// record of each partition it is a replica of. The broker skips those it has (partition
    /// epoch), so only a record it missed changes anything. A sole controller's records are
    /// committed as it makes them; with candidates the coordinator answers instead, from what is
    /// committed.
    pub(super) fn on_fetch_metadata(&self, broker: BrokerId, fx: &mut Effects) {
        for record in self.records_of(broker) {
            fx.send(Address::Broker(broker), Msg::PartitionChange(record.clone()));
        }
    }

    /// The records of the partitions `broker` is a replica of: what its metadata fetch returns.
    pub fn records_of(&self, broker: BrokerId) -> impl Iterator<Item = &PartitionState> {
        self.partitions.iter().filter(move |r| r.replicas.contains(&broker))
    }

    /// A change within one leader epoch (ISR, ELR) matters only to the leader, which computes the
    /// HW from the ISR: followers and clients act on the leader and its epoch alone. The model
    /// sends such records to the leader only, sparing the interleavings of records that every
    /// other replica would apply without any effect on its behaviour.
    pub(super) fn publish_to_leader(&self, partition: PartitionId, fx: &mut Effects) {
        let record = &self.partitions[usize::from(partition.0)];
        if let Some(leader) = record.leader {
            fx.send(Address::Broker(leader), Msg::PartitionChange(record.clone()));
        }
    }

    /// `handleBrokerFenced` / `handleBrokerInControlledShutdown` (`brokerToRemove`) and
    /// `handleBrokerUncleanShutdown` (`brokerWithUncleanShutdown`, KIP-966): the broker leaves every
    /// ISR (and, after an unclean shutdown, every ELR), and partitions it led elect a new leader.
    pub(super) fn remove_from_isrs(
        &mut self,
        cfg: &Config,
        broker: BrokerId,
        unclean_shutdown: bool,
        fx: &mut Effects,
    ) {
        for p in cfg.partition_ids() {
            let record = &self.partitions[usize::from(p.0)];
            let in_elr = unclean_shutdown && record.elr.contains(broker);
            if !record.isr.contains(broker) && !in_elr {
                continue;
            }
            let target_isr = record.isr.without(broker);
            let unclean = unclean_shutdown.then_some(broker);
            let election = Self::default_election(cfg);
            let ask = Ask { partition: p, target_isr, election, unclean_shutdown: unclean, requested_by_leader: false };
            self.change_partition(cfg, ask, fx);
        }
    }

    /// `handleBrokerUnfenced`: partitions without a leader try an election now that one more
    /// broker is active (with unclean election enabled, it may win even out of sync).
    pub(super) fn elect_leaderless(&mut self, cfg: &Config, fx: &mut Effects) {
        for p in cfg.partition_ids() {
            let record = &self.partitions[usize::from(p.0)];
            if record.leader.is_none() {
                let isr = record.isr;
                self.change_partition(cfg, Ask::controller(p, isr, Self::default_election(cfg)), fx);
            }
        }
    }
}
