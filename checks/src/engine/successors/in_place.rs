//! Making a new successor in its parent: the handler's output applied to the parent itself, and
//! what it replaced kept aside (`Undo`) to be put back once the search has visited it.

use super::actors::{EventAt, State};
use crate::engine::memo::Handled;
use crate::engine::undo::{SpareFlows, Undo};
use stateright::actor::{Actor, ActorModel, Command, Envelope, Id, Network, Timers};
use std::cell::RefMut;
use std::fmt::Debug;
use std::hash::Hash;
use std::sync::Arc;

/// Makes the successor in `state` (the parent) as stateright's `next_state` would build it
/// from the parent: a delivery takes its message off its flow (a flow left empty goes), a
/// time-out cancels its timer; then the actor's new state, the history, and the commands in
/// order. Returns what it replaced, for `Undo::restore` (the parent's timers for the actor
/// wait in `handled`). `after` has checked what this relies on: an ordered network, the
/// actor's timers and storage in place, no random choice.
pub(super) fn apply<A, C, H, F>(
    model: &ActorModel<A, C, H>,
    state: &mut State<A, H>,
    index: usize,
    handled: &Handled<A, F>,
    at: &EventAt<A::Timer>,
    spare: &mut SpareFlows<A::Msg>,
) -> Undo<A, H>
where
    A: Actor,
    A::Msg: Ord,
    A::Timer: Ord,
    H: Clone + Debug + Hash,
{
    let id = Id::from(index);
    // `after` worked out the timers the step leaves, for the parent's: they trade places with
    // the parent's (no copy; no empty set made, which would draw a seed from ahash's one
    // counter all threads share) until `Undo::restore` trades them back.
    let mut undo = Undo::new(index);
    undo.trade_timers(state, &mut timers_after(handled));
    let Network::Ordered(flows) = &mut state.network else { unreachable!("`after` follows ordered networks") };
    if let EventAt::Deliver { src, dst, position } = *at {
        let flow = flows.get_mut(&(src, dst)).expect("`after` found the flow");
        let msg = flow.remove(position).expect("`after` found the message");
        if flow.is_empty() {
            spare.keep(flows.remove(&(src, dst)).expect("the flow is there"));
        }
        if let Some(h) = (model.record_msg_in)(&model.cfg, &state.history, Envelope { src, dst, msg: &msg }) {
            undo.history_was(std::mem::replace(&mut state.history, h));
        }
        undo.consumed = Some(((src, dst), position, msg));
    }
    if let Some((next, _)) = &handled.next {
        undo.actor = Some(std::mem::replace(&mut state.actor_states[index], Arc::clone(next)));
    }
    for command in handled.out.iter() {
        match command {
            Command::Send(dst, msg) => {
                let envelope = Envelope { src: id, dst: *dst, msg };
                if let Some(h) = (model.record_msg_out)(&model.cfg, &state.history, envelope) {
                    undo.history_was(std::mem::replace(&mut state.history, h));
                }
                flows.entry((id, *dst)).or_insert_with(|| spare.take()).push_back(msg.clone());
                undo.sent.push((id, *dst));
            }
            Command::SetTimer(..) | Command::CancelTimer(_) => {}
            Command::Save(storage) => {
                undo.storage_was(state.actor_storages[index].replace(storage.clone()));
            }
            Command::ChooseRandom(..) => unreachable!("`after` does not follow random choices"),
        }
    }
    undo
}

/// The timers remembered with `handled` for after its step (`timer_change` worked them out).
pub(super) fn timers_after<A: Actor, F>(handled: &Handled<A, F>) -> RefMut<'_, Timers<A::Timer>> {
    RefMut::map(handled.timers.borrow_mut(), |t| &mut t.as_mut().expect("`after` worked out the timers").after)
}
