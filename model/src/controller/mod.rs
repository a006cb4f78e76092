//! The KRaft quorum controller (one active controller): it owns every partition's record, registers
//! brokers and tracks their sessions, fences them, elects leaders and applies ISR changes, and
//! publishes each change to the replicas and the producers. Handlers are split by concern:
//! `registration` (brokers joining, heartbeats, shutdown, session expiry), `alter_partition`,
//! `changes` (applying a `PartitionChangeBuilder` change and publishing it), `admin` (operators'
//! describe and election requests), `failover` (with `Config::controllers` > 1, the
//! ZooKeeper-era controller candidates: taking over, resigning, and committing each change before
//! sending it), `committed_changes` (what such a commit writes) and `writes` (the reference
//! cluster's count of them).

mod admin;
mod alter_partition;
mod changes;
mod committed_changes;
mod failover;
mod registration;
#[cfg(test)]
mod tests;
mod writes;

use crate::broker_set::BrokerSet;
use crate::config::Config;
use crate::effects::Effects;
use crate::ids::{BrokerEpoch, BrokerId, ControllerEpoch, Incarnation, LeaderEpoch, PartitionEpoch};
use crate::metadata::PartitionState;
use crate::msg::Msg;
use crate::rules::partition_change::ElectionKind;
use crate::timer::Timer;
pub use alter_partition::AlterPartitionRequest;
pub use committed_changes::CommittedChanges;
use serde::ser::SerializeStruct;
use serde::{Deserialize, Serialize, Serializer};
use std::hash::{Hash, Hasher};
pub use writes::Writes;

/// What the controller knows of one broker (`ClusterControlManager`'s registration).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Registration {
    pub epoch: BrokerEpoch,
    pub fenced: bool,
    pub in_controlled_shutdown: bool,
    /// The incarnation's heartbeats stopped (its process died): its session will expire.
    pub silent: bool,
    /// The process that registered (`incarnationId`).
    pub incarnation: Incarnation,
}

impl std::fmt::Display for Registration {
    /// `broker epoch 3, fenced`; `heartbeats stopped` once the controller learnt that this
    /// incarnation's process died (its session will expire).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let status = if self.in_controlled_shutdown {
            "in controlled shutdown"
        } else if self.fenced {
            "fenced"
        } else {
            "active"
        };
        let silent = if self.silent { ", heartbeats stopped" } else { "" };
        write!(f, "broker epoch {}, {status}{silent}", self.epoch)
    }
}

/// Whether a controller candidate acts as the controller (`Config::controllers`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum ControllerRole {
    /// The only controller: there is no election (every single-controller configuration).
    #[default]
    Sole,
    /// Won `/controller` in this controller epoch, and believes it still holds it: after its
    /// session expired it is a zombie until it is told.
    Active(ControllerEpoch),
    /// Waits for `/controller` to be free (a watch on the node).
    Standby,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
pub struct ControllerState {
    /// Indexed by broker id - 1.
    pub brokers: Vec<Registration>,
    pub next_broker_epoch: BrokerEpoch,
    /// Indexed by partition id.
    pub partitions: Vec<PartitionState>,
    /// Session expiries of live brokers injected so far (fault budget).
    pub session_expiries: u8,
    #[serde(default)]
    pub role: ControllerRole,
    /// The reference cluster's book of writes to the coordinator: empty in the checker, whose
    /// network loses nothing.
    #[serde(default)]
    pub writes: Writes,
}

/// Field by field, except that a readable format (a trace file's JSON) leaves out the sole
/// controller's role and an empty book of writes, so trace files keep the shape they had before
/// controller failover and the runtime's writes were modelled. A compact format (the cluster's
/// bincode datagrams, which carry a candidate's image) has no field names to tell a missing field
/// by: it gets every field.
impl Serialize for ControllerState {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let ControllerState { brokers, next_broker_epoch, partitions, session_expiries, role, writes } = self;
        let readable = serializer.is_human_readable();
        let skip_role = readable && role.is_sole();
        let skip_writes = readable && writes.is_none();
        let mut out =
            serializer.serialize_struct("ControllerState", 6 - usize::from(skip_role) - usize::from(skip_writes))?;
        out.serialize_field("brokers", brokers)?;
        out.serialize_field("next_broker_epoch", next_broker_epoch)?;
        out.serialize_field("partitions", partitions)?;
        out.serialize_field("session_expiries", session_expiries)?;
        if skip_role {
            out.skip_field("role")?;
        } else {
            out.serialize_field("role", role)?;
        }
        if skip_writes {
            out.skip_field("writes")?;
        } else {
            out.serialize_field("writes", writes)?;
        }
        out.end()
    }
}

/// Field by field, except that the sole controller's role and an empty book of writes hash as
/// nothing: configurations keep the fingerprints, search order and counterexamples they had
/// before controller failover and the runtime's writes were modelled.
impl Hash for ControllerState {
    fn hash<H: Hasher>(&self, state: &mut H) {
        let ControllerState { brokers, next_broker_epoch, partitions, session_expiries, role, writes } = self;
        brokers.hash(state);
        next_broker_epoch.hash(state);
        partitions.hash(state);
        session_expiries.hash(state);
        if !role.is_sole() {
            role.hash(state);
        }
        if !writes.is_none() {
            writes.hash(state);
        }
    }
}

impl ControllerRole {
    pub fn is_sole(&self) -> bool {
        *self == ControllerRole::Sole
    }
}

impl ControllerState {
    /// The freshly formatted cluster (`kafka-storage format` with its bootstrap metadata): every
    /// broker registered and unfenced with broker epoch = its id, every partition led by its
    /// preferred replica in leader epoch 1 with the full assignment in sync.
    pub fn bootstrap(cfg: &Config) -> Self {
        let brokers = cfg
            .broker_ids()
            .map(|b| Registration {
                epoch: BrokerEpoch(u32::from(b.0)),
                fenced: false,
                in_controlled_shutdown: false,
                silent: false,
                incarnation: Incarnation(0),
            })
            .collect();
        let partitions = cfg
            .partition_ids()
            .map(|p| {
                let replicas = cfg.replicas(p);
                PartitionState {
                    partition: p,
                    leader: Some(replicas[0]),
                    leader_epoch: LeaderEpoch(1),
                    partition_epoch: PartitionEpoch(1),
                    isr: BrokerSet::of(replicas.iter().copied()),
                    elr: BrokerSet::EMPTY,
                    last_known_elr: BrokerSet::EMPTY,
                    replicas,
                }
            })
            .collect();
        ControllerState {
            brokers,
            next_broker_epoch: BrokerEpoch(u32::from(cfg.brokers) + 1),
            partitions,
            session_expiries: 0,
            role: ControllerRole::Sole,
            writes: Writes::default(),
        }
    }

    /// The sole controller restarted from its saved metadata (`RuntimeSettings::durable_metadata`):
    /// KRaft's controller replays its `__cluster_metadata` log to the image it had (the
    /// registrations with their broker epochs and fencing, every partition's record, the next
    /// broker epoch), so no epoch is handed out twice. What it held only in memory starts afresh:
    /// its `BrokerHeartbeatManager` is new, so every unfenced broker has a whole session from now
    /// (none is known to have stopped heartbeating), and the caller arms its timers again.
    pub fn recover(image: ControllerState) -> Self {
        let mut state = image;
        for registration in &mut state.brokers {
            registration.silent = false;
        }
        state
    }

    pub fn registration(&self, broker: BrokerId) -> &Registration {
        &self.brokers[usize::from(broker.0) - 1]
    }

    fn registration_mut(&mut self, broker: BrokerId) -> &mut Registration {
        &mut self.brokers[usize::from(broker.0) - 1]
    }

    /// Brokers that may lead or join an ISR: registered, unfenced, not shutting down
    /// (`ClusterControlManager.isActive`).
    pub fn active_brokers(&self) -> BrokerSet {
        BrokerSet::of(
            self.brokers
                .iter()
                .zip(1u8..)
                .filter(|(r, _)| !r.fenced && !r.in_controlled_shutdown)
                .map(|(_, id)| BrokerId(id)),
        )
    }

    /// The timers the controller should have armed in this state.
    pub fn wanted_timers(&self, cfg: &Config) -> Vec<Timer> {
        let mut timers = Vec::new();
        if !self.acts() {
            return timers;
        }
        // The acting controller keeps its ZooKeeper session alive (runtime heartbeats only).
        if cfg.has_coordinator() && cfg.runtime.heartbeats {
            timers.push(Timer::Heartbeat);
        }
        if self.writes.unanswered > 0 {
            timers.push(Timer::CoordinatorWriteTimeout);
        }
        // With runtime heartbeats every live session can expire (missed heartbeats are real).
        let may_expire_live = self.session_expiries < cfg.budget.session_expiries || cfg.runtime.heartbeats;
        for b in cfg.broker_ids() {
            let reg = self.registration(b);
            if !reg.fenced && (reg.silent || may_expire_live) {
                timers.push(Timer::SessionTimeout(b));
            }
        }
        if cfg.auto_leader_rebalance {
            let active = self.active_brokers();
            for p in &self.partitions {
                let preferred = p.preferred_leader();
                if !p.is_leader(preferred) && p.isr.contains(preferred) && active.contains(preferred) {
                    timers.push(Timer::PreferredElection(p.partition));
                }
            }
        }
        timers
    }

    /// Every timer the controller can ever arm (to cancel those no longer wanted).
    pub fn all_timers(cfg: &Config) -> Vec<Timer> {
        cfg.broker_ids()
            .map(Timer::SessionTimeout)
            .chain(cfg.partition_ids().map(Timer::PreferredElection))
            .chain(cfg.has_coordinator().then_some(Timer::Heartbeat))
            // Runtime only: the checker's controller steps need not cancel it each time.
            .chain(
                (cfg.has_coordinator() && cfg.runtime.controller_request_timeout)
                    .then_some(Timer::CoordinatorWriteTimeout),
            )
            .collect()
    }
}

impl ControllerState {
    /// A message to the controller (or, with candidates, to a candidate).
    pub fn on_msg(&mut self, cfg: &Config, msg: Msg, fx: &mut Effects) {
        if cfg.has_coordinator() {
            self.on_msg_with_candidates(cfg, msg, fx);
        } else {
            self.dispatch(cfg, msg, fx);
        }
    }

    /// Dispatches a request to its handler; messages meant for other roles are ignored.
    fn dispatch(&mut self, cfg: &Config, msg: Msg, fx: &mut Effects) {
        match msg {
            Msg::RegisterBroker { broker, previous_epoch, incarnation } => {
                self.on_register(cfg, broker, previous_epoch, incarnation, fx)
            }
            Msg::BrokerHeartbeat { broker, broker_epoch } => self.on_heartbeat(cfg, broker, broker_epoch, fx),
            Msg::ControlledShutdown { broker, broker_epoch } => {
                self.on_controlled_shutdown(cfg, broker, broker_epoch, fx)
            }
            Msg::HeartbeatsStopped { broker, broker_epoch } => self.on_heartbeats_stopped(broker, broker_epoch),
            Msg::FetchMetadata { broker } => self.on_fetch_metadata(broker, fx),
            Msg::AlterPartition { partition, leader, broker_epoch, leader_epoch, partition_epoch, isr } => {
                let req = AlterPartitionRequest { partition, leader, broker_epoch, leader_epoch, partition_epoch, isr };
                self.on_alter_partition(cfg, req, fx)
            }
            _ => {}
        }
    }

    pub fn on_timer(&mut self, cfg: &Config, timer: Timer, fx: &mut Effects) {
        let before = cfg.has_coordinator().then(|| self.clone());
        self.on_timer_alone(cfg, timer, fx);
        if let Some(before) = before {
            self.commit(cfg, &before, None, fx);
        }
    }

    fn on_timer_alone(&mut self, cfg: &Config, timer: Timer, fx: &mut Effects) {
        match timer {
            Timer::SessionTimeout(broker) => self.on_session_timeout(cfg, broker, fx),
            Timer::Heartbeat => fx.send(crate::effects::Address::Coordinator, Msg::SessionHeartbeat),
            Timer::CoordinatorWriteTimeout => self.give_up_controller(fx),
            // Auto leader rebalance (`auto.leader.rebalance.enable`): a preferred election.
            Timer::PreferredElection(p) => {
                let isr = self.partitions[usize::from(p.0)].isr;
                self.change_partition(cfg, changes::Ask::controller(p, isr, ElectionKind::Preferred), fx);
            }
            _ => {}
        }
    }
}
