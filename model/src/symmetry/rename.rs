//! Applying a `Permutation` to every piece of the model that names a broker, a producer or an
//! actor: ids, records (which name their producer), messages, timers, the five actor states, the
//! broker's disk, and the whole `SystemState` (whose per-actor vectors are reindexed and whose
//! network is rebuilt with renamed endpoints).
//!
//! Structs are destructured without `..` and enums matched without wildcards, so that a new field
//! or variant does not compile until this file says how it is renamed. Collections the model keeps
//! in broker-id order are rebuilt in that order: `BrokerSet` (a bit set), the controller's
//! registrations (indexed by broker id) and the ISR list of an AlterPartition (built from a
//! `BrokerSet`). Everything else keeps its order: assignment order (`replicas`, a leader's
//! `followers`) is fixed by every group element, and arrival order (`pending_acks`, logs, network
//! flows) is not an order on ids.

use super::Permutation;
use crate::actor::KelpState;
use crate::broker::{
    BrokerState, Disk, DiskContents, FaultsSuffered, FetchState, FollowerProgress, LeaderState, ParkedFetch,
    PendingAck, PendingIsr, Process, Replica, ReplicaDisk, Role, Session,
};
use crate::broker_set::BrokerSet;
use crate::controller::{CommittedChanges, ControllerState, Registration};
use crate::coordinator::CoordinatorState;
use crate::effects::Address;
use crate::ids::{BrokerId, ProducerId};
use crate::log::{EpochEnd, EpochEntry, Record, ReplicaLog};
use crate::metadata::PartitionState;
use crate::msg::{
    AlterPartitionError, ClientRequest, ClientResponse, FetchError, FetchRequest, FetchResult, IsrMember, Msg,
    ProduceError,
};
use crate::operator::OperatorState;
use crate::producer::{InFlight, LeaderInfo, Outcome, ProducerState};
use crate::saved::Saved;
use crate::system::SystemState;
use crate::timer::Timer;
use stateright::actor::{Envelope, Id, Network, Timers};
use std::collections::BTreeMap;
use std::sync::Arc;

/// A value with broker, producer or actor ids in it, renamed by a permutation.
pub trait Rename {
    /// This value with every broker id `b` replaced by π(b), every producer id `p` by σ(p), every
    /// actor id by its image, and per-actor collections reindexed accordingly.
    fn rename(&self, p: &Permutation) -> Self;
}

// ---- Ids and generic containers.

impl Rename for BrokerId {
    fn rename(&self, p: &Permutation) -> Self {
        p.broker(*self)
    }
}

impl Rename for ProducerId {
    fn rename(&self, p: &Permutation) -> Self {
        p.producer(*self)
    }
}

impl Rename for Id {
    fn rename(&self, p: &Permutation) -> Self {
        p.actor(*self)
    }
}

impl Rename for Address {
    fn rename(&self, p: &Permutation) -> Self {
        match self {
            Address::Controller => Address::Controller,
            Address::Broker(b) => Address::Broker(b.rename(p)),
            Address::Producer(q) => Address::Producer(q.rename(p)),
            Address::Operator => Address::Operator,
            Address::OtherController(c) => Address::OtherController(*c),
            Address::Coordinator => Address::Coordinator,
        }
    }
}

impl Rename for BrokerSet {
    fn rename(&self, p: &Permutation) -> Self {
        BrokerSet::of(self.iter().map(|b| b.rename(p)))
    }
}

impl<T: Rename> Rename for Option<T> {
    fn rename(&self, p: &Permutation) -> Self {
        self.as_ref().map(|x| x.rename(p))
    }
}

/// Element by element, order kept (see the module docs for the collections re-sorted instead).
impl<T: Rename> Rename for Vec<T> {
    fn rename(&self, p: &Permutation) -> Self {
        self.iter().map(|x| x.rename(p)).collect()
    }
}

impl<T: Rename, E: Rename> Rename for Result<T, E> {
    fn rename(&self, p: &Permutation) -> Self {
        match self {
            Ok(x) => Ok(x.rename(p)),
            Err(e) => Err(e.rename(p)),
        }
    }
}

// ---- Logs.

impl Rename for Record {
    fn rename(&self, p: &Permutation) -> Self {
        Record { producer: self.producer.rename(p), ..self.clone() }
    }
}

impl Rename for EpochEntry {
    fn rename(&self, _: &Permutation) -> Self {
        let EpochEntry { epoch, start_offset } = *self;
        EpochEntry { epoch, start_offset }
    }
}

impl Rename for EpochEnd {
    fn rename(&self, _: &Permutation) -> Self {
        let EpochEnd { epoch, end_offset } = *self;
        EpochEnd { epoch, end_offset }
    }
}

impl Rename for ReplicaLog {
    fn rename(&self, p: &Permutation) -> Self {
        let ReplicaLog { records, epochs } = self;
        ReplicaLog { records: records.rename(p), epochs: epochs.rename(p) }
    }
}

// ---- Metadata and messages.

impl Rename for PartitionState {
    fn rename(&self, p: &Permutation) -> Self {
        let PartitionState { partition, replicas, leader, leader_epoch, partition_epoch, isr, elr, last_known_elr } =
            self;
        PartitionState {
            partition: *partition,
            // The assignment is an ordered list: renamed element by element (group elements fix it).
            replicas: replicas.rename(p),
            leader: leader.rename(p),
            leader_epoch: *leader_epoch,
            partition_epoch: *partition_epoch,
            isr: isr.rename(p),
            elr: elr.rename(p),
            last_known_elr: last_known_elr.rename(p),
        }
    }
}

impl Rename for IsrMember {
    fn rename(&self, p: &Permutation) -> Self {
        let IsrMember { broker, broker_epoch } = *self;
        IsrMember { broker: broker.rename(p), broker_epoch }
    }
}

impl Rename for AlterPartitionError {
    fn rename(&self, _: &Permutation) -> Self {
        match self {
            AlterPartitionError::StaleBrokerEpoch
            | AlterPartitionError::FencedLeaderEpoch
            | AlterPartitionError::NotLeader
            | AlterPartitionError::InvalidRequest
            | AlterPartitionError::InvalidUpdateVersion
            | AlterPartitionError::IneligibleReplica => *self,
        }
    }
}

impl Rename for FetchError {
    fn rename(&self, _: &Permutation) -> Self {
        match self {
            FetchError::NotLeaderOrFollower
            | FetchError::FencedLeaderEpoch
            | FetchError::UnknownLeaderEpoch
            | FetchError::UnknownTopicOrPartition
            | FetchError::OffsetOutOfRange => *self,
        }
    }
}

impl Rename for ProduceError {
    fn rename(&self, _: &Permutation) -> Self {
        match self {
            ProduceError::NotLeaderOrFollower
            | ProduceError::NotEnoughReplicas
            | ProduceError::NotEnoughReplicasAfterAppend
            | ProduceError::TimedOut => *self,
        }
    }
}

impl Rename for FetchResult {
    fn rename(&self, p: &Permutation) -> Self {
        match self {
            FetchResult::Records { records, high_watermark } => {
                FetchResult::Records { records: records.rename(p), high_watermark: *high_watermark }
            }
            FetchResult::Diverging { end } => FetchResult::Diverging { end: end.rename(p) },
            FetchResult::OffsetOutOfRange { leader_end_offset } => {
                FetchResult::OffsetOutOfRange { leader_end_offset: *leader_end_offset }
            }
            FetchResult::Error(e) => FetchResult::Error(e.rename(p)),
        }
    }
}

impl Rename for FetchRequest {
    fn rename(&self, p: &Permutation) -> Self {
        let FetchRequest {
            partition,
            replica,
            broker_epoch,
            current_leader_epoch,
            fetch_offset,
            last_fetched_epoch,
            known_high_watermark,
        } = *self;
        FetchRequest {
            partition,
            replica: replica.rename(p),
            broker_epoch,
            current_leader_epoch,
            fetch_offset,
            last_fetched_epoch,
            known_high_watermark,
        }
    }
}

impl Rename for Msg {
    fn rename(&self, p: &Permutation) -> Self {
        match self {
            Msg::RegisterBroker { broker, previous_epoch, incarnation } => Msg::RegisterBroker {
                broker: broker.rename(p),
                previous_epoch: *previous_epoch,
                incarnation: *incarnation,
            },
            Msg::BrokerHeartbeat { broker, broker_epoch } => {
                Msg::BrokerHeartbeat { broker: broker.rename(p), broker_epoch: *broker_epoch }
            }
            Msg::FetchMetadata { broker } => Msg::FetchMetadata { broker: broker.rename(p) },
            Msg::HeartbeatsStopped { broker, broker_epoch } => {
                Msg::HeartbeatsStopped { broker: broker.rename(p), broker_epoch: *broker_epoch }
            }
            Msg::ControlledShutdown { broker, broker_epoch } => {
                Msg::ControlledShutdown { broker: broker.rename(p), broker_epoch: *broker_epoch }
            }
            Msg::AlterPartition { partition, leader, broker_epoch, leader_epoch, partition_epoch, isr } => {
                // The leader lists the ISR in broker-id order (it iterates a `BrokerSet`).
                let mut isr = isr.rename(p);
                isr.sort_by_key(|m| m.broker);
                Msg::AlterPartition {
                    partition: *partition,
                    leader: leader.rename(p),
                    broker_epoch: *broker_epoch,
                    leader_epoch: *leader_epoch,
                    partition_epoch: *partition_epoch,
                    isr,
                }
            }
            Msg::RegistrationAccepted { broker_epoch, partitions, incarnation } => Msg::RegistrationAccepted {
                broker_epoch: *broker_epoch,
                partitions: partitions.rename(p),
                incarnation: *incarnation,
            },
            Msg::SessionExpired { broker_epoch } => Msg::SessionExpired { broker_epoch: *broker_epoch },
            Msg::ShutdownAccepted { broker_epoch } => Msg::ShutdownAccepted { broker_epoch: *broker_epoch },
            Msg::AlterPartitionResponse { partition, request_partition_epoch, result } => Msg::AlterPartitionResponse {
                partition: *partition,
                request_partition_epoch: *request_partition_epoch,
                result: result.rename(p),
            },
            Msg::PartitionChange(meta) => Msg::PartitionChange(meta.rename(p)),
            Msg::Fetch(request) => Msg::Fetch(request.rename(p)),
            Msg::FetchResponse { partition, current_leader_epoch, fetch_offset, result } => Msg::FetchResponse {
                partition: *partition,
                current_leader_epoch: *current_leader_epoch,
                fetch_offset: *fetch_offset,
                result: result.rename(p),
            },
            Msg::OffsetsForLeaderEpoch { partition, replica, current_leader_epoch, epoch } => {
                Msg::OffsetsForLeaderEpoch {
                    partition: *partition,
                    replica: replica.rename(p),
                    current_leader_epoch: *current_leader_epoch,
                    epoch: *epoch,
                }
            }
            Msg::OffsetsForLeaderEpochResponse { partition, current_leader_epoch, result } => {
                Msg::OffsetsForLeaderEpochResponse {
                    partition: *partition,
                    current_leader_epoch: *current_leader_epoch,
                    result: result.rename(p),
                }
            }
            Msg::Produce { partition, producer, sequence, acks, idempotent, value } => Msg::Produce {
                partition: *partition,
                producer: producer.rename(p),
                sequence: *sequence,
                acks: *acks,
                idempotent: *idempotent,
                value: value.clone(),
            },
            Msg::ProduceResponse { partition, sequence, result } => {
                Msg::ProduceResponse { partition: *partition, sequence: *sequence, result: result.rename(p) }
            }
            Msg::ProduceStalled { broker } => Msg::ProduceStalled { broker: broker.rename(p) },
            Msg::Request(request) => Msg::Request(request.rename(p)),
            Msg::Response(response) => Msg::Response(response.rename(p)),
            Msg::FromController { epoch, msg } => Msg::FromController { epoch: *epoch, msg: Box::new(msg.rename(p)) },
            Msg::CoordinatorWrite { epoch, changes, then, cause } => Msg::CoordinatorWrite {
                epoch: *epoch,
                changes: Box::new(changes.rename(p)),
                then: rename_held_sends(then, p),
                cause: cause.as_ref().map(|c| Box::new(c.rename(p))),
            },
            Msg::WriteAccepted { then } => Msg::WriteAccepted { then: rename_held_sends(then, p) },
            Msg::WriteApplied { applied, then } => {
                Msg::WriteApplied { applied: *applied, then: rename_held_sends(then, p) }
            }
            Msg::WriteRejected => Msg::WriteRejected,
            Msg::ResignController => Msg::ResignController,
            Msg::WriteOutOfOrder { epoch, follows, applied } => {
                Msg::WriteOutOfOrder { epoch: *epoch, follows: *follows, applied: *applied }
            }
            Msg::ControllerGone => Msg::ControllerGone,
            Msg::ClaimController => Msg::ClaimController,
            Msg::ControllerElected { epoch, image } => {
                Msg::ControllerElected { epoch: *epoch, image: Box::new(image.rename(p)) }
            }
            Msg::ControllerSessionExpired => Msg::ControllerSessionExpired,
            Msg::SessionHeartbeat => Msg::SessionHeartbeat,
            Msg::NotController(request) => Msg::NotController(Box::new(request.rename(p))),
        }
    }
}

impl Rename for ClientRequest {
    fn rename(&self, p: &Permutation) -> Self {
        match self {
            ClientRequest::AlterPartitionReassignments { partition, replicas } => {
                ClientRequest::AlterPartitionReassignments { partition: *partition, replicas: replicas.rename(p) }
            }
            // The other requests name no broker or producer.
            other => other.clone(),
        }
    }
}

impl Rename for ClientResponse {
    fn rename(&self, p: &Permutation) -> Self {
        match self {
            ClientResponse::Partitions(records) => ClientResponse::Partitions(records.rename(p)),
            ClientResponse::LeadersElected(results) => ClientResponse::LeadersElected(results.clone()),
            ClientResponse::ConsumerRecords { partition, fetch_offset, result } => ClientResponse::ConsumerRecords {
                partition: *partition,
                fetch_offset: *fetch_offset,
                result: result.as_ref().map(|(records, hw)| (records.rename(p), *hw)).map_err(|e| *e),
            },
            ClientResponse::PartitionReassigned { .. } => self.clone(),
        }
    }
}

/// `Result<Offset, _>` and `Result<Option<EpochEnd>, _>` in responses: offsets hold no ids.
impl Rename for crate::ids::Offset {
    fn rename(&self, _: &Permutation) -> Self {
        *self
    }
}

impl Rename for Timer {
    fn rename(&self, p: &Permutation) -> Self {
        match *self {
            Timer::Crash => Timer::Crash,
            Timer::PowerLoss => Timer::PowerLoss,
            Timer::Shutdown => Timer::Shutdown,
            Timer::Restart => Timer::Restart,
            Timer::LagTimeout(partition, follower) => Timer::LagTimeout(partition, follower.rename(p)),
            Timer::FetchBackoff(partition) => Timer::FetchBackoff(partition),
            Timer::SessionTimeout(broker) => Timer::SessionTimeout(broker.rename(p)),
            Timer::PreferredElection(partition) => Timer::PreferredElection(partition),
            Timer::RequestTimeout => Timer::RequestTimeout,
            Timer::Heartbeat => Timer::Heartbeat,
            Timer::CutLink(producer) => Timer::CutLink(producer.rename(p)),
            Timer::ControllerSessionExpiry => Timer::ControllerSessionExpiry,
            Timer::FetchMaxWait(partition) => Timer::FetchMaxWait(partition),
            Timer::ControllerRequestTimeout => Timer::ControllerRequestTimeout,
            Timer::CoordinatorWriteTimeout => Timer::CoordinatorWriteTimeout,
            Timer::MetadataFetch => Timer::MetadataFetch,
            Timer::FetchTimeout(partition) => Timer::FetchTimeout(partition),
        }
    }
}

// ---- The broker.

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

// ---- The controller.

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

/// The requests a controller holds back until its write is committed: kept in destination order
/// (`ControllerState::commit`), so renamed, then put in that order again.
fn rename_held_sends(sends: &[(Address, Msg)], p: &Permutation) -> Vec<(Address, Msg)> {
    let mut renamed: Vec<(Address, Msg)> = sends.iter().map(|(to, msg)| (to.rename(p), msg.rename(p))).collect();
    renamed.sort_by_key(|(to, _)| *to);
    renamed
}

// ---- The producer.

impl Rename for LeaderInfo {
    fn rename(&self, p: &Permutation) -> Self {
        let LeaderInfo { leader, leader_epoch, partition_epoch } = *self;
        LeaderInfo { leader: leader.rename(p), leader_epoch, partition_epoch }
    }
}

impl Rename for InFlight {
    fn rename(&self, p: &Permutation) -> Self {
        let InFlight { sequence, partition, sent_to, attempts } = *self;
        InFlight { sequence, partition, sent_to: sent_to.rename(p), attempts }
    }
}

impl Rename for Outcome {
    fn rename(&self, p: &Permutation) -> Self {
        match *self {
            Outcome::Acked { partition, offset } => Outcome::Acked { partition, offset },
            Outcome::Failed { partition, error } => Outcome::Failed { partition, error: error.rename(p) },
            Outcome::Sent { partition } => Outcome::Sent { partition },
        }
    }
}

impl Rename for ProducerState {
    fn rename(&self, p: &Permutation) -> Self {
        let ProducerState { leaders, in_flight, outcomes } = self;
        ProducerState { leaders: leaders.rename(p), in_flight: in_flight.rename(p), outcomes: outcomes.rename(p) }
    }
}

impl Rename for KelpState {
    fn rename(&self, p: &Permutation) -> Self {
        match self {
            KelpState::Controller(c) => KelpState::Controller(c.rename(p)),
            KelpState::Broker(b) => KelpState::Broker(b.rename(p)),
            KelpState::Producer(q) => KelpState::Producer(q.rename(p)),
            KelpState::Operator(o) => KelpState::Operator(OperatorState { demoted: o.demoted.rename(p) }),
            KelpState::Coordinator(z) => KelpState::Coordinator(z.rename(p)),
        }
    }
}

// ---- The system.

impl Rename for Envelope<Msg> {
    fn rename(&self, p: &Permutation) -> Self {
        let Envelope { src, dst, msg } = self;
        Envelope { src: src.rename(p), dst: dst.rename(p), msg: msg.rename(p) }
    }
}

impl Rename for Timers<Timer> {
    fn rename(&self, p: &Permutation) -> Self {
        let mut renamed = Timers::new();
        for timer in self.iter() {
            renamed.set(timer.rename(p));
        }
        renamed
    }
}

impl Rename for Network<Msg> {
    fn rename(&self, p: &Permutation) -> Self {
        match self {
            // The model's network: FIFO flows keyed by (src, dst); each flow keeps its order.
            Network::Ordered(flows) => Network::Ordered(
                flows
                    .iter()
                    .map(|((src, dst), flow)| {
                        ((src.rename(p), dst.rename(p)), flow.iter().map(|m| m.rename(p)).collect())
                    })
                    .collect::<BTreeMap<_, _>>(),
            ),
            Network::UnorderedDuplicating(envelopes, last) => Network::new_unordered_duplicating_with_last_msg(
                envelopes.iter().map(|e| e.rename(p)),
                last.as_ref().map(|e| e.rename(p)),
            ),
            Network::UnorderedNonDuplicating(envelopes) => Network::new_unordered_nonduplicating(
                envelopes.iter().flat_map(|(e, count)| std::iter::repeat_n(e.rename(p), *count)),
            ),
        }
    }
}

/// Moves the value of actor `i` to index π(i), renaming it on the way.
fn reindex<T>(p: &Permutation, values: &[T], rename: impl Fn(&T) -> T) -> Vec<T> {
    let mut slots: Vec<Option<T>> = values.iter().map(|_| None).collect();
    for (i, value) in values.iter().enumerate() {
        let slot = &mut slots[p.actor_index(i)];
        assert!(slot.is_none(), "the permutation does not fit this state's actors");
        *slot = Some(rename(value));
    }
    slots.into_iter().map(|v| v.expect("a permutation of actor indices")).collect()
}

impl Rename for SystemState {
    fn rename(&self, p: &Permutation) -> Self {
        let SystemState { actor_states, network, timers_set, random_choices, crashed, history, actor_storages } = self;
        // Controller, brokers, producers, then the operator, the other controller candidates and
        // the coordinator if configured (they stay in place).
        let permuted = 1 + usize::from(p.broker_count()) + usize::from(p.producer_count());
        assert!(
            actor_states.len() >= permuted,
            "the permutation is of another cluster: {} actors, {permuted} permuted",
            actor_states.len()
        );
        SystemState {
            actor_states: reindex(p, actor_states, |s| Arc::new(s.rename(p))),
            network: network.rename(p),
            timers_set: reindex(p, timers_set, |t| t.rename(p)),
            // `Random = ()`: the choices name no actor.
            random_choices: reindex(p, random_choices, Clone::clone),
            crashed: reindex(p, crashed, |c| *c),
            history: *history,
            actor_storages: reindex(p, actor_storages, |d| d.rename(p)),
        }
    }
}
