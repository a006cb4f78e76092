//! The `acks-1` counterexample, pinned: a model change that changes the story shows up in review.

use kelp_checks::report;
use kelp_checks::run::{run, Engine, RunOptions, Search};
use kelp_checks::scenario::{Scenario, Verdict};

fn acks_1(threads: usize) -> kelp_checks::run::RunReport {
    let scenario = Scenario::named("acks-1").unwrap();
    run(&scenario, RunOptions { engine: Engine::Native, search: Search::Bfs, threads, symmetry: false })
}

#[test]
fn acks_1_loses_an_acknowledged_record_and_the_report_tells_the_story() {
    let scenario = Scenario::named("acks-1").unwrap();
    let report = acks_1(1);
    let loss = report.properties.iter().find(|p| p.name == "no-acked-loss").unwrap();
    assert_eq!(loss.verdict, Verdict::Violated);
    assert!(report.as_expected());
    insta::assert_snapshot!("acks_1_report", report::text(&scenario, &report, false));
}

#[test]
fn the_counterexample_is_the_same_for_one_and_two_threads() {
    let one = acks_1(1);
    let two = acks_1(2);
    assert_eq!((one.states, one.unique, one.depth), (two.states, two.unique, two.depth));
    let trace = |r: &kelp_checks::run::RunReport| serde_json::to_string(&r.properties).unwrap();
    assert_eq!(trace(&one), trace(&two));
}
