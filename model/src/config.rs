//! Every knob of a modelled cluster: its size, the client settings, the historical fixes that can be
//! switched off, and the fault budget that bounds the exploration. Defaults are Kafka's current
//! behaviour (4.x) with the smallest cluster that shows it. `Config::validate` is the single gate
//! for nonsense; the command line, config files and the runtime all go through it.

mod producer;

pub use producer::{Acks, Retries};

use crate::ids::{BrokerId, ControllerId, PartitionId, ProducerId};
use serde::{Deserialize, Serialize};
use std::fmt;

/// How a follower finds where its log stops agreeing with the leader's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TruncationRule {
    /// Before KIP-101 (Kafka < 0.11): truncate to the own high watermark on becoming follower.
    HighWatermark,
    /// KIP-101 as first shipped: OffsetsForLeaderEpoch with the follower's latest epoch; the leader
    /// answers the start offset of the next larger epoch it knows (KAFKA-6361 bug).
    #[serde(rename = "kip-101", alias = "kip101")]
    Kip101,
    /// KIP-279: the leader answers the largest epoch <= the requested one with its end offset, and
    /// the follower truncates to the smaller of that and its own end offset for that epoch.
    #[serde(rename = "kip-279", alias = "kip279")]
    Kip279,
    /// KIP-320 as Kafka 2.1 to 2.7 shipped it: truncation still by OffsetsForLeaderEpoch (KIP-279's
    /// lookup), with KAFKA-7415's fixes: a new leader puts its epoch in its cache at once, and an
    /// epoch older than every known one ends where the first known epoch starts.
    #[serde(rename = "kip-320-2.1")]
    Kip320Kafka21,
    /// KIP-320 (and KIP-595's fetch form, Kafka 2.8, KAFKA-10554): the fetch carries the last
    /// fetched epoch and the leader answers a diverging epoch in the fetch response itself.
    /// Kafka's current behaviour.
    #[serde(rename = "kip-320", alias = "kip320")]
    Kip320,
}

impl TruncationRule {
    pub const ALL: [TruncationRule; 5] = [
        TruncationRule::HighWatermark,
        TruncationRule::Kip101,
        TruncationRule::Kip279,
        TruncationRule::Kip320Kafka21,
        TruncationRule::Kip320,
    ];

    /// The name scenario files and flags use.
    pub fn name(self) -> &'static str {
        match self {
            TruncationRule::HighWatermark => "high-watermark",
            TruncationRule::Kip101 => "kip-101",
            TruncationRule::Kip279 => "kip-279",
            TruncationRule::Kip320Kafka21 => "kip-320-2.1",
            TruncationRule::Kip320 => "kip-320",
        }
    }

    /// The follower asks OffsetsForLeaderEpoch before it fetches (KIP-101 to Kafka 2.7).
    pub fn truncates_by_epoch_request(self) -> bool {
        matches!(self, TruncationRule::Kip101 | TruncationRule::Kip279 | TruncationRule::Kip320Kafka21)
    }

    /// The fetch names the last fetched epoch and the leader answers a diverging one (2.8+).
    pub fn truncates_at_fetch(self) -> bool {
        self == TruncationRule::Kip320
    }

    /// KAFKA-7415 (2.1): a new leader's epoch enters its cache when it becomes leader, not with
    /// its first append, and an epoch older than every known one ends at the first known start.
    pub fn has_kafka_7415(self) -> bool {
        matches!(self, TruncationRule::Kip320Kafka21 | TruncationRule::Kip320)
    }
}

impl fmt::Display for TruncationRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// When a broker forces its log to disk (`flush.messages`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FlushPolicy {
    /// Kafka's default: rely on replication; only a clean shutdown flushes. A power loss loses
    /// everything written since the last flush.
    Never,
    /// `flush.messages=1`: fsync after every append.
    Always,
}

fn is_zero(n: &u8) -> bool {
    *n == 0
}

fn is_one(n: &u8) -> bool {
    *n == 1
}

fn is_true(b: &bool) -> bool {
    *b
}

/// How many faults the checker may inject: faults are bounded, recovery never is.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FaultBudget {
    /// Process crashes (SIGKILL): what was written survives in the page cache.
    pub crashes: u8,
    /// Power losses (unclean, data-losing crashes): what was not flushed is gone.
    pub power_losses: u8,
    /// Controlled shutdowns (leadership handed away first).
    pub shutdowns: u8,
    /// Broker session expiries seen by the controller (missed heartbeats).
    pub session_expiries: u8,
    /// ISR shrinks by the leader (`replica.lag.time.max.ms` passed).
    pub isr_shrinks: u8,
    /// The highest leader epoch any partition may reach (bounds elections).
    pub leader_epochs: u8,
    /// Partial network partitions: a cut of the link between one broker and one producer, for
    /// good (the broker still reaches the controller and the other brokers). Left out of written
    /// configurations when 0, so that traces from before link cuts read the same.
    #[serde(skip_serializing_if = "is_zero")]
    pub link_cuts: u8,
    /// ZooKeeper session expiries of the active controller (a GC pause, a network blip): the
    /// coordinator deletes `/controller` and another candidate takes over while the old one, not
    /// yet told, still acts as controller (a zombie). Needs `controllers` >= 2; left out of written
    /// configurations when 0.
    #[serde(skip_serializing_if = "is_zero")]
    pub controller_session_expiries: u8,
    /// At most this many faults of any kind in one run (crashes, power losses, shutdowns, broker
    /// session expiries, ISR shrinks, link cuts and controller session expiries together); unset:
    /// only the per-kind limits apply.
    pub faults: Option<u8>,
    /// How many times, in one run, a stopped broker comes back; unset: always. Once they are
    /// spent, a stopped broker stays down for good (a machine that is not coming back).
    pub restarts: Option<u8>,
}

impl FaultBudget {
    /// No fault of any kind, elections bounded as by default: the reference cluster's budget
    /// (its faults come from the operator, not from the model), and the start of a test's own.
    pub fn none() -> Self {
        FaultBudget {
            crashes: 0,
            power_losses: 0,
            shutdowns: 0,
            session_expiries: 0,
            isr_shrinks: 0,
            link_cuts: 0,
            controller_session_expiries: 0,
            ..FaultBudget::default()
        }
    }
}

impl Default for FaultBudget {
    fn default() -> Self {
        FaultBudget {
            crashes: 1,
            power_losses: 1,
            shutdowns: 0,
            session_expiries: 1,
            isr_shrinks: 1,
            link_cuts: 0,
            controller_session_expiries: 0,
            leader_epochs: 3,
            faults: None,
            restarts: None,
        }
    }
}

/// What a real deployment needs and the checked scenarios leave out, since their state spaces do
/// without it: the reference cluster (`impl/`) turns these on; every scenario has them off.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RuntimeSettings {
    /// KRaft broker heartbeats (`broker.heartbeat.interval.ms`): a registered broker heartbeats
    /// periodically, and the controller fences one whose heartbeats stop for
    /// `broker.session.timeout.ms`, as often as that happens (not a budgeted fault). The checker
    /// instead learns of a dead process from `HeartbeatsStopped`.
    pub heartbeats: bool,
    /// A producer refreshes its metadata (asks the controller for every partition's record) after
    /// a retriable error or a time-out, and while it knows no leader (Kafka's
    /// `metadata.max.age.ms` / `Metadata.requestUpdate`). In the checker the controller pushes
    /// every leader change to the producers instead.
    pub metadata_refresh: bool,
    /// The most records one fetch returns (Kafka bounds it in bytes: `replica.fetch.max.bytes`,
    /// `fetch.max.bytes`); unset: everything to the log end.
    pub fetch_max_records: Option<u32>,
    /// A leader answers the fetches it holds after `replica.fetch.wait.max.ms` even with nothing
    /// new (`DelayedFetch` expiry), and each follower fetches again, so a caught-up follower left
    /// out of the ISR (an AlterPartition refused, a session expired) is proposed again on an idle
    /// partition. The checker leaves fetches parked until there is news: a write unparks them.
    pub fetch_max_wait: bool,
    /// A follower whose Fetch or OffsetsForLeaderEpoch goes unanswered for
    /// `replica.socket.timeout.ms` (the fetcher's request timeout) backs off and sends it again:
    /// a real network loses datagrams, and one sent before the leader's process listens is gone.
    /// The checker's network loses nothing, so an unanswered request there waits for good.
    pub fetch_timeout: bool,
    /// A broker whose BrokerRegistration or AlterPartition goes unanswered for
    /// `controller.socket.timeout.ms` sends it again, unchanged (`BrokerLifecycleManager` sends a
    /// registration again; `NodeToControllerChannelManager` retries an AlterPartition until it is
    /// answered, and a refusal that leaves the change pending is an answer). With controller
    /// candidates, one whose writes to ZooKeeper go unanswered as long resigns and deletes
    /// `/controller` (`Timer::CoordinatorWriteTimeout`). The checker's network loses nothing.
    pub controller_request_timeout: bool,
    /// A registered broker asks the controller for the records of its partitions at every
    /// `Timer::MetadataFetch` (KRaft brokers fetch the metadata log from the controller quorum,
    /// so a record is never missed for good), which makes up for a lost `PartitionChange`. The
    /// checker delivers every record it pushes.
    pub metadata_fetch: bool,
    /// The sole controller saves its metadata at every change before it answers or sends
    /// anything, as KRaft's controller commits each record to the `__cluster_metadata` log
    /// first, and starts again from it (`ControllerState::recover`); the coordinator likewise
    /// keeps its data, as ZooKeeper does, and a controller candidate a mark that it started, so
    /// that it restarts as a standby (`saved::Saved`). The checker restarts none of them.
    pub durable_metadata: bool,
}

impl RuntimeSettings {
    pub fn is_off(&self) -> bool {
        *self == RuntimeSettings::default()
    }
}

/// A modelled cluster: one topic with `partitions` partitions, `brokers` brokers, one controller
/// (or `controllers` candidates and a coordinator) and `producers` idempotent (or not) producers.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub brokers: u8,
    pub partitions: u8,
    pub replication_factor: u8,
    /// `min.insync.replicas`.
    pub min_insync_replicas: u8,
    pub producers: u8,
    /// Records each producer sends (each to partition `sequence % partitions`).
    pub records: u32,
    pub acks: Acks,
    /// `enable.idempotence` (default true since Kafka 3.0).
    pub idempotence: bool,
    /// Producer `retries` (a number, or `"forever"`).
    pub retries: Retries,
    /// `unclean.leader.election.enable`.
    pub unclean_leader_election: bool,
    pub truncation: TruncationRule,
    /// KIP-320: Fetch carries the follower's current leader epoch and the leader fences it.
    pub fetch_epoch_fencing: bool,
    /// KIP-903: AlterPartition names each ISR member's broker epoch and the controller rejects stale ones.
    pub broker_epoch_fencing: bool,
    /// KIP-966: eligible leader replicas and unclean-shutdown detection at registration.
    pub eligible_leader_replicas: bool,
    /// KIP-966 with ELR: when ISR and ELR are both empty, the controller elects the partition's
    /// last leader once it is back, even after an unclean shutdown (`canElectLastKnownLeader`,
    /// not configurable in Kafka 4.0 and 4.1). Left out of written configurations when on.
    #[serde(skip_serializing_if = "is_true")]
    pub last_known_leader_election: bool,
    /// KIP-966 (KAFKA-15583, Kafka 3.7): the HW does not advance while the ISR is below
    /// min.insync.replicas.
    pub strict_min_isr: bool,
    /// KAFKA-7128: a follower joins the ISR only once it reached the leader's current epoch start.
    pub isr_expand_epoch_check: bool,
    /// `auto.leader.rebalance.enable`: the controller moves leadership back to the preferred replica.
    pub auto_leader_rebalance: bool,
    /// An operator watches the producers: a produce time-out alert naming a broker makes them
    /// demote it, as Cruise Control's `demote_broker` does (the broker moves to the end of every
    /// assignment, then a preferred election). Adds the operator actor. Left out of written
    /// configurations when off.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub operator_demotes: bool,
    /// Controller candidates. With 2 or more the model adds a coordination actor (ZooKeeper's
    /// part: sessions, the ephemeral `/controller` node, conditional writes) through which the
    /// active controller commits every change before it tells the brokers. Left out of written
    /// configurations when 1 (the KRaft-style single controller every other scenario uses).
    #[serde(skip_serializing_if = "is_one")]
    pub controllers: u8,
    /// The controller epoch fences a deposed controller: the coordinator refuses a write whose
    /// epoch is not the current one (KAFKA-6082's conditional write on `/controller_epoch`), and a
    /// broker ignores a request from an older controller epoch than one it has seen
    /// (`STALE_CONTROLLER_EPOCH`). Only matters with `controllers` >= 2; left out of written
    /// configurations when on.
    #[serde(skip_serializing_if = "is_true")]
    pub controller_epoch_fencing: bool,
    pub flush: FlushPolicy,
    pub budget: FaultBudget,
    /// Off in every scenario; on in the reference cluster.
    #[serde(skip_serializing_if = "RuntimeSettings::is_off")]
    pub runtime: RuntimeSettings,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            brokers: 3,
            partitions: 1,
            replication_factor: 3,
            min_insync_replicas: 2,
            producers: 1,
            records: 2,
            acks: Acks::All,
            idempotence: true,
            retries: Retries::Times(1),
            unclean_leader_election: false,
            truncation: TruncationRule::Kip320,
            fetch_epoch_fencing: true,
            broker_epoch_fencing: true,
            eligible_leader_replicas: true,
            last_known_leader_election: true,
            strict_min_isr: true,
            isr_expand_epoch_check: true,
            auto_leader_rebalance: false,
            operator_demotes: false,
            controllers: 1,
            controller_epoch_fencing: true,
            flush: FlushPolicy::Never,
            budget: FaultBudget::default(),
            runtime: RuntimeSettings::default(),
        }
    }
}

/// A configuration that cannot describe a cluster.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid configuration: {field} = {value}: {reason}")]
pub struct ConfigError {
    pub field: &'static str,
    pub value: String,
    pub reason: &'static str,
}

fn check(ok: bool, field: &'static str, value: impl fmt::Display, reason: &'static str) -> Result<(), ConfigError> {
    if ok {
        Ok(())
    } else {
        Err(ConfigError { field, value: value.to_string(), reason })
    }
}

// Bounds that keep every counter (`u8` ids, `u32` offsets and epochs) far from overflow; the
// command lines quote them too, so that a flag out of range is refused with the same bounds.
pub const MAX_BROKERS: u8 = 9;
pub const MAX_PARTITIONS: u8 = 8;
pub const MAX_PRODUCERS: u8 = 4;
pub const MAX_RECORDS: u32 = 1_000_000;
pub const MAX_LEADER_EPOCHS: u8 = 32;
/// The most of any one kind of fault, of faults in all, of restarts and of retries.
pub const MAX_FAULTS: u8 = 16;
pub const MAX_CONTROLLERS: u8 = 3;

impl Config {
    /// Rejects configurations that describe no cluster, naming the first bad field.
    pub fn validate(&self) -> Result<(), ConfigError> {
        check((1..=MAX_BROKERS).contains(&self.brokers), "brokers", self.brokers, "must be 1 to 9")?;
        check((1..=MAX_PARTITIONS).contains(&self.partitions), "partitions", self.partitions, "must be 1 to 8")?;
        check(
            (1..=self.brokers).contains(&self.replication_factor),
            "replication-factor",
            self.replication_factor,
            "must be at least 1 and at most the number of brokers",
        )?;
        check(
            (1..=self.replication_factor).contains(&self.min_insync_replicas),
            "min-insync-replicas",
            self.min_insync_replicas,
            "must be at least 1 and at most the replication factor",
        )?;
        check(self.producers <= MAX_PRODUCERS, "producers", self.producers, "must be 0 to 4")?;
        check(
            self.runtime.fetch_max_records != Some(0),
            "runtime.fetch-max-records",
            0,
            "must be at least 1 when set",
        )?;
        check(self.records <= MAX_RECORDS, "records", self.records, "must be 0 to 1,000,000")?;
        if let Retries::Times(retries) = self.retries {
            check(retries <= MAX_FAULTS, "retries", retries, "must be 0 to 16 or \"forever\"")?;
        }
        // Without idempotence every retry that arrives is a new record: endless retries would grow
        // the log without end, and the state space with it.
        check(
            self.retries != Retries::Forever || self.idempotence,
            "retries",
            self.retries,
            "\"forever\" needs idempotence (each retry would append another copy)",
        )?;
        check(
            (1..=MAX_LEADER_EPOCHS).contains(&self.budget.leader_epochs),
            "leader-epochs",
            self.budget.leader_epochs,
            "must be 1 to 32 (the first election is epoch 1)",
        )?;
        let b = &self.budget;
        if let Some(faults) = b.faults {
            check(faults <= MAX_FAULTS, "faults", faults, "must be 0 to 16")?;
        }
        if let Some(restarts) = b.restarts {
            check(restarts <= MAX_FAULTS, "restarts", restarts, "must be 0 to 16")?;
        }
        for (field, value) in [
            ("crashes", b.crashes),
            ("power-losses", b.power_losses),
            ("shutdowns", b.shutdowns),
            ("session-expiries", b.session_expiries),
            ("isr-shrinks", b.isr_shrinks),
            ("link-cuts", b.link_cuts),
            ("controller-session-expiries", b.controller_session_expiries),
        ] {
            check(value <= MAX_FAULTS, field, value, "must be 0 to 16")?;
        }
        check((1..=MAX_CONTROLLERS).contains(&self.controllers), "controllers", self.controllers, "must be 1 to 3")?;
        check(
            self.controllers > 1 || b.controller_session_expiries == 0,
            "controller-session-expiries",
            b.controller_session_expiries,
            "needs controllers >= 2 (a sole controller has nobody to take over)",
        )?;
        // The operator's tools and the producers' metadata requests go to the one controller;
        // with candidates they would have to find the active one first, which the model leaves out.
        check(
            self.controllers == 1 || !self.operator_demotes,
            "operator-demotes",
            self.operator_demotes,
            "needs controllers = 1",
        )?;
        Ok(())
    }

    /// Broker ids 1..=brokers.
    pub fn broker_ids(&self) -> impl Iterator<Item = BrokerId> + Clone {
        (1..=self.brokers).map(BrokerId)
    }

    pub fn partition_ids(&self) -> impl Iterator<Item = PartitionId> + Clone {
        (0..self.partitions).map(PartitionId)
    }

    pub fn producer_ids(&self) -> impl Iterator<Item = ProducerId> + Clone {
        (1..=u32::from(self.producers)).map(ProducerId)
    }

    /// The replica assignment of a partition, preferred leader first: `replication_factor`
    /// consecutive brokers starting at `partition % brokers`, as Kafka's round-robin assignment
    /// without racks does.
    pub fn replicas(&self, partition: PartitionId) -> Vec<BrokerId> {
        (0..self.replication_factor).map(|i| BrokerId((partition.0 + i) % self.brokers + 1)).collect()
    }

    /// The stateright actor index of a producer: after the controller and the brokers.
    pub fn producer_actor_index(&self, producer: ProducerId) -> usize {
        usize::from(self.brokers) + producer.0 as usize
    }

    /// The stateright actor index of the operator (`operator_demotes`): after the producers.
    pub fn operator_actor_index(&self) -> Option<usize> {
        self.operator_demotes.then(|| usize::from(self.brokers) + usize::from(self.producers) + 1)
    }

    /// Whether controller candidates fail over through a coordinator (`controllers` >= 2).
    pub fn has_coordinator(&self) -> bool {
        self.controllers > 1
    }

    /// Controller candidate ids 1..=controllers.
    pub fn controller_ids(&self) -> impl Iterator<Item = ControllerId> + Clone {
        (1..=self.controllers).map(ControllerId)
    }

    /// The stateright actor index of a controller candidate: candidate 1 is actor 0 (the sole
    /// controller of every single-controller configuration); the others come after every other
    /// actor, so that adding them moves nobody.
    pub fn controller_actor_index(&self, id: ControllerId) -> usize {
        if id.0 == 1 {
            0
        } else {
            self.after_clients() + usize::from(id.0) - 2
        }
    }

    /// The stateright actor index of the coordinator (`controllers` >= 2): last of all.
    pub fn coordinator_actor_index(&self) -> Option<usize> {
        self.has_coordinator().then(|| self.after_clients() + usize::from(self.controllers) - 1)
    }

    /// How many actors the model has: clients of the reference cluster take ids from here on.
    pub fn actor_count(&self) -> usize {
        self.coordinator_actor_index().map_or(self.after_clients(), |z| z + 1)
    }

    /// The first actor index after the controller, brokers, producers and the operator.
    fn after_clients(&self) -> usize {
        usize::from(self.brokers) + usize::from(self.producers) + 1 + usize::from(self.operator_demotes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_truncation_rule_is_named_as_its_scenario_files_spell_it() {
        #[derive(Serialize, Deserialize)]
        struct File {
            truncation: TruncationRule,
        }
        for rule in TruncationRule::ALL {
            let text = toml::to_string(&File { truncation: rule }).unwrap();
            assert_eq!(text.trim(), format!("truncation = \"{rule}\""));
            assert_eq!(toml::from_str::<File>(&text).unwrap().truncation, rule);
        }
    }

    #[test]
    fn default_is_valid() {
        assert_eq!(Config::default().validate(), Ok(()));
    }

    #[test]
    fn zero_brokers_is_rejected_by_name() {
        let cfg = Config { brokers: 0, ..Config::default() };
        let err = cfg.validate().unwrap_err();
        assert_eq!(err.field, "brokers");
        assert_eq!(err.to_string(), "invalid configuration: brokers = 0: must be 1 to 9");
    }

    #[test]
    fn min_isr_above_replication_factor_is_rejected() {
        let cfg = Config { min_insync_replicas: 4, ..Config::default() };
        assert_eq!(cfg.validate().unwrap_err().field, "min-insync-replicas");
    }

    #[test]
    fn controller_candidates_are_1_to_3_and_their_faults_need_more_than_one() {
        let field = |cfg: Config| cfg.validate().map_err(|e| e.field);
        assert_eq!(field(Config { controllers: 0, ..Config::default() }), Err("controllers"));
        assert_eq!(field(Config { controllers: 4, ..Config::default() }), Err("controllers"));
        let mut lone_expiry = Config::default();
        lone_expiry.budget.controller_session_expiries = 1;
        assert_eq!(field(lone_expiry.clone()), Err("controller-session-expiries"));
        assert_eq!(field(Config { controllers: 2, ..lone_expiry }), Ok(()));
        assert_eq!(
            field(Config { controllers: 2, operator_demotes: true, ..Config::default() }),
            Err("operator-demotes")
        );
    }

    #[test]
    fn other_candidates_and_the_coordinator_come_after_every_other_actor() {
        let cfg = Config { controllers: 3, producers: 2, ..Config::default() };
        // Controller 0, brokers 1..=3, producers 4..=5, candidates 2 and 3 at 6 and 7, coordinator 8.
        assert_eq!(cfg.controller_actor_index(ControllerId(1)), 0);
        assert_eq!(cfg.controller_actor_index(ControllerId(2)), 6);
        assert_eq!(cfg.controller_actor_index(ControllerId(3)), 7);
        assert_eq!(cfg.coordinator_actor_index(), Some(8));
        assert_eq!(Config::default().coordinator_actor_index(), None);
        // Clients of the reference cluster take ids past every actor: producers by address.
        for i in (0..9).chain([20]) {
            let id = stateright::actor::Id::from(i);
            assert_eq!(crate::effects::Address::of(id, &cfg).id(&cfg), id);
        }
        let client = crate::effects::Address::of(stateright::actor::Id::from(20), &cfg);
        assert_eq!(client, crate::effects::Address::Producer(ProducerId(17)));
    }

    #[test]
    fn assignment_is_round_robin_with_the_preferred_leader_first() {
        let cfg = Config { partitions: 3, ..Config::default() };
        assert_eq!(cfg.replicas(PartitionId(0)), vec![BrokerId(1), BrokerId(2), BrokerId(3)]);
        assert_eq!(cfg.replicas(PartitionId(1)), vec![BrokerId(2), BrokerId(3), BrokerId(1)]);
    }
}
