//! Admitting the new states of an expanded frontier list: the copies that won their claims kept
//! in the order of their whole-state hash, judged against the properties, and made frontier
//! nodes of the next level, in lists of at most `PART_NODES`.

use super::level::{Admitted, ExpandedList, Node};
use super::PART_NODES;
use crate::engine::fingerprint::{fingerprint, Fingerprint};
use crate::engine::visited::Visited;
use stateright::{Expectation, Model, Property};
use std::hash::Hash;

/// What admitting a level's new states reads of the search.
pub(super) struct Admitter<'s, M: Model, F: Fingerprint> {
    pub model: &'s M,
    pub properties: &'s [Property<M>],
    pub visited: &'s Visited<F>,
    /// The properties judged on each new state (`Search::undecided`).
    pub judged: u64,
    /// The `eventually` properties, by bit.
    pub eventually: u64,
    /// The coverage classifier's kinds (0 without coverage).
    pub kinds: usize,
}

impl<M, F: Fingerprint> Admitter<'_, M, F>
where
    M: Model,
    M::State: Hash,
{
    /// Admits `list`'s new states (their claims are settled).
    pub(super) fn admit(&self, list: ExpandedList<M::State, F>) -> Admitted<M::State, F> {
        let &Admitter { model, properties, visited, judged, eventually, kinds } = self;
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
                let holds = evaluate(model, properties, judged, &state);
                let found = discovered(properties, judged, holds);
                if found != 0 {
                    out.discoveries.push((fp, found));
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
    }
}

/// Which of the properties in `mask` have their condition hold in `state`, as a bit mask.
pub(super) fn evaluate<M: Model>(model: &M, properties: &[Property<M>], mask: u64, state: &M::State) -> u64 {
    properties
        .iter()
        .enumerate()
        .filter(|(i, p)| mask & (1 << i) != 0 && (p.condition)(model, state))
        .fold(0, |holds, (i, _)| holds | (1 << i))
}

/// The properties a new state discovers (a violated `always`, a reached `sometimes`), as a
/// bit mask. `judged`: the properties `holds` tells about.
pub(super) fn discovered<M: Model>(properties: &[Property<M>], judged: u64, holds: u64) -> u64 {
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
