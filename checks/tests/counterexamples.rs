//! The `acks-1` counterexample, pinned: a model change that changes the story shows up in review.

use kelp_checks::report;
use kelp_checks::run::{run, Engine, FingerprintBits, RunOptions};
use kelp_checks::scenario::{Scenario, Verdict};

fn acks_1(threads: usize) -> kelp_checks::run::RunReport {
    let scenario = Scenario::named("acks-1").unwrap();
    run(&scenario, RunOptions::bfs(Engine::Native, threads))
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

#[test]
fn the_fingerprint_size_changes_no_count_verdict_or_counterexample() {
    // A safety scenario and the liveness one (a lasso's graph is kept by fingerprint too).
    for name in ["acks-1", "leader-gone-for-good"] {
        let scenario = Scenario::named(name).unwrap();
        let at =
            |fingerprint_bits| run(&scenario, RunOptions { fingerprint_bits, ..RunOptions::bfs(Engine::Native, 2) });
        let (narrow, wide) = (at(FingerprintBits::Sixty4), at(FingerprintBits::OneTwentyEight));
        assert_eq!((narrow.states, narrow.unique, narrow.depth), (wide.states, wide.unique, wide.depth), "{name}");
        let properties = |r: &kelp_checks::run::RunReport| serde_json::to_string(&r.properties).unwrap();
        assert_eq!(properties(&narrow), properties(&wide), "{name}");
        assert_eq!((narrow.fingerprint_bits, wide.fingerprint_bits), (64, 128));
        assert!(wide.collision_probability < narrow.collision_probability * 1e-15, "{name}");
    }
}
