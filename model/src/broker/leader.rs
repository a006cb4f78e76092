//! The leader's side of replication: serving fetches (with KIP-320 fencing and divergence checks),
//! answering OffsetsForLeaderEpoch, tracking follower positions, moving the HW, and asking the
//! controller for ISR changes (AlterPartition, KIP-497).

use super::{BrokerState, Ctx, LeaderState, ParkedFetch, PendingIsr, Role};
use crate::broker_set::BrokerSet;
use crate::effects::{Address, Effects};
use crate::ids::{BrokerId, LeaderEpoch, Offset, PartitionEpoch, PartitionId};
use crate::metadata::PartitionState;
use crate::msg::{AlterPartitionError, FetchError, FetchRequest, FetchResult, IsrMember, Msg, ProduceError};
use crate::rules::high_watermark::{leader_high_watermark, LeaderHwInput};
use crate::rules::isr::{is_out_of_sync, may_join_isr};
use crate::rules::truncation::{diverging_epoch, leader_epoch_end};
use std::cmp::Ordering;

impl BrokerState {
    /// The leader state and record of `p`, if this broker leads it.
    fn leading(&mut self, p: PartitionId) -> Option<(&mut LeaderState, &PartitionState)> {
        let replica = &mut self.process.as_mut()?.replicas[usize::from(p.0)];
        match (&mut replica.role, &replica.meta) {
            (Role::Leader(leader), Some(meta)) => Some((leader, meta)),
            _ => None,
        }
    }

    /// KIP-320 `checkCurrentLeaderEpoch`: the requester's epoch must be the leader's own.
    fn check_leader_epoch(&mut self, ctx: Ctx<'_>, p: PartitionId, requested: LeaderEpoch) -> Result<(), FetchError> {
        let Some((_, meta)) = self.leading(p) else {
            return Err(FetchError::NotLeaderOrFollower);
        };
        if !ctx.cfg.fetch_epoch_fencing {
            return Ok(());
        }
        match requested.cmp(&meta.leader_epoch) {
            Ordering::Less => Err(FetchError::FencedLeaderEpoch),
            Ordering::Greater => Err(FetchError::UnknownLeaderEpoch),
            Ordering::Equal => Ok(()),
        }
    }

    pub(super) fn on_fetch(&mut self, ctx: Ctx<'_>, req: FetchRequest, fx: &mut Effects) {
        let p = req.partition;
        let reply = |result| Msg::FetchResponse {
            partition: p,
            current_leader_epoch: req.current_leader_epoch,
            fetch_offset: req.fetch_offset,
            result,
        };
        let to = Address::Broker(req.replica);
        if let Err(e) = self.check_leader_epoch(ctx, p, req.current_leader_epoch) {
            fx.send(to, reply(FetchResult::Error(e)));
            return;
        }
        let log = &self.disk.replica(p).log;
        // KIP-320 in the fetch path: a diverging follower is told where the epoch ends.
        if let Some(epoch) = req.last_fetched_epoch.filter(|_| ctx.cfg.truncation.truncates_at_fetch()) {
            if let Some(end) = diverging_epoch(log, epoch, req.fetch_offset) {
                fx.send(to, reply(FetchResult::Diverging { end }));
                return;
            }
        }
        // A read past the log end is OFFSET_OUT_OF_RANGE (`Log.read`); the follower cuts its log
        // back to the leader's end (`AbstractFetcherThread.handleOffsetOutOfRange`).
        let leader_end = log.end_offset();
        if req.fetch_offset > leader_end {
            fx.send(to, reply(FetchResult::OffsetOutOfRange { leader_end_offset: leader_end }));
            return;
        }
        // The fetch offset is the follower's log end (`updateFollowerFetchState`).
        let (leader, _) = self.leading(p).expect("checked above");
        let progress = leader.followers.iter_mut().find(|f| f.broker == req.replica).expect("fetch from a replica");
        progress.end_offset = Some(req.fetch_offset);
        progress.broker_epoch = Some(req.broker_epoch);
        progress.parked = Some(ParkedFetch {
            current_leader_epoch: req.current_leader_epoch,
            fetch_offset: req.fetch_offset,
            known_high_watermark: req.known_high_watermark,
        });
        self.maybe_expand_isr(ctx, p, req.replica, fx);
        self.update_high_watermark(ctx, p, fx);
        self.answer_parked_fetches(ctx, p, fx);
    }

    /// KIP-101/KIP-279 OffsetsForLeaderEpoch, fenced like a fetch under KIP-320.
    pub(super) fn on_offsets_for_leader_epoch(
        &mut self,
        ctx: Ctx<'_>,
        p: PartitionId,
        replica: BrokerId,
        current_leader_epoch: LeaderEpoch,
        epoch: LeaderEpoch,
        fx: &mut Effects,
    ) {
        let result = self
            .check_leader_epoch(ctx, p, current_leader_epoch)
            .map(|()| leader_epoch_end(ctx.cfg.truncation, &self.disk.replica(p).log, epoch));
        fx.send(
            Address::Broker(replica),
            Msg::OffsetsForLeaderEpochResponse { partition: p, current_leader_epoch, result },
        );
    }

    /// Answer every held fetch that now has something new: records past its offset, or a HW the
    /// follower does not know yet (Kafka completes delayed fetches on appends and HW changes).
    pub(super) fn answer_parked_fetches(&mut self, ctx: Ctx<'_>, p: PartitionId, fx: &mut Effects) {
        self.answer_parked_fetches_where(ctx, p, fx, |parked, end, hw| {
            end > parked.fetch_offset || hw != parked.known_high_watermark
        });
    }

    /// `replica.fetch.wait.max.ms` passed (runtime only): every held fetch is answered with what
    /// there is, new or not (`DelayedFetch.onExpiration`), and its follower fetches again, which
    /// lets `maybeExpandIsr` look at it again.
    pub(super) fn on_fetch_wait_expired(&mut self, ctx: Ctx<'_>, p: PartitionId, fx: &mut Effects) {
        self.answer_parked_fetches_where(ctx, p, fx, |_, _, _| true);
    }

    /// Answer the held fetches that `due(parked, log end, HW)` picks, with the records past each
    /// one's offset and the HW.
    fn answer_parked_fetches_where(
        &mut self,
        ctx: Ctx<'_>,
        p: PartitionId,
        fx: &mut Effects,
        due: impl Fn(&ParkedFetch, Offset, Offset) -> bool,
    ) {
        let disk = self.disk.replica(p);
        let (hw, end) = (disk.high_watermark, disk.log.end_offset());
        let mut answers = Vec::new();
        let Some(process) = self.process.as_mut() else { return };
        let Role::Leader(leader) = &mut process.replicas[usize::from(p.0)].role else { return };
        for f in &mut leader.followers {
            if let Some(parked) = f.parked {
                if due(&parked, end, hw) {
                    f.parked = None;
                    answers.push((f.broker, parked));
                }
            }
        }
        // `replica.fetch.max.bytes` as a record count (runtime only: datagrams are bounded).
        let limit = ctx.cfg.runtime.fetch_max_records.map_or(usize::MAX, |n| n as usize);
        for (broker, parked) in answers {
            let records = disk.log.records_from(parked.fetch_offset).iter().take(limit).cloned().collect();
            fx.send(
                Address::Broker(broker),
                Msg::FetchResponse {
                    partition: p,
                    current_leader_epoch: parked.current_leader_epoch,
                    fetch_offset: parked.fetch_offset,
                    result: FetchResult::Records { records, high_watermark: hw },
                },
            );
        }
    }

    /// `maybeExpandIsr`: a follower outside the ISR that caught up is proposed for it.
    fn maybe_expand_isr(&mut self, ctx: Ctx<'_>, p: PartitionId, follower: BrokerId, fx: &mut Effects) {
        let disk = self.disk.replica(p);
        let hw = disk.high_watermark;
        let (leader, meta) = self.leading(p).expect("checked by caller");
        let end = leader.followers.iter().find(|f| f.broker == follower).and_then(|f| f.end_offset);
        let joins = end.is_some_and(|end| may_join_isr(end, hw, leader.epoch_start, ctx.cfg.isr_expand_epoch_check));
        if leader.pending_isr.is_none() && !meta.isr.contains(follower) && joins {
            let target = meta.isr.with(follower);
            self.propose_isr(ctx, p, target, fx);
        }
    }

    /// `replica.lag.time.max.ms` passed for a follower still in the ISR and behind: shrink.
    pub(super) fn on_lag_timeout(&mut self, ctx: Ctx<'_>, p: PartitionId, follower: BrokerId, fx: &mut Effects) {
        let end = self.disk.replica(p).log.end_offset();
        let Some((leader, meta)) = self.leading(p) else { return };
        let progress = leader.followers.iter().find(|f| f.broker == follower).expect("a replica");
        if leader.pending_isr.is_some() || !meta.isr.contains(follower) || !is_out_of_sync(progress.end_offset, end) {
            return;
        }
        let target = meta.isr.without(follower);
        self.faults.isr_shrinks += 1;
        self.propose_isr(ctx, p, target, fx);
    }

    /// Send AlterPartition with each member's broker epoch as last seen in its fetches (KIP-903).
    fn propose_isr(&mut self, ctx: Ctx<'_>, p: PartitionId, target: BrokerSet, fx: &mut Effects) {
        let broker_epoch = self.broker_epoch().expect("a leader is registered");
        let (leader, meta) = self.leading(p).expect("checked by caller");
        let isr: Vec<IsrMember> = target
            .iter()
            .map(|b| IsrMember {
                broker: b,
                broker_epoch: if !ctx.cfg.broker_epoch_fencing {
                    None
                } else if b == ctx.me {
                    Some(broker_epoch)
                } else {
                    leader.followers.iter().find(|f| f.broker == b).and_then(|f| f.broker_epoch)
                },
            })
            .collect();
        leader.pending_isr = Some(PendingIsr { members: isr, partition_epoch: meta.partition_epoch, answered: false });
        // The resend timer is not restarted: one timer serves every request to the controller,
        // and a request in flight for another partition keeps its deadline (this one may then go
        // again early, which the controller answers as a repeat).
        self.send_alter_partition(ctx, p, fx);
    }

    /// `controller.socket.timeout.ms` passed (`RuntimeSettings::controller_request_timeout`):
    /// every AlterPartition still unanswered is sent again, as first proposed.
    pub(super) fn resend_alter_partitions(&mut self, ctx: Ctx<'_>, fx: &mut Effects) {
        for p in ctx.cfg.partition_ids() {
            if self.awaits_alter_partition(p) {
                self.send_alter_partition(ctx, p, fx);
            }
        }
    }

    /// Sends the pending AlterPartition of `p`, as first proposed.
    fn send_alter_partition(&mut self, ctx: Ctx<'_>, p: PartitionId, fx: &mut Effects) {
        let broker_epoch = self.broker_epoch().expect("a leader is registered");
        let (leader, meta) = self.leading(p).expect("checked by caller");
        let pending = leader.pending_isr.as_ref().expect("checked by caller");
        let request = Msg::AlterPartition {
            partition: p,
            leader: ctx.me,
            broker_epoch,
            leader_epoch: meta.leader_epoch,
            partition_epoch: pending.partition_epoch,
            isr: pending.members.clone(),
        };
        fx.send(Address::Controller, request);
    }

    /// The answer to our AlterPartition. One that answers an earlier request (superseded when
    /// newer metadata cleared it) is ignored, as `Partition.handleAlterPartitionUpdate` ignores a
    /// result that does not match the pending state.
    ///
    /// `Partition.handleAlterPartitionError`: only INELIGIBLE_REPLICA (and OPERATION_NOT_ATTEMPTED,
    /// not modelled) says the request was not applied, so only it resets the ISR to the committed
    /// one. Every other error leaves the change pending, "awaiting the latest metadata": the
    /// request may have been applied all the same (KRaft's controller refuses a request sent
    /// again after a lost answer with INVALID_UPDATE_VERSION once the first one is in; the
    /// ZooKeeper-era controller answered it as a success), and until the newer record
    /// arrives the HW must count the proposed members. STALE_BROKER_EPOCH is a top-level error
    /// that `AlterPartitionManager` retries; it too leaves the change pending.
    pub(super) fn on_alter_partition_response(
        &mut self,
        ctx: Ctx<'_>,
        p: PartitionId,
        request_partition_epoch: PartitionEpoch,
        result: Result<PartitionState, AlterPartitionError>,
        fx: &mut Effects,
    ) {
        let Some((leader, _)) = self.leading(p) else { return };
        if leader.pending_isr.as_ref().is_none_or(|pending| pending.partition_epoch != request_partition_epoch) {
            return;
        }
        match result {
            Ok(meta) => {
                leader.pending_isr = None;
                self.on_partition_change(ctx, meta, fx);
            }
            Err(AlterPartitionError::IneligibleReplica) => {
                leader.pending_isr = None;
                self.update_high_watermark(ctx, p, fx);
            }
            Err(AlterPartitionError::StaleBrokerEpoch) => return,
            Err(_) => {
                if let Some(pending) = &mut leader.pending_isr {
                    pending.answered = true;
                }
                return;
            }
        }
        self.answer_parked_fetches(ctx, p, fx);
    }

    /// The same leader epoch with a newer record: the committed ISR is the record's, and a pending
    /// change is dropped (`makeLeader` sets a `CommittedPartitionState`); its late answer is ignored.
    pub(super) fn adopt_isr(&mut self, ctx: Ctx<'_>, p: PartitionId, fx: &mut Effects) {
        let (leader, _) = self.leading(p).expect("checked by caller");
        leader.pending_isr = None;
        self.update_high_watermark(ctx, p, fx);
        self.answer_parked_fetches(ctx, p, fx);
    }

    /// `maybeIncrementLeaderHW` over the maximal ISR, then complete delayed produces it passed.
    pub(super) fn update_high_watermark(&mut self, ctx: Ctx<'_>, p: PartitionId, fx: &mut Effects) {
        let disk = self.disk.replica(p);
        let (current_hw, leader_end) = (disk.high_watermark, disk.log.end_offset());
        let Some((leader, meta)) = self.leading(p) else { return };
        let maximal_isr = meta.isr.union(leader.pending_isr.as_ref().map_or(BrokerSet::EMPTY, PendingIsr::isr));
        let ends: Vec<Option<Offset>> =
            leader.followers.iter().filter(|f| maximal_isr.contains(f.broker)).map(|f| f.end_offset).collect();
        let hw = leader_high_watermark(LeaderHwInput {
            current_hw,
            leader_end_offset: leader_end,
            maximal_isr_follower_ends: &ends,
            committed_isr_size: meta.isr.len(),
            min_isr: usize::from(ctx.cfg.min_insync_replicas),
            strict_min_isr: ctx.cfg.strict_min_isr,
        });
        // `checkEnoughReplicasReachOffset`: once the HW passes a record, acks=all succeeds only if
        // the maximal ISR still has min.insync.replicas members.
        let enough = maximal_isr.len() >= usize::from(ctx.cfg.min_insync_replicas);
        let result = |offset| if enough { Ok(offset) } else { Err(ProduceError::NotEnoughReplicasAfterAppend) };
        let done: Vec<_> = leader.pending_acks.iter().filter(|a| a.offset < hw).copied().collect();
        leader.pending_acks.retain(|a| a.offset >= hw);
        for ack in done {
            fx.send(
                Address::Producer(ack.producer),
                Msg::ProduceResponse { partition: p, sequence: ack.sequence, result: result(ack.offset) },
            );
        }
        if hw != current_hw {
            self.disk.replica_mut(p).high_watermark = hw;
            fx.save_disk = true;
        }
    }

    /// A produce this broker cannot take as leader.
    pub(super) fn reject_produce(
        p: PartitionId,
        to: Address,
        sequence: crate::ids::Sequence,
        error: ProduceError,
        fx: &mut Effects,
    ) {
        fx.send(to, Msg::ProduceResponse { partition: p, sequence, result: Err(error) });
    }
}
