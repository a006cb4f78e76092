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
//! the fairness class of the action that leads there (`record`). After the search, `Graph`
//! finds the strongly connected components of each property's failing states (`scc`) and keeps
//! the first fair one (`lasso`). A successor cut off by an exploration bound (not a fault: the
//! leader-epoch limit that stops elections) keeps its class as *enabled but never taken*, so a
//! cycle that a bounded-away recovery would leave is never reported as fair.

mod batch;
mod compact;
mod index;
mod lasso;
mod record;
mod scc;
mod segments;

pub use batch::Batch;
use compact::Compact;
use record::NodeRecord;
pub use record::Recorder;
use segments::Segments;

use super::fingerprint::Fingerprint;
use rayon::prelude::*;
use std::time::{Duration, Instant};

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

impl<F> Default for Transitions<F> {
    fn default() -> Self {
        Transitions { edges: Vec::new(), cut: Vec::new() }
    }
}

/// The recorded graph with its edges resolved to node numbers (`scc::OUTSIDE` for a state where
/// no `eventually` property fails).
pub struct Graph<F> {
    nodes: Segments<NodeRecord<F>>,
    count: usize,
    targets: Segments<u32>,
    classes: Segments<ClassId>,
    enabled: Segments<ClassId>,
}

/// The cyclic components of one property's failing states.
pub struct Cycles {
    property: u32,
    components: Vec<Vec<u32>>,
    /// The time Tarjan's search took: the part of the search for cycles that runs on one thread.
    pub on_one_thread: Duration,
}

/// A path that breaks an `eventually` property: the BFS path to `entry`, then `cycle` (the
/// fingerprints after `entry`, ending with `entry` again); an empty cycle is a deadlock at `entry`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation<F> {
    pub entry: F,
    pub cycle: Vec<F>,
}

impl<F: Fingerprint> scc::Adjacency for Graph<F> {
    fn nodes(&self) -> usize {
        self.count
    }

    fn successors(&self, node: u32) -> &[u32] {
        let n = self.node(node);
        self.targets.get(n.edges, n.edge_count as usize)
    }
}

impl<F: Fingerprint> Graph<F> {
    fn node(&self, node: u32) -> &NodeRecord<F> {
        &self.nodes.get(segments::nth(node as usize), 1)[0]
    }

    fn enabled_at(&self, node: u32) -> &[ClassId] {
        let n = self.node(node);
        self.enabled.get(n.enabled, n.enabled_count as usize)
    }

    fn edge_classes(&self, node: u32) -> &[ClassId] {
        let n = self.node(node);
        self.classes.get(n.edges, n.edge_count as usize)
    }

    /// The cyclic components of the states where the `eventually` property with bit `property`
    /// fails: the one step of the search for its violation that runs on one thread (Tarjan's).
    pub fn cycles(&self, property: u32) -> Cycles {
        let bit = 1u64 << property;
        // Read by the search once per edge: one byte per node, not the node's whole record.
        let member: Vec<bool> =
            (0..self.count as u32).into_par_iter().map(|n| self.node(n).failing & bit != 0).collect();
        let subgraph = Compact::new(self, &member);
        drop(member);
        let searching = Instant::now();
        let components = scc::cyclic_components(&subgraph);
        let on_one_thread = searching.elapsed();
        let components = components
            .into_par_iter()
            .map(|component| component.into_iter().map(|c| subgraph.members[c as usize]).collect())
            .collect();
        Cycles { property, components, on_one_thread }
    }

    /// The violation of the property `cycles` are of whose first state comes first in BFS order
    /// (the shortest way into it), if there is one: a fair cycle among `cycles`, or a dead end.
    pub fn violation(&self, cycles: Cycles) -> Option<Violation<F>> {
        let bit = 1u64 << cycles.property;
        let deadlock = (0..self.count as u32).into_par_iter().find_first(|&n| {
            let node = self.node(n);
            node.failing & bit != 0 && node.edge_count == 0 && !node.cut
        });
        // Judging each component's fairness is independent of the others: in parallel (`healthy`
        // has about 100,000 components for each `eventually` property).
        let lasso = cycles
            .components
            .into_par_iter()
            .filter(|component| lasso::is_fair(self, component))
            .min_by_key(|component| component[0]);
        let fp = |n: u32| self.node(n).fp;
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
