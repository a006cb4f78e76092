//! A broker: hosts one replica of each partition assigned to it, as leader, follower or neither.
//! Its state is what survives a crash (`disk`), what a crash loses (`process`), and the count of
//! faults it suffered (for the fault budget and the reachability checks). Handlers are split by
//! concern: `lifecycle` (start, stops, registration), `metadata` (becoming leader or follower),
//! `leader` (fetch serving, HW, ISR changes), `follower` (fetching and truncation), `produce`,
//! `consumer` (consumers' fetches).

mod consumer;
mod disk;
mod follower;
mod leader;
mod lifecycle;
mod metadata;
mod produce;
use produce::ProduceRequest;
#[cfg(test)]
mod tests;

pub use disk::{Disk, DiskContents, ReplicaDisk};

use crate::broker_set::BrokerSet;
use crate::config::Config;
use crate::effects::Effects;
use crate::ids::{
    BrokerEpoch, BrokerId, ControllerEpoch, Incarnation, LeaderEpoch, Offset, PartitionEpoch, PartitionId, ProducerId,
    Sequence,
};
use crate::metadata::PartitionState;
use crate::msg::{IsrMember, Msg};
use crate::timer::Timer;
use serde::{Deserialize, Serialize};
use std::hash::{Hash, Hasher};

/// Where the broker stands with the controller.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Session {
    /// Started, BrokerRegistration sent: metadata is not applied until it is accepted. What the
    /// request carried, for sending it again (`RuntimeSettings::controller_request_timeout`).
    Registering { previous_epoch: Option<BrokerEpoch>, incarnation: Incarnation },
    /// Registered with this broker epoch (fenced or not: the controller decides).
    Registered(BrokerEpoch),
    /// Controlled shutdown asked; waiting for the controller to move leadership away.
    ShuttingDown(BrokerEpoch),
}

/// A follower the leader tracks (Kafka's `Replica` state at the leader).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FollowerProgress {
    pub broker: BrokerId,
    /// The follower's log end offset, learnt from its fetch offset; unknown in a new epoch.
    pub end_offset: Option<Offset>,
    /// The broker epoch the follower fetched with (KIP-903).
    pub broker_epoch: Option<BrokerEpoch>,
    /// A fetch held in purgatory until there is something new to answer.
    pub parked: Option<ParkedFetch>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ParkedFetch {
    pub current_leader_epoch: LeaderEpoch,
    pub fetch_offset: Offset,
    pub known_high_watermark: Offset,
}

/// An ISR change asked of the controller: the ISR proposed, each member with the broker epoch the
/// leader saw (KIP-903), as the request carried it (`AlterPartitionItem`: a request sent again is
/// the same request), and the partition epoch it was proposed against (a response to another
/// request is stale and ignored).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PendingIsr {
    pub members: Vec<IsrMember>,
    pub partition_epoch: PartitionEpoch,
    /// The controller refused it with an error that leaves it pending until newer metadata
    /// settles it (`Partition.handleAlterPartitionError`): it is not sent again.
    pub answered: bool,
}

impl PendingIsr {
    /// The ISR proposed.
    pub fn isr(&self) -> BrokerSet {
        BrokerSet::of(self.members.iter().map(|m| m.broker))
    }
}

/// An acks=all produce waiting for the HW to pass its offset (Kafka's delayed produce).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PendingAck {
    pub producer: ProducerId,
    pub sequence: Sequence,
    pub offset: Offset,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct LeaderState {
    pub followers: Vec<FollowerProgress>,
    /// The AlterPartition in flight (Kafka's `PendingExpandIsr`/`PendingShrinkIsr`).
    pub pending_isr: Option<PendingIsr>,
    pub pending_acks: Vec<PendingAck>,
    /// The log end offset when this leader epoch began (KAFKA-7128 check).
    pub epoch_start: Offset,
}

/// Where a follower is in its fetch loop.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum FetchState {
    /// No leader to fetch from, or fenced: waiting for newer metadata.
    Idle,
    /// OffsetsForLeaderEpoch in flight for this epoch (KIP-101/KIP-279 truncation).
    AwaitingEpochEnd { epoch: LeaderEpoch },
    /// A Fetch at this offset is in flight.
    Fetching { fetch_offset: Offset },
    /// `replica.fetch.backoff.ms` before trying again (truncation or fetch).
    Backoff { truncating: bool },
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Role {
    None,
    Leader(LeaderState),
    Follower(FetchState),
}

/// One partition's replica on this broker, in memory.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Replica {
    /// The latest partition record applied.
    pub meta: Option<PartitionState>,
    pub role: Role,
}

/// What a running broker process holds in memory.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Process {
    pub session: Session,
    /// Indexed by partition id (replicas of partitions not assigned here stay `Role::None`).
    pub replicas: Vec<Replica>,
    /// The highest controller epoch this process has seen a request from (`ReplicaManager`'s
    /// `controllerEpoch`); 0 until a controller with candidates speaks (`Config::controllers`).
    #[serde(default, skip_serializing_if = "is_no_epoch")]
    pub controller_epoch: ControllerEpoch,
}

fn is_no_epoch(epoch: &ControllerEpoch) -> bool {
    *epoch == ControllerEpoch::default()
}

/// Field by field, except that controller epoch 0 (a single controller's cluster) hashes as
/// nothing: such configurations keep the fingerprints, search order and counterexamples they had
/// before controller failover was modelled.
impl Hash for Process {
    fn hash<H: Hasher>(&self, state: &mut H) {
        let Process { session, replicas, controller_epoch } = self;
        session.hash(state);
        replicas.hash(state);
        if !is_no_epoch(controller_epoch) {
            controller_epoch.hash(state);
        }
    }
}

/// Faults this broker suffered, and whether the protocol ever truncated one of its logs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FaultsSuffered {
    pub crashes: u8,
    pub power_losses: u8,
    pub shutdowns: u8,
    pub isr_shrinks: u8,
    /// Recovery, counted only because a budget may say a stopped broker stays down.
    pub restarts: u8,
    pub truncated: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrokerState {
    pub disk: Disk,
    /// `None` while the broker is down.
    pub process: Option<Process>,
    pub faults: FaultsSuffered,
    /// Producers this broker cannot reach any more (`Timer::CutLink`), in id order: a property of
    /// the network, so it outlives the process. `actor.rs` drops what crosses a cut link.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links_cut: Vec<ProducerId>,
}

/// Field by field, except that no cut link hashes as nothing at all: a configuration without link
/// cuts keeps the fingerprints it had before they were modelled, and with them the order of the
/// search and the counterexamples it picks. Equal states still hash equally.
impl Hash for BrokerState {
    fn hash<H: Hasher>(&self, state: &mut H) {
        let BrokerState { disk, process, faults, links_cut } = self;
        disk.hash(state);
        process.hash(state);
        faults.hash(state);
        if !links_cut.is_empty() {
            links_cut.hash(state);
        }
    }
}

/// Who is handling an event.
#[derive(Clone, Copy, Debug)]
pub struct Ctx<'a> {
    pub cfg: &'a Config,
    pub me: BrokerId,
}

impl BrokerState {
    pub fn is_up(&self) -> bool {
        self.process.is_some()
    }

    /// The broker's current broker epoch, if registered.
    pub fn broker_epoch(&self) -> Option<BrokerEpoch> {
        match self.process.as_ref()?.session {
            Session::Registering { .. } => None,
            Session::Registered(e) | Session::ShuttingDown(e) => Some(e),
        }
    }

    pub fn replica(&self, p: PartitionId) -> Option<&Replica> {
        self.process.as_ref().map(|proc| &proc.replicas[usize::from(p.0)])
    }

    /// Whether this broker leads `p` with an AlterPartition the controller has not answered.
    fn awaits_alter_partition(&self, p: PartitionId) -> bool {
        let role = self.replica(p).map(|r| &r.role);
        matches!(role, Some(Role::Leader(l)) if l.pending_isr.as_ref().is_some_and(|pending| !pending.answered))
    }

    /// The leader epoch this broker leads `p` in, if it believes it is the leader.
    pub fn leading_epoch(&self, p: PartitionId) -> Option<LeaderEpoch> {
        let replica = self.replica(p)?;
        match (&replica.role, &replica.meta) {
            (Role::Leader(_), Some(meta)) => Some(meta.leader_epoch),
            _ => None,
        }
    }

    pub fn on_msg(&mut self, ctx: Ctx<'_>, msg: Msg, fx: &mut Effects) {
        if self.process.is_none() {
            return;
        }
        match msg {
            Msg::RegistrationAccepted { broker_epoch, partitions, incarnation } => {
                self.on_registration_accepted(ctx, broker_epoch, partitions, incarnation, fx)
            }
            Msg::SessionExpired { broker_epoch } => self.on_session_expired(ctx, broker_epoch, fx),
            Msg::ShutdownAccepted { broker_epoch } => self.on_shutdown_accepted(broker_epoch, fx),
            Msg::PartitionChange(meta) => self.on_partition_change(ctx, meta, fx),
            Msg::FromController { epoch, msg } => self.on_controller_request(ctx, epoch, *msg, fx),
            Msg::AlterPartitionResponse { partition, request_partition_epoch, result } => {
                self.on_alter_partition_response(ctx, partition, request_partition_epoch, result, fx)
            }
            Msg::Fetch(request) => self.on_fetch(ctx, request, fx),
            Msg::FetchResponse { partition, current_leader_epoch, fetch_offset, result } => {
                self.on_fetch_response(ctx, partition, current_leader_epoch, fetch_offset, result, fx)
            }
            Msg::OffsetsForLeaderEpoch { partition, replica, current_leader_epoch, epoch } => {
                self.on_offsets_for_leader_epoch(ctx, partition, replica, current_leader_epoch, epoch, fx)
            }
            Msg::OffsetsForLeaderEpochResponse { partition, current_leader_epoch, result } => {
                self.on_epoch_end_response(ctx, partition, current_leader_epoch, result, fx)
            }
            Msg::Produce { partition, producer, sequence, acks, idempotent, value } => {
                let request = ProduceRequest { partition, producer, sequence, acks, idempotent, value };
                self.on_produce(ctx, request, fx)
            }
            _ => {}
        }
    }

    /// A request stamped with its controller's epoch (`Config::controllers` > 1). With epoch
    /// fencing (`controller_epoch_fencing`) one from an older epoch than the broker has seen is
    /// refused (`STALE_CONTROLLER_EPOCH`, `ReplicaManager.becomeLeaderOrFollower`); otherwise the
    /// broker remembers the newest epoch and handles the request.
    fn on_controller_request(&mut self, ctx: Ctx<'_>, epoch: ControllerEpoch, msg: Msg, fx: &mut Effects) {
        let process = self.process.as_mut().expect("checked by on_msg");
        if ctx.cfg.controller_epoch_fencing && epoch < process.controller_epoch {
            return;
        }
        process.controller_epoch = process.controller_epoch.max(epoch);
        self.on_msg(ctx, msg, fx);
    }

    pub fn on_timer(&mut self, ctx: Ctx<'_>, timer: Timer, fx: &mut Effects) {
        match timer {
            Timer::Crash => self.crash(ctx, fx),
            Timer::PowerLoss => self.power_loss(ctx, fx),
            Timer::Shutdown => self.begin_controlled_shutdown(ctx, fx),
            Timer::Restart => self.restart(ctx, fx),
            Timer::LagTimeout(p, follower) => self.on_lag_timeout(ctx, p, follower, fx),
            Timer::FetchBackoff(p) => self.on_fetch_backoff(ctx, p, fx),
            Timer::Heartbeat => self.heartbeat(ctx, fx),
            Timer::CutLink(producer) => self.cut_link(producer),
            Timer::FetchMaxWait(p) => self.on_fetch_wait_expired(ctx, p, fx),
            Timer::FetchTimeout(p) => self.on_fetch_timeout(p),
            // `controller.socket.timeout.ms`: a registration or AlterPartitions went unanswered.
            Timer::ControllerRequestTimeout => {
                self.register(ctx, fx);
                self.resend_alter_partitions(ctx, fx);
            }
            Timer::MetadataFetch => self.fetch_metadata(ctx, fx),
            _ => {}
        }
    }

    /// A partial partition: from now on nothing passes between this broker and `producer`.
    fn cut_link(&mut self, producer: ProducerId) {
        if let Err(at) = self.links_cut.binary_search(&producer) {
            self.links_cut.insert(at, producer);
        }
    }

    /// Whether the link to `producer` is cut.
    pub fn cut_off_from(&self, producer: ProducerId) -> bool {
        self.links_cut.binary_search(&producer).is_ok()
    }

    /// The timers this broker should have armed: faults while the budget allows (the global sum is
    /// enforced by the model's boundary), recovery always.
    pub fn wanted_timers(&self, ctx: Ctx<'_>) -> Vec<Timer> {
        let budget = &ctx.cfg.budget;
        let Some(process) = &self.process else {
            let may_restart = budget.restarts.is_none_or(|cap| self.faults.restarts < cap);
            return if may_restart { vec![Timer::Restart] } else { Vec::new() };
        };
        let mut timers = Vec::new();
        if !matches!(process.session, Session::ShuttingDown(_)) {
            if self.faults.crashes < budget.crashes {
                timers.push(Timer::Crash);
            }
            if self.faults.power_losses < budget.power_losses {
                timers.push(Timer::PowerLoss);
            }
            if self.faults.shutdowns < budget.shutdowns && matches!(process.session, Session::Registered(_)) {
                timers.push(Timer::Shutdown);
            }
        }
        // A link cut is only offered to a leader: cutting a broker that serves no producer
        // changes nothing until it leads, and the budget is better spent where it bites.
        let leads = process.replicas.iter().any(|r| matches!(r.role, Role::Leader(_)));
        if leads && self.links_cut.len() < usize::from(budget.link_cuts) {
            timers.extend(ctx.cfg.producer_ids().filter(|p| !self.cut_off_from(*p)).map(Timer::CutLink));
        }
        let registering = matches!(process.session, Session::Registering { .. });
        if ctx.cfg.runtime.heartbeats && !registering {
            timers.push(Timer::Heartbeat);
        }
        if ctx.cfg.runtime.metadata_fetch && !registering {
            timers.push(Timer::MetadataFetch);
        }
        // Runtime only: the flag first, so that the checker never scans the partitions here.
        if ctx.cfg.runtime.controller_request_timeout
            && (registering || ctx.cfg.partition_ids().any(|p| self.awaits_alter_partition(p)))
        {
            timers.push(Timer::ControllerRequestTimeout);
        }
        for (replica, p) in process.replicas.iter().zip(ctx.cfg.partition_ids()) {
            match &replica.role {
                // `Partition.maybeShrinkIsr` (`replica.lag.time.max.ms`): an ISR follower behind the
                // leader's log end may be dropped, one AlterPartition in flight at a time
                // (`AlterPartitionManager`, KIP-497); the shrinks are faults from the budget.
                Role::Leader(leader)
                    if self.faults.isr_shrinks < budget.isr_shrinks && leader.pending_isr.is_none() =>
                {
                    let meta = replica.meta.as_ref().expect("a leader has applied metadata");
                    let end = self.disk.replica(p).log.end_offset();
                    for f in &leader.followers {
                        if meta.isr.contains(f.broker) && crate::rules::isr::is_out_of_sync(f.end_offset, end) {
                            timers.push(Timer::LagTimeout(p, f.broker));
                        }
                    }
                }
                Role::Follower(FetchState::Backoff { .. }) => timers.push(Timer::FetchBackoff(p)),
                Role::Follower(FetchState::Fetching { .. } | FetchState::AwaitingEpochEnd { .. })
                    if ctx.cfg.runtime.fetch_timeout =>
                {
                    timers.push(Timer::FetchTimeout(p))
                }
                _ => {}
            }
            if let Role::Leader(leader) = &replica.role {
                if ctx.cfg.runtime.fetch_max_wait && leader.followers.iter().any(|f| f.parked.is_some()) {
                    timers.push(Timer::FetchMaxWait(p));
                }
            }
        }
        timers
    }

    /// Every timer a broker can ever arm.
    pub fn all_timers(ctx: Ctx<'_>) -> Vec<Timer> {
        let mut timers = vec![Timer::Crash, Timer::PowerLoss, Timer::Shutdown, Timer::Restart, Timer::Heartbeat];
        if ctx.cfg.runtime.metadata_fetch {
            timers.push(Timer::MetadataFetch);
        }
        if ctx.cfg.runtime.controller_request_timeout {
            timers.push(Timer::ControllerRequestTimeout);
        }
        timers.extend(ctx.cfg.producer_ids().map(Timer::CutLink));
        for p in ctx.cfg.partition_ids() {
            timers.push(Timer::FetchBackoff(p));
            if ctx.cfg.runtime.fetch_max_wait {
                timers.push(Timer::FetchMaxWait(p));
            }
            if ctx.cfg.runtime.fetch_timeout {
                timers.push(Timer::FetchTimeout(p));
            }
            for b in ctx.cfg.replicas(p) {
                if b != ctx.me {
                    timers.push(Timer::LagTimeout(p, b));
                }
            }
        }
        timers
    }
}
