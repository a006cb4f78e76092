//! Every message of the protocol, with Kafka's request names. Controller requests follow KRaft
//! (BrokerRegistration, BrokerHeartbeat, AlterPartition); the metadata the controller publishes is
//! one `PartitionChange` per changed partition (what a broker replays from the metadata log).

use crate::ids::{BrokerEpoch, BrokerId, LeaderEpoch, Offset, PartitionId, ProducerId, Sequence};
use crate::log::{EpochEnd, Record};
use crate::metadata::PartitionState;
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

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Msg {
    // Broker -> controller.
    /// KRaft BrokerRegistration; `previous_epoch` is the epoch of a clean shutdown (KIP-966).
    RegisterBroker {
        broker: BrokerId,
        previous_epoch: Option<BrokerEpoch>,
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
    Produce {
        partition: PartitionId,
        producer: ProducerId,
        sequence: Sequence,
    },
    ProduceResponse {
        partition: PartitionId,
        sequence: Sequence,
        result: Result<Offset, ProduceError>,
    },
}
