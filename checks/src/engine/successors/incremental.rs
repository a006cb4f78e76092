//! A successor's fingerprint from its parent's and the handler's output, without building it:
//! the parent's sum of part fingerprints with the parts the step changes swapped (the actor's
//! state, its timers and storage, the history, the flows it consumed from and sent on).

use super::actors::{flows, State};
use super::parts::{
    actor_part, crashed_part, flow_part, history_part, random_part, sizes_part, storage_part, timer_part,
};
use super::parts::{ParentParts, TimerEdits};
use crate::engine::fingerprint::Fingerprint;
use crate::engine::memo::TimersAfter;
use crate::engine::memo::{Event, Handled};
use smallvec::SmallVec;
use stateright::actor::{Actor, ActorModel, Command, Envelope, Id, Timers};
use std::fmt::Debug;
use std::hash::Hash;

/// A state's fingerprint from scratch: the sum of the hashes of all its parts.
pub(super) fn whole<A: Actor, H: Hash, F: Fingerprint>(state: &State<A, H>) -> F
where
    A::Msg: Hash,
    A::Timer: Hash,
    A::State: Hash,
    A::Storage: Hash,
    A::Random: Hash,
{
    let mut sum: F = sizes_part(
        state.actor_states.len(),
        state.timers_set.len(),
        state.actor_storages.len(),
        state.random_choices.len(),
    );
    for (i, actor) in state.actor_states.iter().enumerate() {
        sum = sum.wrapping_add(actor_part(i, &**actor));
    }
    sum = sum.wrapping_add(history_part(&state.history));
    for (i, timers) in state.timers_set.iter().enumerate() {
        for timer in timers.iter() {
            sum = sum.wrapping_add(timer_part(i, timer));
        }
    }
    for (i, choices) in state.random_choices.iter().enumerate() {
        sum = sum.wrapping_add(random_part(i, choices));
    }
    for (i, crashed) in state.crashed.iter().enumerate() {
        sum = sum.wrapping_add(crashed_part(i, *crashed));
    }
    for (i, storage) in state.actor_storages.iter().enumerate() {
        sum = sum.wrapping_add(storage_part(i, storage));
    }
    let flows = flows(state).expect("an ordered network");
    for ((src, dst), msgs) in flows {
        sum = sum.wrapping_add(flow_part(*src, *dst, msgs.iter()));
    }
    sum
}

/// The successor's fingerprint after the step `edit` (actor `edit.index` handled an event:
/// `consumed` is the flow and message a delivery took, `fired` the timer a time-out used up).
/// `parts` holds the parent's part fingerprints, shared by all its successors. `None` where
/// the step does something this shortcut does not follow (random choices, saving twice).
pub(super) fn after<A, C, H, F>(
    model: &ActorModel<A, C, H>,
    state: &State<A, H>,
    fp: F,
    parts: &mut ParentParts<F>,
    edit: &Edit<'_, '_, A, F>,
) -> Option<F>
where
    A: Actor,
    A::Msg: Ord + Hash,
    A::Timer: Ord + Hash,
    A::Storage: Hash,
    H: Clone + Debug + Hash,
    F: Fingerprint,
{
    let flows = flows::<A, H>(state)?;
    let &Edit { index, part, handled, consumed, .. } = edit;
    let id = Id::from(index);
    let mut fp = fp;
    if let Some((_, next_part)) = handled.next {
        fp = fp.wrapping_sub(part).wrapping_add(next_part);
    }
    // History, as stateright records it: the delivery in, then each send out.
    let mut history: Option<H> = None;
    if let Some((src, dst, msg)) = consumed {
        history = (model.record_msg_in)(&model.cfg, &state.history, Envelope { src, dst, msg });
    }
    // The flows this step touches: the one consumed from, and those sent on.
    let mut edits: SmallVec<[FlowEdit<'_, A::Msg>; 4]> = SmallVec::new();
    if let Some((src, dst, msg)) = consumed {
        let position = flows.get(&(src, dst)).and_then(|q| q.iter().position(|m| std::ptr::eq(m, msg) || m == msg))?;
        edits.push(((src, dst), Some(position), SmallVec::new()));
    }
    fp = fp.wrapping_add(timer_change(state.timers_set.get(index)?, parts, edit));
    for command in handled.out.iter() {
        match command {
            Command::Send(dst, msg) => {
                let history_now = history.as_ref().unwrap_or(&state.history);
                if let Some(h) = (model.record_msg_out)(&model.cfg, history_now, Envelope { src: id, dst: *dst, msg }) {
                    history = Some(h);
                }
                match edits.iter_mut().find(|(key, _, _)| *key == (id, *dst)) {
                    Some((_, _, appended)) => appended.push(msg),
                    None => edits.push(((id, *dst), None, smallvec::smallvec![msg])),
                }
            }
            Command::SetTimer(..) | Command::CancelTimer(_) => {}
            Command::Save(_) => {
                let saved = handled.saved_part?;
                fp = fp.wrapping_sub(parts.storage(index, state.actor_storages.get(index)?)).wrapping_add(saved);
            }
            Command::ChooseRandom(..) => return None,
        }
    }
    if let Some(h) = history {
        fp = fp.wrapping_sub(history_part(&state.history)).wrapping_add(history_part(&h));
    }
    for ((src, dst), removed, appended) in edits {
        let old = flows.get(&(src, dst));
        let before = parts.flow(src, dst, old);
        let kept = old.into_iter().flat_map(|q| q.iter().enumerate()).filter(|(i, _)| Some(*i) != removed);
        let after = flow_part(src, dst, kept.map(|(_, m)| m).chain(appended));
        fp = fp.wrapping_sub(before).wrapping_add(after);
    }
    Some(fp)
}

/// What the step `edit` adds to the fingerprint through actor `edit.index`'s timers
/// (`timers` in the parent). Remembered with the handler's result, with the timers the step
/// leaves (for `apply`), for the timers it was last applied to, known by their part
/// fingerprints' sum: kelp's actors keep the timers their state wants, so a result meets the
/// same timers nearly every time.
fn timer_change<A: Actor, F: Fingerprint>(
    timers: &Timers<A::Timer>,
    parts: &mut ParentParts<F>,
    edit: &Edit<'_, '_, A, F>,
) -> F {
    let &Edit { index, handled, fired, .. } = edit;
    let before = parts.timers(index, timers);
    if let Some(known) = &*handled.timers.borrow() {
        if known.before == before {
            return known.change;
        }
    }
    // stateright's order: the fired timer is cancelled, then the commands run in turn.
    let mut edits = TimerEdits::new(timers);
    let mut after = timers.clone();
    let mut change = F::default();
    if let Some(timer) = fired {
        change = edits.turn(timer, false, index, change);
        after.cancel(timer);
    }
    for command in handled.out.iter() {
        match command {
            Command::SetTimer(timer, _) => {
                change = edits.turn(timer, true, index, change);
                after.set(timer.clone());
            }
            Command::CancelTimer(timer) => {
                change = edits.turn(timer, false, index, change);
                after.cancel(timer);
            }
            _ => {}
        }
    }
    *handled.timers.borrow_mut() = Some(TimersAfter { before, change, after });
    change
}

/// A flow a step changes: its key, the position of the message it consumed, the messages it sent.
type FlowEdit<'a, Msg> = ((Id, Id), Option<usize>, SmallVec<[&'a Msg; 2]>);

/// A handler's step, as `after` followed it: what to apply to the parent to get the
/// successor.
pub(super) struct Edit<'s, 'a, A: Actor, F> {
    index: usize,
    /// The part fingerprint of the actor's state in the parent.
    part: F,
    handled: &'s Handled<A, F>,
    /// The delivered message and its flow.
    consumed: Option<(Id, Id, &'a A::Msg)>,
    /// The timer a time-out used up.
    fired: Option<&'a A::Timer>,
}

impl<'s, 'a, A: Actor, F> Edit<'s, 'a, A, F> {
    pub(super) fn new(index: usize, part: F, handled: &'s Handled<A, F>, event: Event<'a, A>) -> Self {
        let (consumed, fired) = match event {
            Event::Deliver(src, msg) => (Some((src, Id::from(index), msg)), None),
            Event::Timeout(timer) => (None, Some(timer)),
        };
        Edit { index, part, handled, consumed, fired }
    }
}
