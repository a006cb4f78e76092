//! Deterministic parallel BFS. Invariants: a state enters the visited set at its shallowest
//! depth, through the first (frontier order, action order) edge that reaches it; properties are
//! judged on each new state in that order, so the first discovery of a property is the first in
//! BFS order: a shortest path, independent of the thread count.

use crate::progress::{Counters, Snapshot};
use rayon::prelude::*;
use stateright::{Expectation, Model, Path};
use std::collections::HashMap;
use std::hash::Hash;

/// A fingerprint: a 64-bit hash of a state with fixed seeds (stable across runs and builds).
pub type Fingerprint = u64;

pub fn fingerprint<S: Hash>(state: &S) -> Fingerprint {
    ahash::RandomState::with_seeds(0x6b656c70, 0x6b61666b61, 0x72657063, 0x656c6563).hash_one(state)
}

/// Fingerprints are already uniform hashes: the visited map uses them as they are.
#[derive(Default)]
struct IdentityHasher(u64);

impl std::hash::Hasher for IdentityHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, _: &[u8]) {
        unreachable!("only fingerprints are hashed")
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// Each visited state's parent: the state it was first reached from (`None` for an initial state).
type Visited = HashMap<Fingerprint, Option<Fingerprint>, std::hash::BuildHasherDefault<IdentityHasher>>;

/// Frontier states expanded in parallel (per thread) before their successors are admitted in
/// order: enough to keep every thread busy, few enough that successors do not pile up in memory
/// (measured on `acks-1`: chunks of 64 per thread ran 1.6x faster than 4096). Chunking changes
/// nothing in the result: states are admitted in frontier order either way.
const CHUNK_PER_THREAD: usize = 64;

/// What a finished search found.
pub struct Outcome<M: Model> {
    /// States generated within the boundary (with repeats), as stateright counts them.
    pub states: usize,
    pub unique: usize,
    pub depth: usize,
    /// Transitions by kind, when `Observers::coverage` asked for them.
    pub coverage: Option<Coverage>,
    /// The first path found for each property that has a discovery: a violated `always` or
    /// `eventually`, a reached `sometimes`.
    pub discoveries: HashMap<&'static str, Path<M::State, M::Action>>,
}

/// What a search publishes and counts besides its result; nothing by default, which costs nothing.
pub struct Observers<'a, A> {
    /// Receives the search's figures after each chunk of a level and at each level's end.
    pub progress: Option<&'a Counters>,
    /// Counts transitions by the kind `classify` gives their action.
    pub coverage: Option<Classifier<'a, A>>,
}

impl<A> Default for Observers<'_, A> {
    fn default() -> Self {
        Observers { progress: None, coverage: None }
    }
}

/// An action's kind, as an index.
pub type Classify<'a, A> = &'a (dyn Fn(&A) -> usize + Sync);

/// Maps an action to its kind, an index below `kinds` (at most 65,536 kinds).
pub struct Classifier<'a, A> {
    pub classify: Classify<'a, A>,
    pub kinds: usize,
}

/// Transitions by kind: each count is indexed by the classifier's kind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Coverage {
    /// Transitions explored within the boundary (with repeats): they sum to `Outcome::states`
    /// less the initial states.
    pub fired: Vec<usize>,
    /// Transitions that reached a state first (the edge it is admitted through): they sum to
    /// `Outcome::unique` less the initial states.
    pub new_states: Vec<usize>,
}

/// One frontier state and the `eventually` properties not yet satisfied on its path.
struct Node<S> {
    state: S,
    fp: Fingerprint,
    pending_eventually: u64,
}

/// The new states one frontier state leads to, before de-duplication within the level.
/// `terminal`: the state has no successor at all, not even one beyond the boundary (stateright
/// counts a state whose successors all lie beyond the boundary as terminal, and so reports
/// liveness violations that are only the budget running out).
struct Expansion<S> {
    /// New states: fingerprint, kind (0 without coverage), state; sorted by fingerprint, so
    /// that the order does not depend on the order the model lists actions in (stateright keeps
    /// timers in a hash set seeded at random: their order differs from one process to the next).
    successors: Vec<(Fingerprint, u16, S)>,
    /// The kind of each transition generated (only with coverage).
    fired: Vec<u16>,
    generated: usize,
    terminal: bool,
}

pub fn check<M>(model: &M, threads: usize) -> Outcome<M>
where
    M: Model + Sync,
    M::State: Hash + Clone + Send + Sync + PartialEq,
    M::Action: Clone + PartialEq + Send,
{
    check_with(model, threads, Observers::default())
}

/// `check`, publishing progress and counting coverage as `observers` ask. The result is the same.
pub fn check_with<M>(model: &M, threads: usize, observers: Observers<'_, M::Action>) -> Outcome<M>
where
    M: Model + Sync,
    M::State: Hash + Clone + Send + Sync + PartialEq,
    M::Action: Clone + PartialEq + Send,
{
    if let Some(c) = &observers.coverage {
        assert!(c.kinds <= 1 << 16, "at most 65,536 kinds");
    }
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("a thread pool");
    pool.install(|| Search::new(model, observers).run())
}

struct Search<'m, M: Model> {
    model: &'m M,
    properties: Vec<stateright::Property<M>>,
    visited: Visited,
    found: Vec<Option<Fingerprint>>,
    states: usize,
    depth: usize,
    progress: Option<&'m Counters>,
    classify: Option<Classify<'m, M::Action>>,
    coverage: Option<Coverage>,
}

impl<'m, M> Search<'m, M>
where
    M: Model + Sync,
    M::State: Hash + Clone + Send + Sync + PartialEq,
    M::Action: Clone + PartialEq + Send,
{
    fn new(model: &'m M, observers: Observers<'m, M::Action>) -> Self {
        let properties = model.properties();
        assert!(properties.len() <= 64, "at most 64 properties");
        let found = vec![None; properties.len()];
        let coverage =
            observers.coverage.as_ref().map(|c| Coverage { fired: vec![0; c.kinds], new_states: vec![0; c.kinds] });
        Search {
            model,
            properties,
            visited: Visited::default(),
            found,
            states: 0,
            depth: 0,
            progress: observers.progress,
            classify: observers.coverage.map(|c| c.classify),
            coverage,
        }
    }

    /// Publishes the figures for the progress reporter, if there is one.
    fn publish(&self, queue: usize) {
        if let Some(counters) = self.progress {
            counters.publish(Snapshot {
                states: self.states,
                unique: self.visited.len(),
                depth: self.depth + 1,
                queue: Some(queue),
            });
        }
    }

    fn eventually_mask(&self) -> u64 {
        self.properties
            .iter()
            .enumerate()
            .filter(|(_, p)| p.expectation == Expectation::Eventually)
            .fold(0, |mask, (i, _)| mask | (1 << i))
    }

    /// Which properties' conditions hold in `state`, as a bit mask.
    fn evaluate(model: &M, properties: &[stateright::Property<M>], state: &M::State) -> u64 {
        properties
            .iter()
            .enumerate()
            .filter(|(_, p)| (p.condition)(model, state))
            .fold(0, |mask, (i, _)| mask | (1 << i))
    }

    /// Records the first discoveries a new state makes (callers go in BFS order) and returns the
    /// `eventually` properties still pending on its path.
    fn admit(&mut self, fp: Fingerprint, holds: u64, mut pending: u64) -> u64 {
        for (i, p) in self.properties.iter().enumerate() {
            let held = holds & (1 << i) != 0;
            let discovered = match p.expectation {
                Expectation::Always => !held,
                Expectation::Sometimes => held,
                Expectation::Eventually => {
                    if held {
                        pending &= !(1 << i);
                    }
                    false
                }
            };
            if discovered && self.found[i].is_none() {
                self.found[i] = Some(fp);
            }
        }
        pending
    }

    fn everything_found(&self) -> bool {
        self.found.iter().all(Option::is_some)
    }

    fn run(mut self) -> Outcome<M> {
        let mut frontier = Vec::new();
        let all_eventually = self.eventually_mask();
        let mut inits: Vec<(Fingerprint, M::State)> =
            self.model.init_states().into_iter().map(|state| (fingerprint(&state), state)).collect();
        inits.sort_by_key(|(fp, _)| *fp);
        for (fp, state) in inits {
            if self.visited.contains_key(&fp) || !self.model.within_boundary(&state) {
                continue;
            }
            self.visited.insert(fp, None);
            self.states += 1;
            let holds = Self::evaluate(self.model, &self.properties, &state);
            let pending_eventually = self.admit(fp, holds, all_eventually);
            frontier.push(Node { state, fp, pending_eventually });
        }
        self.publish(frontier.len());
        while !frontier.is_empty() && !self.everything_found() {
            frontier = self.next_level(frontier);
            if !frontier.is_empty() {
                self.depth += 1;
            }
            self.publish(frontier.len());
        }
        let discoveries = self
            .properties
            .iter()
            .zip(&self.found)
            .filter_map(|(p, fp)| fp.map(|fp| (p.name, self.path_to(fp))))
            .collect();
        Outcome {
            states: self.states,
            unique: self.visited.len(),
            depth: self.depth + 1,
            coverage: self.coverage.take(),
            discoveries,
        }
    }

    /// Expands one level, chunk by chunk, admitting new states in frontier order.
    fn next_level(&mut self, frontier: Vec<Node<M::State>>) -> Vec<Node<M::State>> {
        let mut next = Vec::new();
        let mut left = frontier.len();
        for chunk in frontier.chunks(CHUNK_PER_THREAD * rayon::current_num_threads()) {
            self.expand_chunk(chunk, &mut next);
            left -= chunk.len();
            self.publish(left + next.len());
        }
        next
    }

    /// Expands a chunk of the frontier in parallel, then admits and judges its new states.
    fn expand_chunk(&mut self, frontier: &[Node<M::State>], next: &mut Vec<Node<M::State>>) {
        let model = self.model;
        let visited = &self.visited;
        let classify = self.classify;
        let expansions: Vec<Expansion<M::State>> = frontier
            .par_iter()
            .map(|node| {
                let mut actions = Vec::new();
                model.actions(&node.state, &mut actions);
                let mut expansion =
                    Expansion { successors: Vec::new(), fired: Vec::new(), generated: 0, terminal: true };
                for action in actions {
                    let kind = classify.map_or(0, |classify| classify(&action) as u16);
                    let Some(next) = model.next_state(&node.state, action) else { continue };
                    // A path cut by the boundary has not ended: it is not judged for liveness.
                    expansion.terminal = false;
                    if !model.within_boundary(&next) {
                        continue;
                    }
                    expansion.generated += 1;
                    if classify.is_some() {
                        expansion.fired.push(kind);
                    }
                    let fp = fingerprint(&next);
                    if !visited.contains_key(&fp) {
                        expansion.successors.push((fp, kind, next));
                    }
                }
                expansion.successors.sort_by_key(|(fp, kind, _)| (*fp, *kind));
                expansion
            })
            .collect();

        let eventually = self.eventually_mask();
        let mut admitted = Vec::new();
        for (node, expansion) in frontier.iter().zip(expansions) {
            self.states += expansion.generated;
            if let Some(coverage) = &mut self.coverage {
                for &kind in &expansion.fired {
                    coverage.fired[usize::from(kind)] += 1;
                }
            }
            if expansion.terminal {
                // A path that ends here without ever satisfying an `eventually` property.
                for i in (0..self.properties.len()).filter(|i| node.pending_eventually & eventually & (1 << i) != 0) {
                    if self.found[i].is_none() {
                        self.found[i] = Some(node.fp);
                    }
                }
            }
            for (fp, kind, state) in expansion.successors {
                if let std::collections::hash_map::Entry::Vacant(e) = self.visited.entry(fp) {
                    e.insert(Some(node.fp));
                    if let Some(coverage) = &mut self.coverage {
                        coverage.new_states[usize::from(kind)] += 1;
                    }
                    admitted.push((state, fp, node.pending_eventually));
                }
            }
        }
        // Judge the new states in parallel, then record discoveries in frontier order.
        let model = self.model;
        let properties = &self.properties;
        let verdicts: Vec<u64> =
            admitted.par_iter().map(|(state, _, _)| Self::evaluate(model, properties, state)).collect();
        for ((state, fp, pending), holds) in admitted.into_iter().zip(verdicts) {
            let pending_eventually = self.admit(fp, holds, pending);
            next.push(Node { state, fp, pending_eventually });
        }
    }

    /// Rebuilds the path to a visited state: follows parent links back to an initial state, then
    /// replays forward, at each step taking the action whose successor has the next fingerprint.
    fn path_to(&self, fp: Fingerprint) -> Path<M::State, M::Action> {
        let mut chain = vec![fp];
        while let Some(parent) = self.visited[chain.last().expect("not empty")] {
            chain.push(parent);
        }
        chain.reverse();
        let init = self
            .model
            .init_states()
            .into_iter()
            .find(|s| fingerprint(s) == chain[0])
            .expect("the path starts at an initial state");
        let mut state = init.clone();
        let mut actions = Vec::with_capacity(chain.len() - 1);
        for &next_fp in &chain[1..] {
            let mut available = Vec::new();
            self.model.actions(&state, &mut available);
            let (action, next) = available
                .into_iter()
                .find_map(|action| {
                    let next = self.model.next_state(&state, action.clone())?;
                    (fingerprint(&next) == next_fp).then_some((action, next))
                })
                .expect("a recorded step replays");
            state = next;
            actions.push(action);
        }
        Path::from_actions(self.model, init, &actions).expect("a recorded path replays")
    }
}
