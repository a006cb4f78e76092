//! What a level of the BFS is made of: frontier nodes in lists, the expansions of a list, what
//! admitting a list gives, and the pieces of work of a parallel step.

use crate::engine::liveness::Batch;

/// One frontier state and the `eventually` properties that fail in it.
pub(super) struct Node<S, F> {
    pub(super) state: S,
    pub(super) fp: F,
    pub(super) failing: u64,
}

/// A list of frontier nodes (at most `PART_NODES`), and the thread that made their states (the
/// pool's index of the thread that expanded their parents): the thread that should expand them,
/// and free them.
pub(super) struct Part<S, F> {
    pub(super) nodes: Vec<Node<S, F>>,
    pub(super) owner: usize,
}

/// A BFS level: its nodes in order, kept in the lists they were admitted in (gathering them into
/// one vector copied every node and regrew that vector at every level), and the lists in the runs
/// each parallel step admitted (one vector of lists for the whole level was regrown, copied and
/// its fresh pages faulted in, one thread at a time: part of the 118 ms `healthy` spent taking
/// in admitted lists at one thread).
pub(super) struct Level<S, F> {
    pub(super) runs: Vec<Vec<Part<S, F>>>,
    pub(super) len: usize,
}

impl<S, F> Level<S, F> {
    pub(super) fn new() -> Self {
        Level { runs: Vec::new(), len: 0 }
    }

    /// Appends a run of lists to the level.
    pub(super) fn extend(&mut self, run: Vec<Part<S, F>>) {
        self.len += run.iter().map(|part| part.nodes.len()).sum::<usize>();
        if !run.is_empty() {
            self.runs.push(run);
        }
    }

    pub(super) fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// A transition whose fairness class is judged once its parent is back (`Actors` lends a new
/// successor made in the parent itself): its place among the expansion's edges or cut ones.
pub(super) enum Unclassed {
    Edge(usize),
    Cut(usize),
}

/// The new states one frontier state leads to, before de-duplication within the level.
pub(super) struct Expansion<S, F> {
    /// The frontier state's place in its level (its claims' index).
    pub(super) claim: u32,
    /// New states: fingerprint, kind (0 without coverage), state; admitted in the order of a
    /// hash of the whole state, so that the order does not depend on the order the model lists
    /// actions in (stateright keeps timers in a hash set seeded at random: their order differs
    /// from one process to the next).
    pub(super) successors: Vec<(F, u16, S)>,
    /// The kind of each transition generated (only with coverage).
    pub(super) fired: Vec<u16>,
    pub(super) generated: usize,
}

/// A list's expansions, and its states' transitions for the liveness graph (only those where an
/// `eventually` property fails), gathered as the list is expanded.
pub(super) struct ExpandedList<S, F> {
    pub(super) expansions: Vec<Expansion<S, F>>,
    pub(super) transitions: Batch<F>,
}

/// What admitting the expansions of one frontier list leaves to the sequential part of the
/// level: counts, the new frontier nodes (in frontier order, in lists of at most `PART_NODES`),
/// the discoveries in the same order, and the transitions for the liveness graph.
pub(super) struct Admitted<S, F> {
    pub(super) generated: usize,
    pub(super) unique: usize,
    /// Copies kept for a claim, and those that lost it.
    pub(super) copies: usize,
    pub(super) lost: usize,
    pub(super) lists: Vec<Vec<Node<S, F>>>,
    pub(super) discoveries: Vec<(F, u64)>,
    /// The expanded states' transitions, ready for the liveness graph (made by the thread that
    /// expanded the list, freed by the one that records the graph).
    pub(super) transitions: Batch<F>,
    /// Transitions and new states by kind (only with coverage: empty without).
    pub(super) fired: Vec<usize>,
    pub(super) new_states: Vec<usize>,
}

impl<S, F> Admitted<S, F> {
    pub(super) fn new(kinds: usize, transitions: Batch<F>) -> Self {
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
pub(super) type Expanded<S, F> = (ExpandedList<S, F>, usize);

/// A piece of a parallel step: a list of the chunk expanded before, to admit, or a list of the
/// next chunk to expand (with its first node's place in the level).
pub(super) enum Work<S, F> {
    Admit(Expanded<S, F>),
    Expand(Part<S, F>, usize),
}

/// What a piece of a parallel step gives: an admitted list (with the thread that made its states)
/// or an expanded one.
pub(super) enum Done<S, F> {
    Admitted(Admitted<S, F>, usize),
    Expanded(ExpandedList<S, F>),
}
