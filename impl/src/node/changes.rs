//! What a node logs of its actor's state: what it shows at start, and what each event changed
//! worth a line (a broker's session, roles, truncations and HW; the controller's partition
//! records and registrations; ZooKeeper's `/controller`). Derived from the states alone.

use super::node_name;
use kelp_model::actor::KelpState;
use kelp_model::broker::{BrokerState, Role, Session};
use kelp_model::config::Config;
use kelp_model::controller::{ControllerRole, ControllerState};
use kelp_model::coordinator::CoordinatorState;
use kelp_model::ids::{ControllerId, PartitionId};
use tracing::Level;

/// What a state shows at start, as log lines.
pub fn describe_start(cfg: &Config, state: &KelpState) -> Vec<(Level, String)> {
    let mut lines = Vec::new();
    match state {
        KelpState::Controller(c) => {
            match c.role {
                ControllerRole::Sole => {}
                ControllerRole::Active(epoch) => lines.push((
                    Level::INFO,
                    format!("controller in controller epoch {epoch}, as the cluster was formatted"),
                )),
                ControllerRole::Standby => {
                    lines.push((Level::INFO, "a standby candidate, watching /controller".to_string()))
                }
            }
            for p in &c.partitions {
                lines.push((Level::INFO, partition_line(p)));
            }
        }
        KelpState::Broker(b) => {
            lines.push((Level::INFO, session_line(b)));
            for p in cfg.partition_ids() {
                let disk = b.disk.replica(p);
                lines.push((
                    Level::INFO,
                    format!(
                        "partition {p}: {}; log end offset {}, high watermark {}",
                        role_line(b, p),
                        disk.log.end_offset(),
                        disk.high_watermark
                    ),
                ));
            }
        }
        KelpState::Producer(_) | KelpState::Operator(_) | KelpState::Coordinator(_) => {}
    }
    lines
}

/// What changed from `before` to `after` worth a log line: for a broker its session, each
/// partition's role and leader epoch, log truncations (info) and the HW (debug); for the
/// controller each partition record and each broker's registration. Derived from the states only.
pub fn describe_changes(cfg: &Config, before: &KelpState, after: &KelpState) -> Vec<(Level, String)> {
    match (before, after) {
        (KelpState::Controller(a), KelpState::Controller(b)) => controller_changes(cfg, a, b),
        (KelpState::Broker(a), KelpState::Broker(b)) => broker_changes(cfg, a, b),
        (KelpState::Coordinator(a), KelpState::Coordinator(b)) => coordinator_changes(cfg, a, b),
        _ => Vec::new(),
    }
}

fn partition_line(p: &kelp_model::metadata::PartitionState) -> String {
    format!("{p}\tLeaderEpoch: {}\tPartitionEpoch: {}", p.leader_epoch, p.partition_epoch)
}

/// ZooKeeper's `/controller` and `/controller_epoch`: who is controller, and when that changes.
fn coordinator_changes(cfg: &Config, before: &CoordinatorState, after: &CoordinatorState) -> Vec<(Level, String)> {
    let name = |c: ControllerId| node_name(cfg, cfg.controller_actor_index(c) as u32);
    match (before.controller, after.controller) {
        // An expiry counts against the budget; a resignation does not (`ResignController`, or
        // the owner handing a request back).
        (Some(old), None) if after.expiries > before.expiries => {
            vec![(Level::INFO, format!("session of {} expired: /controller deleted", name(old)))]
        }
        (Some(old), None) => {
            vec![(Level::WARN, format!("{} resigned: /controller deleted", name(old)))]
        }
        (_, Some(new)) if before.controller != Some(new) => vec![(
            Level::INFO,
            format!("{} created /controller: controller in controller epoch {}", name(new), after.epoch),
        )],
        _ => Vec::new(),
    }
}

fn controller_changes(cfg: &Config, before: &ControllerState, after: &ControllerState) -> Vec<(Level, String)> {
    let mut lines = Vec::new();
    match (before.role, after.role) {
        (old, ControllerRole::Active(epoch)) if old != after.role => lines.push((
            Level::INFO,
            format!("active controller in controller epoch {epoch}: read the committed state from zookeeper"),
        )),
        (ControllerRole::Active(epoch), ControllerRole::Standby) => lines.push((
            Level::INFO,
            format!("resigned as controller (controller epoch {epoch} is over): watching /controller"),
        )),
        _ => {}
    }
    for (b, (old, new)) in cfg.broker_ids().zip(before.brokers.iter().zip(&after.brokers)) {
        if old.epoch != new.epoch {
            lines.push((Level::INFO, format!("broker {b} registered with broker epoch {} (fenced)", new.epoch)));
        } else if !old.fenced && new.fenced {
            let why = if after.session_expiries > before.session_expiries || new.silent {
                "session expired"
            } else {
                "fenced"
            };
            lines.push((Level::INFO, format!("broker {b} {why}: fenced in broker epoch {}", new.epoch)));
        }
        if old.fenced && !new.fenced {
            lines.push((Level::INFO, format!("broker {b} unfenced in broker epoch {}", new.epoch)));
        }
        if !old.in_controlled_shutdown && new.in_controlled_shutdown {
            lines.push((Level::INFO, format!("broker {b} in controlled shutdown (broker epoch {})", new.epoch)));
        }
        if !old.silent && new.silent {
            lines.push((Level::INFO, format!("broker {b}'s heartbeats stopped: its session will expire")));
        }
    }
    for (old, new) in before.partitions.iter().zip(&after.partitions) {
        if old != new {
            lines.push((Level::INFO, partition_line(new)));
        }
    }
    lines
}

pub(super) fn session_line(b: &BrokerState) -> String {
    match &b.process {
        None => match b.disk.clean_shutdown_epoch {
            Some(epoch) => format!("stopped (clean shutdown in broker epoch {epoch})"),
            None => "stopped".to_string(),
        },
        Some(process) => match process.session {
            Session::Registering { .. } => "registering with the controller".to_string(),
            Session::Registered(epoch) => format!("registered in broker epoch {epoch}"),
            Session::ShuttingDown(epoch) => {
                format!("controlled shutdown in broker epoch {epoch}: waiting for leadership to move away")
            }
        },
    }
}

fn role_line(b: &BrokerState, p: PartitionId) -> String {
    let Some(replica) = b.replica(p) else { return "down".to_string() };
    match (&replica.role, &replica.meta) {
        (Role::Leader(_), Some(meta)) => format!("leader in leader epoch {} (ISR {})", meta.leader_epoch, meta.isr),
        (Role::Follower(_), Some(meta)) => match meta.leader {
            Some(leader) => format!("follower of broker {leader} in leader epoch {}", meta.leader_epoch),
            None => format!("follower, no leader in leader epoch {}", meta.leader_epoch),
        },
        _ => "no role".to_string(),
    }
}

fn broker_changes(cfg: &Config, before: &BrokerState, after: &BrokerState) -> Vec<(Level, String)> {
    let mut lines = Vec::new();
    let (old_session, new_session) = (session_line(before), session_line(after));
    if old_session != new_session {
        lines.push((Level::INFO, new_session));
    }
    for p in cfg.partition_ids() {
        if after.is_up() {
            let (old_role, new_role) = (role_line(before, p), role_line(after, p));
            if old_role != new_role {
                lines.push((Level::INFO, format!("partition {p}: {new_role}")));
            }
        }
        let (old, new) = (before.disk.replica(p), after.disk.replica(p));
        let common = old.log.common_prefix(&new.log);
        if common < old.log.end_offset() {
            lines.push((
                Level::INFO,
                format!("partition {p}: log truncated from offset {} to {common}", old.log.end_offset()),
            ));
        }
        if new.log.end_offset() != old.log.end_offset() && new.log.end_offset() > common {
            lines.push((Level::DEBUG, format!("partition {p}: log end offset {}", new.log.end_offset())));
        }
        if new.high_watermark != old.high_watermark {
            lines.push((
                Level::DEBUG,
                format!("partition {p}: high watermark {} -> {}", old.high_watermark, new.high_watermark),
            ));
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::node::test_support::config;
    use kelp_model::actor::KelpActor;
    use kelp_model::broker::FetchState;
    use kelp_model::effects::Address;
    use kelp_model::ids::{BrokerEpoch, BrokerId, LeaderEpoch, ProducerId, Sequence};
    use kelp_model::log::Record;
    use stateright::actor::{Actor, Id, Out};
    use std::sync::Arc;

    #[test]
    fn controller_changes_are_logged_in_describe_form() {
        let cfg = config(3);
        let before = ControllerState::bootstrap(&cfg);
        let mut after = before.clone();
        after.brokers[0].fenced = true;
        after.brokers[1].epoch = BrokerEpoch(9);
        after.brokers[1].fenced = true;
        after.brokers[2].in_controlled_shutdown = true;
        let p = &mut after.partitions[0];
        p.leader = Some(BrokerId(2));
        p.leader_epoch = LeaderEpoch(2);
        p.partition_epoch = kelp_model::ids::PartitionEpoch(2);
        p.isr = kelp_model::broker_set::BrokerSet::of([BrokerId(2), BrokerId(3)]);
        let lines: Vec<String> = describe_changes(&cfg, &KelpState::Controller(before), &KelpState::Controller(after))
            .into_iter()
            .map(|(_, line)| line)
            .collect();
        assert_eq!(
            lines,
            vec![
                "broker 1 fenced: fenced in broker epoch 1".to_string(),
                "broker 2 registered with broker epoch 9 (fenced)".to_string(),
                "broker 3 in controlled shutdown (broker epoch 3)".to_string(),
                "Topic: t\tPartition: 0\tLeader: 2\tReplicas: 1,2,3\tIsr: 2,3\tElr: \tLastKnownElr: \tLeaderEpoch: 2\tPartitionEpoch: 2"
                    .to_string(),
            ]
        );
    }

    #[test]
    fn a_candidate_says_at_start_whether_it_is_the_formatted_controller_or_a_standby() {
        let cfg = Config { controllers: 2, ..config(3) };
        let lines = |state: ControllerState| -> Vec<String> {
            describe_start(&cfg, &KelpState::Controller(state)).into_iter().map(|(_, line)| line).collect()
        };
        let formatted = lines(ControllerState::start(&cfg, ControllerId(1)));
        assert_eq!(formatted[0], "controller in controller epoch 1, as the cluster was formatted");
        assert_eq!(formatted.len(), 2, "and the partition's record: {formatted:?}");
        let restarted = lines(ControllerState::restart(&mut Default::default()));
        assert_eq!(restarted, vec!["a standby candidate, watching /controller".to_string()]);
    }

    #[test]
    fn zookeeper_tells_an_expired_session_from_a_controller_that_gave_up() {
        let cfg = Config { controllers: 2, ..config(3) };
        let before = kelp_model::coordinator::CoordinatorState::start(&cfg);
        let lines = |after: &kelp_model::coordinator::CoordinatorState| -> Vec<String> {
            let (a, b) = (KelpState::Coordinator(before.clone()), KelpState::Coordinator(after.clone()));
            describe_changes(&cfg, &a, &b).into_iter().map(|(_, line)| line).collect()
        };
        let mut expired = before.clone();
        expired.controller = None;
        expired.expiries = 1;
        assert_eq!(lines(&expired), vec!["session of controller expired: /controller deleted".to_string()]);
        let mut gave_up = before.clone();
        gave_up.controller = None;
        let expected = "controller resigned: /controller deleted";
        assert_eq!(lines(&gave_up), vec![expected.to_string()]);
    }

    #[test]
    fn broker_changes_show_roles_and_truncations() {
        let cfg = Arc::new(config(3));
        let actor = KelpActor::new(cfg.clone(), Address::Broker(BrokerId(2)));
        let mut out = Out::new();
        let KelpState::Broker(mut before) = actor.on_start(Id::from(2), &None, &mut out) else { unreachable!() };
        let record = |sequence| Record {
            epoch: LeaderEpoch(1),
            producer: ProducerId(1),
            sequence: Sequence(sequence),
            value: Default::default(),
        };
        for s in 0..3 {
            before.disk.replica_mut(PartitionId(0)).log.append(record(s));
        }
        assert_eq!(role_line(&before, PartitionId(0)), "follower of broker 1 in leader epoch 1");
        let mut after = before.clone();
        after.disk.replica_mut(PartitionId(0)).truncate_to(kelp_model::ids::Offset(1));
        after.disk.replica_mut(PartitionId(0)).high_watermark = kelp_model::ids::Offset(1);
        let replica = &mut after.process.as_mut().unwrap().replicas[0];
        replica.meta.as_mut().unwrap().leader_epoch = LeaderEpoch(2);
        replica.role = Role::Follower(FetchState::Idle);
        let lines = describe_changes(&cfg, &KelpState::Broker(before.clone()), &KelpState::Broker(after.clone()));
        let info: Vec<&str> = lines.iter().filter(|(l, _)| *l == Level::INFO).map(|(_, s)| s.as_str()).collect();
        assert_eq!(
            info,
            vec![
                "partition 0: follower of broker 1 in leader epoch 2",
                "partition 0: log truncated from offset 3 to 1"
            ]
        );
        assert!(lines.contains(&(Level::DEBUG, "partition 0: high watermark 0 -> 1".to_string())), "{lines:?}");

        let mut stopped = before.clone();
        stopped.process = None;
        stopped.disk.clean_shutdown_epoch = Some(BrokerEpoch(2));
        let lines = describe_changes(&cfg, &KelpState::Broker(before), &KelpState::Broker(stopped));
        assert_eq!(lines, vec![(Level::INFO, "stopped (clean shutdown in broker epoch 2)".to_string())]);
    }
}
