//! The follower's side of replication (`ReplicaFetcherThread`): appending fetched records, taking
//! the leader's HW, truncating on a diverging epoch (KIP-320) or on an OffsetsForLeaderEpoch answer
//! (KIP-101/KIP-279), and backing off on errors.

use super::{BrokerState, Ctx, FetchState, Role};
use crate::effects::Effects;
use crate::ids::{LeaderEpoch, Offset, PartitionId};
use crate::log::EpochEnd;
use crate::msg::{FetchError, FetchResult};
use crate::rules::high_watermark::follower_high_watermark;
use crate::rules::truncation::follower_truncation;

impl BrokerState {
    /// The fetch state of `p` if this broker follows it in `epoch` (responses from an older
    /// request, a previous leader or a previous incarnation do not match and are dropped).
    fn following(&self, p: PartitionId, epoch: LeaderEpoch) -> Option<FetchState> {
        let replica = self.replica(p)?;
        match (&replica.role, &replica.meta) {
            (Role::Follower(state), Some(meta)) if meta.leader_epoch == epoch => Some(*state),
            _ => None,
        }
    }

    pub(super) fn on_fetch_response(
        &mut self,
        ctx: Ctx<'_>,
        p: PartitionId,
        epoch: LeaderEpoch,
        fetch_offset: Offset,
        result: FetchResult,
        fx: &mut Effects,
    ) {
        if self.following(p, epoch) != Some(FetchState::Fetching { fetch_offset }) {
            return;
        }
        match result {
            FetchResult::Records { records, high_watermark } => {
                let disk = self.disk.replica_mut(p);
                for record in records {
                    disk.append(record, ctx.cfg.flush);
                }
                // The follower takes the leader's HW as it is, even lower than its own (`maybeUpdateHighWatermark`).
                disk.high_watermark = follower_high_watermark(high_watermark, disk.log.end_offset());
                fx.save_disk = true;
                self.send_fetch(ctx, p, fx);
            }
            // KIP-320 in the fetch path (2.8+, KAFKA-10554, `AbstractFetcherThread.truncateOnFetchResponse`):
            // truncate to where the leader says the last fetched epoch ends, then fetch on.
            FetchResult::Diverging { end } => {
                self.truncate_to_epoch_end(ctx, p, Some(end), fx);
                self.send_fetch(ctx, p, fx);
            }
            // The leader's log is shorter than ours (`handleOffsetOutOfRange`): cut back to it.
            FetchResult::OffsetOutOfRange { leader_end_offset } => {
                self.truncate(p, leader_end_offset, fx);
                self.send_fetch(ctx, p, fx);
            }
            FetchResult::Error(error) => self.on_fetch_error(p, error, false),
        }
    }

    pub(super) fn on_epoch_end_response(
        &mut self,
        ctx: Ctx<'_>,
        p: PartitionId,
        epoch: LeaderEpoch,
        result: Result<Option<EpochEnd>, FetchError>,
        fx: &mut Effects,
    ) {
        let Some(FetchState::AwaitingEpochEnd { .. }) = self.following(p, epoch) else { return };
        match result {
            Ok(answer) => {
                if self.truncate_to_epoch_end(ctx, p, answer, fx) {
                    self.send_fetch(ctx, p, fx);
                } else {
                    // KIP-279: we did not have the leader's epoch; ask again about our new latest.
                    self.start_fetching(ctx, p, fx);
                }
            }
            Err(error) => self.on_fetch_error(p, error, true),
        }
    }

    /// Truncate where `getOffsetTruncationState` says; returns whether truncation is complete.
    fn truncate_to_epoch_end(
        &mut self,
        ctx: Ctx<'_>,
        p: PartitionId,
        answer: Option<EpochEnd>,
        fx: &mut Effects,
    ) -> bool {
        let disk = self.disk.replica(p);
        let point = follower_truncation(ctx.cfg.truncation, &disk.log, disk.high_watermark, answer);
        self.truncate(p, point.offset, fx);
        point.complete
    }

    /// `replica.socket.timeout.ms` passed with the request to the leader unanswered (runtime
    /// only): as for an error, back off and send it again (`ReplicaFetcherThread` puts a partition
    /// whose fetch failed in `delayPartitions` for `replica.fetch.backoff.ms`).
    pub(super) fn on_fetch_timeout(&mut self, p: PartitionId) {
        match self.replica(p).map(|r| &r.role) {
            Some(Role::Follower(FetchState::Fetching { .. })) => {
                self.set_fetch_state(p, FetchState::Backoff { truncating: false })
            }
            Some(Role::Follower(FetchState::AwaitingEpochEnd { .. })) => {
                self.set_fetch_state(p, FetchState::Backoff { truncating: true })
            }
            _ => {}
        }
    }

    /// FENCED_LEADER_EPOCH: our metadata is old; wait for the newer record. Otherwise the leader
    /// has not caught up yet: back off and retry (`replica.fetch.backoff.ms`).
    fn on_fetch_error(&mut self, p: PartitionId, error: FetchError, truncating: bool) {
        let next = match error {
            FetchError::FencedLeaderEpoch => FetchState::Idle,
            // A leader answers a follower's offset past its end with `FetchResult::OffsetOutOfRange`,
            // never with this consumer error; were it to, backing off is the safe answer.
            FetchError::UnknownLeaderEpoch
            | FetchError::NotLeaderOrFollower
            | FetchError::UnknownTopicOrPartition
            | FetchError::OffsetOutOfRange => FetchState::Backoff { truncating },
        };
        self.set_fetch_state(p, next);
    }

    pub(super) fn on_fetch_backoff(&mut self, ctx: Ctx<'_>, p: PartitionId, fx: &mut Effects) {
        match self.replica(p).map(|r| &r.role) {
            Some(Role::Follower(FetchState::Backoff { truncating: true })) => self.start_fetching(ctx, p, fx),
            Some(Role::Follower(FetchState::Backoff { truncating: false })) => self.send_fetch(ctx, p, fx),
            _ => {}
        }
    }
}
