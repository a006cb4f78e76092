//! Recording the graph of failing states during the search, and resolving its edges when the
//! search is over. The BFS records each chunk's expanded states beside the parallel step after
//! the chunk's admission (in BFS order from one chunk to the next), on one thread while the others
//! expand and admit: the sequential part of a level does not copy them (copying them there into
//! arrays regrown as needed took 1.5 s of `healthy`'s 28 s at one thread: time that no thread
//! count shortens), and no step of the search waits for the recording alone.

use super::index::NodeIndex;
use super::scc::OUTSIDE;
use super::segments::{Position, Segments};
use super::{Batch, ClassId, Graph};
use crate::engine::fingerprint::Fingerprint;

/// An expanded state: its fingerprint, the `eventually` properties that fail in it, where its
/// edges (targets and classes alike) and its enabled fair classes are, and whether a successor
/// was cut off by an exploration bound.
pub struct NodeRecord<F> {
    pub fp: F,
    pub failing: u64,
    pub edges: Position,
    pub enabled: Position,
    pub edge_count: u32,
    pub enabled_count: u32,
    pub cut: bool,
}

/// The graph of the states where some `eventually` property fails, recorded in BFS order (so node
/// numbers, and every choice made from them, are the same for any thread count).
#[derive(Default)]
pub struct Recorder<F> {
    nodes: Segments<NodeRecord<F>>,
    count: usize,
    targets: Segments<F>,
    classes: Segments<ClassId>,
    enabled: Segments<ClassId>,
}

impl<F: Fingerprint> Recorder<F> {
    /// Records the next expanded states, batch by batch.
    pub fn record(&mut self, batches: impl IntoIterator<Item = Batch<F>>) {
        for batch in batches {
            let (mut edges_at, mut enabled_at) = (0, 0);
            for state in &batch.states {
                let own_edges = &batch.edges[edges_at..edges_at + state.edges as usize];
                let own_enabled = &batch.enabled[enabled_at..enabled_at + state.enabled as usize];
                (edges_at, enabled_at) = (edges_at + own_edges.len(), enabled_at + own_enabled.len());
                let edges = self.targets.extend(own_edges.len(), own_edges.iter().map(|&(target, _)| target));
                let classes = self.classes.extend(own_edges.len(), own_edges.iter().map(|&(_, class)| class));
                debug_assert_eq!(edges, classes, "targets and classes grow alike");
                let enabled = self.enabled.extend(own_enabled.len(), own_enabled.iter().copied());
                let node = NodeRecord {
                    fp: state.fp,
                    failing: state.failing,
                    edges,
                    enabled,
                    edge_count: state.edges,
                    enabled_count: state.enabled,
                    cut: state.cut,
                };
                self.nodes.extend(1, [node]);
                self.count += 1;
            }
        }
    }

    /// Resolves every edge to a node number (in parallel).
    pub fn finish(self) -> Graph<F> {
        let fps: Vec<F> = self.nodes.par_map(|node| node.fp);
        let index = NodeIndex::new(&fps);
        drop(fps);
        let targets = self.targets.map(|fp| index.get(fp).unwrap_or(OUTSIDE));
        Graph { nodes: self.nodes, count: self.count, targets, classes: self.classes, enabled: self.enabled }
    }
}
