//! The `kelp` command line: `kelp check` (a named scenario, a scenario file, or flags for any
//! `Config` field) and `kelp scenarios`. Parsing only; the work is in `run` and `report`.

use crate::run::{Engine, Search};
use clap::{Args, Parser, Subcommand};
use kelp_model::config::{Acks, Config, FlushPolicy, TruncationRule};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(name = "kelp", version, about = "Model checking of Kafka partition leader election and replication")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check a scenario exhaustively and judge every property.
    Check(CheckArgs),
    /// List the named scenarios with their expected outcome.
    Scenarios,
    /// Check every scenario against its expected outcome; exit 1 on any mismatch.
    Matrix(MatrixArgs),
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
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// A named scenario (see `kelp scenarios`); flags below override its configuration.
    #[arg(long)]
    pub scenario: Option<String>,
    /// A scenario file (TOML, the form of checks/scenarios/*.toml).
    #[arg(long, conflicts_with = "scenario")]
    pub config: Option<PathBuf>,
    #[command(flatten)]
    pub overrides: ConfigFlags,
    /// The checker: native (kelp's deterministic BFS) or stateright.
    #[arg(long, value_enum, default_value_t = Engine::Native)]
    pub engine: Engine,
    /// Checker threads (default: the machine's cores). One thread gives the shortest counterexamples.
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=512))]
    pub threads: Option<u16>,
    /// Breadth-first search (the default).
    #[arg(long, conflicts_with = "dfs")]
    pub bfs: bool,
    /// Depth-first search: less memory, longer counterexamples (stateright engine only).
    #[arg(long)]
    pub dfs: bool,
    /// Print one JSON object instead of the text report.
    #[arg(long)]
    pub json: bool,
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
        self.threads.map(usize::from).unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
    }
}

fn parse_acks(s: &str) -> Result<Acks, String> {
    match s {
        "0" => Ok(Acks::Zero),
        "1" => Ok(Acks::One),
        "all" | "-1" => Ok(Acks::All),
        _ => Err("expected 0, 1 or all".to_string()),
    }
}

fn parse_truncation(s: &str) -> Result<TruncationRule, String> {
    match s {
        "high-watermark" => Ok(TruncationRule::HighWatermark),
        "kip-101" => Ok(TruncationRule::Kip101),
        "kip-279" => Ok(TruncationRule::Kip279),
        "kip-320" => Ok(TruncationRule::Kip320),
        _ => Err("expected high-watermark, kip-101, kip-279 or kip-320".to_string()),
    }
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
    #[arg(long, help_heading = "Cluster")]
    pub brokers: Option<u8>,
    #[arg(long, help_heading = "Cluster")]
    pub partitions: Option<u8>,
    #[arg(long, help_heading = "Cluster")]
    pub replication_factor: Option<u8>,
    /// min.insync.replicas
    #[arg(long, help_heading = "Cluster")]
    pub min_insync_replicas: Option<u8>,
    #[arg(long, help_heading = "Producer")]
    pub producers: Option<u8>,
    /// Records each producer sends.
    #[arg(long, help_heading = "Producer")]
    pub records: Option<u8>,
    /// 0, 1 or all
    #[arg(long, value_parser = parse_acks, help_heading = "Producer")]
    pub acks: Option<Acks>,
    #[arg(long, help_heading = "Producer")]
    pub idempotence: Option<bool>,
    #[arg(long, help_heading = "Producer")]
    pub retries: Option<u8>,
    /// unclean.leader.election.enable
    #[arg(long, help_heading = "Fixes")]
    pub unclean_leader_election: Option<bool>,
    /// high-watermark (pre KIP-101), kip-101, kip-279 or kip-320
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
    /// KIP-966: no HW advance while the ISR is below min ISR
    #[arg(long, help_heading = "Fixes")]
    pub strict_min_isr: Option<bool>,
    /// KAFKA-7128: ISR expansion waits for the leader epoch start offset
    #[arg(long, help_heading = "Fixes")]
    pub isr_expand_epoch_check: Option<bool>,
    /// auto.leader.rebalance.enable
    #[arg(long, help_heading = "Fixes")]
    pub auto_leader_rebalance: Option<bool>,
    /// never (Kafka's default) or always (fsync per write)
    #[arg(long, value_parser = parse_flush, help_heading = "Fixes")]
    pub flush: Option<FlushPolicy>,
    #[arg(long, help_heading = "Fault budget")]
    pub crashes: Option<u8>,
    #[arg(long, help_heading = "Fault budget")]
    pub power_losses: Option<u8>,
    #[arg(long, help_heading = "Fault budget")]
    pub shutdowns: Option<u8>,
    #[arg(long, help_heading = "Fault budget")]
    pub session_expiries: Option<u8>,
    #[arg(long, help_heading = "Fault budget")]
    pub isr_shrinks: Option<u8>,
    /// At most this many faults of any kind in one run.
    #[arg(long, help_heading = "Fault budget")]
    pub faults: Option<u8>,
    /// How many times in one run a stopped broker comes back (default: always).
    #[arg(long, help_heading = "Fault budget")]
    pub restarts: Option<u8>,
    /// The highest leader epoch an election may reach.
    #[arg(long, help_heading = "Fault budget")]
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
            strict_min_isr => cfg.strict_min_isr,
            isr_expand_epoch_check => cfg.isr_expand_epoch_check,
            auto_leader_rebalance => cfg.auto_leader_rebalance,
            flush => cfg.flush,
            crashes => cfg.budget.crashes,
            power_losses => cfg.budget.power_losses,
            shutdowns => cfg.budget.shutdowns,
            session_expiries => cfg.budget.session_expiries,
            isr_shrinks => cfg.budget.isr_shrinks,
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
