//! `kelp cluster ...`: the reference cluster's processes, one per actor, started detached with
//! their logs and data under the cluster directory. `up` writes the cluster file (a real
//! deployment's settings: `Config::runtime` on, no fault budget, since here the faults are the
//! operator's commands) and starts every node; `kill`, `stop`, `start` and `power-loss` act on one
//! node; `check-logs` reads the stopped brokers' data directories and checks that their logs
//! agree below the high watermarks; `logs` merges the nodes' logs into one timeline.

pub mod logs;
pub mod process;

use crate::cluster_file::{ClusterFile, ClusterFileError, Role};
use crate::storage::{self, Storage, StorageError};
use kelp_model::config::{Config, FaultBudget, FlushPolicy, RuntimeSettings};
use kelp_model::ids::BrokerId;
use process::Layout;
use std::path::Path;
use std::time::Duration;

/// How long `stop` and `down` wait for a broker's controlled shutdown before they kill it.
const STOP_WAIT: Duration = Duration::from_secs(40);
/// How long a start or a kill may take to show in `/proc`.
const SETTLE: Duration = Duration::from_secs(10);
/// Records per fetch: a fetch response must fit one datagram (values up to `MAX_VALUE_BYTES`).
pub const FETCH_MAX_RECORDS: u32 = 100;
/// The longest record value `kelp produce` accepts (Kafka: `max.request.size`, RECORD_TOO_LARGE).
pub const MAX_VALUE_BYTES: usize = 512;

#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error(transparent)]
    ClusterFile(#[from] ClusterFileError),
    #[error("{dir}: a cluster is running there already (`kelp cluster status --dir {dir}`)")]
    AlreadyRunning { dir: String },
    #[error("node {node} is not in this cluster (its nodes are 0 to {last}: `kelp cluster status` names them)")]
    UnknownNode { node: u32, last: u32 },
    #[error("{name} is not running")]
    NotRunning { name: String },
    #[error("{name} is running already (pid {pid})")]
    Running { name: String, pid: u32 },
    #[error(
        "{dir} holds a cluster set up otherwise: {differences}. `kelp cluster up` starts it again as it was \
         set up: drop those flags, or give another --dir"
    )]
    SetUpOtherwise { dir: String, differences: String },
    #[error("{dir} is not a directory")]
    NotADirectory { dir: String },
    #[error("no node has logged in {dir} yet (`kelp cluster up` starts the cluster)")]
    NoLogs { dir: String },
    #[error("{name} is running (pid {pid}): check-logs reads the brokers' files once they are stopped (`kelp cluster down`)")]
    RunningDuringCheck { name: String, pid: u32 },
    #[error("{name} did not start: see {log}")]
    DidNotStart { name: String, log: String },
    #[error("{name} exited as it started: {why} (see {log})")]
    ExitedAtOnce { name: String, why: String, log: String },
    #[error("{name} (pid {pid}) did not die after SIGKILL")]
    Undying { name: String, pid: u32 },
    /// The controller's and ZooKeeper's metadata is fsynced at every save: a power loss would
    /// cost it nothing, so only a broker's (its unflushed log tail) is played.
    #[error("power loss is a broker's: node {node} is {name}")]
    PowerLossOfNonBroker { node: u32, name: String },
    #[error("{action}: {source}")]
    Io { action: String, source: std::io::Error },
    #[error("broker {broker}'s data: {source}")]
    Storage { broker: u32, source: StorageError },
    #[error("{0}")]
    Config(String),
    #[error("finding the active controller: {0}")]
    NoActiveController(String),
    #[error("logs disagree below the high watermark: {0}")]
    LogsDisagree(String),
    #[error(
        "broker {broker}'s log is damaged: {damage} (check-logs reads the files as they are; the broker's own \
         recovery cuts such a tail when it starts)"
    )]
    LogDamaged { broker: u32, damage: String },
}

impl ClusterError {
    /// Whether this is what `check-logs` looked for (logs that disagree, a damaged log), not a
    /// failure to look.
    pub fn is_finding(&self) -> bool {
        matches!(self, ClusterError::LogsDisagree(_) | ClusterError::LogDamaged { .. })
    }
}

fn io(action: impl Into<String>) -> impl FnOnce(std::io::Error) -> ClusterError {
    let action = action.into();
    move |source| ClusterError::Io { action, source }
}

/// What `kelp cluster up` was told to set; `None` where the flag was not given (the default).
#[derive(Clone, Debug, Default)]
pub struct UpOptions {
    pub brokers: Option<u8>,
    pub partitions: Option<u8>,
    pub replication_factor: Option<u8>,
    pub min_insync_replicas: Option<u8>,
    pub controllers: Option<u8>,
    pub eligible_leader_replicas: Option<bool>,
    pub unclean_leader_election: Option<bool>,
    pub auto_leader_rebalance: Option<bool>,
    pub flush: Option<FlushPolicy>,
}

impl UpOptions {
    /// The settings given that differ from `config`'s, each as its flag with the value given and
    /// the one `config` has.
    fn differences(&self, config: &Config) -> Vec<String> {
        fn flush(policy: FlushPolicy) -> &'static str {
            match policy {
                FlushPolicy::Never => "never",
                FlushPolicy::Always => "always",
            }
        }
        fn setting<T: ToString>(
            flag: &'static str,
            given: Option<T>,
            has: T,
        ) -> (&'static str, Option<String>, String) {
            (flag, given.map(|v| v.to_string()), has.to_string())
        }
        let c = config;
        let settings = [
            setting("brokers", self.brokers, c.brokers),
            setting("partitions", self.partitions, c.partitions),
            setting("replication-factor", self.replication_factor, c.replication_factor),
            setting("min-insync-replicas", self.min_insync_replicas, c.min_insync_replicas),
            setting("controllers", self.controllers, c.controllers),
            setting("eligible-leader-replicas", self.eligible_leader_replicas, c.eligible_leader_replicas),
            setting("unclean-leader-election", self.unclean_leader_election, c.unclean_leader_election),
            setting("auto-leader-rebalance", self.auto_leader_rebalance, c.auto_leader_rebalance),
            setting("flush", self.flush.map(flush), flush(c.flush)),
        ];
        settings
            .into_iter()
            .filter_map(|(flag, given, has)| Some(format!("--{flag} {} (it has {has})", given.filter(|g| *g != has)?)))
            .collect()
    }
}

/// The configuration a real cluster runs with: Kafka's current behaviour, these settings, no
/// configured producers (clients join at run time), no fault budget (faults are the operator's
/// commands: nothing is injected), and the runtime settings on.
pub fn runtime_config(options: &UpOptions) -> Result<Config, ClusterError> {
    let brokers = options.brokers.unwrap_or(3);
    let replication_factor = options.replication_factor.unwrap_or(brokers.min(3));
    let config = Config {
        brokers,
        partitions: options.partitions.unwrap_or(1),
        replication_factor,
        min_insync_replicas: options.min_insync_replicas.unwrap_or(2.min(replication_factor)),
        producers: 0,
        records: 0,
        controllers: options.controllers.unwrap_or(1),
        eligible_leader_replicas: options.eligible_leader_replicas.unwrap_or(false),
        unclean_leader_election: options.unclean_leader_election.unwrap_or(false),
        auto_leader_rebalance: options.auto_leader_rebalance.unwrap_or(true),
        flush: options.flush.unwrap_or(FlushPolicy::Never),
        // The leader-epoch bound is the checker's (`system::beyond_exploration_bound`); no handler reads it.
        budget: FaultBudget { leader_epochs: 32, ..FaultBudget::none() },
        runtime: RuntimeSettings {
            heartbeats: true,
            metadata_refresh: true,
            fetch_max_records: Some(FETCH_MAX_RECORDS),
            fetch_max_wait: true,
            fetch_timeout: true,
            controller_request_timeout: true,
            metadata_fetch: true,
            durable_metadata: true,
        },
        ..Config::default()
    };
    config.validate().map_err(|e| ClusterError::Config(e.to_string()))?;
    Ok(config)
}

fn node_ids(cluster: &ClusterFile) -> Vec<u32> {
    crate::cluster_file::node_ids(&cluster.config)
}

fn check_node(cluster: &ClusterFile, node: u32) -> Result<(), ClusterError> {
    if cluster.node(node).is_none() {
        return Err(ClusterError::UnknownNode { node, last: crate::cluster_file::last_node_id(&cluster.config) });
    }
    Ok(())
}

/// `kelp cluster up`: a new cluster in `dir` (or the existing one, restarted from its files, as
/// it was set up: settings given that differ from its own are refused, not ignored).
pub fn up(dir: &Path, options: &UpOptions) -> Result<Vec<String>, ClusterError> {
    if dir.exists() && !dir.is_dir() {
        return Err(ClusterError::NotADirectory { dir: dir.display().to_string() });
    }
    let cluster = if ClusterFile::path(dir).exists() {
        let cluster = ClusterFile::load(dir)?;
        let layout = Layout::new(dir, &cluster.config);
        if node_ids(&cluster).into_iter().any(|n| process::running(&layout, n).is_some()) {
            return Err(ClusterError::AlreadyRunning { dir: dir.display().to_string() });
        }
        let differences = options.differences(&cluster.config);
        if !differences.is_empty() {
            let dir = dir.display().to_string();
            return Err(ClusterError::SetUpOtherwise { dir, differences: differences.join(", ") });
        }
        cluster
    } else {
        let cluster = ClusterFile::on_free_ports(runtime_config(options)?)?;
        std::fs::create_dir_all(dir).map_err(io(format!("create {}", dir.display())))?;
        cluster.write(dir)?;
        cluster
    };
    let layout = Layout::new(dir, &cluster.config);
    let mut lines = Vec::new();
    for node in node_ids(&cluster) {
        lines.push(start_node(&layout, &cluster, node)?);
    }
    Ok(lines)
}

/// The last line a node wrote to its log (its error, when it exited at once).
fn last_line(log: &Path) -> Option<String> {
    let text = std::fs::read_to_string(log).ok()?;
    text.lines().rev().find(|line| !line.trim().is_empty()).map(|line| line.trim().to_string())
}

fn start_node(layout: &Layout, cluster: &ClusterFile, node: u32) -> Result<String, ClusterError> {
    let name = layout.name(node);
    if let Some(pid) = process::running(layout, node) {
        return Err(ClusterError::Running { name, pid });
    }
    let pid = process::start(layout, node).map_err(io(format!("start {name}")))?;
    let log = layout.log_file(node);
    let deadline = std::time::Instant::now() + SETTLE;
    // Up once it listens (it opened its data directory first); a node that exits at once (a port
    // taken, a data directory of another node) is not up, whatever its pid says.
    while !process::ready(layout, node, pid) {
        if !process::has_live_thread(pid) {
            let why = last_line(&log).unwrap_or_else(|| "no word in its log".to_string());
            return Err(ClusterError::ExitedAtOnce { name, why, log: log.display().to_string() });
        }
        if std::time::Instant::now() >= deadline {
            return Err(ClusterError::DidNotStart { name, log: log.display().to_string() });
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let log = log.display();
    let address = cluster.address_of(node).map_or_else(String::new, |a| a.to_string());
    Ok(format!("{name}\tpid {pid}\t{address}\tlog {log}"))
}

/// `kelp cluster status`: one line per node: its name, its node id (what `kill`, `start`, `stop`
/// and `--node` take), running (with its pid) or stopped, and its address.
pub fn status(dir: &Path) -> Result<Vec<String>, ClusterError> {
    let cluster = ClusterFile::load(dir)?;
    let layout = Layout::new(dir, &cluster.config);
    Ok(node_ids(&cluster)
        .into_iter()
        .map(|node| {
            let name = layout.name(node);
            let address = cluster.address_of(node).map_or_else(String::new, |a| a.to_string());
            match process::running(&layout, node) {
                Some(pid) => format!("{name}\tnode {node}\trunning\tpid {pid}\t{address}"),
                None => format!("{name}\tnode {node}\tstopped\t\t{address}"),
            }
        })
        .collect())
}

/// `kelp cluster kill N`: SIGKILL, and wait until it is gone.
pub fn kill(dir: &Path, node: u32) -> Result<String, ClusterError> {
    let cluster = ClusterFile::load(dir)?;
    check_node(&cluster, node)?;
    kill_node(&Layout::new(dir, &cluster.config), node)
}

fn kill_node(layout: &Layout, node: u32) -> Result<String, ClusterError> {
    let name = layout.name(node);
    let pid = process::running(layout, node).ok_or_else(|| ClusterError::NotRunning { name: name.clone() })?;
    process::signal(pid, libc::SIGKILL).map_err(io(format!("kill {name}")))?;
    if !process::wait_gone(pid, SETTLE) {
        return Err(ClusterError::Undying { name, pid });
    }
    process::forget(layout, node);
    Ok(format!("{name} killed (pid {pid})"))
}

/// `kelp cluster kill-controller`: finds the active controller (the candidate that answers a
/// describe) and SIGKILLs it. With candidates, ZooKeeper expires its session after
/// `zookeeper.session.timeout.ms` and a standby takes over in the next controller epoch.
pub fn kill_controller(dir: &Path) -> Result<Vec<String>, ClusterError> {
    let cluster = ClusterFile::load(dir)?;
    let (active, _) = crate::client::Client::connect(dir)
        .and_then(|mut client| client.partitions())
        .map_err(|e| ClusterError::NoActiveController(e.to_string()))?;
    let layout = Layout::new(dir, &cluster.config);
    let mut lines = vec![kill_node(&layout, active)?];
    if cluster.config.has_coordinator() {
        let timeout = kelp_model::timer::Timer::ControllerSessionExpiry.duration().start;
        lines.push(format!(
            "zookeeper expires its session within {timeout:?}; then another candidate takes over (`kelp topics --describe` names it)"
        ));
    }
    Ok(lines)
}

/// `kelp cluster start N`.
pub fn start(dir: &Path, node: u32) -> Result<String, ClusterError> {
    let cluster = ClusterFile::load(dir)?;
    check_node(&cluster, node)?;
    start_node(&Layout::new(dir, &cluster.config), &cluster, node)
}

/// `kelp cluster stop N`: SIGTERM (a broker's controlled shutdown), then wait; killed if it does
/// not stop in time.
pub fn stop(dir: &Path, node: u32) -> Result<String, ClusterError> {
    let cluster = ClusterFile::load(dir)?;
    check_node(&cluster, node)?;
    let layout = Layout::new(dir, &cluster.config);
    let name = layout.name(node);
    let pid = process::running(&layout, node).ok_or(ClusterError::NotRunning { name })?;
    Ok(stop_nodes(&layout, &[(node, pid)])?.remove(0))
}

/// Stops the running nodes `running` (node, pid) together: SIGTERM to each, then waits for each
/// (a broker's controlled shutdown takes up to its timeout when no controller answers: one after
/// the other, three brokers took 90 s), SIGKILL for any still there after `STOP_WAIT`. A line
/// per node, in `running`'s order, saying how each broker stopped: its clean-shutdown marker, or
/// none (its next start recovers its logs, and KIP-966 counts it unclean).
fn stop_nodes(layout: &Layout, running: &[(u32, u32)]) -> Result<Vec<String>, ClusterError> {
    for &(node, pid) in running {
        process::signal(pid, libc::SIGTERM).map_err(io(format!("stop {}", layout.name(node))))?;
    }
    let deadline = std::time::Instant::now() + STOP_WAIT;
    let mut lines = Vec::new();
    for &(node, pid) in running {
        let name = layout.name(node);
        if !process::wait_gone(pid, deadline.saturating_duration_since(std::time::Instant::now())) {
            let killed = kill_node(layout, node)?;
            lines.push(format!("{killed}: it did not stop within {STOP_WAIT:?}"));
            continue;
        }
        process::forget(layout, node);
        let unclean =
            layout.role(node) == Role::Broker && !layout.data_dir(node).join(storage::CLEAN_SHUTDOWN).exists();
        lines.push(match unclean {
            true => format!(
                "{name} stopped (pid {pid}) before its controlled shutdown completed (its log says why): no \
                 clean-shutdown marker, so its next start recovers its logs"
            ),
            false => format!("{name} stopped (pid {pid})"),
        });
    }
    Ok(lines)
}

/// `kelp cluster down`: the brokers by controlled shutdown, together (which needs the controller,
/// and with candidates ZooKeeper), then the controller candidates, then ZooKeeper. Data stays.
pub fn down(dir: &Path) -> Result<Vec<String>, ClusterError> {
    let cluster = ClusterFile::load(dir)?;
    let layout = Layout::new(dir, &cluster.config);
    let mut lines = Vec::new();
    for role in [Role::Broker, Role::Controller, Role::Zookeeper] {
        let running: Vec<(u32, u32)> = node_ids(&cluster)
            .into_iter()
            .filter(|&node| layout.role(node) == role)
            .filter_map(|node| process::running(&layout, node).map(|pid| (node, pid)))
            .collect();
        lines.extend(stop_nodes(&layout, &running)?);
    }
    if lines.is_empty() {
        lines.push(format!("no process of the cluster in {} was running", dir.display()));
    }
    Ok(lines)
}

/// `kelp cluster power-loss N`: kill the broker, then cut each log back to its flushed mark.
pub fn power_loss(dir: &Path, node: u32) -> Result<Vec<String>, ClusterError> {
    let cluster = ClusterFile::load(dir)?;
    check_node(&cluster, node)?;
    let layout = Layout::new(dir, &cluster.config);
    if layout.role(node) != Role::Broker {
        return Err(ClusterError::PowerLossOfNonBroker { node, name: layout.name(node) });
    }
    let mut lines = vec![kill_node(&layout, node)?];
    let report =
        storage::power_loss(&layout.data_dir(node)).map_err(|source| ClusterError::Storage { broker: node, source })?;
    lines.push(report.to_string());
    Ok(lines)
}

/// `kelp cluster check-logs`: with every broker stopped, reads their data directories and checks,
/// for each partition and each pair of replicas, that the logs hold the same records below the
/// lower of their two high watermarks (the model's `log-matching` property, on real files). A
/// damaged log is an error, not recovered: opening the storage would cut its tail, and the check
/// would judge what is left. A broker that never started (no `meta.properties`) holds nothing, and
/// nothing is created for it.
pub fn check_logs(dir: &Path) -> Result<Vec<String>, ClusterError> {
    let cluster = ClusterFile::load(dir)?;
    let layout = Layout::new(dir, &cluster.config);
    let brokers: Vec<u32> = (1..=u32::from(cluster.config.brokers)).collect();
    if let Some(&running) = brokers.iter().find(|&&b| process::running(&layout, b).is_some()) {
        return Err(ClusterError::RunningDuringCheck {
            name: layout.name(running),
            pid: process::running(&layout, running).unwrap_or(0),
        });
    }
    let partitions = usize::from(cluster.config.partitions);
    let mut disks = Vec::new();
    for &b in &brokers {
        let data = layout.data_dir(b);
        let storage_error = |source| ClusterError::Storage { broker: b, source };
        for p in 0..partitions {
            if let Some(damage) = storage::log_damage(&data, p).map_err(storage_error)? {
                return Err(ClusterError::LogDamaged { broker: b, damage });
            }
        }
        let broker = BrokerId(u8::try_from(b).expect("at most 9 brokers"));
        let disk = if data.join(storage::META_PROPERTIES).exists() {
            Storage::open(&data, &cluster.cluster_id, broker, partitions).map_err(storage_error)?.1
        } else {
            None
        };
        disks.push((b, disk.unwrap_or_else(|| kelp_model::broker::Disk::empty(&cluster.config))));
    }
    let mut lines = Vec::new();
    for p in cluster.config.partition_ids() {
        for (i, (a, disk_a)) in disks.iter().enumerate() {
            for (b, disk_b) in &disks[i + 1..] {
                let (ra, rb) = (disk_a.replica(p), disk_b.replica(p));
                let below = ra.high_watermark.min(rb.high_watermark);
                let common = ra.log.common_prefix(&rb.log);
                if common < below {
                    return Err(ClusterError::LogsDisagree(format!(
                        "t-{p}: brokers {a} and {b} differ at offset {common}, below their high watermarks ({} and {})",
                        ra.high_watermark, rb.high_watermark
                    )));
                }
            }
        }
        let summary: Vec<String> = disks
            .iter()
            .map(|(b, d)| {
                format!("broker {b}: {} records, HW {}", d.replica(p).log.end_offset(), d.replica(p).high_watermark)
            })
            .collect();
        lines.push(format!("t-{p}: logs agree below the high watermarks ({})", summary.join("; ")));
    }
    Ok(lines)
}
