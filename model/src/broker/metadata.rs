//! Applying a partition record from the controller (KRaft's `ReplicaManager.applyDelta`, the
//! successor of LeaderAndIsr): becoming leader, becoming follower, or adopting a new ISR.

use super::{BrokerState, Ctx, FetchState, FollowerProgress, LeaderState, Role, Session};
use crate::config::TruncationRule;
use crate::effects::{Address, Effects};
use crate::ids::PartitionId;
use crate::metadata::PartitionState;
use crate::msg::{FetchRequest, Msg, ProduceError};
use crate::timer::Timer;

impl BrokerState {
    pub(super) fn on_partition_change(&mut self, ctx: Ctx<'_>, meta: PartitionState, fx: &mut Effects) {
        let process = self.process.as_mut().expect("checked by on_msg");
        // A restarting broker applies no metadata before its registration is accepted.
        if matches!(process.session, Session::Registering { .. }) || !meta.replicas.contains(&ctx.me) {
            return;
        }
        let p = meta.partition;
        let replica = &mut process.replicas[usize::from(p.0)];
        // Brokers ignore records older than the one they have (KIP-497 partition epoch).
        if replica.meta.as_ref().is_some_and(|m| m.partition_epoch >= meta.partition_epoch) {
            return;
        }
        let epoch_changed = replica.meta.as_ref().is_none_or(|m| m.leader_epoch != meta.leader_epoch);
        let was_leader = matches!(replica.role, Role::Leader(_));
        let was_follower = matches!(replica.role, Role::Follower(_));
        let leads = meta.leader == Some(ctx.me);
        replica.meta = Some(meta);
        match (leads, was_leader) {
            (true, true) if !epoch_changed => self.adopt_isr(ctx, p, fx),
            (true, _) => self.become_leader(ctx, p, fx),
            (false, was_leader) => {
                if was_leader {
                    self.resign(p, fx);
                }
                // KAFKA-7164: every leader epoch change restarts the fetcher, which truncates first.
                if epoch_changed || !was_follower {
                    self.become_follower(ctx, p, fx);
                }
            }
        }
    }

    /// `Partition.makeLeader`: the followers' positions are unknown until they fetch in this epoch.
    /// From Kafka 2.1 (KAFKA-7415, shipped with KIP-320) the new epoch enters the epoch cache at
    /// once; before, only with the leader's first append.
    fn become_leader(&mut self, ctx: Ctx<'_>, p: PartitionId, fx: &mut Effects) {
        let disk = self.disk.replica_mut(p);
        let process = self.process.as_mut().expect("checked by on_msg");
        let replica = &mut process.replicas[usize::from(p.0)];
        let meta = replica.meta.as_ref().expect("just applied");
        let end = disk.log.end_offset();
        if ctx.cfg.truncation.has_kafka_7415() {
            disk.log.assign_epoch(meta.leader_epoch, end);
            fx.save_disk = true;
        }
        let pending_acks = match std::mem::replace(&mut replica.role, Role::None) {
            Role::Leader(old) => old.pending_acks,
            _ => Vec::new(),
        };
        let followers = meta
            .replicas
            .iter()
            .filter(|b| **b != ctx.me)
            .map(|b| FollowerProgress { broker: *b, end_offset: None, broker_epoch: None, parked: None })
            .collect();
        replica.role = Role::Leader(LeaderState { followers, pending_isr: None, pending_acks, epoch_start: end });
        self.update_high_watermark(ctx, p, fx);
    }

    /// Stop leading: delayed produces fail with NOT_LEADER_OR_FOLLOWER (the producer is told), and
    /// fetches held in purgatory are dropped (their followers re-fetch from the new leader).
    fn resign(&mut self, p: PartitionId, fx: &mut Effects) {
        let process = self.process.as_mut().expect("checked by on_msg");
        let replica = &mut process.replicas[usize::from(p.0)];
        if let Role::Leader(leader) = std::mem::replace(&mut replica.role, Role::None) {
            for ack in leader.pending_acks {
                fx.send(
                    Address::Producer(ack.producer),
                    Msg::ProduceResponse {
                        partition: p,
                        sequence: ack.sequence,
                        result: Err(ProduceError::NotLeaderOrFollower),
                    },
                );
            }
        }
    }

    /// `Partition.makeFollower`. Before KIP-101 the follower first truncates to its own HW.
    fn become_follower(&mut self, ctx: Ctx<'_>, p: PartitionId, fx: &mut Effects) {
        if ctx.cfg.truncation == TruncationRule::HighWatermark {
            let hw = self.disk.replica(p).high_watermark;
            self.truncate(p, hw, fx);
        }
        self.set_fetch_state(p, FetchState::Idle);
        self.start_fetching(ctx, p, fx);
    }

    /// Begin replicating from the leader of the current record: truncation first where the rule
    /// asks for OffsetsForLeaderEpoch, else straight to Fetch.
    pub(super) fn start_fetching(&mut self, ctx: Ctx<'_>, p: PartitionId, fx: &mut Effects) {
        let meta = self.replica(p).and_then(|r| r.meta.clone()).expect("a follower has metadata");
        let Some(leader) = meta.leader.filter(|l| *l != ctx.me) else {
            self.set_fetch_state(p, FetchState::Idle);
            return;
        };
        match self.disk.replica(p).log.latest_epoch() {
            Some(epoch) if ctx.cfg.truncation.truncates_by_epoch_request() => {
                fx.send(
                    Address::Broker(leader),
                    Msg::OffsetsForLeaderEpoch {
                        partition: p,
                        replica: ctx.me,
                        current_leader_epoch: meta.leader_epoch,
                        epoch,
                    },
                );
                self.set_fetch_state(p, FetchState::AwaitingEpochEnd { epoch });
                request_sent(ctx, p, fx);
            }
            _ => self.send_fetch(ctx, p, fx),
        }
    }

    /// Fetch from the log end, naming the last fetched epoch under KIP-320.
    pub(super) fn send_fetch(&mut self, ctx: Ctx<'_>, p: PartitionId, fx: &mut Effects) {
        let meta = self.replica(p).and_then(|r| r.meta.clone()).expect("a follower has metadata");
        let (Some(leader), Some(broker_epoch)) = (meta.leader, self.broker_epoch()) else {
            self.set_fetch_state(p, FetchState::Idle);
            return;
        };
        let disk = self.disk.replica(p);
        let fetch_offset = disk.log.end_offset();
        let last_fetched_epoch = ctx.cfg.truncation.truncates_at_fetch().then(|| disk.log.latest_epoch()).flatten();
        fx.send(
            Address::Broker(leader),
            Msg::Fetch(FetchRequest {
                partition: p,
                replica: ctx.me,
                broker_epoch,
                current_leader_epoch: meta.leader_epoch,
                fetch_offset,
                last_fetched_epoch,
                known_high_watermark: disk.high_watermark,
            }),
        );
        self.set_fetch_state(p, FetchState::Fetching { fetch_offset });
        request_sent(ctx, p, fx);
    }

    pub(super) fn set_fetch_state(&mut self, p: PartitionId, state: FetchState) {
        let process = self.process.as_mut().expect("checked by on_msg");
        process.replicas[usize::from(p.0)].role = Role::Follower(state);
    }

    /// Truncate a replica's log, remembering that the protocol truncated (a reachability witness).
    pub(super) fn truncate(&mut self, p: PartitionId, end: crate::ids::Offset, fx: &mut Effects) {
        if self.disk.replica_mut(p).truncate_to(end) {
            self.faults.truncated = true;
        }
        fx.save_disk = true;
    }
}

/// A request to the leader went out: its `replica.socket.timeout.ms` runs from now (runtime
/// only), not from the first of the requests the follower has sent one after the other.
fn request_sent(ctx: Ctx<'_>, p: PartitionId, fx: &mut Effects) {
    if ctx.cfg.runtime.fetch_timeout {
        fx.restart_timer(Timer::FetchTimeout(p));
    }
}
