//! Depth-first search, for runs whose breadth-first frontier does not fit in memory: it keeps the
//! fingerprints of the visited states and the states along the current path (with the new
//! successors still to visit from each), nothing else. What it gives up: counterexamples are the
//! path it happened to take, not shortest ones; it runs on one thread; and `eventually`
//! properties are not judged (that needs the graph of the states, `liveness`), only `always` and
//! `sometimes` ones. Successors are visited in the order of their whole-state hash, as the BFS
//! admits them, so a run is the same from one process to the next.

use super::bfs::{Outcome, Overlap};
use super::fingerprint::IdentityHasher;
use super::fingerprint::{fingerprint, Fingerprint};
use super::successors::{Step, Successors};
use crate::progress::{Counters, Snapshot};
use stateright::{Expectation, Model, Path};
use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hash};

/// One state on the current path and the new successors still to visit from it (last first).
struct Frame<S, A, F> {
    state: S,
    fp: F,
    pending: Option<Vec<(A, F, S)>>,
}

/// Publishes progress every this many unique states (a power of two).
const PUBLISH_EVERY: usize = 1 << 14;

pub fn check<M, F>(model: &M, successors: &dyn Successors<M, F>, progress: Option<&Counters>) -> Outcome<M>
where
    M: Model,
    M::State: Hash + Clone + PartialEq,
    M::Action: Clone + PartialEq,
    F: Fingerprint,
{
    let started = std::time::Instant::now();
    let properties = model.properties();
    let mut found: HashMap<&'static str, Path<M::State, M::Action>> = HashMap::new();
    // The `always` and `sometimes` properties without a discovery yet: the search stops at none.
    let mut left = properties.iter().filter(|p| p.expectation != Expectation::Eventually).count();
    let mut visited: HashSet<F, BuildHasherDefault<IdentityHasher>> = HashSet::default();
    let (mut states, mut depth) = (0, 0);
    let mut inits = model.init_states();
    inits.sort_by_cached_key(fingerprint);
    for init in inits {
        let fp = successors.fingerprint(&init);
        if !model.within_boundary(&init) || !visited.insert(fp) {
            continue;
        }
        states += 1;
        let mut actions: Vec<M::Action> = Vec::new();
        left -= judge(model, &properties, &init, &init, &actions, &mut found);
        let mut stack = vec![Frame { state: init.clone(), fp, pending: None }];
        while left > 0 {
            depth = depth.max(stack.len());
            let Some(top) = stack.last_mut() else { break };
            let pending = top.pending.get_or_insert_with(|| {
                let mut new = Vec::new();
                successors.for_each(&mut top.state, top.fp, &|fp| visited.contains(&fp), &mut |action, step, _| {
                    match step {
                        Step::Seen(_) => states += 1,
                        Step::New(fp, next) if model.within_boundary(&next) => {
                            states += 1;
                            new.push((action.into_owned(), fp, next.into_owned()));
                        }
                        Step::New(..) => {}
                    }
                });
                new.sort_by_cached_key(|(_, _, state)| std::cmp::Reverse(fingerprint(state)));
                new
            });
            match pending.pop() {
                Some((action, fp, next)) => {
                    if visited.insert(fp) {
                        actions.push(action);
                        left -= judge(model, &properties, &init, &next, &actions, &mut found);
                        stack.push(Frame { state: next, fp, pending: None });
                        if let Some(counters) = progress.filter(|_| visited.len() & (PUBLISH_EVERY - 1) == 0) {
                            counters.publish(Snapshot { states, unique: visited.len(), depth, queue: None });
                        }
                    }
                }
                None => {
                    stack.pop();
                    actions.pop();
                }
            }
        }
    }
    // All of it runs on one thread.
    let sequential = started.elapsed();
    Outcome {
        states,
        unique: visited.len(),
        depth,
        coverage: None,
        discoveries: found,
        loops: HashMap::new(),
        sequential,
        overlap: Overlap::default(),
    }
}

/// Records the first discovery `state` (reached from `init` by `actions`) makes of each `always`
/// and `sometimes` property; returns how many it made.
fn judge<M: Model>(
    model: &M,
    properties: &[stateright::Property<M>],
    init: &M::State,
    state: &M::State,
    actions: &[M::Action],
    found: &mut HashMap<&'static str, Path<M::State, M::Action>>,
) -> usize
where
    M::State: Clone + PartialEq,
    M::Action: Clone + PartialEq,
{
    let mut made = 0;
    for p in properties {
        if found.contains_key(p.name) {
            continue;
        }
        let discovered = match p.expectation {
            Expectation::Always => !(p.condition)(model, state),
            Expectation::Sometimes => (p.condition)(model, state),
            Expectation::Eventually => false,
        };
        if discovered {
            let path = Path::from_actions(model, init.clone(), actions).expect("the current path replays");
            found.insert(p.name, path);
            made += 1;
        }
    }
    made
}
