//! A catalogue scenario judged by simulation (`[simulate]` in its file) rather than exhaustively:
//! its random walks as the matrix's `RunReport`. A property is violated when some walk broke it
//! (the shortest such walk, replayed before it counts, is its counterexample); "holds" only means
//! that no walk broke it; a `sometimes` property is reached when some walk reached it.

use crate::run::{PropertyResult, RunReport};
use crate::scenario::{Scenario, SimulationBounds, Verdict};
use crate::simulate::{self, Options};
use kelp_model::properties::{self, Kind};

/// The engine name the matrix shows for such a row.
pub const ENGINE: &str = "simulate";

pub fn report(scenario: &Scenario, bounds: SimulationBounds, threads: usize) -> RunReport {
    let options = Options { seed: bounds.seed, runs: bounds.runs as usize, depth: bounds.depth as usize, threads };
    let mut simulation = simulate::simulate(scenario, options);
    let (reached, _) = simulation.reachability();
    let properties = properties::ALL
        .iter()
        .map(|p| {
            let found = simulation
                .counterexamples
                .iter()
                .position(|c| c.trace.property == p.name)
                .map(|i| simulation.counterexamples.swap_remove(i));
            let verdict = match p.kind {
                Kind::Sometimes if reached.contains(&p.name) => Verdict::Holds,
                Kind::Sometimes => Verdict::Violated,
                _ if found.is_some() => Verdict::Violated,
                _ => Verdict::Holds,
            };
            PropertyResult {
                name: p.name,
                kind: p.kind,
                verdict,
                expected: scenario.expected(p.name),
                explanation: found.as_ref().and_then(|c| c.trace.explanation.clone()),
                trace: found.as_ref().map(|c| c.trace.steps.clone()),
                loop_start: None,
                path: found.map(|c| c.path),
            }
        })
        .collect();
    RunReport {
        scenario: scenario.name.clone(),
        engine: ENGINE.to_string(),
        threads,
        states: simulation.steps(),
        unique: 0,
        depth: simulation.runs.iter().map(|r| r.steps).max().unwrap_or(0),
        seconds: simulation.seconds,
        coverage: None,
        collision_probability: 0.0,
        fingerprint_bits: 64,
        properties,
        sequential_seconds: None,
        overlap: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_walk_that_breaks_a_property_is_its_counterexample() {
        let scenario = Scenario::named("no-idempotence").unwrap();
        let report = report(&scenario, SimulationBounds { seed: 1, runs: 20, depth: 60 }, 2);
        let duplicates = report.properties.iter().find(|p| p.name == "no-duplicates").unwrap();
        assert_eq!(duplicates.verdict, Verdict::Violated);
        assert!(duplicates.path.is_some() && duplicates.trace.is_some());
        let leader = report.properties.iter().find(|p| p.name == "election-safety").unwrap();
        assert_eq!((leader.verdict, leader.path.is_none()), (Verdict::Holds, true));
        assert_eq!(report.engine, ENGINE);
    }
}
