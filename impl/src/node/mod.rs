//! The event loop that runs one model actor in one process: a UDP socket on the node's address
//! from the cluster file, the model's `KelpActor` for the node's role, the node's storage (a
//! broker's `Storage`, the `MetadataFile` of the sole controller, a candidate or ZooKeeper), and
//! real timers. Every protocol decision is the actor's; this module only
//!
//! - delivers each datagram that decodes (`wire`) to `on_msg`, and drops the rest with a warning
//!   naming the sender's address and the fault (the process never dies of its input: even a
//!   well-formed message that makes the model's handler panic is dropped, the state unchanged);
//! - fires each armed timer at a random moment of the duration range the model gives it;
//! - carries out the handler's `Out` commands: `Save` first (a failed save halts the node, as
//!   Kafka halts on a log directory failure), then `Send`s, then `SetTimer`/`CancelTimer`;
//! - logs what changed, by comparing the actor's state before and after each event;
//! - on SIGTERM asks the broker model for its controlled shutdown (`Timer::Shutdown`) and exits
//!   once the model says the broker stopped. A restart is a new process (`kelp cluster start`).
//!
//! The same pieces serve client processes: `Endpoint` (a socket with an actor id: send and
//! receive model messages) and `Driver` (an actor with its timers over an endpoint).
//!
//! One file per piece: `stop` (how a node is asked to stop), `timer_queue` (real timers),
//! `endpoint` (the socket), `driver` (the actor over an endpoint), `changes` (state changes as log
//! lines), `logging` (the log's set-up), `panics` (a handler's panic, caught), `run` (the node's
//! loop and its storage).

mod changes;
mod driver;
mod endpoint;
mod logging;
mod panics;
mod run;
mod stop;
mod timer_queue;

pub use changes::{describe_changes, describe_start};
pub use driver::{ArmPolicy, Driver, SaveSink, Step};
pub use endpoint::Endpoint;
pub use logging::init_logging;
pub use panics::report_only_unexpected_panics;
pub use run::{run, CONTROLLED_SHUTDOWN_TIMEOUT};
pub use stop::Stop;
pub use timer_queue::TimerQueue;

use crate::cluster_file::ClusterFileError;
use crate::storage::StorageError;
use crate::wire::WireError;
use kelp_model::config::Config;
use kelp_model::effects::Address;
use std::error::Error as StdError;
use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// Why a node (or a client's endpoint) stopped or could not start.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    #[error(transparent)]
    ClusterFile(#[from] ClusterFileError),
    #[error("node {id} is not in the cluster file (its nodes are 0 to {last})")]
    UnknownNode { id: u32, last: u32 },
    #[error("cannot bind {address}: {source}")]
    Bind { address: SocketAddr, source: io::Error },
    #[error("socket: {0}")]
    Socket(#[source] io::Error),
    #[error("cannot open the data directory: {0}")]
    OpenStorage(#[source] StorageError),
    /// A save failed: the node halts (Kafka's log directory failure).
    #[error("data directory failure: {source} (the node halts)")]
    Save { source: Box<dyn StdError + Send + Sync> },
    #[error("controlled shutdown did not complete: {reason}")]
    ShutdownIncomplete { reason: String },
    #[error("cannot install the signal handlers: {0}")]
    Signals(#[source] io::Error),
    #[error("cannot say it is up (the cluster directory's run/ file): {0}")]
    Announce(#[source] io::Error),
}

/// Why one message was not sent (never fatal to a node).
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error("no address known for actor {to} (not a node, and nothing heard from it)")]
    NoAddress { to: u64 },
    #[error("actor id {to} does not fit the wire's 32 bits")]
    IdOutOfRange { to: u64 },
    #[error(transparent)]
    Wire(#[from] WireError),
    #[error("sending to {address}: {source}")]
    Io { address: SocketAddr, source: io::Error },
}

/// How a node is named in logs, file names and messages: `controller` (candidate 1, the only
/// controller unless there are candidates), `controller-N`, `broker-N`, `zookeeper`; `client-N`
/// for anything else.
pub fn node_name(cfg: &Config, id: u32) -> String {
    match Address::of(endpoint::actor_id(id), cfg) {
        Address::Controller => "controller".to_string(),
        Address::OtherController(c) => format!("controller-{c}"),
        Address::Broker(b) => format!("broker-{b}"),
        Address::Coordinator => "zookeeper".to_string(),
        Address::Producer(_) | Address::Operator => format!("client-{id}"),
    }
}

/// Node `id`'s data directory: `DIR/data/<node name>` (a broker's `log.dirs`; the controller's,
/// a candidate's or ZooKeeper's metadata).
pub fn data_dir(dir: &Path, cfg: &Config, id: u32) -> PathBuf {
    dir.join("data").join(node_name(cfg, id))
}

/// What the tests of this module share: a small cluster's configuration and a message to send.
#[cfg(test)]
mod test_support {
    use kelp_model::config::{Config, FaultBudget};
    use kelp_model::ids::{BrokerEpoch, BrokerId};
    use kelp_model::msg::Msg;
    use std::ops::Range;
    use std::time::Duration;

    /// `brokers` brokers, one partition, one producer, no faults.
    pub fn config(brokers: u8) -> Config {
        Config {
            brokers,
            partitions: 1,
            replication_factor: brokers.min(3),
            min_insync_replicas: 1,
            producers: 1,
            budget: FaultBudget::none(),
            ..Config::default()
        }
    }

    pub fn ms(lo: u64, hi: u64) -> Range<Duration> {
        Duration::from_millis(lo)..Duration::from_millis(hi)
    }

    pub fn heartbeat() -> Msg {
        Msg::BrokerHeartbeat { broker: BrokerId(1), broker_epoch: BrokerEpoch(1) }
    }
}
