//! Kafka's `PartitionChangeBuilder` (KRaft controller) as one pure function: given a partition's
//! current record and the change asked for (a new ISR, a broker to remove, a preferred election),
//! it computes the next record: the new ISR and ELR (KIP-966), the leader elected, and the epoch
//! bumps. Read from `PartitionChangeBuilder.build` (apache/kafka trunk, 4.0 line).

use crate::broker_set::BrokerSet;
use crate::ids::BrokerId;
use crate::metadata::PartitionState;

/// Which election `electLeader` runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ElectionKind {
    /// Keep a valid leader, else the first valid replica in assignment order.
    Online,
    /// `kafka-leader-election --election-type preferred` / auto rebalance: the first replica of the
    /// assignment if valid, else the current leader if valid, else the first valid other replica.
    Preferred,
    /// `unclean.leader.election.enable`: as Online, then, if nobody is valid, the first acceptable
    /// replica in assignment order even if out of sync.
    Unclean,
}

/// The change asked of a partition.
#[derive(Clone, Copy, Debug)]
pub struct ChangeRequest {
    /// The ISR wanted (`targetIsr`); an empty one is only written when ELR is enabled.
    pub target_isr: BrokerSet,
    pub election: ElectionKind,
    /// Brokers that may lead: registered, unfenced, not in controlled shutdown
    /// (`ReplicationControlManager.LeaderAcceptor`).
    pub acceptable: BrokerSet,
    /// A broker that registered again after an unclean shutdown: it leaves ISR and ELR (KIP-966).
    pub unclean_shutdown: Option<BrokerId>,
    pub elr_enabled: bool,
    /// KIP-966's last-known-leader election (`useLastKnownLeaderInBalancedRecovery`, always on
    /// with ELR in Kafka 4.0 and 4.1): with ISR and ELR both empty, the one broker in the last
    /// known ELR, the leader the partition had when its ISR emptied, is elected once acceptable.
    pub last_known_leader: bool,
    /// `min(min.insync.replicas, replication factor)`.
    pub min_isr: usize,
}

/// How the leader of the new record was chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ElectionOutcome {
    /// The leader did not change.
    Unchanged,
    /// A replica from the ISR (or, when the ISR is empty, the ELR) was elected.
    Clean(BrokerId),
    /// An out-of-sync replica was elected: committed records may be lost.
    Unclean(BrokerId),
    /// Nobody can lead: the partition is offline.
    Offline,
}

/// The record after the change, or `None` when nothing changes (Kafka writes no record then).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    pub next: PartitionState,
    pub outcome: ElectionOutcome,
}

pub fn partition_change(current: &PartitionState, req: &ChangeRequest) -> Option<Change> {
    // `handleBrokerUncleanShutdown` (KIP-966): the broker leaves the ISR, and (below) the ELR,
    // and may not lead (`isAcceptableLeader` excludes `brokerWithUncleanShutdown`).
    let mut target_isr = req.target_isr;
    if let Some(b) = req.unclean_shutdown {
        target_isr = target_isr.without(b);
    }
    // maybePopulateTargetElr (KIP-966): members leaving an ISR below min ISR become eligible
    // leader replicas, unless they shut down uncleanly; at or above min ISR the ELR is cleared.
    let mut target_elr = BrokerSet::EMPTY;
    if req.elr_enabled && target_isr.len() < req.min_isr {
        let unclean = req.unclean_shutdown.map_or(BrokerSet::EMPTY, |b| BrokerSet::of([b]));
        target_elr = current.elr.union(current.isr).minus(target_isr).minus(unclean);
    }

    // isValidNewLeader: in the target ISR, or in the target ELR when the ISR is empty.
    let valid = |r: BrokerId| {
        (target_isr.contains(r) || (target_isr.is_empty() && target_elr.contains(r)))
            && req.acceptable.contains(r)
            && Some(r) != req.unclean_shutdown
    };
    let first_valid = |from: &[BrokerId]| from.iter().copied().find(|r| valid(*r));
    let current_valid = current.leader.filter(|l| valid(*l));
    // canElectLastKnownLeader (KIP-966, with KAFKA-19522's check of Kafka 4.1 that the broker is
    // acceptable; 4.0 elected it even fenced): nobody in ISR or ELR, and the record remembers
    // exactly one last leader. Every election kind falls back on it, unclean election or not;
    // Kafka counts it as unclean, and the broker's log may have lost what it had acknowledged.
    let last_known_leader = || {
        let only = current.last_known_elr.iter().next().filter(|_| current.last_known_elr.len() == 1)?;
        let nobody_eligible = target_isr.is_empty() && target_elr.is_empty();
        let may_lead = req.acceptable.contains(only) && Some(only) != req.unclean_shutdown;
        (req.last_known_leader && nobody_eligible && may_lead).then_some(only)
    };
    let clean_winner = match req.election {
        ElectionKind::Preferred => {
            let preferred = Some(current.replicas[0]).filter(|r| valid(*r));
            preferred.or(current_valid).or_else(|| first_valid(&current.replicas[1..]))
        }
        ElectionKind::Online | ElectionKind::Unclean => current_valid.or_else(|| first_valid(&current.replicas)),
    };
    // With nobody valid: the last known leader, then (UNCLEAN only) the first acceptable replica
    // in assignment order even if out of sync.
    let first_acceptable = || current.replicas.iter().copied().find(|r| req.acceptable.contains(*r));
    let unclean_winner =
        || last_known_leader().or_else(|| (req.election == ElectionKind::Unclean).then(first_acceptable).flatten());
    let (winner, unclean) = match clean_winner {
        Some(w) => (Some(w), false),
        None => {
            let w = unclean_winner();
            (w, w.is_some())
        }
    };

    let mut next = current.clone();
    let mut outcome = ElectionOutcome::Unchanged;
    if winner != current.leader {
        next.leader = winner;
        // KIP-101: every leader change starts a new leader epoch.
        next.leader_epoch = current.leader_epoch.next();
        outcome = match winner {
            None => ElectionOutcome::Offline,
            Some(w) if unclean => ElectionOutcome::Unclean(w),
            Some(w) => ElectionOutcome::Clean(w),
        };
        if let Some(w) = winner {
            // An ELR member that wins becomes the whole ISR and leaves the ELR (KIP-966).
            if target_elr.contains(w) {
                target_isr = BrokerSet::of([w]);
                target_elr = target_elr.without(w);
            }
            // An unclean leader is the whole ISR (PartitionChangeBuilder.tryElection).
            if unclean {
                target_isr = BrokerSet::of([w]);
            }
        }
    }
    // maybeUpdateRecordElr: no ELR after an unclean election or with ELR disabled.
    if unclean || !req.elr_enabled {
        target_elr = BrokerSet::EMPTY;
    }
    next.elr = target_elr;
    // Without ELR the ISR is never emptied: the last member stays (and cannot lead while fenced).
    if !target_isr.is_empty() || req.elr_enabled {
        next.isr = target_isr;
    }
    // maybeUpdateLastKnownLeader (KIP-966): an emptied ISR remembers the leader it had; a
    // partition with a valid leader forgets it.
    if req.elr_enabled && next.isr.is_empty() {
        if let Some(old) = current.leader {
            next.last_known_elr = BrokerSet::of([old]);
        }
    } else if next.leader.is_some() {
        next.last_known_elr = BrokerSet::EMPTY;
    }

    if next == *current {
        return None;
    }
    // KIP-497: every change of the record bumps the partition epoch (ISR changes alone do not
    // bump the leader epoch since metadata version 3.6, KAFKA-15021).
    next.partition_epoch = current.partition_epoch.next();
    Some(Change { next, outcome })
}

#[cfg(test)]
mod tests;
