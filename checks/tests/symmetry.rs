//! Symmetry reduction (`kelp check --symmetry`): the same verdicts with and without it, on every
//! catalogue scenario and on small configurations whose group is not trivial, with fewer states
//! where the group is not trivial; a counterexample found under symmetry is a real path.

mod common;

use kelp_checks::run::{run, Engine, RunOptions, RunReport};
use kelp_checks::scenario::{Scenario, Verdict};
use kelp_model::config::{Acks, Config, FaultBudget, Retries};
use kelp_model::properties::Kind;
use kelp_model::symmetry::Symmetry;

fn check(scenario: &Scenario, symmetry: bool) -> RunReport {
    run(scenario, RunOptions { symmetry, ..RunOptions::bfs(Engine::Native, 2) })
}

/// Every verdict but the liveness ones, which are not judged under symmetry.
fn safety_verdicts(report: &RunReport) -> Vec<(&'static str, Verdict)> {
    report.properties.iter().filter(|p| p.kind != Kind::Eventually).map(|p| (p.name, p.verdict)).collect()
}

fn two_producers(acks: Acks) -> Scenario {
    Scenario::ad_hoc(Config {
        brokers: 2,
        replication_factor: 2,
        min_insync_replicas: 1,
        producers: 2,
        records: 1,
        retries: Retries::Times(0),
        acks,
        budget: FaultBudget { leader_epochs: 2, ..common::crashes_only(1) },
        ..Config::default()
    })
}

#[test]
fn every_catalogue_scenario_has_a_trivial_group_so_symmetry_changes_nothing() {
    for scenario in Scenario::built_in() {
        let group = Symmetry::of(&scenario.config);
        assert!(group.is_trivial(), "{}: {group}", scenario.name);
    }
    // And a trivial group runs the plain search: identical figures and verdicts.
    let scenario = Scenario::named("no-idempotence").expect("a scenario");
    let (plain, reduced) = (check(&scenario, false), check(&scenario, true));
    assert_eq!((plain.states, plain.unique), (reduced.states, reduced.unique));
    assert_eq!(
        plain.properties.iter().map(|p| p.verdict).collect::<Vec<_>>(),
        reduced.properties.iter().map(|p| p.verdict).collect::<Vec<_>>()
    );
}

#[test]
fn interchangeable_producers_halve_the_states_and_keep_every_safety_verdict() {
    let scenario = two_producers(Acks::All);
    let (plain, reduced) = (check(&scenario, false), check(&scenario, true));
    assert_eq!(safety_verdicts(&plain), safety_verdicts(&reduced));
    assert!(reduced.unique * 10 < plain.unique * 6, "{} of {} states", reduced.unique, plain.unique);
    assert!(reduced.engine.contains("producers {1,2} interchangeable"), "{}", reduced.engine);
    let liveness = reduced.properties.iter().filter(|p| p.kind == Kind::Eventually);
    assert!(liveness.clone().count() > 0 && liveness.into_iter().all(|p| p.verdict == Verdict::Unknown));
}

#[test]
fn a_violation_found_under_symmetry_is_a_real_path_that_replays() {
    let scenario = two_producers(Acks::One);
    let (plain, reduced) = (check(&scenario, false), check(&scenario, true));
    assert_eq!(safety_verdicts(&plain), safety_verdicts(&reduced));
    let found = reduced.properties.iter().find(|p| p.name == "no-acked-loss").expect("a property");
    assert_eq!(found.verdict, Verdict::Violated);
    let plain_steps =
        plain.properties.iter().find(|p| p.name == "no-acked-loss").and_then(|p| p.trace.as_ref()).map(Vec::len);
    assert_eq!(found.trace.as_ref().map(Vec::len), plain_steps, "still a shortest counterexample");
    let files = kelp_checks::trace_file::write::counterexamples(&scenario, &reduced);
    let file = files.iter().find(|f| f.property == "no-acked-loss").expect("its trace file");
    kelp_checks::replay::replay(file).expect("the path replays against the model itself");
}
