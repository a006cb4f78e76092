//! `eventually-leader` (EventuallyLeaderElected): every partition eventually has a live leader that
//! knows it leads. Checked with stateright's `eventually`: on every path to a terminal state, a
//! state where it holds (no cycles, no fairness: the native checker's fair-cycle check is stronger).

use crate::view::View;

pub const DESCRIPTION: &str = "Every partition eventually has a live leader acting in the current epoch.";

pub fn violation(view: &View<'_>) -> Option<String> {
    view.cfg
        .partition_ids()
        .find(|p| view.current_leader(*p).is_none())
        .map(|p| format!("partition {p} has no live leader: {}", view.controller().partitions[usize::from(p.0)]))
}
