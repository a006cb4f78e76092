//! Newtypes for every identifier, epoch and offset in the protocol, so that a broker id can never be
//! passed where a leader epoch is expected. Broker ids are Kafka's `node.id`: they start at 1 and
//! equal the broker's actor index (the controller is actor 0).

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! newtype {
    ($(#[$doc:meta])* $name:ident($inner:ty), $fmt:literal) => {
        $(#[$doc])*
        #[derive(
            Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
        )]
        #[serde(transparent)]
        pub struct $name(pub $inner);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, $fmt, self.0)
            }
        }
    };
}

newtype!(
    /// A broker's `node.id` (1-based, as Kafka prints them in `Replicas: 1,2,3`).
    BrokerId(u8),
    "{}"
);
newtype!(
    /// An idempotent producer's id (Kafka's `producerId`), 1-based.
    ProducerId(u32),
    "p{}"
);
newtype!(
    /// A partition of the one modelled topic.
    PartitionId(u8),
    "{}"
);
newtype!(
    /// Bumped by the controller on every leader change (KIP-101 leader epoch).
    LeaderEpoch(u32),
    "{}"
);
newtype!(
    /// Bumped by the controller on every change of a partition's metadata (KIP-497 partition epoch).
    PartitionEpoch(u32),
    "{}"
);
newtype!(
    /// Handed out by the controller at each broker registration (KIP-380, KIP-903 broker epoch).
    BrokerEpoch(u32),
    "{}"
);
newtype!(
    /// One start of a broker's process (Kafka's `incarnationId`, a fresh UUID at every start):
    /// tells a registration sent again from a restart. The checker numbers a broker's starts
    /// (the bootstrap process is 0); the reference cluster draws one at random per process.
    Incarnation(u64),
    "{}"
);
newtype!(
    /// A position in a partition's log; also used for log end offsets and high watermarks.
    Offset(u32),
    "{}"
);
newtype!(
    /// A controller candidate (ZooKeeper-era `controller` broker, or a KRaft quorum voter), 1-based.
    /// Candidate 1 is the only controller unless `Config::controllers` asks for more.
    ControllerId(u8),
    "{}"
);
newtype!(
    /// Bumped at every controller election (ZooKeeper's `/controller_epoch`, KRaft's metadata log
    /// epoch); every request of the controller to brokers carries it, so brokers can fence a
    /// deposed (zombie) controller.
    ControllerEpoch(u32),
    "{}"
);
/// The reference cluster's count of a controller's writes to the coordinator: those the
/// coordinator applied (its committed image), or those it will have applied once an acting
/// candidate's writes land (that candidate's state). The coordinator applies a write only on
/// top of exactly the writes it follows, as a ZooKeeper session applies a client's requests
/// in the order sent, over TCP, where a datagram may be lost (runtime only:
/// `RuntimeSettings::controller_request_timeout`; always 0 in the checker).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct WriteCount(pub u32);

impl fmt::Display for WriteCount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// 0, the checker's only count, hashes as nothing: whatever holds a count keeps the fingerprints,
/// search order and counterexamples it had before the runtime counted writes.
impl std::hash::Hash for WriteCount {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        if self.0 != 0 {
            self.0.hash(state);
        }
    }
}
newtype!(
    /// An idempotent producer's per-partition sequence number.
    Sequence(u32),
    "{}"
);

impl LeaderEpoch {
    pub fn next(self) -> Self {
        LeaderEpoch(self.0 + 1)
    }
}

impl PartitionEpoch {
    pub fn next(self) -> Self {
        PartitionEpoch(self.0 + 1)
    }
}

impl BrokerEpoch {
    pub fn next(self) -> Self {
        BrokerEpoch(self.0 + 1)
    }
}

impl ControllerEpoch {
    pub fn next(self) -> Self {
        ControllerEpoch(self.0 + 1)
    }
}

impl WriteCount {
    pub fn next(self) -> Self {
        WriteCount(self.0 + 1)
    }
}

impl Offset {
    pub fn index(self) -> usize {
        usize::try_from(self.0).expect("offsets fit the address space")
    }
    pub fn of_len(len: usize) -> Self {
        Offset(u32::try_from(len).expect("a log holds at most u32::MAX records"))
    }
}

impl Sequence {
    /// The position of this record among its producer's records.
    pub fn index(self) -> usize {
        usize::try_from(self.0).expect("sequences fit the address space")
    }
}

impl BrokerId {
    /// The stateright actor index of this broker (the controller is 0, brokers follow).
    pub fn actor_index(self) -> usize {
        usize::from(self.0)
    }
}
