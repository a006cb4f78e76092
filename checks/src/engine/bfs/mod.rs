//! Deterministic parallel BFS. Invariants: a state enters the visited set at its shallowest
//! depth, through the first (frontier order, action order) edge that reaches it; properties are
//! judged on each new state in that order, so the first discovery of a property is the first in
//! BFS order: a shortest path, independent of the thread count. `eventually` properties are
//! judged after the search, on the graph of the states where they fail (`liveness`).

mod admit;
mod expand;
mod level;
mod outcome;

pub use outcome::{Classifier, Classify, Coverage, Observers, Options, Outcome, Overlap};

use crate::engine::fingerprint::{fingerprint, Fingerprint};
use crate::engine::liveness::{Batch, Fairness, Recorder, Transitions};
use crate::engine::owned;
use crate::engine::successors::{Successors, Whole};
use crate::engine::visited::Visited;
use crate::progress::{Counters, Snapshot};
use admit::{discovered, evaluate, Admitter};
use expand::Expander;
use level::{Admitted, Done, Expanded, ExpandedList, Level, Node, Part, Work};
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
            let holds = evaluate(self.model, &self.properties, judged, &state);
            self.discover(fp, discovered(&self.properties, judged, holds));
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
        let successors = self.successors;
        let expander = Expander {
            model: self.model,
            successors,
            visited: &self.visited,
            classify: self.classify,
            fairness: self.fairness.as_ref(),
            record: self.liveness.is_some(),
            level: self.depth as u32 + 1,
        };
        // The chunk expanded before: every claim of it is settled. Keep the winners' copies,
        // judge them and make them frontier nodes, in parallel (the losers' copies are dropped
        // there too). What is left to do in frontier order, one thread at a time, is only
        // counting and moving: the sequential part of a level, which bounds how far more threads
        // can speed it up.
        let admitter = Admitter {
            model: self.model,
            properties: &self.properties,
            visited: &self.visited,
            judged: self.undecided(),
            eventually: self.eventually,
            kinds: self.coverage.as_ref().map_or(0, |c| c.fired.len()),
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
                    Work::Admit((list, expander)) => Done::Admitted(admitter.admit(list), expander),
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
                            .map(|(node, claim)| expander.expand(node, claim as u32, &mut transitions, &mut scratch))
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
