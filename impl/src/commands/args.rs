//! The reference cluster's command lines, as Kafka operators know them: `kelp cluster ...` to run
//! the processes, `kelp topics`, `kelp leader-election`, `kelp produce` and `kelp consume` as the
//! Kafka tools of those names. Every command finds the cluster with `--dir`.

use clap::builder::RangedI64ValueParser;
use clap::{ArgGroup, Args, Subcommand, ValueEnum};
use kelp_model::config::{MAX_BROKERS, MAX_CONTROLLERS, MAX_FAULTS, MAX_PARTITIONS};
use std::path::PathBuf;

/// The parser of a `u8` flag that refuses values outside `min..=max`, naming those bounds (the
/// model's, so that the command line and a scenario file refuse the same values).
pub fn between(min: u8, max: u8) -> RangedI64ValueParser<u8> {
    clap::value_parser!(u8).range(i64::from(min)..=i64::from(max))
}

/// Where the cluster lives: its cluster file, logs, pid files and data.
#[derive(Debug, Clone, Args)]
pub struct DirArg {
    /// The cluster directory (`kelp cluster up` creates it).
    #[arg(long, default_value = "./kelp-cluster")]
    pub dir: PathBuf,
}

#[derive(Debug, Subcommand)]
pub enum ClusterCommand {
    /// Start a controller and brokers on 127.0.0.1 in the background, logs and data under --dir.
    Up(UpArgs),
    /// Stop every process (brokers by controlled shutdown, then the controller); data stays.
    Down(DirArg),
    /// Each process: its node id, running or not, pid, address.
    Status(DirArg),
    /// SIGKILL node N (a broker, or any node `kelp cluster status` lists): the process dies, written
    /// data stays in the page cache.
    Kill(NodeArgs),
    /// SIGKILL the active controller (with --controllers 2 or more, another candidate takes over
    /// once ZooKeeper expires its session).
    KillController(DirArg),
    /// Start node N again: a broker, the controller (node 0), a candidate or ZooKeeper (`kelp cluster
    /// status` lists them).
    Start(NodeArgs),
    /// Stop broker N by controlled shutdown (SIGTERM): its leaderships move first.
    Stop(NodeArgs),
    /// Power loss at broker N: SIGKILL, then each log cut back to its last flushed offset.
    PowerLoss(NodeArgs),
    /// With the brokers stopped: check that their logs agree below the high watermarks.
    CheckLogs(DirArg),
    /// The nodes' logs merged into one timeline (`HH:MM:SS.mmm  node  message`, UTC): an
    /// election as the story it is across the controller and the brokers.
    Logs(LogsArgs),
}

#[derive(Debug, Args)]
pub struct LogsArgs {
    #[command(flatten)]
    pub dir: DirArg,
    /// Only this node's log (its id, as `kelp cluster status` gives it: 0 for the controller, a
    /// broker's node.id, candidates and ZooKeeper after the brokers); again for more nodes.
    #[arg(long = "node", value_name = "NODE")]
    pub nodes: Vec<u32>,
    /// Only the last N lines.
    #[arg(long, value_name = "N")]
    pub tail: Option<usize>,
    /// Go on: print the lines the nodes write from now on, until Ctrl-C.
    #[arg(long)]
    pub follow: bool,
}

#[derive(Debug, Args)]
pub struct UpArgs {
    #[command(flatten)]
    pub dir: DirArg,
    /// Brokers (default: 3).
    #[arg(long, value_parser = between(1, MAX_BROKERS))]
    pub brokers: Option<u8>,
    /// Partitions of topic `t` (default: 1).
    #[arg(long, value_parser = between(1, MAX_PARTITIONS))]
    pub partitions: Option<u8>,
    /// Replicas of each partition (default: every broker, at most 3).
    #[arg(long, value_parser = between(1, MAX_BROKERS))]
    pub replication_factor: Option<u8>,
    /// `min.insync.replicas` (default: 2, or 1 with one replica).
    #[arg(long, value_parser = between(1, MAX_BROKERS))]
    pub min_insync_replicas: Option<u8>,
    /// Controller candidates (default: 1): 2 or 3 run the ZooKeeper-era controller (a `zookeeper`
    /// node holds `/controller`; when the active controller dies, another takes over in a new
    /// epoch).
    #[arg(long, value_parser = between(1, MAX_CONTROLLERS))]
    pub controllers: Option<u8>,
    /// KIP-966 eligible leader replicas (default: false).
    #[arg(long)]
    pub eligible_leader_replicas: Option<bool>,
    /// `unclean.leader.election.enable` (default: false).
    #[arg(long)]
    pub unclean_leader_election: Option<bool>,
    /// `auto.leader.rebalance.enable` (default: true).
    #[arg(long)]
    pub auto_leader_rebalance: Option<bool>,
    /// never: Kafka's default (no fsync per write); always: fsync every append.
    #[arg(long, value_enum)]
    pub flush: Option<Flush>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Flush {
    Never,
    Always,
}

#[derive(Debug, Args)]
pub struct NodeArgs {
    /// The node: a broker's node.id, 0 for the controller (`kelp cluster status` lists them all).
    pub node: u32,
    #[command(flatten)]
    pub dir: DirArg,
}

#[derive(Debug, Args)]
pub struct DemoteBrokerArgs {
    #[command(flatten)]
    pub dir: DirArg,
    /// The broker to move last in every replica list, and off leadership.
    #[arg(long, value_parser = between(1, MAX_BROKERS))]
    pub broker: u8,
}

#[derive(Debug, Args)]
pub struct TopicsArgs {
    #[command(flatten)]
    pub dir: DirArg,
    /// Print each partition in Kafka's `kafka-topics --describe` form.
    #[arg(long, required = true)]
    pub describe: bool,
    /// Only partitions whose ISR is smaller than their replica set.
    #[arg(long, group = "filter")]
    pub under_replicated_partitions: bool,
    /// Only partitions without a leader.
    #[arg(long, group = "filter")]
    pub unavailable_partitions: bool,
    /// Only partitions whose ISR is below min.insync.replicas.
    #[arg(long, group = "filter")]
    pub under_min_isr_partitions: bool,
}

/// Kafka's tool wants one target: `--partition` or `--all-topic-partitions`.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("target").required(true).args(["partition", "all_topic_partitions"])))]
pub struct LeaderElectionArgs {
    #[command(flatten)]
    pub dir: DirArg,
    #[arg(long, value_enum)]
    pub election_type: ElectionType,
    /// One partition of topic `t`.
    #[arg(long, value_parser = between(0, MAX_PARTITIONS - 1))]
    pub partition: Option<u8>,
    /// Every partition.
    #[arg(long)]
    pub all_topic_partitions: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ElectionType {
    Preferred,
    Unclean,
}

#[derive(Debug, Args)]
pub struct ProduceArgs {
    #[command(flatten)]
    pub dir: DirArg,
    /// all (or -1): the ISR has it; 1: the leader has it; 0: sent, never confirmed.
    #[arg(long, value_enum, default_value_t = AcksArg::All, allow_hyphen_values = true)]
    pub acks: AcksArg,
    /// `enable.idempotence`: brokers drop a retried record they already have.
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    pub idempotence: bool,
    /// `request.timeout.ms`: how long to wait for an answer before retrying.
    #[arg(long, default_value_t = 30_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub request_timeout_ms: u64,
    /// `retries`: how often a record is sent again after an error or a time-out (at most 16, the
    /// model's bound; each retry first waits for fresh metadata).
    #[arg(long, default_value_t = 16, value_parser = between(0, MAX_FAULTS))]
    pub retries: u8,
    /// `delivery.timeout.ms`: how long to wait for the record in flight to be acknowledged or to
    /// fail (no leader, no answer) before it and every record after it fail with DELIVERY_TIMEOUT.
    #[arg(long, default_value_t = 120_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub delivery_timeout_ms: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AcksArg {
    #[value(name = "all", alias = "-1")]
    All,
    #[value(name = "1")]
    One,
    #[value(name = "0")]
    Zero,
}

#[derive(Debug, Args)]
pub struct ConsumeArgs {
    #[command(flatten)]
    pub dir: DirArg,
    /// Start at each partition's first record (otherwise: at its current high watermark).
    #[arg(long)]
    pub from_beginning: bool,
    /// Exit after this many records.
    #[arg(long)]
    pub max_messages: Option<u64>,
    /// Exit when no record came for this long (default: run until interrupted).
    #[arg(long)]
    pub timeout_ms: Option<u64>,
}

#[derive(Debug, Args)]
pub struct NodeRunArgs {
    #[command(flatten)]
    pub dir: DirArg,
    /// The actor this process runs: 0 the controller, N broker N.
    #[arg(long)]
    pub id: u32,
}
