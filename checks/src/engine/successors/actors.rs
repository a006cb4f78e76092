//! `Actors`: the successors of a state of a stateright actor model on an ordered network, found
//! without building most of them.
//!
//! Most new fingerprints were states beyond the model's boundary (in kelp, a fault once the fault
//! budget is spent: `healthy` made 14.2M such successors, five for each state it keeps), which the
//! search only drops. A model whose boundary reads the actors' states can tell them from the
//! step's new actor state (`LeavesBoundary`, kelp's `step_leaves_budget`): `Actors` drops those
//! before their fingerprint is worked out. The rest it does not build from scratch, nor copy the
//! parent: it applies the handler's output to the parent itself, lends it to the search, and
//! moves back the parts it replaced (`in_place`, `undo`); the search clones a successor only to
//! keep it.
//!
//! The handler itself runs once per (actor state, event) and thread: its results are remembered
//! (`memo`), with what they do to the actor's timers. And `Actors` lists a state's deliveries and
//! time-outs itself, building an action (which holds a copy of its message) only for whoever
//! asks: stateright's `actions` copies and sorts every one.

use super::in_place::{apply, timers_after};
use super::incremental::{after, whole, Edit};
use super::parts::{actor_part, storage_part, ParentParts};
use super::{ActionOf, Lookup, Step, Successors, Visit};
use crate::engine::fingerprint::Fingerprint;
use crate::engine::memo::{Event, Fresh, Memo, Ticket};
use crate::engine::undo::SpareFlows;
use smallvec::SmallVec;
use stateright::actor::{
    Actor, ActorModel, ActorModelAction, ActorModelState, Command, Id, LossyNetwork, Network, Out,
};
use stateright::Model;
use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::VecDeque;
use std::fmt::Debug;
use std::hash::Hash;

/// Incremental fingerprints for an actor model on an ordered network, with each thread's
/// workspace.
pub struct Actors<'m, A: Actor, C, H: Clone + Debug + Hash, F>
where
    A::Msg: Ord,
    A::Timer: Ord,
    Memo<A, F>: Send,
{
    pub(super) model: &'m ActorModel<A, C, H>,
    /// Each thread's remembered handler results (and its interned actor states); out of its cell
    /// while the thread visits a state's successors.
    memos: thread_local::ThreadLocal<RefCell<Option<Memo<A, F>>>>,
    leaves_boundary: Option<LeavesBoundary<'m, A, H>>,
}

/// Whether, in a state, actor `index` stepping to the given state leads outside the model's
/// boundary, and not past an exploration bound (`Fairness::beyond_bound`): a successor the
/// search would only drop. A model whose boundary reads its actors' states can tell that from
/// the step's new actor state alone; `Actors` then drops the successor before its fingerprint
/// and its visited-set lookup, and before making it. `false` where unsure.
pub type LeavesBoundary<'m, A, H> = &'m (dyn Fn(&State<A, H>, usize, &<A as Actor>::State) -> bool + Sync);

impl<'m, A: Actor, C, H: Clone + Debug + Hash, F> Actors<'m, A, C, H, F>
where
    A::Msg: Ord,
    A::Timer: Ord,
    Memo<A, F>: Send,
{
    pub fn new(model: &'m ActorModel<A, C, H>) -> Self {
        Actors { model, memos: thread_local::ThreadLocal::new(), leaves_boundary: None }
    }

    /// Drops the successors `leaves` tells are outside the boundary before making them (in
    /// `healthy`, five in six of the new fingerprints were faults past the fault budget).
    pub fn dropping(self, leaves: LeavesBoundary<'m, A, H>) -> Self {
        Actors { leaves_boundary: Some(leaves), ..self }
    }
}

pub(super) type State<A, H> = ActorModelState<A, H>;
pub(super) type Flows<Msg> = std::collections::BTreeMap<(Id, Id), VecDeque<Msg>>;
pub(super) type Action<A> = ActorModelAction<<A as Actor>::Msg, <A as Actor>::Timer, <A as Actor>::Random>;

impl<A, C, H, F: Fingerprint> Successors<ActorModel<A, C, H>, F> for Actors<'_, A, C, H, F>
where
    A: Actor + Sync,
    A::Msg: Ord + Hash + Sync,
    A::Timer: Ord + Hash + Sync,
    A::State: Hash + Send + Sync,
    A::Storage: Hash + Sync,
    A::Random: Hash + Sync,
    C: Sync,
    H: Clone + Debug + Hash + Sync,
    ActorModel<A, C, H>: Model<State = State<A, H>, Action = Action<A>>,
    Memo<A, F>: Send,
{
    fn fingerprint(&self, state: &State<A, H>) -> F {
        whole(state)
    }

    /// Swaps each of the state's actor states for this thread's equal copy.
    fn adopt(&self, state: &mut State<A, H>) {
        let mut memo = self.memos.get_or_default().borrow_mut();
        let memo = memo.get_or_insert_with(Memo::default);
        for (index, actor) in state.actor_states.iter_mut().enumerate() {
            memo.adopt(index, actor, |actor| actor_part(index, actor));
        }
    }

    fn for_each(
        &self,
        state: &mut State<A, H>,
        fp: F,
        seen: &dyn Fn(F) -> bool,
        visit: &mut Visit<'_, ActorModel<A, C, H>, F>,
    ) {
        self.for_each_prefetching(state, fp, Lookup { seen, prefetch: &|_| {} }, visit);
    }

    fn for_each_prefetching(
        &self,
        state: &mut State<A, H>,
        fp: F,
        lookup: Lookup<'_, F>,
        visit: &mut Visit<'_, ActorModel<A, C, H>, F>,
    ) {
        let model = self.model;
        // This thread's remembered results, taken for the visit (should `visit` reach this
        // thread's table again, it finds none and starts a new one). Nothing is made in their
        // place: an empty table's hash maps draw their seeds from a counter all threads share.
        let memo_cell = self.memos.get_or_default();
        let memo = memo_cell.take().unwrap_or_default();
        let parts = ParentParts::new(state.actor_states.len());
        let mut parent = Parent { fp, memo, parts, waiting: None, spare_flows: SpareFlows::default() };
        let ordered = flows(state).is_some();
        if ordered && Self::only_deliveries_and_time_outs(model, state) {
            // stateright's actions for this state, without their sorting and copying: the head of
            // each flow delivered, each timer fired.
            let flows = flows(state).expect("ordered");
            let deliveries = flows.iter().filter(|(_, queue)| !queue.is_empty());
            let mut events: SmallVec<[(usize, EventAt<A::Timer>); 16]> = deliveries
                .map(|(&(src, dst), _)| (usize::from(dst), EventAt::Deliver { src, dst, position: 0 }))
                .collect();
            for (index, timers) in state.timers_set.iter().enumerate() {
                events.extend(timers.iter().map(|timer| (index, EventAt::Timeout(timer.clone()))));
            }
            for (index, at) in events {
                self.offer(state, &mut parent, index, at, lookup, visit);
            }
            if let Some(waiting) = parent.waiting.take() {
                self.finish(state, &mut parent, waiting, None, lookup.seen, visit);
            }
        } else {
            let mut actions = Vec::new();
            model.actions(state, &mut actions);
            for action in &actions {
                let given = || action.clone();
                let at = match action {
                    ActorModelAction::Deliver { src, dst, msg } if ordered => {
                        let flow = flows(state).and_then(|flows| flows.get(&(*src, *dst)));
                        let position = flow.and_then(|queue| queue.iter().position(|m| m == msg));
                        position
                            .map(|position| (usize::from(*dst), EventAt::Deliver { src: *src, dst: *dst, position }))
                    }
                    ActorModelAction::Timeout(id, timer) if ordered => {
                        Some((usize::from(*id), EventAt::Timeout(timer.clone())))
                    }
                    _ => None,
                };
                let Some((index, at)) = at else {
                    Self::build(model, state, ActionOf::Lazy(&given), visit);
                    continue;
                };
                match self.predict(state, &mut parent, index, Self::event(state, &at)) {
                    Prediction::Nothing => {}
                    Prediction::Whole => Self::build(model, state, ActionOf::Lazy(&given), visit),
                    Prediction::Ready { part, ticket, next_fp } => {
                        let ready = Predicted { index, at, part, ticket, next_fp };
                        self.finish(state, &mut parent, ready, Some(action), lookup.seen, visit);
                    }
                }
            }
        }
        memo_cell.replace(Some(parent.memo));
    }
}

impl<'m, A, C, H, F: Fingerprint> Actors<'m, A, C, H, F>
where
    A: Actor,
    A::Msg: Ord + Hash,
    A::Timer: Ord + Hash,
    A::State: Hash,
    A::Storage: Hash,
    A::Random: Hash,
    H: Clone + Debug + Hash,
    Memo<A, F>: Send,
    ActorModel<A, C, H>: Model<State = State<A, H>, Action = Action<A>>,
{
    /// Whether stateright's only actions in `state` are deliveries and time-outs: no message
    /// can be lost, no actor crash or recover, no random choice is pending.
    fn only_deliveries_and_time_outs(model: &ActorModel<A, C, H>, state: &State<A, H>) -> bool {
        model.lossy_network == LossyNetwork::No
            && model.max_crashes == 0
            && !state.crashed.iter().any(|crashed| *crashed)
            && state.random_choices.iter().all(|choices| choices.map.is_empty())
    }

    /// Actor `index` handles the event `at` in the parent: predicts the successor and prefetches
    /// its lookup, then finishes the one predicted before (so that successors are visited in
    /// order).
    fn offer(
        &self,
        state: &mut State<A, H>,
        parent: &mut Parent<A, F>,
        index: usize,
        at: EventAt<A::Timer>,
        lookup: Lookup<'_, F>,
        visit: &mut Visit<'_, ActorModel<A, C, H>, F>,
    ) {
        match self.predict(state, parent, index, Self::event(state, &at)) {
            Prediction::Nothing => {}
            Prediction::Whole => {
                if let Some(waiting) = parent.waiting.take() {
                    self.finish(state, parent, waiting, None, lookup.seen, visit);
                }
                let event = Self::event(state, &at);
                Self::build(self.model, state, ActionOf::Lazy(&|| action_of::<A>(index, event)), visit);
            }
            Prediction::Ready { part, ticket, next_fp } => {
                (lookup.prefetch)(next_fp);
                let ready = Predicted { index, at, part, ticket, next_fp };
                if let Some(waiting) = parent.waiting.replace(ready) {
                    self.finish(state, parent, waiting, None, lookup.seen, visit);
                }
            }
        }
    }

    /// The event `at` names in `state`.
    fn event<'s>(state: &'s State<A, H>, at: &'s EventAt<A::Timer>) -> Event<'s, A> {
        match at {
            EventAt::Deliver { src, dst, position } => {
                let flows = flows(state).expect("deliveries in place are on ordered networks");
                Event::Deliver(*src, &flows[&(*src, *dst)][*position])
            }
            EventAt::Timeout(timer) => Event::Timeout(timer),
        }
    }

    /// The successor's fingerprint, from the handler's remembered result.
    fn predict(
        &self,
        state: &State<A, H>,
        parent: &mut Parent<A, F>,
        index: usize,
        event: Event<'_, A>,
    ) -> Prediction<F> {
        if matches!(event, Event::Deliver(..)) && (index >= state.actor_states.len() || state.crashed[index]) {
            return Prediction::Nothing; // stateright does not deliver to it either
        }
        let input = &state.actor_states[index];
        let part = parent.parts.actor(index, input, &mut parent.memo);
        let (ticket, handled) = parent.memo.handled(index, input, part, event, || self.handle(index, input, event));
        if handled.no_op {
            return Prediction::Nothing;
        }
        if let (Some(leaves), Some((next, _))) = (self.leaves_boundary, &handled.next) {
            if leaves(state, index, next) {
                return Prediction::Nothing; // the search would drop it
            }
        }
        let edit = Edit::new(index, part, handled, event);
        match after(self.model, state, parent.fp, &mut parent.parts, &edit) {
            Some(next_fp) => Prediction::Ready { part, ticket, next_fp },
            None => Prediction::Whole,
        }
    }

    /// Visits the successor `predicted` (whose action is `given`, or built on demand): by
    /// fingerprint alone where it was seen before, else made in `state` (the parent) and put
    /// back.
    fn finish(
        &self,
        state: &mut State<A, H>,
        parent: &mut Parent<A, F>,
        predicted: Predicted<A::Timer, F>,
        given: Option<&Action<A>>,
        seen: &dyn Fn(F) -> bool,
        visit: &mut Visit<'_, ActorModel<A, C, H>, F>,
    ) {
        let Predicted { index, at, part, ticket, next_fp } = predicted;
        if seen(next_fp) {
            // Most successors are seen: their event is looked up again only if the action is asked for.
            let build = || given.cloned().unwrap_or_else(|| action_of::<A>(index, Self::event(state, &at)));
            return visit(ActionOf::Lazy(&build), Step::Seen(next_fp), Some(state));
        }
        if parent.memo.get(ticket).is_none() {
            // A later step's result took its slot: work it out again, with its timers for `apply`.
            let event = Self::event(state, &at);
            let input = &state.actor_states[index];
            let (_, handled) = parent.memo.handled(index, input, part, event, || self.handle(index, input, event));
            let again = after(self.model, state, parent.fp, &mut parent.parts, &Edit::new(index, part, handled, event));
            debug_assert_eq!(again, Some(next_fp), "a handler's result is the same every time");
        }
        let handled = parent.memo.get(ticket).expect("remembered again above");
        let undo = apply(self.model, state, index, handled, &at, &mut parent.spare_flows);
        let build = || match (given, &undo.consumed, &at) {
            (Some(action), _, _) => action.clone(),
            (None, Some(((src, _), _, msg)), _) => action_of::<A>(index, Event::Deliver(*src, msg)),
            (None, _, EventAt::Timeout(timer)) => action_of::<A>(index, Event::Timeout(timer)),
            (None, None, EventAt::Deliver { .. }) => unreachable!("`apply` took the delivered message"),
        };
        visit(ActionOf::Lazy(&build), Step::New(next_fp, Cow::Borrowed(state)), None);
        undo.restore(state, &mut timers_after(handled), &mut parent.spare_flows);
    }

    /// Builds the successor with stateright's `next_state` and hashes it whole.
    fn build(
        model: &ActorModel<A, C, H>,
        state: &State<A, H>,
        action: ActionOf<'_, Action<A>>,
        visit: &mut Visit<'_, ActorModel<A, C, H>, F>,
    ) {
        let Some(next) = model.next_state(state, action.get().into_owned()) else { return };
        let next_fp = whole(&next);
        visit(action, Step::New(next_fp, Cow::Owned(next)), Some(state));
    }

    /// Asks actor `index` (in state `input`) to handle `event`, as stateright's `next_state`
    /// does.
    fn handle(&self, index: usize, input: &A::State, event: Event<'_, A>) -> Fresh<A, F> {
        let model = self.model;
        let id = Id::from(index);
        let mut actor = Cow::Borrowed(input);
        let mut out = Out::new();
        let no_op = match event {
            Event::Deliver(src, msg) => {
                model.actors[index].on_msg(id, &mut actor, src, msg.clone(), &mut out);
                false
            }
            Event::Timeout(timer) => {
                model.actors[index].on_timeout(id, &mut actor, timer, &mut out);
                stateright::actor::is_no_op_with_timer(&actor, &out, timer)
            }
        };
        let next = match actor {
            Cow::Borrowed(_) => None,
            Cow::Owned(next) => {
                let part = actor_part(index, &next);
                Some((next, part))
            }
        };
        // Where a handler saves twice, `after` leaves the step to stateright.
        let mut saves = out.iter().filter_map(|command| match command {
            Command::Save(storage) => Some(storage_part(index, &Some(storage))),
            _ => None,
        });
        let saved_part = saves.next().filter(|_| saves.next().is_none());
        Fresh { next, out, no_op, saved_part }
    }
}

/// What the successors of the parent being expanded share: the part fingerprints, this thread's
/// handler results, the successor predicted last, and empty flows to reuse.
struct Parent<A: Actor, F> {
    fp: F,
    memo: Memo<A, F>,
    parts: ParentParts<F>,
    /// The successor predicted last, looked up after the next one is predicted: its lookup's
    /// memory has been prefetched meanwhile.
    waiting: Option<Predicted<A::Timer, F>>,
    /// Flows the successors made in place opened and closed, kept for the next ones.
    spare_flows: SpareFlows<A::Msg>,
}

/// An event of the parent, named by where it is, so that it is found again after the parent
/// was changed (to make a successor) and put back: a delivery by its flow and place in it (the
/// head, on kelp's ordered network), a time-out by its timer.
pub(super) enum EventAt<T> {
    Deliver { src: Id, dst: Id, position: usize },
    Timeout(T),
}

/// A successor whose fingerprint is known: actor `index` handles the event `at` in the parent,
/// its result remembered at `ticket`.
struct Predicted<T, F> {
    index: usize,
    at: EventAt<T>,
    part: F,
    ticket: Ticket,
    next_fp: F,
}

enum Prediction<F> {
    /// No successor to visit: stateright's `next_state` gives none, or it is one the search
    /// would only drop (`LeavesBoundary`).
    Nothing,
    /// A step `after` does not follow: stateright builds it.
    Whole,
    Ready {
        part: F,
        ticket: Ticket,
        next_fp: F,
    },
}

/// The flows of an ordered network; `None` for any other.
pub(super) fn flows<A: Actor, H>(state: &State<A, H>) -> Option<&Flows<A::Msg>> {
    match &state.network {
        Network::Ordered(flows) => Some(flows),
        _ => None,
    }
}

/// The action of actor `index` handling `event`.
fn action_of<A: Actor>(index: usize, event: Event<'_, A>) -> Action<A> {
    match event {
        Event::Deliver(src, msg) => ActorModelAction::Deliver { src, dst: Id::from(index), msg: msg.clone() },
        Event::Timeout(timer) => ActorModelAction::Timeout(Id::from(index), timer.clone()),
    }
}
