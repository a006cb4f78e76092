//! Every message of the protocol, with Kafka's request names. Controller requests follow KRaft
//! (BrokerRegistration, BrokerHeartbeat, AlterPartition); the metadata the controller publishes is
//! one `PartitionChange` per changed partition (what a broker replays from the metadata log).

use crate::config::Acks;
use crate::controller::{CommittedChanges, ControllerState};
use crate::effects::Address;
use crate::ids::{
    BrokerEpoch, BrokerId, ControllerEpoch, Incarnation, LeaderEpoch, Offset, PartitionId, ProducerId, Sequence,
    WriteCount,
};
use crate::log::{EpochEnd, Record, Value};
use crate::metadata::PartitionState;
use crate::msg_nesting;
use serde::{Deserialize, Serialize};

/// An ISR member named in AlterPartition with the broker epoch the leader saw (KIP-903).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct IsrMember {
    pub broker: BrokerId,
    pub broker_epoch: Option<BrokerEpoch>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum AlterPartitionError {
    /// The requesting broker's epoch is not its current registration (STALE_BROKER_EPOCH).
    StaleBrokerEpoch,
    /// The request's leader epoch is older than the controller's (FENCED_LEADER_EPOCH).
    FencedLeaderEpoch,
    /// The requester is not the leader (INVALID_REQUEST).
    NotLeader,
    /// The new ISR omits the leader or names a non-replica (INVALID_REQUEST).
    InvalidRequest,
    /// The request's partition epoch is older (INVALID_UPDATE_VERSION, KIP-497).
    InvalidUpdateVersion,
    /// A new ISR member is fenced, shutting down, or has a stale broker epoch (INELIGIBLE_REPLICA,
    /// KIP-841/KIP-903).
    IneligibleReplica,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum FetchError {
    /// The receiver does not lead this partition (NOT_LEADER_OR_FOLLOWER).
    NotLeaderOrFollower,
    /// The fetcher's leader epoch is older than the leader's (KIP-320 FENCED_LEADER_EPOCH).
    FencedLeaderEpoch,
    /// The fetcher's leader epoch is newer: the leader has not caught up yet (UNKNOWN_LEADER_EPOCH).
    UnknownLeaderEpoch,
    /// No such partition (UNKNOWN_TOPIC_OR_PARTITION); only a consumer can ask for one.
    UnknownTopicOrPartition,
    /// A consumer's fetch offset is past the leader's log end (OFFSET_OUT_OF_RANGE, from
    /// `LocalLog.read`); a follower's is answered with `FetchResult::OffsetOutOfRange` instead.
    OffsetOutOfRange,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum FetchResult {
    /// Records from the fetch offset to the leader's log end, and the leader's HW.
    Records {
        records: Vec<Record>,
        high_watermark: Offset,
    },
    /// KIP-320: the follower's log diverges; this is where the leader's epoch ends.
    Diverging {
        end: EpochEnd,
    },
    /// The fetch offset is past the leader's log end (OFFSET_OUT_OF_RANGE).
    OffsetOutOfRange {
        leader_end_offset: Offset,
    },
    Error(FetchError),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum ProduceError {
    /// NOT_LEADER_OR_FOLLOWER: the broker does not (or no longer) lead the partition.
    NotLeaderOrFollower,
    /// NOT_ENOUGH_REPLICAS: acks=all and the ISR is below min.insync.replicas.
    NotEnoughReplicas,
    /// NOT_ENOUGH_REPLICAS_AFTER_APPEND: written, but the ISR fell below min.insync.replicas
    /// before the HW passed it.
    NotEnoughReplicasAfterAppend,
    /// The producer gave up waiting (request time-out, no retries left).
    TimedOut,
}

/// A follower's Fetch (KIP-320 form).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct FetchRequest {
    pub partition: PartitionId,
    pub replica: BrokerId,
    pub broker_epoch: BrokerEpoch,
    pub current_leader_epoch: LeaderEpoch,
    pub fetch_offset: Offset,
    /// KIP-320: the epoch of the follower's last record (checked for divergence).
    pub last_fetched_epoch: Option<LeaderEpoch>,
    /// The HW the follower already knows: with nothing new to send, the leader holds the fetch
    /// (Kafka's fetch purgatory, `replica.fetch.wait.max.ms`).
    pub known_high_watermark: Offset,
}

/// `kafka-leader-election --election-type` (KIP-460's ElectLeaders `electionType`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum ElectionType {
    Preferred,
    Unclean,
}

/// ElectLeaders' per-partition errors, as Kafka names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum ElectLeadersError {
    /// ELECTION_NOT_NEEDED: the preferred replica already leads (PREFERRED), or the partition
    /// has a leader (UNCLEAN).
    ElectionNotNeeded,
    /// PREFERRED_LEADER_NOT_AVAILABLE: the preferred replica cannot lead now.
    PreferredLeaderNotAvailable,
    /// ELIGIBLE_LEADERS_NOT_AVAILABLE: no replica can lead, even out of sync.
    EligibleLeadersNotAvailable,
    /// UNKNOWN_TOPIC_OR_PARTITION.
    UnknownTopicOrPartition,
}

/// AlterPartitionReassignments' per-partition errors, as Kafka names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum ReassignmentError {
    /// UNKNOWN_TOPIC_OR_PARTITION.
    UnknownTopicOrPartition,
    /// INVALID_REPLICA_ASSIGNMENT: the model only reorders a partition's replicas (the leadership
    /// priority); a reassignment that moves data to other brokers is out of its scope.
    InvalidReplicaAssignment,
}

/// Requests of clients outside replication: operators' tools and consumers. The actor layer
/// answers each to the client that sent it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum ClientRequest {
    /// DescribeTopicPartitions (KIP-966) / Metadata, to the controller: every partition's record.
    DescribePartitions,
    /// ElectLeaders (KIP-460), to the controller.
    ElectLeaders { election: ElectionType, partitions: Vec<PartitionId> },
    /// A consumer's Fetch, to the leader: committed records (below the HW) from `fetch_offset`.
    ConsumerFetch { partition: PartitionId, fetch_offset: Offset },
    /// AlterPartitionReassignments (KIP-455), to the controller, restricted to a new order of the
    /// same replicas: the first is the preferred leader, so the order is the leadership priority.
    AlterPartitionReassignments { partition: PartitionId, replicas: Vec<BrokerId> },
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum ClientResponse {
    Partitions(Vec<PartitionState>),
    LeadersElected(Vec<(PartitionId, Result<(), ElectLeadersError>)>),
    ConsumerRecords {
        partition: PartitionId,
        fetch_offset: Offset,
        /// The records and the HW, or why this broker cannot serve the partition.
        result: Result<(Vec<Record>, Offset), FetchError>,
    },
    PartitionReassigned {
        partition: PartitionId,
        result: Result<(), ReassignmentError>,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Msg {
    // Broker -> controller.
    /// KRaft BrokerRegistration; `previous_epoch` is the epoch of a clean shutdown (KIP-966),
    /// `incarnation` the process's (a request sent again carries the same one).
    RegisterBroker {
        broker: BrokerId,
        previous_epoch: Option<BrokerEpoch>,
        incarnation: Incarnation,
    },
    /// A fenced broker asks to be unfenced (BrokerHeartbeat with wantFence=false).
    BrokerHeartbeat {
        broker: BrokerId,
        broker_epoch: BrokerEpoch,
    },
    /// Not a request: the end of a dead process's periodic heartbeats (sent by the model at the
    /// crash or power loss), after which the controller's session timer for it runs out for sure.
    HeartbeatsStopped {
        broker: BrokerId,
        broker_epoch: BrokerEpoch,
    },
    /// BrokerHeartbeat with wantShutDown=true: move my leaderships away first.
    ControlledShutdown {
        broker: BrokerId,
        broker_epoch: BrokerEpoch,
    },
    AlterPartition {
        partition: PartitionId,
        leader: BrokerId,
        broker_epoch: BrokerEpoch,
        leader_epoch: LeaderEpoch,
        partition_epoch: crate::ids::PartitionEpoch,
        isr: Vec<IsrMember>,
    },

    // Controller -> broker.
    /// Registration accepted (fenced until a heartbeat), with the metadata of every partition.
    RegistrationAccepted {
        broker_epoch: BrokerEpoch,
        partitions: Vec<PartitionState>,
        /// The incarnation whose request this answers: Kafka answers on that process's
        /// connection, so a later process of the broker never reads it.
        incarnation: Incarnation,
    },
    /// The broker's session expired: it is fenced (the heartbeat response says so).
    SessionExpired {
        broker_epoch: BrokerEpoch,
    },
    /// Leadership was moved away: the broker may stop.
    ShutdownAccepted {
        broker_epoch: BrokerEpoch,
    },
    /// The result of the AlterPartition that was made against `request_partition_epoch`.
    AlterPartitionResponse {
        partition: PartitionId,
        request_partition_epoch: crate::ids::PartitionEpoch,
        result: Result<PartitionState, AlterPartitionError>,
    },

    // Controller -> brokers and producers.
    /// A partition's new record, replayed from the metadata log.
    PartitionChange(PartitionState),

    // Follower -> leader.
    Fetch(FetchRequest),
    FetchResponse {
        partition: PartitionId,
        /// Echo of the request's leader epoch and offset (Kafka matches by correlation id).
        current_leader_epoch: LeaderEpoch,
        fetch_offset: Offset,
        result: FetchResult,
    },
    /// KIP-101/KIP-279: where does `epoch` end in your log?
    OffsetsForLeaderEpoch {
        partition: PartitionId,
        replica: BrokerId,
        current_leader_epoch: LeaderEpoch,
        epoch: LeaderEpoch,
    },
    OffsetsForLeaderEpochResponse {
        partition: PartitionId,
        current_leader_epoch: LeaderEpoch,
        result: Result<Option<EpochEnd>, FetchError>,
    },

    // Producer <-> leader.
    /// ProduceRequest: `acks` is the request's own (`acks=0|1|-1`), and an idempotent producer's
    /// batch carries its producer id and sequence for de-duplication (KIP-98).
    Produce {
        partition: PartitionId,
        producer: ProducerId,
        sequence: Sequence,
        acks: Acks,
        idempotent: bool,
        /// The payload: the application's, attached by `actor.rs` (empty in the checker).
        value: Value,
    },
    ProduceResponse {
        partition: PartitionId,
        sequence: Sequence,
        result: Result<Offset, ProduceError>,
    },

    // Producer -> operator.
    /// Not a Kafka request: the alert an operator gets when a producer's requests to a broker
    /// time out (`request-latency-max`, `record-error-rate`), which makes them demote the broker.
    ProduceStalled {
        broker: BrokerId,
    },

    // Clients (operators' tools, consumers, producers' metadata refresh) <-> controller, leaders.
    Request(ClientRequest),
    Response(ClientResponse),

    // Controller candidates <-> coordinator <-> brokers, with `Config::controllers` > 1 (the
    // ZooKeeper-era controller). Last, so that the variants above keep their hashes.
    /// A controller's request to a broker, stamped with its controller epoch (every
    /// LeaderAndIsr, UpdateMetadata and StopReplica carries `controllerEpoch`).
    FromController {
        epoch: ControllerEpoch,
        #[serde(deserialize_with = "msg_nesting::boxed")]
        msg: Box<Msg>,
    },
    /// The active controller commits what its event changed (the partition state znodes and
    /// broker registrations it touched, and the controller's counters) in one write, conditional on `/controller_epoch`
    /// (KAFKA-6082's `multi` with a version check), with the requests it sends once the write
    /// succeeds: Kafka's controller writes ZooKeeper first, then sends LeaderAndIsr. With no
    /// changes the write only checks the epoch (and, in the reference cluster, the writes it
    /// follows: `CommittedChanges::follows`).
    CoordinatorWrite {
        epoch: ControllerEpoch,
        changes: Box<CommittedChanges>,
        #[serde(deserialize_with = "msg_nesting::sends")]
        then: Vec<(Address, Msg)>,
        /// The broker's request the change answers, if any: refused, it goes to the controller
        /// of now (the broker would resend it there on NOT_CONTROLLER).
        #[serde(deserialize_with = "msg_nesting::maybe_boxed")]
        cause: Option<Box<Msg>>,
    },
    /// The write is committed: send `then`.
    WriteAccepted {
        #[serde(deserialize_with = "msg_nesting::sends")]
        then: Vec<(Address, Msg)>,
    },
    /// BADVERSION on `/controller_epoch`: another candidate is controller now
    /// (`ControllerMovedException`), so resign.
    WriteRejected,
    /// The watch on `/controller` fired: the node is gone; try to create it.
    ControllerGone,
    /// Create the ephemeral `/controller` node (`KafkaController.elect`).
    ClaimController,
    /// The candidate created `/controller`: controller in `epoch`, with the committed state it
    /// read (`onControllerFailover`).
    ControllerElected {
        epoch: ControllerEpoch,
        image: Box<ControllerState>,
    },
    /// The candidate's ZooKeeper session expired; it learns so when it reconnects, and resigns.
    ControllerSessionExpired,
    /// The acting controller's ZooKeeper session heartbeat (runtime heartbeats only: the checker
    /// injects session expiries from the budget instead).
    SessionHeartbeat,
    /// A broker's request reached a candidate that does not act as controller: it goes back to
    /// the coordinator for the controller of now (NOT_CONTROLLER; the broker resends). From the
    /// owner of `/controller` itself (runtime only: its resignation or its election was lost),
    /// the coordinator deletes `/controller` and the request waits for the next controller.
    NotController(#[serde(deserialize_with = "msg_nesting::boxed")] Box<Msg>),

    // Broker -> controller, runtime only: last, so that the messages above keep their place in
    // every state's hash.
    /// A broker's fetch of the metadata log (runtime only: `RuntimeSettings::metadata_fetch`):
    /// the controller answers with the record of each partition the broker is a replica of.
    FetchMetadata {
        broker: BrokerId,
    },

    // Controller candidate -> coordinator, runtime only (`RuntimeSettings::controller_request_timeout`).
    /// Delete `/controller`: its owner's writes went unanswered and it resigned
    /// (`triggerControllerMove`), so the candidates' watches fire and one takes over.
    ResignController,

    // Coordinator -> controller candidate, runtime only (`RuntimeSettings::controller_request_timeout`).
    /// The write of controller epoch `epoch` follows `follows` writes, and the coordinator has
    /// applied `applied`: a write between them was lost (or overtaken), or the writer never read
    /// the writes applied since (a restarted candidate), so this one is refused. A
    /// ZooKeeper session applies a client's requests in the order sent, over TCP, or fails; the
    /// writer resigns (unless it acts in a later epoch by now), and if it owns `/controller` the
    /// coordinator deletes it, so that a candidate takes over from what did commit.
    WriteOutOfOrder {
        epoch: ControllerEpoch,
        follows: WriteCount,
        applied: WriteCount,
    },
    /// The reference cluster's `WriteAccepted`: the write is committed, the `applied`-th, and
    /// with it every write before it (the coordinator applies them in order), so send `then`;
    /// only the candidate's writes after it are still unanswered. A lost answer loses its
    /// requests (brokers read records from the metadata log; brokers and clients ask again), and
    /// the next answer counts for it.
    WriteApplied {
        applied: WriteCount,
        #[serde(deserialize_with = "msg_nesting::sends")]
        then: Vec<(Address, Msg)>,
    },
}
