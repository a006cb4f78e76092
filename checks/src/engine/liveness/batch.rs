//! The transitions of a run of expanded states (one frontier list's), ready for the graph: made
//! in the parallel phase, so that recording them in BFS order is only copying; and in three
//! vectors whatever the run's length. The thread that records the graph frees them, and a block
//! freed by a thread other than the one that allocated it costs both (an atomic hand-back, and
//! collecting it later): with vectors per state, nearly every state's were such blocks at 16
//! threads.

use super::{class_id, ClassId, Transitions};

/// One state of a batch: its fingerprint, the `eventually` properties that fail in it, how many
/// edges and enabled fair classes it has (in the batch's vectors, after the states before it),
/// and whether a successor was cut off by an exploration bound.
pub struct BatchState<F> {
    pub fp: F,
    pub failing: u64,
    pub edges: u32,
    pub enabled: u32,
    pub cut: bool,
}

/// The transitions of a run of states, in order.
pub struct Batch<F> {
    pub states: Vec<BatchState<F>>,
    /// Each state's edges in turn: target and fairness class.
    pub edges: Vec<(F, ClassId)>,
    /// Each state's enabled fair classes in turn, sorted, without repeats.
    pub enabled: Vec<ClassId>,
}

impl<F> Default for Batch<F> {
    fn default() -> Self {
        Batch { states: Vec::new(), edges: Vec::new(), enabled: Vec::new() }
    }
}

impl<F: Copy> Batch<F> {
    /// Appends the state `fp` (with the `eventually` properties `failing`) and its transitions.
    pub fn push(&mut self, fp: F, failing: u64, transitions: &Transitions<F>) {
        let Batch { states, edges, enabled } = self;
        let (first_edge, first_enabled) = (edges.len(), enabled.len());
        edges.extend(transitions.edges.iter().map(|&(target, class)| (target, class_id(class))));
        let classes = edges[first_edge..].iter().map(|&(_, class)| class);
        enabled.extend(classes.chain(transitions.cut.iter().map(|&class| class_id(class))).filter(|&c| c != 0));
        let own = &mut enabled[first_enabled..];
        own.sort_unstable();
        let distinct = dedup_sorted(own);
        enabled.truncate(first_enabled + distinct);
        states.push(BatchState {
            fp,
            failing,
            edges: (edges.len() - first_edge) as u32,
            enabled: distinct as u32,
            cut: !transitions.cut.is_empty(),
        });
    }

    pub fn is_empty(&self) -> bool {
        self.states.is_empty()
    }
}

/// Moves the distinct values of the sorted `values` to its front; returns how many there are.
fn dedup_sorted<T: PartialEq + Copy>(values: &mut [T]) -> usize {
    let mut kept = 0;
    for i in 0..values.len() {
        if kept == 0 || values[i] != values[kept - 1] {
            values[kept] = values[i];
            kept += 1;
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_state_keeps_its_edges_and_its_distinct_enabled_classes() {
        let mut batch = Batch::default();
        batch.push(1u64, 0b1, &Transitions { edges: vec![(10, Some(7)), (11, None), (12, Some(7))], cut: vec![] });
        batch.push(2, 0b10, &Transitions { edges: vec![(13, Some(0))], cut: vec![Some(5), None, Some(9)] });
        batch.push(3, 0b11, &Transitions { edges: vec![], cut: vec![] });
        let states: Vec<(u64, u64, u32, u32, bool)> =
            batch.states.iter().map(|s| (s.fp, s.failing, s.edges, s.enabled, s.cut)).collect();
        assert_eq!(states, [(1, 0b1, 3, 1, false), (2, 0b10, 1, 3, true), (3, 0b11, 0, 0, false)]);
        // A class of key 0 counts as 1; none is not a fair class.
        assert_eq!(batch.edges, [(10, 7), (11, 0), (12, 7), (13, 1)]);
        assert_eq!(batch.enabled, [7, 1, 5, 9]);
    }

    #[test]
    fn dedup_keeps_one_of_each_run() {
        let mut values = [1, 1, 2, 3, 3, 3, 4];
        assert_eq!(dedup_sorted(&mut values), 4);
        assert_eq!(values[..4], [1, 2, 3, 4]);
        assert_eq!(dedup_sorted::<u8>(&mut []), 0);
    }
}
