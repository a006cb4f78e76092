//! The `kelp` command line: `kelp check` (a named scenario, a scenario file, or flags for any
//! `Config` field), `kelp simulate` (the same, walked at random), `kelp matrix` (the catalogue
//! against its expectations), `kelp trace` (a counterexample's file), `kelp explore` (stateright's
//! Explorer), `kelp bench` (both engines' speed and memory) and `kelp scenarios`. Parsing only; the
//! work is in `run`, `report`, `matrix`, `simulate`, `explore` and `bench`. The reference
//! cluster's commands (`cluster`, `topics`, `leader-election`, `demote-broker`, `produce`,
//! `consume`, and `node`, one process of it) are `kelp_impl::commands`'.

use crate::run::{Engine, Search};
use clap::{Args, Parser, Subcommand};
use kelp_impl::commands::args::between;
use kelp_model::config::{
    Acks, Config, FlushPolicy, Retries, TruncationRule, MAX_BROKERS, MAX_CONTROLLERS, MAX_FAULTS, MAX_LEADER_EPOCHS,
    MAX_PARTITIONS, MAX_PRODUCERS, MAX_RECORDS,
};
use std::path::PathBuf;

/// What every command's exit code means (`kelp --help`).
const EXIT_CODES: &str = "Exit codes, the same for every command:
  0  done, and all is as expected
  1  done, and it found a failure: a violated property or a verdict not the expected one,
     a record not delivered, an election refused, logs that disagree
  2  it could not run: bad flags or input, no cluster there, a node not answering, a file
     it cannot read or write";

#[derive(Debug, Parser)]
#[command(
    name = "kelp",
    version,
    about = "Model checking of Kafka partition leader election and replication, and a reference cluster that runs the model",
    after_help = EXIT_CODES
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check a scenario exhaustively and judge every property.
    Check(CheckArgs),
    /// List the named scenarios with their tier (which `kelp matrix` runs them) and expected outcome.
    Scenarios,
    /// Check every scenario against its expected outcome; exit 1 on any mismatch. With more than
    /// one `--threads` count, each scenario is checked at each and fails if its counts, verdicts
    /// or counterexamples differ between them.
    Matrix(MatrixArgs),
    /// Random walks through a scenario too large to check exhaustively; exit 1 on a violation.
    Simulate(SimulateArgs),
    /// Read a counterexample's trace.json: print it, or replay it against today's model.
    #[command(subcommand)]
    Trace(TraceCommand),
    /// stateright's Explorer (a web UI to step through the model's states) on loopback.
    Explore(ExploreArgs),
    /// The reference cluster: start, stop, kill, restart its processes (the model's actors over
    /// UDP on 127.0.0.1, with real files).
    #[command(subcommand)]
    Cluster(kelp_impl::commands::args::ClusterCommand),
    /// `kafka-topics --describe`: each partition's leader, replicas, ISR and ELR.
    Topics(kelp_impl::commands::args::TopicsArgs),
    /// `kafka-leader-election`: a preferred or unclean election.
    LeaderElection(kelp_impl::commands::args::LeaderElectionArgs),
    /// Cruise Control's `demote_broker`: moves the broker last in every replica list, then runs
    /// preferred elections, so it gives up leadership without failing.
    DemoteBroker(kelp_impl::commands::args::DemoteBrokerArgs),
    /// Lines from stdin as records (read to the end first); prints each one's offset or error.
    Produce(kelp_impl::commands::args::ProduceArgs),
    /// Committed records (below the high watermark), one value per line.
    Consume(kelp_impl::commands::args::ConsumeArgs),
    /// Runs one node of a cluster in the foreground (what `kelp cluster` starts).
    #[command(hide = true)]
    Node(kelp_impl::commands::args::NodeRunArgs),
    /// Unique states per second, CPU time, peak memory and bytes per state of both engines on one
    /// scenario (default: healthy), in one run: stateright's BFS once at 1 thread as the baseline,
    /// the native engine at each `--threads` count; exit 1 if the engines disagree on the unique
    /// states.
    Bench(BenchArgs),
}

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// The scenario measured: `--scenario NAME` or `--config FILE`, default `healthy`; the
    /// configuration flags override it.
    #[command(flatten)]
    pub selection: ScenarioArgs,
    #[command(flatten)]
    pub threads: ThreadCounts,
    /// Print one JSON object instead of the table.
    #[arg(long)]
    pub json: bool,
    /// No `bench: <engine> at <n> thread(s)...` line on stderr before each run.
    #[arg(long, short)]
    pub quiet: bool,
    /// Rounds of runs, each engine and thread count once per round, every other round in the
    /// reverse order (so neither engine always runs first); the table shows each one's median
    /// run, and the native/stateright ratio of every round is printed. The machine's noise and
    /// the order of the runs then show in the figures instead of hiding in one pair.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=20))]
    pub rounds: u16,
}

/// `--threads LIST`: the thread counts a command runs the checker at, one run per count.
#[derive(Debug, Args)]
pub struct ThreadCounts {
    /// Checker thread counts, comma-separated (`1,2,4`): one run at each.
    #[arg(
        long = "threads",
        value_name = "LIST",
        value_delimiter = ',',
        default_value = "1",
        value_parser = clap::value_parser!(u16).range(1..=512)
    )]
    counts: Vec<u16>,
}

impl ThreadCounts {
    /// The counts, ascending, each once.
    pub fn ascending(&self) -> Vec<usize> {
        let mut threads: Vec<usize> = self.counts.iter().copied().map(usize::from).collect();
        threads.sort_unstable();
        threads.dedup();
        threads
    }
}

/// `--threads N` where it is optional: the machine's cores unless given.
fn threads_or_cores(threads: Option<u16>) -> usize {
    threads.map(usize::from).unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

#[derive(Debug, Args)]
pub struct ExploreArgs {
    #[command(flatten)]
    pub selection: ScenarioArgs,
    /// A counterexample's trace.json: explore its configuration and print the URL that opens its path.
    #[arg(long, conflicts_with_all = ["scenario", "config"])]
    pub trace: Option<PathBuf>,
    /// Where the Explorer listens: loopback only.
    #[arg(long, default_value = "127.0.0.1:3000")]
    pub bind: std::net::SocketAddr,
}

#[derive(Debug, Subcommand)]
pub enum TraceCommand {
    /// Print a trace.json as trace.md tells it (without the diagram); exit 2 on a bad file.
    Show {
        file: PathBuf,
        /// Every field of every actor at the start and after every step.
        #[arg(long)]
        full: bool,
    },
    /// Re-run a trace.json's actions against today's model: exit 0 if it still breaks its
    /// property, 1 if a step no longer applies or the property holds, 2 on a bad file.
    Replay { file: PathBuf },
}

#[derive(Debug, Args)]
pub struct MatrixArgs {
    /// The scenarios CI runs (the default).
    #[arg(long, conflicts_with = "full")]
    pub ci: bool,
    /// Every scenario, the larger bounds included.
    #[arg(long)]
    pub full: bool,
    /// Scenarios checked at the same time (default: the machine's cores).
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=512))]
    pub parallel: Option<u16>,
    /// No `done <scenario>` line on stderr as each scenario finishes.
    #[arg(long, short)]
    pub quiet: bool,
    /// Fail a scenario whose counterexample differs from the one committed in
    /// DIR/<scenario>/<property>/trace.json, or has none there.
    #[arg(long, value_name = "DIR", conflicts_with = "out")]
    pub traces: Option<PathBuf>,
    /// Write every counterexample to DIR/<scenario>/<property>/ (how committed traces are refreshed).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub threads: ThreadCounts,
}

/// Which configuration a command works on: a named scenario, a scenario file, or the defaults,
/// each with any field overridden by a flag.
#[derive(Debug, Args)]
pub struct ScenarioArgs {
    /// A named scenario (see `kelp scenarios`); flags below override its configuration.
    #[arg(long)]
    pub scenario: Option<String>,
    /// A scenario file (TOML, the form of checks/scenarios/*.toml).
    #[arg(long, conflicts_with = "scenario")]
    pub config: Option<PathBuf>,
    #[command(flatten)]
    pub overrides: ConfigFlags,
}

impl ScenarioArgs {
    pub fn select(&self) -> Result<crate::scenario::Scenario, crate::scenario::ScenarioError> {
        crate::scenario::Scenario::select(self.scenario.as_deref(), self.config.as_deref(), &self.overrides)
    }
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub selection: ScenarioArgs,
    /// The checker: native (kelp's deterministic BFS) or stateright (whose `eventually` verdicts
    /// are not judged: it cannot see cycles).
    #[arg(long, value_enum, default_value_t = Engine::Native)]
    pub engine: Engine,
    /// Checker threads (default: the machine's cores). The native engine finds the same states and
    /// counterexamples at any count; stateright's BFS gives shortest ones only at one thread.
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=512))]
    pub threads: Option<u16>,
    /// Breadth-first search (the default).
    #[arg(long, conflicts_with = "dfs")]
    pub bfs: bool,
    /// Depth-first search: far less memory, longer counterexamples, one thread; the native engine
    /// then leaves `eventually` properties unjudged.
    #[arg(long)]
    pub dfs: bool,
    /// Symmetry reduction (native engine): one state per orbit of the renamings of brokers and
    /// producers the configuration cannot tell apart (none, when every broker is in the
    /// assignment and there is one producer). `eventually` properties are then not judged.
    #[arg(long)]
    pub symmetry: bool,
    /// Bits of each visited state the native engine keeps: 64 (TLC's size) or 128 (for runs whose
    /// reported collision probability is too high; more memory).
    #[arg(long, value_enum, default_value = "64")]
    pub fingerprint_bits: crate::run::FingerprintBits,
    /// Print one JSON object instead of the text report.
    #[arg(long)]
    pub json: bool,
    /// No progress on stderr. Otherwise a line (elapsed time, depth, states generated, unique
    /// states, queue, unique states/s) goes to stderr every 2 s on a terminal, every 10 s when
    /// stderr is a file or pipe.
    #[arg(long, short)]
    pub quiet: bool,
    /// Progress every MS milliseconds instead.
    #[arg(long, value_name = "MS", conflicts_with = "quiet", value_parser = clap::value_parser!(u64).range(1..))]
    pub progress_interval_ms: Option<u64>,
    /// Count each kind of action (`deliver Fetch`, `timer Crash`, ...): transitions fired and how
    /// many reached a new state; kinds that never fired are flagged NEVER FIRED. A table after the
    /// properties, or `coverage` in JSON. Native engine only.
    #[arg(long)]
    pub coverage: bool,
    /// Write each counterexample to DIR/<scenario>/<property>/ (trace.md, trace.json, trace.svg).
    #[arg(long, value_name = "DIR", default_value = "traces")]
    pub out: PathBuf,
    /// Write no trace files.
    #[arg(long, conflicts_with = "out")]
    pub no_traces: bool,
}

impl CheckArgs {
    pub fn search(&self) -> Search {
        if self.dfs {
            Search::Dfs
        } else {
            Search::Bfs
        }
    }

    pub fn threads(&self) -> usize {
        threads_or_cores(self.threads)
    }
}

#[derive(Debug, Args)]
pub struct SimulateArgs {
    #[command(flatten)]
    pub selection: ScenarioArgs,
    /// Run 0's seed, decimal or 0x hex (default: from the clock); later runs' seeds derive from it.
    #[arg(long, value_parser = parse_seed)]
    pub seed: Option<u64>,
    /// How many random walks.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..))]
    pub runs: u32,
    /// The most steps one walk takes (at most 1,000,000).
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u32).range(1..=crate::simulate::MAX_DEPTH as i64))]
    pub depth: u32,
    /// Runs walked at the same time (default: the machine's cores); the result is the same.
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=512))]
    pub threads: Option<u16>,
    /// Print one JSON object instead of the text report.
    #[arg(long)]
    pub json: bool,
}

impl SimulateArgs {
    pub fn threads(&self) -> usize {
        threads_or_cores(self.threads)
    }
}

fn parse_seed(s: &str) -> Result<u64, String> {
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => s.parse(),
    }
    .map_err(|_| "expected a 64-bit number, decimal or 0x hex".to_string())
}

fn parse_truncation(s: &str) -> Result<TruncationRule, String> {
    TruncationRule::ALL.into_iter().find(|rule| rule.name() == s).ok_or_else(|| {
        let names: Vec<&str> = TruncationRule::ALL.iter().map(|rule| rule.name()).collect();
        format!("expected one of {}", names.join(", "))
    })
}

fn parse_flush(s: &str) -> Result<FlushPolicy, String> {
    match s {
        "never" => Ok(FlushPolicy::Never),
        "always" => Ok(FlushPolicy::Always),
        _ => Err("expected never or always".to_string()),
    }
}

/// One flag per `Config` field; each overrides the scenario's value when given.
#[derive(Debug, Default, Args)]
pub struct ConfigFlags {
    #[arg(long, value_parser = between(1, MAX_BROKERS), help_heading = "Cluster")]
    pub brokers: Option<u8>,
    #[arg(long, value_parser = between(1, MAX_PARTITIONS), help_heading = "Cluster")]
    pub partitions: Option<u8>,
    #[arg(long, value_parser = between(1, MAX_BROKERS), help_heading = "Cluster")]
    pub replication_factor: Option<u8>,
    /// min.insync.replicas
    #[arg(long, value_parser = between(1, MAX_BROKERS), help_heading = "Cluster")]
    pub min_insync_replicas: Option<u8>,
    /// Controller candidates (1 to 3); 2 or more add ZooKeeper and controller failover
    #[arg(long, value_parser = between(1, MAX_CONTROLLERS), help_heading = "Cluster")]
    pub controllers: Option<u8>,
    /// An operator demotes a broker the producers report unreachable
    #[arg(long, help_heading = "Cluster")]
    pub operator_demotes: Option<bool>,
    #[arg(long, value_parser = between(0, MAX_PRODUCERS), help_heading = "Producer")]
    pub producers: Option<u8>,
    /// Records each producer sends.
    #[arg(long, value_parser = clap::value_parser!(u32).range(0..=i64::from(MAX_RECORDS)), help_heading = "Producer")]
    pub records: Option<u32>,
    /// 0, 1 or all (-1)
    #[arg(long, value_parser = str::parse::<Acks>, allow_hyphen_values = true, help_heading = "Producer")]
    pub acks: Option<Acks>,
    #[arg(long, help_heading = "Producer")]
    pub idempotence: Option<bool>,
    /// 0 to 16, or forever
    #[arg(long, help_heading = "Producer")]
    pub retries: Option<Retries>,
    /// unclean.leader.election.enable
    #[arg(long, help_heading = "Fixes")]
    pub unclean_leader_election: Option<bool>,
    /// high-watermark (pre KIP-101), kip-101, kip-279, kip-320-2.1 (Kafka 2.1-2.7) or kip-320
    #[arg(long, value_parser = parse_truncation, help_heading = "Fixes")]
    pub truncation: Option<TruncationRule>,
    /// KIP-320 current leader epoch in Fetch
    #[arg(long, help_heading = "Fixes")]
    pub fetch_epoch_fencing: Option<bool>,
    /// KIP-903 broker epochs in AlterPartition
    #[arg(long, help_heading = "Fixes")]
    pub broker_epoch_fencing: Option<bool>,
    /// KIP-966 eligible leader replicas and unclean-shutdown detection
    #[arg(long, help_heading = "Fixes")]
    pub eligible_leader_replicas: Option<bool>,
    /// KIP-966: with ISR and ELR empty, elect the last leader when it is back (Kafka 4.0, 4.1: on)
    #[arg(long, help_heading = "Fixes")]
    pub last_known_leader_election: Option<bool>,
    /// KIP-966: no HW advance while the ISR is below min ISR
    #[arg(long, help_heading = "Fixes")]
    pub strict_min_isr: Option<bool>,
    /// KAFKA-7128: ISR expansion waits for the leader epoch start offset
    #[arg(long, help_heading = "Fixes")]
    pub isr_expand_epoch_check: Option<bool>,
    /// auto.leader.rebalance.enable
    #[arg(long, help_heading = "Fixes")]
    pub auto_leader_rebalance: Option<bool>,
    /// The controller epoch fences a deposed controller (ZooKeeper writes, brokers)
    #[arg(long, help_heading = "Fixes")]
    pub controller_epoch_fencing: Option<bool>,
    /// never (Kafka's default) or always (fsync per write)
    #[arg(long, value_parser = parse_flush, help_heading = "Fixes")]
    pub flush: Option<FlushPolicy>,
    #[arg(long, value_parser = between(0, MAX_FAULTS), help_heading = "Fault budget")]
    pub crashes: Option<u8>,
    #[arg(long, value_parser = between(0, MAX_FAULTS), help_heading = "Fault budget")]
    pub power_losses: Option<u8>,
    #[arg(long, value_parser = between(0, MAX_FAULTS), help_heading = "Fault budget")]
    pub shutdowns: Option<u8>,
    #[arg(long, value_parser = between(0, MAX_FAULTS), help_heading = "Fault budget")]
    pub session_expiries: Option<u8>,
    #[arg(long, value_parser = between(0, MAX_FAULTS), help_heading = "Fault budget")]
    pub isr_shrinks: Option<u8>,
    /// Cuts of one broker-producer link (a partial partition).
    #[arg(long, value_parser = between(0, MAX_FAULTS), help_heading = "Fault budget")]
    pub link_cuts: Option<u8>,
    /// ZooKeeper session expiries of the active controller (needs --controllers 2 or more).
    #[arg(long, value_parser = between(0, MAX_FAULTS), help_heading = "Fault budget")]
    pub controller_session_expiries: Option<u8>,
    /// At most this many faults of any kind in one run.
    #[arg(long, value_parser = between(0, MAX_FAULTS), help_heading = "Fault budget")]
    pub faults: Option<u8>,
    /// How many times in one run a stopped broker comes back (default: always).
    #[arg(long, value_parser = between(0, MAX_FAULTS), help_heading = "Fault budget")]
    pub restarts: Option<u8>,
    /// The highest leader epoch an election may reach.
    #[arg(long, value_parser = between(1, MAX_LEADER_EPOCHS), help_heading = "Fault budget")]
    pub leader_epochs: Option<u8>,
}

impl ConfigFlags {
    /// Writes every given flag into `cfg`; returns whether any was given.
    pub fn apply(&self, cfg: &mut Config) -> bool {
        let before = cfg.clone();
        macro_rules! set {
            ($($flag:ident => $field:expr),* $(,)?) => {
                $(if let Some(v) = self.$flag { $field = v; })*
            };
        }
        set!(
            brokers => cfg.brokers,
            partitions => cfg.partitions,
            replication_factor => cfg.replication_factor,
            min_insync_replicas => cfg.min_insync_replicas,
            controllers => cfg.controllers,
            producers => cfg.producers,
            records => cfg.records,
            acks => cfg.acks,
            idempotence => cfg.idempotence,
            retries => cfg.retries,
            unclean_leader_election => cfg.unclean_leader_election,
            truncation => cfg.truncation,
            fetch_epoch_fencing => cfg.fetch_epoch_fencing,
            broker_epoch_fencing => cfg.broker_epoch_fencing,
            eligible_leader_replicas => cfg.eligible_leader_replicas,
            last_known_leader_election => cfg.last_known_leader_election,
            strict_min_isr => cfg.strict_min_isr,
            isr_expand_epoch_check => cfg.isr_expand_epoch_check,
            auto_leader_rebalance => cfg.auto_leader_rebalance,
            operator_demotes => cfg.operator_demotes,
            controller_epoch_fencing => cfg.controller_epoch_fencing,
            flush => cfg.flush,
            crashes => cfg.budget.crashes,
            power_losses => cfg.budget.power_losses,
            shutdowns => cfg.budget.shutdowns,
            session_expiries => cfg.budget.session_expiries,
            isr_shrinks => cfg.budget.isr_shrinks,
            link_cuts => cfg.budget.link_cuts,
            controller_session_expiries => cfg.budget.controller_session_expiries,
            leader_epochs => cfg.budget.leader_epochs,
        );
        if let Some(faults) = self.faults {
            cfg.budget.faults = Some(faults);
        }
        if let Some(restarts) = self.restarts {
            cfg.budget.restarts = Some(restarts);
        }
        *cfg != before
    }
}
