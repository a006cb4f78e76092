//! Each invariant flags a state that breaks it: states built by hand from the model's start, so
//! that no property is vacuous, whether or not a catalogue scenario also breaks it.

use crate::actor::KelpState;
use crate::broker::{BrokerState, Role};
use crate::config::Config;
use crate::controller::ControllerState;
use crate::ids::{BrokerId, LeaderEpoch, Offset, PartitionId, ProducerId, Sequence};
use crate::log::Record;
use crate::producer::Outcome;
use crate::system::{build, SystemState};
use crate::view::View;
use stateright::Model;
use std::sync::Arc;

const P0: PartitionId = PartitionId(0);

fn start(cfg: &Config) -> SystemState {
    build(cfg.clone()).init_states().remove(0)
}

fn broker_mut(state: &mut SystemState, b: u8) -> &mut BrokerState {
    match Arc::make_mut(&mut state.actor_states[usize::from(b)]) {
        KelpState::Broker(broker) => broker,
        _ => unreachable!("actor {b} is a broker"),
    }
}

fn controller_mut(state: &mut SystemState) -> &mut ControllerState {
    match Arc::make_mut(&mut state.actor_states[0]) {
        KelpState::Controller(controller) => controller,
        _ => unreachable!("actor 0 is the controller"),
    }
}

/// The start, with brokers 1 (the leader) and 2 holding different records at offset 0, both
/// below their high watermark 1.
fn diverged(cfg: &Config) -> SystemState {
    let mut state = start(cfg);
    for (b, r) in [(1, record(0, 1)), (2, record(1, 1))] {
        let disk = broker_mut(&mut state, b).disk.replica_mut(P0);
        disk.log.append(r);
        disk.high_watermark = Offset(1);
    }
    state
}

fn record(sequence: u32, epoch: u32) -> Record {
    Record::new(LeaderEpoch(epoch), ProducerId(1), Sequence(sequence))
}

fn violation(name: &str, cfg: &Config, state: &SystemState) -> Option<String> {
    (super::by_name(name).expect("a property").explain)(&View::new(cfg, state))
}

#[test]
fn the_start_breaks_no_invariant() {
    let cfg = Config::default();
    let state = start(&cfg);
    for p in super::ALL.iter().filter(|p| p.kind == super::Kind::Always) {
        assert_eq!(violation(p.name, &cfg, &state), None, "{}", p.name);
    }
}

#[test]
fn election_safety_flags_two_leaders_in_one_epoch() {
    let cfg = Config::default();
    let mut state = start(&cfg);
    let leader_role = broker_mut(&mut state, 1).process.as_ref().unwrap().replicas[0].clone();
    assert!(matches!(leader_role.role, Role::Leader(_)), "broker 1 leads at the start");
    let second = broker_mut(&mut state, 2);
    second.process.as_mut().unwrap().replicas[0] = leader_role;
    let why = violation("election-safety", &cfg, &state).expect("two leaders in epoch 1");
    assert_eq!(why, "brokers 1 and 2 both lead partition 0 in epoch 1");
}

#[test]
fn leader_in_isr_flags_a_leader_outside_the_isr() {
    let cfg = Config::default();
    let mut state = start(&cfg);
    let c = controller_mut(&mut state);
    c.partitions[0].isr = c.partitions[0].isr.without(BrokerId(1));
    assert!(violation("leader-in-isr", &cfg, &state).is_some());
}

#[test]
fn no_acked_loss_flags_an_acknowledged_record_missing_from_the_leader() {
    let cfg = Config::default();
    let mut state = start(&cfg);
    if let KelpState::Producer(p) = Arc::make_mut(&mut state.actor_states[4]) {
        p.outcomes.push(Outcome::Acked { partition: P0, offset: Offset(0) });
    }
    let why = violation("no-acked-loss", &cfg, &state).expect("the leader's log is empty");
    assert!(why.starts_with("record p1#0 was acknowledged at offset 0"), "{why}");
}

#[test]
fn log_and_read_invariants_flag_divergence_below_the_high_watermarks() {
    let cfg = Config::default();
    let state = diverged(&cfg);
    assert!(violation("log-matching", &cfg, &state).is_some());
    assert!(violation("consistent-read", &cfg, &state).is_some());
    assert!(violation("strong-isr", &cfg, &state).is_some());
}

#[test]
fn log_matching_judges_isr_members_only() {
    let cfg = Config::default();
    let mut state = diverged(&cfg);
    let c = controller_mut(&mut state);
    c.partitions[0].isr = c.partitions[0].isr.without(BrokerId(2));
    // Broker 2 left the ISR with a stale record: it will truncate before it can come back.
    assert_eq!(violation("log-matching", &cfg, &state), None);
}

#[test]
fn no_duplicates_flags_a_record_written_twice() {
    let cfg = Config::default();
    let mut state = start(&cfg);
    let disk = broker_mut(&mut state, 3).disk.replica_mut(P0);
    disk.log.append(record(0, 1));
    disk.log.append(record(0, 1));
    assert_eq!(
        violation("no-duplicates", &cfg, &state),
        Some("broker 3 holds p1#0 twice in partition 0: [p1#0@e1 p1#0@e1]".to_string())
    );
}

/// Each condition the checker asks agrees with its explanation (`violation`), in the first
/// states of the default scenario: some with a write under way and partitions between leaders,
/// where the liveness goals' fast conditions are false.
#[test]
fn conditions_agree_with_their_explanations() {
    let cfg = Config::default();
    let model = build(cfg.clone());
    let mut states = model.init_states();
    let mut goal_false = 0;
    for depth in 0..6 {
        let mut next = Vec::new();
        for state in &states {
            for p in super::ALL.iter().filter(|p| p.kind != super::Kind::Sometimes) {
                let holds = (p.condition)(&model, state);
                assert_eq!(holds, (p.explain)(&View::new(&cfg, state)).is_none(), "{} at depth {depth}", p.name);
                goal_false += usize::from(p.kind == super::Kind::Eventually && !holds);
            }
            let mut actions = Vec::new();
            model.actions(state, &mut actions);
            next.extend(actions.into_iter().filter_map(|a| model.next_state(state, a)));
        }
        next.sort_by_cached_key(|state| {
            let mut hasher = std::hash::DefaultHasher::new();
            std::hash::Hash::hash(state, &mut hasher);
            std::hash::Hasher::finish(&hasher)
        });
        next.dedup();
        next.truncate(200);
        states = next;
    }
    assert!(goal_false > 0, "some state is short of a goal");
}
