//! The native depth-first search against the breadth-first one: the same states (every state is
//! visited either way, so the same unique and generated counts), the same safety and reachability
//! verdicts, liveness left unjudged, and counterexamples that really break their property (they
//! replay), though not shortest ones.

use kelp_checks::replay;
use kelp_checks::run::{run, Engine, RunOptions, RunReport, Search};
use kelp_checks::scenario::{Scenario, Verdict};
use kelp_model::properties::Kind;
use kelp_model::system;

fn at(scenario: &Scenario, search: Search) -> RunReport {
    run(scenario, RunOptions { search, ..RunOptions::bfs(Engine::Native, 1) })
}

#[test]
fn depth_first_finds_what_breadth_first_finds_in_a_scenario_that_holds() {
    let scenario = Scenario::named("no-retries").unwrap();
    let (bfs, dfs) = (at(&scenario, Search::Bfs), at(&scenario, Search::Dfs));
    assert_eq!((dfs.engine.as_str(), dfs.threads), ("native-dfs", 1));
    assert_eq!((dfs.states, dfs.unique), (bfs.states, bfs.unique), "every state, once");
    for (b, d) in bfs.properties.iter().zip(&dfs.properties) {
        match b.kind {
            Kind::Eventually => assert_eq!(d.verdict, Verdict::Unknown, "{}", d.name),
            _ => assert_eq!(d.verdict, b.verdict, "{}", d.name),
        }
    }
    assert!(dfs.as_expected(), "an unjudged property contradicts no expectation");
}

#[test]
fn a_depth_first_counterexample_breaks_its_property_when_replayed() {
    let scenario = Scenario::named("acks-1").unwrap();
    let (bfs, dfs) = (at(&scenario, Search::Bfs), at(&scenario, Search::Dfs));
    let violated = |r: &RunReport| r.violations();
    assert_eq!(violated(&dfs), violated(&bfs));
    let loss = dfs.properties.iter().find(|p| p.name == "no-acked-loss").unwrap();
    let shortest = bfs.properties.iter().find(|p| p.name == "no-acked-loss").unwrap();
    let (path, steps) = (loss.path.clone().unwrap(), loss.trace.as_ref().unwrap().len());
    assert!(steps >= shortest.trace.as_ref().unwrap().len(), "BFS finds the shortest");
    let model = system::build(scenario.config.clone());
    let actions = path.into_actions();
    let property = kelp_model::properties::by_name("no-acked-loss").unwrap();
    replay::rerun(&model, property, &actions, None).expect("the DFS counterexample replays");
}
