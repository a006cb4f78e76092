//! Deterministic parallel BFS. Invariants: a state enters the visited set at its shallowest
//! depth, through the first (frontier order, action order) edge that reaches it; properties are
//! judged on each new state in that order, so the first discovery of a property is the first in
//! BFS order: a shortest path, independent of the thread count. `eventually` properties are
//! judged after the search, on the graph of the states where they fail (`liveness`).

use super::fingerprint::{fingerprint, Fingerprint};
use super::liveness::{Batch, Fairness, Recorder, Transitions};
use super::owned;
use super::successors::{Lookup, Step, Successors, Whole};
use super::visited::{Claim, Visited};
use crate::progress::{Counters, Snapshot};
use rayon::prelude::*;
use stateright::{Expectation, Model, Path};
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Frontier states expanded in parallel (per thread) before their successors are admitted in
/// order: enough that the threads' waiting for each other at the end of each step is small,
/// few enough that the chunk's new states are still in the caches when they are admitted.
/// Measured at 2 threads: on `healthy`, the thread time in the expansion steps spent not
/// expanding fell from 4.5 s (64 per thread) to 2.8-3.2 s (256) and 2.2-2.4 s (1,024), while
/// admitting took 6.8 s of thread time (64), 6.9-7.4 s (256) and 7.8-8.9 s (1,024); `acks-1`
/// (6 runs each) ran in 0.90 s (64), 0.79 s (256) and 0.89 s (1,024). Chunking changes nothing
/// in the result: states are admitted in frontier order either way.
const CHUNK_PER_THREAD: usize = 256;

/// At most this many nodes in a frontier list: a list is the piece of work one thread takes at a
/// time. One list per expanded state (1.6 nodes on average on `healthy`) left 3.5 million pieces
/// to hand out, one at a time, and to read back in order, on one thread: 0.25 s of the 0.39 s
/// that `healthy` spent with one thread at work (at one thread; 8 nodes: 0.11 s). Each list also
/// costs its thread a few vectors: `healthy` at 2 threads took 15.55 s with 8 nodes, 14.56 s with
/// 16 and 16.7 s with 32 (means of 4, 4 and 2 runs, interleaved), and at 1 thread 8 and 16 ran
/// equally fast (paired runs), with 0.42 s and 0.35-0.39 s of it on one thread. Few enough that
/// the last piece of a step holds up the others little: 16 nodes are about 140 us of work, of the
/// 2.2 ms each thread has in a step.
const PART_NODES: usize = 16;

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
    fn add(&mut self, fired: &[usize], new_states: &[usize]) {
        for (total, n) in self.fired.iter_mut().zip(fired).chain(self.new_states.iter_mut().zip(new_states)) {
            *total += n;
        }
    }
}

/// One frontier state and the `eventually` properties that fail in it.
struct Node<S, F> {
    state: S,
    fp: F,
    failing: u64,
}

/// A list of frontier nodes (at most `PART_NODES`), and the thread that made their states (the
/// pool's index of the thread that expanded their parents): the thread that should expand them,
/// and free them.
struct Part<S, F> {
    nodes: Vec<Node<S, F>>,
    owner: usize,
}

/// A BFS level: its nodes in order, kept in the lists they were admitted in (gathering them into
/// one vector copied every node and regrew that vector at every level), and the lists in the runs
/// each parallel step admitted (one vector of lists for the whole level was regrown, copied and
/// its fresh pages faulted in, one thread at a time: part of the 118 ms `healthy` spent taking
/// in admitted lists at one thread).
struct Level<S, F> {
    runs: Vec<Vec<Part<S, F>>>,
    len: usize,
}

impl<S, F> Level<S, F> {
    fn new() -> Self {
        Level { runs: Vec::new(), len: 0 }
    }

    /// Appends a run of lists to the level.
    fn extend(&mut self, run: Vec<Part<S, F>>) {
        self.len += run.iter().map(|part| part.nodes.len()).sum::<usize>();
        if !run.is_empty() {
            self.runs.push(run);
        }
    }

    fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// A transition whose fairness class is judged once its parent is back (`Actors` lends a new
/// successor made in the parent itself): its place among the expansion's edges or cut ones.
enum Unclassed {
    Edge(usize),
    Cut(usize),
}

/// The new states one frontier state leads to, before de-duplication within the level.
struct Expansion<S, F> {
    /// The frontier state's place in its level (its claims' index).
    claim: u32,
    /// New states: fingerprint, kind (0 without coverage), state; admitted in the order of a
    /// hash of the whole state, so that the order does not depend on the order the model lists
    /// actions in (stateright keeps timers in a hash set seeded at random: their order differs
    /// from one process to the next).
    successors: Vec<(F, u16, S)>,
    /// The kind of each transition generated (only with coverage).
    fired: Vec<u16>,
    generated: usize,
}

/// A list's expansions, and its states' transitions for the liveness graph (only those where an
/// `eventually` property fails), gathered as the list is expanded.
struct ExpandedList<S, F> {
    expansions: Vec<Expansion<S, F>>,
    transitions: Batch<F>,
}

/// What admitting the expansions of one frontier list leaves to the sequential part of the
/// level: counts, the new frontier nodes (in frontier order, in lists of at most `PART_NODES`),
/// the discoveries in the same order, and the transitions for the liveness graph.
struct Admitted<S, F> {
    generated: usize,
    unique: usize,
    /// Copies kept for a claim, and those that lost it.
    copies: usize,
    lost: usize,
    lists: Vec<Vec<Node<S, F>>>,
    discoveries: Vec<(F, u64)>,
    /// The expanded states' transitions, ready for the liveness graph (made by the thread that
    /// expanded the list, freed by the one that records the graph).
    transitions: Batch<F>,
    /// Transitions and new states by kind (only with coverage: empty without).
    fired: Vec<usize>,
    new_states: Vec<usize>,
}

impl<S, F> Admitted<S, F> {
    fn new(kinds: usize, transitions: Batch<F>) -> Self {
        Admitted {
            generated: 0,
            unique: 0,
            copies: 0,
            lost: 0,
            lists: Vec::new(),
            discoveries: Vec::new(),
            transitions,
            fired: vec![0; kinds],
            new_states: vec![0; kinds],
        }
    }
}

/// An expanded list, and the thread that expanded it (and made its new states).
type Expanded<S, F> = (ExpandedList<S, F>, usize);

/// A piece of a parallel step: a list of the chunk expanded before, to admit, or a list of the
/// next chunk to expand (with its first node's place in the level).
enum Work<S, F> {
    Admit(Expanded<S, F>),
    Expand(Part<S, F>, usize),
}

/// What a piece of a parallel step gives: an admitted list (with the thread that made its states)
/// or an expanded one.
enum Done<S, F> {
    Admitted(Admitted<S, F>, usize),
    Expanded(ExpandedList<S, F>),
}

pub fn check<M>(model: &M, threads: usize) -> Outcome<M>
where
    M: Model + Sync,
    M::State: Hash + Clone + Send + Sync + PartialEq,
    M::Action: Clone + PartialEq + Send,
{
    check_with(model, Options::<M, u64>::threads(threads), Observers::default())
}

/// `check` with `options`, publishing progress and counting coverage as `observers` ask (which
/// changes nothing in the result).
pub fn check_with<M, F: Fingerprint>(
    model: &M,
    options: Options<'_, M, F>,
    observers: Observers<'_, M::Action>,
) -> Outcome<M>
where
    M: Model + Sync,
    M::State: Hash + Clone + Send + Sync + PartialEq,
    M::Action: Clone + PartialEq + Send,
{
    if let Some(c) = &observers.coverage {
        assert!(c.kinds <= 1 << 16, "at most 65,536 kinds");
    }
    let pool = rayon::ThreadPoolBuilder::new().num_threads(options.threads).build().expect("a thread pool");
    let whole = Whole(model);
    let successors = options.successors.unwrap_or(&whole);
    pool.install(|| Search::new(model, successors, options.fairness, observers).run())
}

struct Search<'m, M: Model, F: Fingerprint> {
    model: &'m M,
    successors: &'m dyn Successors<M, F>,
    properties: Vec<stateright::Property<M>>,
    visited: Visited<F>,
    unique: usize,
    found: Vec<Option<F>>,
    states: usize,
    depth: usize,
    progress: Option<&'m Counters>,
    classify: Option<Classify<'m, M::Action>>,
    coverage: Option<Coverage>,
    fairness: Option<Fairness<'m, M::State, M::Action>>,
    /// The `eventually` properties, by bit.
    eventually: u64,
    /// The graph of the states where an `eventually` property fails (only if there is one).
    liveness: Option<Recorder<F>>,
    /// The last admitted chunk's transitions (a batch per list), for the graph: recorded beside
    /// the next parallel step.
    unrecorded: Vec<Batch<F>>,
    /// Time spent on work that the threads share: the parallel steps of the levels so far (the
    /// pool's threads at the chunks' lists, and the recording of the liveness graph beside them).
    parallel: Duration,
    /// What the threads did twice or for each other so far.
    overlap: Overlap,
}

impl<'m, M, F: Fingerprint> Search<'m, M, F>
where
    M: Model + Sync,
    M::State: Hash + Clone + Send + Sync + PartialEq,
    M::Action: Clone + PartialEq + Send,
{
    fn new(
        model: &'m M,
        successors: &'m dyn Successors<M, F>,
        fairness: Option<Fairness<'m, M::State, M::Action>>,
        observers: Observers<'m, M::Action>,
    ) -> Self {
        let properties = model.properties();
        assert!(properties.len() <= 64, "at most 64 properties");
        let found = vec![None; properties.len()];
        let coverage =
            observers.coverage.as_ref().map(|c| Coverage { fired: vec![0; c.kinds], new_states: vec![0; c.kinds] });
        let eventually = properties
            .iter()
            .enumerate()
            .filter(|(_, p)| p.expectation == Expectation::Eventually)
            .fold(0, |mask, (i, _)| mask | (1 << i));
        Search {
            model,
            successors,
            properties,
            visited: Visited::default(),
            unique: 0,
            found,
            states: 0,
            depth: 0,
            progress: observers.progress,
            classify: observers.coverage.map(|c| c.classify),
            coverage,
            fairness,
            eventually,
            liveness: (eventually != 0).then(Recorder::default),
            unrecorded: Vec::new(),
            parallel: Duration::ZERO,
            overlap: Overlap::default(),
        }
    }

    /// Publishes the figures for the progress reporter, if there is one.
    fn publish(&self, queue: usize) {
        if let Some(counters) = self.progress {
            counters.publish(Snapshot {
                states: self.states,
                unique: self.unique,
                depth: self.depth + 1,
                queue: Some(queue),
            });
        }
    }

    /// The properties still to judge on each new state: every `eventually` one, and the others
    /// until their first discovery.
    fn undecided(&self) -> u64 {
        self.found.iter().enumerate().filter(|(_, f)| f.is_none()).fold(self.eventually, |mask, (i, _)| mask | (1 << i))
    }

    /// Which of the properties in `mask` have their condition hold in `state`, as a bit mask.
    fn evaluate(model: &M, properties: &[stateright::Property<M>], mask: u64, state: &M::State) -> u64 {
        properties
            .iter()
            .enumerate()
            .filter(|(i, p)| mask & (1 << i) != 0 && (p.condition)(model, state))
            .fold(0, |holds, (i, _)| holds | (1 << i))
    }

    /// The properties a new state discovers (a violated `always`, a reached `sometimes`), as a
    /// bit mask. `judged`: the properties `holds` tells about.
    fn discovered(properties: &[stateright::Property<M>], judged: u64, holds: u64) -> u64 {
        properties
            .iter()
            .enumerate()
            .filter(|(i, p)| match p.expectation {
                Expectation::Always => judged & (1 << i) != 0 && holds & (1 << i) == 0,
                Expectation::Sometimes => holds & (1 << i) != 0,
                Expectation::Eventually => false,
            })
            .fold(0, |mask, (i, _)| mask | (1 << i))
    }

    /// Records the discoveries (`discovered`'s mask) of the new state `fp` that are the first of
    /// their property; callers go in BFS order.
    fn discover(&mut self, fp: F, discovered: u64) {
        for (i, found) in self.found.iter_mut().enumerate() {
            if discovered & (1 << i) != 0 && found.is_none() {
                *found = Some(fp);
            }
        }
    }

    /// The search may stop early only when nothing is left to find: `eventually` properties are
    /// judged on the whole graph.
    fn everything_found(&self) -> bool {
        self.eventually == 0 && self.found.iter().all(Option::is_some)
    }

    fn run(mut self) -> Outcome<M> {
        let started = Instant::now();
        let mut initial = Vec::new();
        let mut inits: Vec<(F, M::State)> =
            self.model.init_states().into_iter().map(|state| (self.successors.fingerprint(&state), state)).collect();
        inits.sort_by_cached_key(|(_, state)| fingerprint(state));
        for (fp, state) in inits {
            if !self.model.within_boundary(&state) || !self.visited.insert_initial(fp) {
                continue;
            }
            self.unique += 1;
            self.states += 1;
            let judged = self.undecided();
            let holds = Self::evaluate(self.model, &self.properties, judged, &state);
            self.discover(fp, Self::discovered(&self.properties, judged, holds));
            initial.push(Node { state, fp, failing: self.eventually & !holds });
        }
        let mut frontier = Level::new();
        if !initial.is_empty() {
            frontier.extend(vec![Part { nodes: initial, owner: 0 }]);
        }
        self.publish(frontier.len);
        while !frontier.is_empty() && !self.everything_found() {
            frontier = self.next_level(frontier);
            if !frontier.is_empty() {
                self.depth += 1;
            }
            self.publish(frontier.len);
        }
        let mut discoveries: HashMap<_, _> = self
            .properties
            .iter()
            .zip(&self.found)
            .filter_map(|(p, fp)| fp.map(|fp| (p.name, self.path_along(self.chain_to(fp)))))
            .collect();
        let mut sequential = started.elapsed().saturating_sub(self.parallel);
        let mut loops = HashMap::new();
        if let Some(mut recorder) = self.liveness.take() {
            recorder.record(std::mem::take(&mut self.unrecorded));
            let graph = recorder.finish();
            // Each property's search of the graph is sequential (Tarjan); the properties' are
            // independent, so they run side by side.
            let properties: Vec<usize> =
                (0..self.properties.len()).filter(|i| self.eventually & (1 << i) != 0).collect();
            let violations: Vec<_> = properties
                .par_iter()
                .map(|&i| {
                    let cycles = graph.cycles(i as u32);
                    let on_one_thread = cycles.on_one_thread;
                    (i, graph.violation(cycles), on_one_thread)
                })
                .collect();
            sequential += violations.iter().map(|&(_, _, took)| took).max().unwrap_or_default();
            for (i, violation, _) in violations {
                let (p, Some(violation)) = (&self.properties[i], violation) else { continue };
                let mut chain = self.chain_to(violation.entry);
                if !violation.cycle.is_empty() {
                    loops.insert(p.name, chain.len() - 1);
                }
                chain.extend(violation.cycle);
                discoveries.insert(p.name, self.path_along(chain));
            }
        }
        Outcome {
            states: self.states,
            unique: self.unique,
            depth: self.depth + 1,
            coverage: self.coverage.take(),
            discoveries,
            loops,
            sequential,
            overlap: self.overlap,
        }
    }

    /// Expands one level, chunk by chunk (runs of the lists the level's nodes were admitted in,
    /// taken where they are: gathering the nodes into a chunk moved every state once more, one
    /// thread at a time), admitting new states in frontier order. Each chunk is admitted beside
    /// the next one's expansion, in one parallel step (the last alone). Each chunk's states are
    /// dropped as soon as they are expanded, so that the next level's states reuse their memory:
    /// at any time the search holds about one level's states, not two.
    fn next_level(&mut self, frontier: Level<M::State, F>) -> Level<M::State, F> {
        let mut next = Level::new();
        let mut left = frontier.len;
        let chunk_size = CHUNK_PER_THREAD * rayon::current_num_threads();
        let mut parts = frontier.runs.into_iter().flatten().peekable();
        let (mut first, mut expanded) = (0, Vec::new());
        while parts.peek().is_some() {
            let mut nodes = 0;
            let chunk: Vec<_> = std::iter::from_fn(|| {
                let part = parts.next_if(|_| nodes < chunk_size)?;
                nodes += part.nodes.len();
                Some(part)
            })
            .collect();
            expanded = self.step(expanded, chunk, first, &mut next);
            first += nodes;
            self.overlap.expanded += nodes;
            left -= nodes;
            self.publish(left + next.len);
        }
        self.step(expanded, Vec::new(), first, &mut next);
        next
    }

    /// One parallel step: admits and judges the new states of the chunk expanded before (its
    /// lists' expansions, each with the thread that made them), and expands the next chunk
    /// (`chunk`, its first node the level's node `first`), whose expansions it returns. Each list
    /// goes first to the thread that made its states, which drops each state as soon as it is
    /// expanded; each list's new states are admitted by the thread that expanded it. Admitting
    /// beside the next expansion is sound: a chunk's claims are settled once it is expanded (a
    /// later chunk's nodes come later in frontier order and never take a claim from it).
    fn step(
        &mut self,
        expanded: Vec<Expanded<M::State, F>>,
        chunk: Vec<Part<M::State, F>>,
        first: usize,
        next: &mut Level<M::State, F>,
    ) -> Vec<Expanded<M::State, F>> {
        let model = self.model;
        let successors = self.successors;
        let visited = &self.visited;
        let classify = self.classify;
        let fairness = self.fairness.as_ref();
        let record = self.liveness.is_some();
        let level = self.depth as u32 + 1;
        // Expands `node`, the level's node `claim`; its transitions go to `batch` (through
        // `scratch`, the list's buffer, so that no state has vectors of its own).
        let expand = |mut node: Node<M::State, F>, claim: u32, batch: &mut Batch<F>, scratch: &mut Transitions<F>| {
            let (parent_fp, failing) = (node.fp, node.failing);
            let mut expansion = Expansion { claim, successors: Vec::new(), fired: Vec::new(), generated: 0 };
            let mut transitions = (record && failing != 0).then(|| {
                scratch.edges.clear();
                scratch.cut.clear();
                &mut *scratch
            });
            // The actions of transitions whose fairness class waits for the parent to be back.
            let mut unclassed: Vec<(Unclassed, M::Action)> = Vec::new();
            let seen = |fp: F| visited.seen(fp, level, claim);
            let prefetch = |fp: F| visited.prefetch(fp);
            let lookup = Lookup { seen: &seen, prefetch: &prefetch };
            successors.for_each_prefetching(&mut node.state, parent_fp, lookup, &mut |action, step, parent| {
                let kind = classify.map_or(0, |classify| classify(&action.get()) as u16);
                let (class, later) = match (&transitions, fairness, parent) {
                    (Some(_), Some(f), Some(parent)) => ((f.class)(parent, &action.get()), false),
                    (Some(_), Some(_), None) => (None, true),
                    _ => (None, false),
                };
                let fp = match step {
                    Step::Seen(fp) => fp,
                    Step::New(fp, next) => {
                        if !model.within_boundary(&next) {
                            if let (Some(t), Some(f)) = (&mut transitions, fairness) {
                                if (f.beyond_bound)(&next) {
                                    if later {
                                        unclassed.push((Unclassed::Cut(t.cut.len()), action.into_owned()));
                                    }
                                    t.cut.push(class);
                                }
                            }
                            return;
                        }
                        if visited.claim(fp, level, claim, node.fp) == Claim::Kept {
                            expansion.successors.push((fp, kind, next.into_owned()));
                        }
                        fp
                    }
                };
                expansion.generated += 1;
                if classify.is_some() {
                    expansion.fired.push(kind);
                }
                if let Some(t) = &mut transitions {
                    if later {
                        unclassed.push((Unclassed::Edge(t.edges.len()), action.into_owned()));
                    }
                    t.edges.push((fp, class));
                }
            });
            if let (Some(t), Some(f)) = (&mut transitions, fairness) {
                for (at, action) in unclassed {
                    let class = (f.class)(&node.state, &action);
                    match at {
                        Unclassed::Edge(i) => t.edges[i].1 = class,
                        Unclassed::Cut(i) => t.cut[i] = class,
                    }
                }
            }
            if let Some(t) = transitions {
                batch.push(parent_fp, failing, t);
            }
            expansion
        };
        // The chunk expanded before: every claim of it is settled. Keep the winners' copies,
        // judge them and make them frontier nodes, in parallel (the losers' copies are dropped
        // there too). What is left to do in frontier order, one thread at a time, is only
        // counting and moving: the sequential part of a level, which bounds how far more threads
        // can speed it up.
        let properties = &self.properties;
        let judged = self.undecided();
        let eventually = self.eventually;
        let kinds = self.coverage.as_ref().map_or(0, |c| c.fired.len());
        let admit = |list: ExpandedList<M::State, F>| {
            let mut out = Admitted::new(kinds, list.transitions);
            for mut expansion in list.expansions {
                out.generated += expansion.generated;
                for &kind in &expansion.fired {
                    out.fired[usize::from(kind)] += 1;
                }
                // Admission order follows the whole-state hash, whatever fingerprints the search
                // uses: the same shortest counterexamples with either way of fingerprinting.
                // Only the winners are hashed: with more threads, more copies lose (at 2
                // threads, one in seven: a later node claimed the state before an earlier one).
                let claim = expansion.claim;
                let copies = expansion.successors.len();
                expansion.successors.retain(|&(fp, _, _)| visited.won(fp, claim));
                out.copies += copies;
                out.lost += copies - expansion.successors.len();
                expansion.successors.sort_by_cached_key(|(_, kind, state)| (fingerprint(state), *kind));
                for (fp, kind, state) in expansion.successors {
                    let holds = Self::evaluate(model, properties, judged, &state);
                    let discovered = Self::discovered(properties, judged, holds);
                    if discovered != 0 {
                        out.discoveries.push((fp, discovered));
                    }
                    if kinds != 0 {
                        out.new_states[usize::from(kind)] += 1;
                    }
                    let node = Node { state, fp, failing: eventually & !holds };
                    match out.lists.last_mut() {
                        Some(last) if last.len() < PART_NODES => last.push(node),
                        _ => out.lists.push(vec![node]),
                    }
                    out.unique += 1;
                }
            }
            out
        };
        // The admissions come first, so that each thread admits its lists before it expands. Each
        // list to expand goes with its first node's place in the level.
        let admissions = expanded.len();
        let mut at = first;
        let work: Vec<Work<M::State, F>> = expanded
            .into_iter()
            .map(Work::Admit)
            .chain(chunk.into_iter().map(|part| {
                let this = at;
                at += part.nodes.len();
                Work::Expand(part, this)
            }))
            .collect();
        let work_len = work.len();
        let parallel = &mut self.parallel;
        let helped = AtomicUsize::new(0);
        let do_all = || {
            owned::map(
                work,
                |work| match work {
                    // A list's new states were made by the thread that expanded it: their owner.
                    Work::Admit((_, expander)) => *expander,
                    Work::Expand(part, _) => part.owner,
                },
                |work, mine| match work {
                    Work::Admit((list, expander)) => Done::Admitted(admit(list), expander),
                    Work::Expand(mut part, first) => {
                        if !mine {
                            helped.fetch_add(part.nodes.len(), Ordering::Relaxed);
                            // Another thread's states: made this thread's before they are
                            // expanded (their successors are this thread's to make).
                            part.nodes.iter_mut().for_each(|node| successors.adopt(&mut node.state));
                        }
                        let (mut transitions, mut scratch) = (Batch::default(), Transitions::default());
                        let expansions = part.nodes.into_iter().zip(first..);
                        let expansions = expansions
                            .map(|(node, claim)| expand(node, claim as u32, &mut transitions, &mut scratch))
                            .collect();
                        Done::Expanded(ExpandedList { expansions, transitions })
                    }
                },
                parallel,
            )
        };
        // Meanwhile one thread records the chunk admitted before in the liveness graph. (Beside
        // the chunk's own admission, as it was, the recording outlasted the admission from about
        // 7 threads on: `healthy` at one thread spends 0.8 s recording, 4.6 s admitting.) The
        // recording is work more threads share: counted as parallel, like the rest of the step.
        let unrecorded = std::mem::take(&mut self.unrecorded);
        let (recording, done) = match &mut self.liveness {
            Some(recorder) if !unrecorded.is_empty() => rayon::join(
                || {
                    let recording = Instant::now();
                    recorder.record(unrecorded);
                    recording.elapsed()
                },
                do_all,
            ),
            _ => (Duration::ZERO, do_all()),
        };
        self.parallel += recording;

        let mut unrecorded = Vec::with_capacity(admissions);
        let mut run = Vec::new();
        let mut expansions = Vec::with_capacity(work_len - admissions);
        for (done, thread) in done {
            match done {
                Done::Admitted(list, owner) => self.take_in(list, owner, &mut run, &mut unrecorded),
                Done::Expanded(list) => expansions.push((list, thread)),
            }
        }
        next.extend(run);
        self.unrecorded = unrecorded;
        self.visited.forget_outgrown();
        self.overlap.helped += helped.into_inner();
        expansions
    }

    /// Takes in one admitted list, in frontier order (the sequential part of a step): its counts
    /// and discoveries, its new nodes (made by the thread `owner`) into `run`, the step's lists of
    /// the next level, its transitions into `unrecorded`.
    fn take_in(
        &mut self,
        list: Admitted<M::State, F>,
        owner: usize,
        run: &mut Vec<Part<M::State, F>>,
        unrecorded: &mut Vec<Batch<F>>,
    ) {
        self.states += list.generated;
        self.unique += list.unique;
        self.overlap.copies += list.copies;
        self.overlap.lost += list.lost;
        if let Some(coverage) = &mut self.coverage {
            coverage.add(&list.fired, &list.new_states);
        }
        for (fp, discovered) in list.discoveries {
            self.discover(fp, discovered);
        }
        run.extend(list.lists.into_iter().map(|nodes| Part { nodes, owner }));
        if !list.transitions.is_empty() {
            unrecorded.push(list.transitions);
        }
    }

    /// The fingerprints from an initial state to the visited state `fp`, along parent links.
    fn chain_to(&self, fp: F) -> Vec<F> {
        let mut chain = vec![fp];
        while let Some(parent) = self.visited.parent(*chain.last().expect("not empty")) {
            chain.push(parent);
        }
        chain.reverse();
        chain
    }

    /// Rebuilds the path through the states `chain` names (the first an initial state): replays
    /// forward, at each step taking the first action whose successor has the next fingerprint.
    fn path_along(&self, chain: Vec<F>) -> Path<M::State, M::Action> {
        let init = self
            .model
            .init_states()
            .into_iter()
            .find(|s| self.successors.fingerprint(s) == chain[0])
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
                    (self.successors.fingerprint(&next) == next_fp).then_some((action, next))
                })
                .expect("a recorded step replays");
            state = next;
            actions.push(action);
        }
        Path::from_actions(self.model, init, &actions).expect("a recorded path replays")
    }
}
