//! What a BFS is asked (threads, fairness, fingerprints; progress and coverage to observe) and
//! what it gives back.

use crate::engine::liveness::Fairness;
use crate::engine::successors::Successors;
use crate::progress::Counters;
use stateright::{Model, Path};
use std::collections::HashMap;
use std::time::Duration;

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
    /// For an `eventually` property broken by a cycle: the index of the path's state where the
    /// cycle starts (the path's last state is that state again). A broken `eventually` property
    /// without an entry here is a deadlock: its path ends where nothing more can happen.
    pub loops: HashMap<&'static str, usize>,
    /// Time the search spent on work that more threads do not share (measured at one thread, it
    /// bounds how far more threads can speed the search up, by Amdahl's law): all but the
    /// parallel steps of each level (expansion, the liveness graph's recording beside it,
    /// admission) and the parallel steps after the search, and, for each `eventually` property,
    /// the search of its graph for cycles (one thread per property). With more threads than one
    /// it is at most that.
    pub sequential: Duration,
    /// What the threads did twice or for each other.
    pub overlap: Overlap,
}

/// Work the threads of the BFS did twice or for each other: none at one thread, more with more
/// threads (the DFS, on one thread, counts none). Counted, not timed, so that a run on many cores
/// tells where its threads' time went.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Overlap {
    /// Frontier states expanded.
    pub expanded: usize,
    /// Of those, the states a thread expanded that another thread had made (adopted first: see
    /// `Successors::adopt`).
    pub helped: usize,
    /// Copies of new states kept for their claims.
    pub copies: usize,
    /// Of those, the copies whose claim a node earlier in frontier order took afterwards (the
    /// copy made for nothing: the later node got there first on another thread).
    pub lost: usize,
}

/// How to search: with how many threads, the fairness `eventually` properties are judged under
/// (without it no action is fair: any cycle that avoids the property breaks it), and how states
/// are fingerprinted (by default `Whole`: each successor built and hashed).
pub struct Options<'a, M: Model, F = u64> {
    pub threads: usize,
    pub fairness: Option<Fairness<'a, M::State, M::Action>>,
    pub successors: Option<&'a dyn Successors<M, F>>,
}

impl<M: Model, F> Options<'_, M, F> {
    pub fn threads(threads: usize) -> Self {
        Options { threads, fairness: None, successors: None }
    }
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

impl Coverage {
    /// Adds counts by kind.
    pub(super) fn add(&mut self, fired: &[usize], new_states: &[usize]) {
        for (total, n) in self.fired.iter_mut().zip(fired).chain(self.new_states.iter_mut().zip(new_states)) {
            *total += n;
        }
    }
}
