//! Pinned state-space sizes of two small configurations, and agreement between the native engine
//! and stateright's on them: a change of these numbers is a change of the model's semantics.

mod common;

use kelp_checks::run::{run, Engine, RunOptions, RunReport};
use kelp_checks::scenario::{Scenario, Verdict};
use kelp_model::config::Config;
use kelp_model::config::Retries;
use kelp_model::properties::Kind;

fn small(records: u32, crashes: u8) -> Scenario {
    Scenario::ad_hoc(Config {
        records,
        retries: Retries::Times(0),
        budget: common::crashes_only(crashes),
        ..Config::default()
    })
}

fn check(scenario: &Scenario, engine: Engine) -> RunReport {
    run(scenario, RunOptions::bfs(engine, 2))
}

fn figures(r: &RunReport) -> (usize, usize, usize) {
    (r.states, r.unique, r.depth)
}

/// What both engines must agree on. (stateright's multi-threaded BFS is not level by level, so
/// its maximum depth depends on the schedule; the native engine's does not.)
fn counts(r: &RunReport) -> (usize, usize) {
    (r.states, r.unique)
}

#[test]
fn two_records_without_faults() {
    let scenario = small(2, 0);
    let native = check(&scenario, Engine::Native);
    assert_eq!(counts(&native), counts(&check(&scenario, Engine::Stateright)));
    insta::assert_debug_snapshot!("two_records_without_faults", figures(&native));
}

#[test]
fn one_record_and_one_crash() {
    let scenario = small(1, 1);
    let native = check(&scenario, Engine::Native);
    assert_eq!(counts(&native), counts(&check(&scenario, Engine::Stateright)));
    insta::assert_debug_snapshot!("one_record_and_one_crash", figures(&native));
    // Every safety and reachability verdict agrees; stateright leaves liveness unjudged.
    let verdicts = |r: &RunReport| {
        r.properties.iter().filter(|p| p.kind != Kind::Eventually).map(|p| (p.name, p.verdict)).collect::<Vec<_>>()
    };
    let stateright = check(&scenario, Engine::Stateright);
    assert_eq!(verdicts(&native), verdicts(&stateright));
    let liveness = stateright.properties.iter().filter(|p| p.kind == Kind::Eventually);
    assert!(liveness.clone().count() > 0 && liveness.into_iter().all(|p| p.verdict == Verdict::Unknown));
}
