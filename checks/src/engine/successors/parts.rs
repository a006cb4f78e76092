//! The parts a state's fingerprint sums (each actor's state, timers, storage and crash flag, the
//! history, each flow), each hashed with a tag for its kind and place; the parts of a parent its
//! successors replace, each hashed once; and a step's edits to an actor's timers.

use crate::engine::fingerprint::Fingerprint;
use crate::engine::memo::Memo;
use smallvec::SmallVec;
use stateright::actor::{Actor, Id, Timers};
use std::collections::VecDeque;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

/// The parts' hashes. Tags keep parts of different kinds and places apart.
pub(super) fn actor_part<F: Fingerprint, S: Hash>(index: usize, state: &S) -> F {
    F::of(&(0u8, index, state))
}
pub(super) fn timer_part<F: Fingerprint, T: Hash>(index: usize, timer: &T) -> F {
    F::of(&(1u8, index, timer))
}
pub(super) fn storage_part<F: Fingerprint, S: Hash>(index: usize, storage: &S) -> F {
    F::of(&(2u8, index, storage))
}
pub(super) fn crashed_part<F: Fingerprint>(index: usize, crashed: bool) -> F {
    F::of(&(3u8, index, crashed))
}
pub(super) fn history_part<F: Fingerprint, H: Hash>(history: &H) -> F {
    F::of(&(4u8, history))
}
pub(super) fn random_part<F: Fingerprint, R: Hash>(index: usize, choices: &R) -> F {
    F::of(&(5u8, index, choices))
}
pub(super) fn sizes_part<F: Fingerprint>(actors: usize, timers: usize, storages: usize, randoms: usize) -> F {
    F::of(&(6u8, actors, timers, storages, randoms))
}
/// A flow (the queue of messages from one actor to another), in order; an empty flow is absent.
pub(super) fn flow_part<'a, F: Fingerprint, M: Hash + 'a>(src: Id, dst: Id, msgs: impl Iterator<Item = &'a M>) -> F {
    let mut hasher = F::hasher();
    (7u8, src, dst).hash(&mut hasher);
    let mut count = 0usize;
    for msg in msgs {
        msg.hash(&mut hasher);
        count += 1;
    }
    if count == 0 {
        return F::default();
    }
    hasher.write_usize(count);
    F::finish(hasher)
}

/// The fingerprints of a parent's parts that its successors replace, each computed at the first
/// successor that needs it: a state's successors mostly change the same few actors and flows.
pub(super) struct ParentParts<F> {
    actors: SmallVec<[Option<F>; 16]>,
    /// The sum of each actor's timer parts.
    timers: SmallVec<[Option<F>; 16]>,
    storages: SmallVec<[Option<F>; 16]>,
    flows: SmallVec<[((Id, Id), F); 16]>,
}

impl<F: Fingerprint> ParentParts<F> {
    pub(super) fn new(actors: usize) -> Self {
        ParentParts {
            actors: smallvec::smallvec![None; actors],
            timers: smallvec::smallvec![None; actors],
            storages: smallvec::smallvec![None; actors],
            flows: SmallVec::new(),
        }
    }

    /// Actor `index`'s part: known to `memo` by the state's address, else hashed (and then
    /// known).
    pub(super) fn actor<A: Actor>(&mut self, index: usize, state: &Arc<A::State>, memo: &mut Memo<A, F>) -> F {
        *self.actors[index].get_or_insert_with(|| {
            memo.part(index, state).unwrap_or_else(|| {
                let part = actor_part(index, &**state);
                memo.learn(index, state, part);
                part
            })
        })
    }

    pub(super) fn storage<S: Hash>(&mut self, index: usize, storage: &S) -> F {
        *self.storages[index].get_or_insert_with(|| storage_part(index, storage))
    }

    pub(super) fn timers<T: Hash + Eq>(&mut self, index: usize, timers: &Timers<T>) -> F {
        *self.timers[index]
            .get_or_insert_with(|| timers.iter().fold(F::default(), |sum, t| sum.wrapping_add(timer_part(index, t))))
    }

    pub(super) fn flow<M: Hash>(&mut self, src: Id, dst: Id, msgs: Option<&VecDeque<M>>) -> F {
        if let Some((_, part)) = self.flows.iter().find(|(key, _)| *key == (src, dst)) {
            return *part;
        }
        let part = msgs.map_or(F::default(), |q| flow_part(src, dst, q.iter()));
        self.flows.push(((src, dst), part));
        part
    }
}

/// One actor's timers as a step leaves them: each timer the step named, and whether it is set
/// now (the others are as the parent has them). kelp's handlers name every timer they have at
/// every step, so the parent's set is listed once, and a timer's part is hashed only if the step changes it.
pub(super) struct TimerEdits<'a, T> {
    parent: SmallVec<[&'a T; 16]>,
    named: SmallVec<[(&'a T, bool); 16]>,
}

impl<'a, T: Hash + Eq> TimerEdits<'a, T> {
    pub(super) fn new(parent: &'a Timers<T>) -> Self {
        TimerEdits { parent: parent.iter().collect(), named: SmallVec::new() }
    }

    /// Sets (`set`) or cancels `timer` of actor `index`, updating the fingerprint `fp`.
    pub(super) fn turn<F: Fingerprint>(&mut self, timer: &'a T, set: bool, index: usize, fp: F) -> F {
        let was = match self.named.iter_mut().find(|(t, _)| *t == timer) {
            Some((_, now)) => std::mem::replace(now, set),
            None => {
                self.named.push((timer, set));
                self.parent.contains(&timer)
            }
        };
        match (was, set) {
            (false, true) => fp.wrapping_add(timer_part(index, timer)),
            (true, false) => fp.wrapping_sub(timer_part(index, timer)),
            _ => fp,
        }
    }
}
