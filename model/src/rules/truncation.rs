//! Where a follower's log stops agreeing with its leader's, under each historical rule: what the
//! leader answers about an epoch's end, and where the follower truncates given that answer.
//! Read from `LeaderEpochFileCache.endOffsetFor` and `AbstractFetcherThread.getOffsetTruncationState`
//! at Kafka 0.11.0, 2.0.0 and 2.1.0.

use crate::config::TruncationRule;
use crate::ids::{LeaderEpoch, Offset};
use crate::log::{EpochEnd, ReplicaLog};

/// The leader's answer to "where does epoch E end?" (`OffsetsForLeaderEpoch`, or the
/// `DivergingEpoch` check of a KIP-320 fetch). `None` is Kafka's UNDEFINED_EPOCH_OFFSET.
pub fn leader_epoch_end(rule: TruncationRule, leader: &ReplicaLog, requested: LeaderEpoch) -> Option<EpochEnd> {
    match rule {
        // Pre-KIP-101 followers never ask.
        TruncationRule::HighWatermark => None,
        // KIP-101 (0.11): only an offset: the log end for the latest epoch, else the start of the
        // first larger epoch, whether or not the requested epoch is known (KAFKA-6361); UNDEFINED
        // for an epoch older than every known one.
        TruncationRule::Kip101 => {
            leader.end_for_epoch_pre_kip279(requested).map(|end_offset| EpochEnd { epoch: requested, end_offset })
        }
        // KIP-279 (2.0): the largest known epoch <= requested and its end; UNDEFINED when the
        // requested epoch is older than all known ones or newer than the latest.
        TruncationRule::Kip279 => {
            let latest = leader.latest_epoch()?;
            if requested > latest {
                return None;
            }
            leader.end_for_epoch(requested)
        }
        // 2.1+ (KAFKA-7415, with KIP-320): an epoch older than every known one ends where the
        // first known epoch starts.
        TruncationRule::Kip320Kafka21 | TruncationRule::Kip320 => leader.end_for_epoch(requested).or_else(|| {
            leader.epochs.first().map(|first| EpochEnd { epoch: requested, end_offset: first.start_offset })
        }),
    }
}

/// Where the follower truncates, and whether it is done (`false`: it must ask again with its new
/// latest epoch, KIP-279's iteration).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TruncationPoint {
    pub offset: Offset,
    pub complete: bool,
}

/// `getOffsetTruncationState`: from the leader's answer, the follower's truncation point.
pub fn follower_truncation(
    rule: TruncationRule,
    follower: &ReplicaLog,
    follower_hw: Offset,
    answer: Option<EpochEnd>,
) -> TruncationPoint {
    let own_end = follower.end_offset();
    let done = |offset: Offset| TruncationPoint { offset: offset.min(own_end), complete: true };
    let Some(answer) = answer else {
        // UNDEFINED: fall back to the high watermark.
        return done(follower_hw);
    };
    if rule == TruncationRule::Kip101 {
        return done(answer.end_offset);
    }
    // The follower looks its own log up the way its Kafka version's `endOffsetFor` does: from 2.1
    // (KAFKA-7415) an epoch older than every known one ends where the first known epoch starts.
    let own = if rule.has_kafka_7415() {
        leader_epoch_end(rule, follower, answer.epoch)
    } else {
        follower.end_for_epoch(answer.epoch)
    };
    match own {
        None => done(answer.end_offset),
        Some(own) if own.epoch != answer.epoch => {
            TruncationPoint { offset: own.end_offset.min(own_end), complete: false }
        }
        Some(own) => done(own.end_offset.min(answer.end_offset)),
    }
}

/// KIP-320 in the fetch path (`Partition.readRecords`, 2.8+): the follower's last fetched epoch
/// and fetch offset diverge from the leader's log when the leader's largest epoch <= it is smaller,
/// or that epoch ends before the fetch offset.
pub fn diverging_epoch(leader: &ReplicaLog, last_fetched_epoch: LeaderEpoch, fetch_offset: Offset) -> Option<EpochEnd> {
    let end = leader_epoch_end(TruncationRule::Kip320, leader, last_fetched_epoch)?;
    (end.epoch < last_fetched_epoch || end.end_offset < fetch_offset).then_some(end)
}

#[cfg(test)]
mod tests;
