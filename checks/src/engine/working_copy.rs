//! The working copy of a parent state that `Actors` makes new successors in: applied to, lent to
//! the search, and put back (`Undo`) after each; kept by its thread and refilled from the next
//! parent (`refill`) instead of cloned afresh.

use stateright::actor::{Actor, ActorModelState, Id, Network, Timers};
use std::hash::Hash;
use std::sync::Arc;

type State<A, H> = ActorModelState<A, H>;

/// The working copy: an earlier parent's until it is first needed for this one (`refilled`).
pub(super) struct WorkingCopy<A: Actor, H> {
    pub(super) scratch: Option<State<A, H>>,
    refilled: bool,
}

impl<A: Actor, H: Clone> WorkingCopy<A, H>
where
    A::Msg: Ord,
{
    /// The copy left by an earlier parent, if any, to be refilled when first needed.
    pub(super) fn new(scratch: Option<State<A, H>>) -> Self {
        WorkingCopy { scratch, refilled: false }
    }

    /// The working copy, equal to `parent`.
    pub(super) fn of(&mut self, parent: &State<A, H>) -> &mut State<A, H> {
        let refilled = std::mem::replace(&mut self.refilled, true);
        match &mut self.scratch {
            Some(scratch) if !refilled => refill(scratch, parent),
            Some(_) => {}
            None => self.scratch = Some(parent.clone()),
        }
        self.scratch.as_mut().expect("made above")
    }
}

/// Makes `scratch` (the working copy of an earlier parent) equal to `parent`, reusing its
/// allocations where parts are equal already: parents expanded one after the other are mostly
/// siblings, which differ in a few parts.
fn refill<A: Actor, H: Clone>(scratch: &mut State<A, H>, parent: &State<A, H>)
where
    A::Msg: Ord,
{
    if scratch.actor_states.len() != parent.actor_states.len() {
        return scratch.clone_from(parent); // not of this model: its parts do not pair up
    }
    let ActorModelState { actor_states, network, timers_set, random_choices, crashed, history, actor_storages } =
        parent;
    scratch.actor_states.clone_from(actor_states);
    refill_each(&mut scratch.timers_set, timers_set);
    refill_each(&mut scratch.actor_storages, actor_storages);
    scratch.random_choices.clone_from(random_choices);
    scratch.crashed.clone_from(crashed);
    scratch.history.clone_from(history);
    match (&mut scratch.network, network) {
        (Network::Ordered(mine), Network::Ordered(theirs)) if mine.keys().eq(theirs.keys()) => {
            refill_each(mine.values_mut(), theirs.values());
        }
        (mine, theirs) => *mine = theirs.clone(),
    }
}

/// Makes each of `mine` equal to its peer in `theirs` (as many), copying only those that differ.
fn refill_each<'a, T: Clone + PartialEq + 'a>(
    mine: impl IntoIterator<Item = &'a mut T>,
    theirs: impl IntoIterator<Item = &'a T>,
) {
    for (mine, theirs) in mine.into_iter().zip(theirs) {
        if mine != theirs {
            mine.clone_from(theirs);
        }
    }
}

/// Which parts of the working copy an `Edit` changed (besides actor `index`'s state, always put
/// back, and the flows it lists); the actor's timers as the parent has them.
pub(super) struct Undo<T: Hash + Eq> {
    pub(super) index: usize,
    pub(super) timers: Timers<T>,
    pub(super) storage: bool,
    pub(super) history: bool,
}

impl<T: Hash + Eq> Undo<T> {
    /// Puts `scratch` back to `parent` after `Actors::apply` changed it (and the flows `touched`).
    pub(super) fn restore<A: Actor<Timer = T>, H: Clone>(
        self,
        parent: &State<A, H>,
        scratch: &mut State<A, H>,
        touched: &[(Id, Id)],
    ) where
        A::Msg: Ord,
    {
        let i = self.index;
        scratch.actor_states[i] = Arc::clone(&parent.actor_states[i]);
        scratch.timers_set[i] = self.timers;
        if self.storage {
            scratch.actor_storages[i].clone_from(&parent.actor_storages[i]);
        }
        if self.history {
            scratch.history.clone_from(&parent.history);
        }
        let (Network::Ordered(flows), Network::Ordered(original)) = (&mut scratch.network, &parent.network) else {
            unreachable!("`apply` edits ordered networks")
        };
        for key in touched {
            match (flows.get_mut(key), original.get(key)) {
                (Some(flow), Some(before)) => flow.clone_from(before),
                (None, Some(before)) => {
                    flows.insert(*key, before.clone());
                }
                (_, None) => {
                    flows.remove(key);
                }
            }
        }
    }
}
