//! How the search gets from a state to its successors' fingerprints. `Whole` works for any model:
//! it builds each successor (`Model::next_state`) and hashes all of it. `Symmetric` fingerprints a
//! successor by its orbit's representative. `Actors` (`actors`, kelp's default) is for stateright
//! actor models on an ordered network: a step changes one actor's state, the flow it consumed
//! from, the flows it sends on, that actor's timers and saved storage. The fingerprint is a sum of
//! hashes of those parts (`parts`), so a successor's fingerprint is its parent's with the changed
//! parts swapped, computed from the handler's output without building the successor
//! (`incremental`); the successor is built only when its fingerprint is new, in the parent itself
//! and put back after the visit (`in_place`). Most successors are states already seen: they cost
//! one handler call and a few small hashes instead of a clone, a hash and a drop of the whole
//! system.

mod actors;
mod in_place;
mod incremental;
mod parts;

pub use actors::{Actors, LeavesBoundary};

use super::fingerprint::Fingerprint;
use stateright::Model;
use std::borrow::Cow;
use std::hash::Hash;

/// A successor: seen before (only its fingerprint), or new (the state too: owned, or lent for the
/// length of the visit, to be cloned if the search keeps it).
pub enum Step<'a, S: Clone, F> {
    Seen(F),
    New(F, Cow<'a, S>),
}

/// A successor's action. Most successors are states seen before, whose action the search does
/// not look at, so `Actors` builds an action (a copy of the message it delivers) only when asked.
pub enum ActionOf<'a, A> {
    Given(A),
    Lazy(&'a dyn Fn() -> A),
}

impl<A: Clone> ActionOf<'_, A> {
    pub fn get(&self) -> Cow<'_, A> {
        match self {
            ActionOf::Given(action) => Cow::Borrowed(action),
            ActionOf::Lazy(build) => Cow::Owned(build()),
        }
    }

    pub fn into_owned(self) -> A {
        match self {
            ActionOf::Given(action) => action,
            ActionOf::Lazy(build) => build(),
        }
    }
}

/// What `Successors::for_each` calls with each action, its successor, and the parent state as it
/// is where the implementation has it at hand (always with a `Seen` step; not while `Actors` lends
/// a new successor made in the parent itself).
pub type Visit<'v, M, F> =
    dyn FnMut(ActionOf<'_, <M as Model>::Action>, Step<'_, <M as Model>::State, F>, Option<&<M as Model>::State>) + 'v;

/// A way to fingerprint states and walk their successors; the search's results depend only on
/// which states are equal, so any two implementations agree on every count and verdict (not on
/// the order successors are admitted in, which follows the fingerprints).
pub trait Successors<M: Model, F>: Sync
where
    M::State: Clone,
{
    fn fingerprint(&self, state: &M::State) -> F;

    /// Calls `visit` for each action of `state` (fingerprint `fp`) that changes it, with its
    /// successor; the successor's state is left out when `seen` accepts its fingerprint (a seen
    /// state lies within the model's boundary, so whoever gets a `Seen` need not check that).
    /// `state` may be changed meanwhile (`Actors` makes new successors in it) but is as it was
    /// when this returns.
    fn for_each(&self, state: &mut M::State, fp: F, seen: &dyn Fn(F) -> bool, visit: &mut Visit<'_, M, F>);

    /// `for_each`, calling `prefetch` with each successor's fingerprint some time before `seen`
    /// (where the implementation can), so that the lookup's memory is on its way meanwhile.
    fn for_each_prefetching(&self, state: &mut M::State, fp: F, lookup: Lookup<'_, F>, visit: &mut Visit<'_, M, F>) {
        self.for_each(state, fp, lookup.seen, visit);
    }

    /// Makes `state`, which another thread made, this thread's to expand, where the
    /// implementation keeps things per thread (`Actors`: its interned actor states). Changes
    /// nothing that `fingerprint` or `for_each` tell.
    fn adopt(&self, _state: &mut M::State) {}
}

/// How the search looks successors up: `seen`, and `prefetch` to announce a lookup.
#[derive(Clone, Copy)]
pub struct Lookup<'l, F> {
    pub seen: &'l dyn Fn(F) -> bool,
    pub prefetch: &'l dyn Fn(F),
}

/// Builds and hashes every successor whole: any model.
pub struct Whole<'m, M>(pub &'m M);

impl<M, F: Fingerprint> Successors<M, F> for Whole<'_, M>
where
    M: Model + Sync,
    M::State: Hash + Clone,
    M::Action: Clone,
{
    fn fingerprint(&self, state: &M::State) -> F {
        F::of(state)
    }

    fn for_each(&self, state: &mut M::State, _: F, seen: &dyn Fn(F) -> bool, visit: &mut Visit<'_, M, F>) {
        build_each(self.0, state, &|next| F::of(next), seen, visit);
    }
}

/// Builds each successor of `state` and fingerprints it with `fingerprint`.
fn build_each<M: Model, F: Copy>(
    model: &M,
    state: &M::State,
    fingerprint: &dyn Fn(&M::State) -> F,
    seen: &dyn Fn(F) -> bool,
    visit: &mut Visit<'_, M, F>,
) where
    M::State: Clone,
    M::Action: Clone,
{
    let mut actions = Vec::new();
    model.actions(state, &mut actions);
    for action in actions {
        let Some(next) = model.next_state(state, action.clone()) else { continue };
        let fp = fingerprint(&next);
        let step = if seen(fp) { Step::Seen(fp) } else { Step::New(fp, Cow::Owned(next)) };
        visit(ActionOf::Given(action), step, Some(state));
    }
}

/// Symmetry reduction: states are fingerprinted by their orbit's representative (`representative`
/// maps a state to the member of its orbit under the model's symmetries that stands for them all),
/// so the search keeps one state per orbit. Successors are built whole, since the representative
/// needs the state; `inner` fingerprints the representative.
pub struct Symmetric<'a, M: Model, F>
where
    M::State: Clone,
{
    pub model: &'a M,
    pub inner: &'a dyn Successors<M, F>,
    pub representative: &'a (dyn Fn(&M::State) -> M::State + Sync),
}

impl<M, F: Fingerprint> Successors<M, F> for Symmetric<'_, M, F>
where
    M: Model + Sync,
    M::State: Clone,
    M::Action: Clone,
{
    fn fingerprint(&self, state: &M::State) -> F {
        self.inner.fingerprint(&(self.representative)(state))
    }

    fn for_each(&self, state: &mut M::State, _: F, seen: &dyn Fn(F) -> bool, visit: &mut Visit<'_, M, F>) {
        build_each(self.model, state, &|next| self.fingerprint(next), seen, visit);
    }
}
