//! `kelp simulate`: random walks through the model, for configurations too large to check
//! exhaustively. Each run starts from the initial state and takes uniformly random steps (within
//! the fault budget), judging every property after each, until `--depth` steps, a terminal state
//! (where `eventually` is judged) or a violation. A simulation finds bugs; it proves nothing.
//!
//! Runs are independent and seeded (`rng::run_seed`), so they run in parallel and the result is
//! the same for any thread count; run 0 uses the top-level seed, so any run replays alone with
//! `--seed <its seed> --runs 1`. A violation is reported only after its path replays (`confirm`).

mod command;
mod confirm;
mod output;
mod rng;
mod walk;

pub use command::command;
pub use output::{json, text};
pub use walk::End;

/// The most steps one walk may take: a counterexample longer than this is no story for anyone,
/// and a walk keeps its actions (and their states' fingerprints) to report one.
pub const MAX_DEPTH: u32 = 1_000_000;

use crate::scenario::Scenario;
use crate::trace::{self, Action, Trace};
use kelp_model::properties::{self, Kind, Property};
use kelp_model::system::{self, KelpModel, SystemState};
use rayon::prelude::*;
use stateright::{Model, Path};
use std::time::Instant;

#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// The seed of run 0; the other runs' seeds derive from it.
    pub seed: u64,
    pub runs: usize,
    /// The most steps one run takes.
    pub depth: usize,
    pub threads: usize,
}

/// A run's violation: the property, the step that broke it, and whether its path replayed.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct RunViolation {
    pub property: &'static str,
    pub step: usize,
    /// Why the recorded path does not replay (a bug in kelp); `None` once it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unconfirmed: Option<String>,
    #[serde(skip)]
    actions: Vec<Action>,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Run {
    pub run: usize,
    #[serde(serialize_with = "output::hex")]
    pub seed: u64,
    pub steps: usize,
    pub end: End,
    /// The `sometimes` properties this run reached.
    pub reached: Vec<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub violation: Option<RunViolation>,
}

/// The shortest confirmed counterexample found for a property (the first run among equals).
pub struct Counterexample {
    pub run: usize,
    pub seed: u64,
    pub trace: Trace,
    pub path: Path<SystemState, Action>,
}

pub struct Simulation {
    pub options: Options,
    /// Every run, in index order.
    pub runs: Vec<Run>,
    pub seconds: f64,
    pub counterexamples: Vec<Counterexample>,
}

impl Simulation {
    pub fn steps(&self) -> usize {
        self.runs.iter().map(|r| r.steps).sum()
    }

    pub fn steps_per_second(&self) -> f64 {
        if self.seconds > 0.0 {
            self.steps() as f64 / self.seconds
        } else {
            0.0
        }
    }

    /// The `sometimes` properties reached in some run, and those reached in none.
    pub fn reachability(&self) -> (Vec<&'static str>, Vec<&'static str>) {
        properties::ALL
            .iter()
            .filter(|p| p.kind == Kind::Sometimes)
            .map(|p| p.name)
            .partition(|name| self.runs.iter().any(|r| r.reached.contains(name)))
    }

    /// Each violated property (in `properties::ALL` order) and how many runs broke it.
    pub fn violations(&self) -> Vec<(&'static str, usize)> {
        properties::ALL
            .iter()
            .map(|p| {
                (
                    p.name,
                    self.runs.iter().filter(|r| r.violation.as_ref().is_some_and(|v| v.property == p.name)).count(),
                )
            })
            .filter(|(_, n)| *n > 0)
            .collect()
    }
}

/// One run: the walk, and its violation confirmed by replay.
fn run(model: &KelpModel, index: usize, seed: u64, depth: usize) -> Run {
    let walk = walk::walk(model, seed, depth);
    let violation = walk.violation.map(|v| RunViolation {
        property: v.property.name,
        step: walk.steps,
        unconfirmed: confirm::confirm(model, &v).err(),
        actions: v.actions,
    });
    let reached =
        properties::ALL.iter().enumerate().filter(|(i, _)| walk.reached & (1 << i) != 0).map(|(_, p)| p.name).collect();
    Run { run: index, seed, steps: walk.steps, end: walk.end, reached, violation }
}

/// The shortest confirmed violation of `property`, told as a trace.
fn counterexample(model: &KelpModel, scenario: &Scenario, property: &Property, runs: &[Run]) -> Option<Counterexample> {
    let (run, violation) = runs
        .iter()
        .filter_map(|r| r.violation.as_ref().map(|v| (r, v)))
        .filter(|(_, v)| v.property == property.name && v.unconfirmed.is_none())
        .min_by_key(|(r, v)| (v.step, r.run))?;
    let init = model.init_states().into_iter().next()?;
    let path: Path<_, _> = Path::from_actions(model, init, &violation.actions)?;
    let trace = trace::build(&scenario.config, property, path.clone());
    Some(Counterexample { run: run.run, seed: run.seed, trace, path })
}

/// Simulates `scenario`: `options.runs` random walks, in parallel.
pub fn simulate(scenario: &Scenario, options: Options) -> Simulation {
    let started = Instant::now();
    let model = system::build(scenario.config.clone());
    let pool = rayon::ThreadPoolBuilder::new().num_threads(options.threads).build().expect("a thread pool");
    let runs: Vec<Run> = pool.install(|| {
        (0..options.runs)
            .into_par_iter()
            .map(|i| run(&model, i, rng::run_seed(options.seed, i as u64), options.depth))
            .collect()
    });
    let seconds = started.elapsed().as_secs_f64();
    let counterexamples = properties::ALL.iter().filter_map(|p| counterexample(&model, scenario, p, &runs)).collect();
    Simulation { options, runs, seconds, counterexamples }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(seed: u64, runs: usize, depth: usize, threads: usize) -> Options {
        Options { seed, runs, depth, threads }
    }

    #[test]
    fn the_same_seed_gives_the_same_runs_for_one_and_two_threads() {
        let scenario = Scenario::named("healthy").unwrap();
        let one = simulate(&scenario, options(7, 6, 60, 1));
        let two = simulate(&scenario, options(7, 6, 60, 2));
        assert_eq!(one.runs, two.runs);
        assert_eq!(one.runs.iter().map(|r| r.run).collect::<Vec<_>>(), (0..6).collect::<Vec<_>>());
        let other = simulate(&scenario, options(8, 6, 60, 1));
        assert_ne!(one.runs, other.runs);
    }

    #[test]
    fn a_run_replays_alone_from_its_seed() {
        let scenario = Scenario::named("healthy").unwrap();
        let all = simulate(&scenario, options(11, 4, 40, 1));
        let third = &all.runs[3];
        let alone = simulate(&scenario, options(third.seed, 1, 40, 1));
        assert_eq!(Run { run: 3, ..alone.runs[0].clone() }, *third);
    }

    #[test]
    fn a_healthy_small_config_is_ok() {
        let scenario = Scenario::named("healthy").unwrap();
        let sim = simulate(&scenario, options(3, 8, 100, 2));
        assert!(sim.violations().is_empty(), "{:?}", sim.violations());
        assert!(sim.counterexamples.is_empty());
        assert!(sim.runs.iter().all(|r| r.violation.is_none() && r.steps > 0));
        let (reached, _) = sim.reachability();
        assert!(reached.contains(&"process-crash") && reached.contains(&"power-loss"), "{reached:?}");
    }

    #[test]
    fn no_idempotence_duplicates_a_record_within_a_few_runs_and_the_path_replays() {
        let scenario = Scenario::named("no-idempotence").unwrap();
        let sim = simulate(&scenario, options(1, 20, 60, 2));
        let (property, runs) = sim.violations()[0];
        assert_eq!(property, "no-duplicates");
        assert!(runs > 0);
        assert!(sim.runs.iter().filter_map(|r| r.violation.as_ref()).all(|v| v.unconfirmed.is_none()));
        let found = &sim.counterexamples[0];
        assert_eq!(found.trace.property, "no-duplicates");
        assert!(found.trace.explanation.is_some());
        assert_eq!(found.trace.steps.len(), sim.runs[found.run].steps);
    }
}
