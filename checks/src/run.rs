//! Runs a checker (the native engine, breadth- or depth-first, or stateright's) on a scenario's
//! model and collects, for each property, its verdict, the verdict the scenario expects, and the
//! counterexample of a violation.

use crate::engine;
use crate::engine::fingerprint::Fingerprint;
use crate::scenario::{Scenario, Verdict};
use crate::trace::{self, Action, Trace};
use kelp_model::actor::KelpState;
use kelp_model::properties::{self, Kind};
use kelp_model::system;
use kelp_model::system::SystemState;
use serde::Serialize;
use stateright::Path;
use stateright::{Checker, Model};
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Which checker explores the model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Engine {
    /// kelp's deterministic parallel BFS: shortest counterexamples for any thread count.
    Native,
    /// stateright's own checker (BFS or DFS).
    Stateright,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Search {
    /// Breadth-first: counterexamples are shortest (with one thread).
    Bfs,
    /// Depth-first: far less memory, longer counterexamples.
    Dfs,
}

#[derive(Clone, Copy, Debug)]
pub struct RunOptions {
    pub engine: Engine,
    pub search: Search,
    pub threads: usize,
    /// Symmetry reduction (native engine only; `kelp_model::symmetry`).
    pub symmetry: bool,
    /// Fingerprint size of the native engine (stateright's checkers keep 64 bits).
    pub fingerprint_bits: FingerprintBits,
}

impl RunOptions {
    /// A breadth-first search by `engine` at `threads`, without symmetry, 64-bit fingerprints.
    pub fn bfs(engine: Engine, threads: usize) -> Self {
        RunOptions { engine, search: Search::Bfs, threads, symmetry: false, fingerprint_bits: FingerprintBits::Sixty4 }
    }
}

/// How many bits the native engine keeps of each state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum FingerprintBits {
    /// TLC's size: the collision chance is reported with every run.
    #[default]
    #[value(name = "64")]
    Sixty4,
    /// For runs where that chance is too high: more memory per state and per liveness edge.
    #[value(name = "128")]
    OneTwentyEight,
}

impl FingerprintBits {
    pub fn bits(self) -> u32 {
        match self {
            FingerprintBits::Sixty4 => 64,
            FingerprintBits::OneTwentyEight => 128,
        }
    }
}

/// What `kelp check` may add to a run (neither changes its result): progress lines on stderr every
/// `progress`, and coverage counts (native engine only; ignored by stateright's).
#[derive(Clone, Copy, Debug, Default)]
pub struct Extras {
    pub progress: Option<Duration>,
    pub coverage: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct PropertyResult {
    pub name: &'static str,
    pub kind: Kind,
    pub verdict: Verdict,
    pub expected: Verdict,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explanation: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace: Option<Vec<trace::Step>>,
    /// For an `eventually` property broken by a cycle (native engine): the step after which the
    /// cycle starts; the trace's last state is the state after that step again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub loop_start: Option<usize>,
    /// The counterexample itself, for trace files (`trace_file::write`); not in the JSON report.
    #[serde(skip)]
    pub path: Option<Path<SystemState, Action>>,
}

impl PropertyResult {
    /// The verdict is the expected one, or the search could not judge the property (`unknown`:
    /// liveness under `--dfs` or `--symmetry`), which contradicts no expectation.
    pub fn as_expected(&self) -> bool {
        self.verdict == self.expected || self.verdict == Verdict::Unknown
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct RunReport {
    pub scenario: String,
    pub engine: String,
    pub threads: usize,
    pub states: usize,
    pub unique: usize,
    pub depth: usize,
    pub seconds: f64,
    pub properties: Vec<PropertyResult>,
    /// Transitions by kind of action, with `--coverage`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coverage: Option<Vec<crate::coverage::Row>>,
    /// The chance that two of the unique states share a fingerprint and one went unexplored (TLC's
    /// optimistic estimate).
    pub collision_probability: f64,
    /// The fingerprint size that probability is for (stateright's checkers keep 64 bits).
    pub fingerprint_bits: u32,
    /// The native engine's time with one thread at work (at most): in the search
    /// (`Outcome::sequential`) and around it; for `kelp bench`.
    #[serde(skip)]
    pub sequential_seconds: Option<f64>,
    /// What the native BFS's threads did twice or for each other; for `kelp bench`.
    #[serde(skip)]
    pub overlap: Option<engine::bfs::Overlap>,
}

impl RunReport {
    pub fn as_expected(&self) -> bool {
        self.properties.iter().all(PropertyResult::as_expected)
    }

    /// The properties the search could not judge.
    pub fn unjudged(&self) -> Vec<&'static str> {
        self.properties.iter().filter(|p| p.verdict == Verdict::Unknown).map(|p| p.name).collect()
    }

    /// The safety and liveness properties found violated.
    pub fn violations(&self) -> Vec<&'static str> {
        self.properties
            .iter()
            .filter(|p| p.kind != Kind::Sometimes && p.verdict == Verdict::Violated)
            .map(|p| p.name)
            .collect()
    }

    /// What `kelp check` exits with: success only when nothing is violated and every verdict is
    /// the one expected. A violation fails the check even when the scenario expects it (it
    /// demonstrates a bug); `kelp matrix` is what passes a scenario for reproducing its bug.
    pub fn passed(&self) -> bool {
        self.violations().is_empty() && self.as_expected()
    }

    pub fn unique_per_second(&self) -> f64 {
        if self.seconds > 0.0 {
            self.unique as f64 / self.seconds
        } else {
            0.0
        }
    }
}

/// Checks `scenario` exhaustively (within its fault budget).
pub fn run(scenario: &Scenario, options: RunOptions) -> RunReport {
    run_with(scenario, options, Extras::default())
}

/// `run`, with progress on stderr and coverage counts as `extras` asks.
pub fn run_with(scenario: &Scenario, options: RunOptions, extras: Extras) -> RunReport {
    let started = Instant::now();
    let model = system::build(scenario.config.clone());
    let mut coverage = None;
    let mut loops = HashMap::new();
    // A trivial group reduces nothing: the plain search is the same search, and judges liveness.
    let symmetry = (options.symmetry && options.engine == Engine::Native)
        .then(|| kelp_model::symmetry::Symmetry::of(&scenario.config))
        .filter(|group| !group.is_trivial());
    let reduced = symmetry.is_some();
    // The native engine judges liveness on the graph of the states: its DFS keeps no graph, and
    // under symmetry the graph is of orbits (a cycle of orbits need not be a cycle of states).
    // stateright's checkers judge `eventually` only where a path ends: blind to cycles, and a state
    // whose successors all lie past the boundary reads as an end (`leader-gone-for-good`: it
    // reports `eventually-leader` holding), so neither verdict of theirs can be trusted.
    let liveness_unjudged = options.engine == Engine::Stateright || options.search == Search::Dfs || reduced;
    // The native search's time with one thread at work, and its whole time.
    let mut native_search = None;
    let mut overlap = None;
    let (engine, found) = match (options.engine, options.search) {
        (Engine::Native, _) => {
            let counters = crate::progress::Counters::default();
            let classifier = crate::coverage::classify;
            let observers = engine::bfs::Observers {
                progress: extras.progress.map(|_| &counters),
                coverage: extras.coverage.then_some(engine::bfs::Classifier {
                    classify: &classifier,
                    kinds: crate::coverage::Kind::ALL.len(),
                }),
            };
            let searching = std::time::Instant::now();
            let outcome = crate::progress::report_while(
                extras.progress,
                || counters.snapshot(),
                || match options.fingerprint_bits {
                    FingerprintBits::Sixty4 => {
                        native::<u64>(&model, &scenario.config, symmetry.as_ref(), options, observers)
                    }
                    FingerprintBits::OneTwentyEight => {
                        native::<u128>(&model, &scenario.config, symmetry.as_ref(), options, observers)
                    }
                },
            );
            coverage = outcome.coverage.map(|c| crate::coverage::rows(&c.fired, &c.new_states));
            loops = outcome.loops;
            native_search = Some((outcome.sequential, searching.elapsed()));
            overlap = (options.search == Search::Bfs).then_some(outcome.overlap);
            let figures = Figures { states: outcome.states, unique: outcome.unique, depth: outcome.depth };
            let name = if options.search == Search::Dfs { "native-dfs" } else { "native-bfs" };
            (name, (figures, outcome.discoveries))
        }
        (Engine::Stateright, Search::Bfs) => (
            "stateright-bfs",
            stateright_discoveries(join(model.checker().threads(options.threads).spawn_bfs(), extras.progress)),
        ),
        (Engine::Stateright, Search::Dfs) => (
            "stateright-dfs",
            stateright_discoveries(join(model.checker().threads(options.threads).spawn_dfs(), extras.progress)),
        ),
    };
    let (figures, mut discoveries) = found;
    let bits = if options.engine == Engine::Native { options.fingerprint_bits.bits() } else { 64 };
    let properties = properties::ALL
        .iter()
        .map(|p| {
            let discovery = discoveries.remove(p.name);
            let verdict = match (p.kind, discovery.is_some()) {
                (Kind::Eventually, _) if liveness_unjudged => Verdict::Unknown,
                (Kind::Sometimes, true) | (Kind::Always | Kind::Eventually, false) => Verdict::Holds,
                _ => Verdict::Violated,
            };
            let discovery = discovery.filter(|_| !(liveness_unjudged && p.kind == Kind::Eventually));
            let path = discovery.filter(|_| p.kind != Kind::Sometimes);
            let trace: Option<Trace> = path.clone().map(|path| trace::build(&scenario.config, p, path));
            PropertyResult {
                name: p.name,
                kind: p.kind,
                verdict,
                expected: scenario.expected(p.name),
                explanation: trace.as_ref().and_then(|t| t.explanation.clone()),
                trace: trace.map(|t| t.steps),
                loop_start: loops.get(p.name).copied(),
                path,
            }
        })
        .collect();
    let elapsed = started.elapsed();
    RunReport {
        scenario: scenario.name.clone(),
        engine: match &symmetry {
            Some(group) => format!("{engine}, symmetry: {group}"),
            None => engine.to_string(),
        },
        // The native DFS runs on one thread, whatever was asked.
        threads: if options.engine == Engine::Native && options.search == Search::Dfs { 1 } else { options.threads },
        states: figures.states,
        unique: figures.unique,
        depth: figures.depth,
        seconds: elapsed.as_secs_f64(),
        collision_probability: engine::collision::probability(figures.unique as u64, bits),
        fingerprint_bits: bits,
        properties,
        coverage,
        // Besides the search's own: everything the run does around the search.
        sequential_seconds: native_search
            .map(|(sequential, searched)| (sequential + elapsed.saturating_sub(searched)).as_secs_f64()),
        overlap,
    }
}

/// The native search with `F` fingerprints: incremental for kelp's actors, by orbit
/// representative under a non-trivial `symmetry`; breadth-first with kelp's fairness for
/// liveness, or depth-first.
fn native<F: Fingerprint>(
    model: &system::KelpModel,
    config: &kelp_model::config::Config,
    symmetry: Option<&kelp_model::symmetry::Symmetry>,
    options: RunOptions,
    observers: engine::bfs::Observers<'_, Action>,
) -> engine::bfs::Outcome<system::KelpModel> {
    crate::fairness::with(config, |fairness| {
        let leaves_budget = |state: &SystemState, index: usize, next: &KelpState| {
            system::step_leaves_budget(config, state, index, next)
        };
        let actors = engine::successors::Actors::new(model).dropping(&leaves_budget);
        let representative = |s: &SystemState| match symmetry {
            Some(group) => group.representative(s).into_owned(),
            None => s.clone(),
        };
        let symmetric = engine::successors::Symmetric { model, inner: &actors, representative: &representative };
        let successors: &dyn engine::successors::Successors<_, F> =
            if symmetry.is_some() { &symmetric } else { &actors };
        match options.search {
            Search::Dfs => engine::dfs::check(model, successors, observers.progress),
            Search::Bfs => {
                let threads = options.threads;
                let options = engine::bfs::Options { threads, fairness: Some(fairness), successors: Some(successors) };
                engine::bfs::check_with(model, options, observers)
            }
        }
    })
}

struct Figures {
    states: usize,
    unique: usize,
    depth: usize,
}

type Discoveries = HashMap<&'static str, Path<SystemState, Action>>;

/// Waits for a spawned stateright checker, printing what it exposes every `progress`.
fn join<C: Checker<system::KelpModel> + Sync>(mut checker: C, progress: Option<Duration>) -> C {
    let handles = checker.handles();
    let sample = || crate::progress::Snapshot {
        states: checker.state_count(),
        unique: checker.unique_state_count(),
        depth: checker.max_depth(),
        queue: None,
    };
    crate::progress::report_while(progress, sample, || {
        for handle in handles {
            handle.join().expect("a checker thread finishes");
        }
    });
    checker
}

/// A finished stateright checker's figures and discoveries.
fn stateright_discoveries(checker: impl Checker<system::KelpModel>) -> (Figures, Discoveries) {
    let figures =
        Figures { states: checker.state_count(), unique: checker.unique_state_count(), depth: checker.max_depth() };
    let discoveries =
        properties::ALL.iter().filter_map(|p| checker.discovery(p.name).map(|path| (p.name, path))).collect();
    (figures, discoveries)
}
