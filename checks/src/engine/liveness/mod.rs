//! Liveness under weak fairness. An `eventually` property P is read as "on every fair path, P
//! holds again and again" (□◇P): after any fault, the system gets back to P. It is violated by
//!
//! - a *lasso*: a reachable cycle of states none of which satisfies P, and which is fair: every
//!   recovery action (message delivery, restart, a session or request time-out, ...) that is
//!   enabled in every state of the cycle is taken somewhere on it (weak fairness). Faults have no
//!   fairness (they are bounded by the budget and never forced); or by
//! - a *deadlock*: a reachable state without P from which nothing can happen any more (every
//!   action left is a fault the budget has spent).
//!
//! The BFS records, for every state where some `eventually` property fails, its successors with
//! the fairness class of the action that leads there (`Recorder`). After the search, `Graph`
//! finds the strongly connected components of each property's failing states (`scc`) and keeps
//! the first fair one (`lasso`). A successor cut off by an exploration bound (not a fault: the
//! leader-epoch limit that stops elections) keeps its class as *enabled but never taken*, so a
//! cycle that a bounded-away recovery would leave is never reported as fair.

mod lasso;
mod scc;

use super::fingerprint::Fingerprint;
use super::fingerprint::IdentityHasher;
use rayon::prelude::*;
use std::collections::HashMap;
use std::hash::BuildHasherDefault;

/// The model-specific half of fairness.
pub struct Fairness<'a, S, A> {
    /// The weak-fairness class of taking `action` in `state` (a stable key, e.g. "deliveries from
    /// broker 1 to the controller"); `None` for a fault, which fairness never forces.
    pub class: &'a (dyn Fn(&S, &A) -> Option<u64> + Sync),
    /// Whether a successor outside the model's boundary lies beyond an exploration bound (a
    /// recovery the search does not follow) rather than beyond the fault budget (a fault that
    /// cannot happen).
    pub beyond_bound: &'a (dyn Fn(&S) -> bool + Sync),
}

/// One expanded state's outgoing transitions, as the parallel phase of the BFS found them.
pub struct Transitions<F> {
    /// Successors within the boundary: fingerprint and fairness class.
    pub edges: Vec<(F, Option<u64>)>,
    /// The fairness classes of successors beyond an exploration bound.
    pub cut: Vec<Option<u64>>,
}

/// A fairness class as recorded: 0 for none, else the class's key (a key of 0 counts as 1: keys
/// are hashes, and two classes merged by that only make a cycle look fair where it is not, which
/// `kelp trace replay` would catch).
type ClassId = u64;

fn class_id(class: Option<u64>) -> ClassId {
    class.map_or(0, |key| key.max(1))
}

/// One expanded state's transitions, ready to be recorded: prepared in the parallel phase, so that
/// recording them in BFS order is only copying.
pub struct Prepared<F> {
    edges: Vec<(F, ClassId)>,
    /// The fair classes enabled in the state, sorted, without repeats.
    enabled: Vec<ClassId>,
    cut: bool,
}

impl<F> Default for Transitions<F> {
    fn default() -> Self {
        Transitions { edges: Vec::new(), cut: Vec::new() }
    }
}

impl<F> Transitions<F> {
    pub fn prepare(self) -> Prepared<F> {
        let edges: Vec<(F, ClassId)> =
            self.edges.into_iter().map(|(target, class)| (target, class_id(class))).collect();
        let mut enabled: Vec<ClassId> = edges
            .iter()
            .map(|&(_, class)| class)
            .chain(self.cut.iter().map(|&class| class_id(class)))
            .filter(|&class| class != 0)
            .collect();
        enabled.sort_unstable();
        enabled.dedup();
        Prepared { edges, enabled, cut: !self.cut.is_empty() }
    }
}

struct NodeRecord<F> {
    fp: F,
    /// The `eventually` properties (by bit) that fail in this state.
    failing: u64,
    edges_end: usize,
    enabled_end: usize,
    cut: bool,
}

/// The graph of the states where some `eventually` property fails, recorded in BFS order (so node
/// numbers, and every choice made from them, are the same for any thread count).
pub struct Recorder<F> {
    nodes: Vec<NodeRecord<F>>,
    targets: Vec<F>,
    classes: Vec<ClassId>,
    /// Each node's enabled fair classes, sorted, without repeats.
    enabled: Vec<ClassId>,
}

impl<F> Default for Recorder<F> {
    fn default() -> Self {
        Recorder { nodes: Vec::new(), targets: Vec::new(), classes: Vec::new(), enabled: Vec::new() }
    }
}

impl<F: Fingerprint> Recorder<F> {
    /// Records an expanded state where the properties in `failing` fail.
    pub fn record(&mut self, fp: F, failing: u64, transitions: Prepared<F>) {
        self.record_all(vec![(fp, failing, transitions)]);
    }

    /// Records expanded states in order, each with the properties that fail in it, as `record`
    /// would one after the other. Only the node records are written in order; the transitions
    /// are copied into their places, and their buffers freed, in parallel (this runs in the
    /// sequential part of each BFS level).
    pub fn record_all(&mut self, states: Vec<(F, u64, Prepared<F>)>) {
        let (edges_from, enabled_from) = (self.targets.len(), self.enabled.len());
        let (mut edges_end, mut enabled_end) = (edges_from, enabled_from);
        for (fp, failing, transitions) in &states {
            edges_end += transitions.edges.len();
            enabled_end += transitions.enabled.len();
            self.nodes.push(NodeRecord { fp: *fp, failing: *failing, edges_end, enabled_end, cut: transitions.cut });
        }
        self.targets.resize(edges_end, F::default());
        self.classes.resize(edges_end, 0);
        self.enabled.resize(enabled_end, 0);
        let mut targets = &mut self.targets[edges_from..];
        let mut classes = &mut self.classes[edges_from..];
        let mut enabled = &mut self.enabled[enabled_from..];
        let mut places = Vec::with_capacity(states.len());
        for (_, _, transitions) in states {
            let edges = transitions.edges.len();
            let (targets_here, targets_rest) = std::mem::take(&mut targets).split_at_mut(edges);
            let (classes_here, classes_rest) = std::mem::take(&mut classes).split_at_mut(edges);
            let (enabled_here, enabled_rest) = std::mem::take(&mut enabled).split_at_mut(transitions.enabled.len());
            (targets, classes, enabled) = (targets_rest, classes_rest, enabled_rest);
            places.push((targets_here, classes_here, enabled_here, transitions));
        }
        places.into_par_iter().for_each(|(targets, classes, enabled, transitions)| {
            for ((target, class), &(fp, id)) in targets.iter_mut().zip(classes.iter_mut()).zip(&transitions.edges) {
                (*target, *class) = (fp, id);
            }
            enabled.copy_from_slice(&transitions.enabled);
        });
    }

    /// Resolves every edge to a node number, ready for the search for violations.
    pub fn finish(self) -> Graph<F> {
        let index: HashMap<F, u32, BuildHasherDefault<IdentityHasher>> =
            self.nodes.iter().enumerate().map(|(i, n)| (n.fp, i as u32)).collect();
        let targets =
            self.targets.par_iter().map(|fp| index.get(fp).copied().unwrap_or(scc::OUTSIDE)).collect::<Vec<_>>();
        let mut offsets = Vec::with_capacity(self.nodes.len() + 1);
        let mut enabled_offsets = Vec::with_capacity(self.nodes.len() + 1);
        offsets.push(0);
        enabled_offsets.push(0);
        for n in &self.nodes {
            offsets.push(n.edges_end);
            enabled_offsets.push(n.enabled_end);
        }
        Graph { nodes: self.nodes, offsets, targets, classes: self.classes, enabled_offsets, enabled: self.enabled }
    }
}

/// The recorded graph with its edges resolved.
pub struct Graph<F> {
    nodes: Vec<NodeRecord<F>>,
    offsets: Vec<usize>,
    targets: Vec<u32>,
    classes: Vec<ClassId>,
    enabled_offsets: Vec<usize>,
    enabled: Vec<ClassId>,
}

/// A path that breaks an `eventually` property: the BFS path to `entry`, then `cycle` (the
/// fingerprints after `entry`, ending with `entry` again); an empty cycle is a deadlock at `entry`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation<F> {
    pub entry: F,
    pub cycle: Vec<F>,
}

impl<F: Fingerprint> Graph<F> {
    fn adjacency(&self) -> scc::Adjacency<'_> {
        scc::Adjacency { offsets: &self.offsets, targets: &self.targets }
    }

    fn successors(&self, node: u32) -> &[u32] {
        let n = node as usize;
        &self.targets[self.offsets[n]..self.offsets[n + 1]]
    }

    fn enabled_at(&self, node: u32) -> &[ClassId] {
        let n = node as usize;
        &self.enabled[self.enabled_offsets[n]..self.enabled_offsets[n + 1]]
    }

    fn edge_classes(&self, node: u32) -> &[ClassId] {
        let n = node as usize;
        &self.classes[self.offsets[n]..self.offsets[n + 1]]
    }

    /// The violation of the `eventually` property with bit `property` whose first state comes
    /// first in BFS order (the shortest way into it), if there is one.
    pub fn violation(&self, property: u32) -> Option<Violation<F>> {
        let bit = 1u64 << property;
        let member = |n: u32| self.nodes[n as usize].failing & bit != 0;
        let deadlock = (0..self.nodes.len() as u32).find(|&n| {
            member(n) && self.offsets[n as usize] == self.offsets[n as usize + 1] && !self.nodes[n as usize].cut
        });
        let lasso = scc::cyclic_components(&self.adjacency(), member)
            .into_iter()
            .filter(|component| lasso::is_fair(self, component))
            .min_by_key(|component| component[0]);
        let fp = |n: u32| self.nodes[n as usize].fp;
        match (deadlock, lasso) {
            (Some(d), Some(c)) if d < c[0] => Some(Violation { entry: fp(d), cycle: Vec::new() }),
            (_, Some(component)) => {
                let cycle = lasso::fair_cycle(self, &component);
                Some(Violation { entry: fp(component[0]), cycle: cycle.into_iter().map(fp).collect() })
            }
            (Some(d), None) => Some(Violation { entry: fp(d), cycle: Vec::new() }),
            (None, None) => None,
        }
    }
}

#[cfg(test)]
mod tests;
