//! How the search gets from a state to its successors' fingerprints. `Whole` works for any model:
//! it builds each successor (`Model::next_state`) and hashes all of it. `Actors` is for
//! stateright actor models on an ordered network (kelp's): a step changes one actor's state, the
//! flow it consumed from, the flows it sends on, that actor's timers and saved storage. The
//! fingerprint is a sum of hashes of those parts, so a successor's fingerprint is its parent's
//! with the changed parts swapped, computed from the handler's output without building the
//! successor; the successor is built only when its fingerprint is new. Most successors are states
//! already seen: they cost one handler call and a few small hashes instead of a clone, a hash and
//! a drop of the whole system.
//!
//! Most new fingerprints were states beyond the model's boundary (in kelp, a fault once the fault
//! budget is spent: `healthy` made 14.2M such successors, five for each state it keeps), which the
//! search only drops. A model whose boundary reads the actors' states can tell them from the
//! step's new actor state (`LeavesBoundary`, kelp's `step_leaves_budget`): `Actors` drops those
//! before their fingerprint is worked out. The rest it does not build from scratch, nor copy the
//! parent: it applies the handler's output to the parent itself, lends it to the search, and
//! moves back the parts it replaced (`undo`); the search clones a successor only to keep it.
//!
//! The handler itself runs once per (actor state, event) and thread: its results are remembered
//! (`memo`), with what they do to the actor's timers. And `Actors` lists a state's deliveries and
//! time-outs itself, building an action (which holds a copy of its message) only for whoever
//! asks: stateright's `actions` copies and sorts every one.

use super::fingerprint::Fingerprint;
use super::memo::{Event, Fresh, Handled, Memo, Ticket, TimersAfter};
use super::undo::{SpareFlows, Undo};
use smallvec::SmallVec;
use stateright::actor::{
    Actor, ActorModel, ActorModelAction, ActorModelState, Command, Envelope, Id, LossyNetwork, Network, Out, Timers,
};
use stateright::Model;
use std::borrow::Cow;
use std::cell::{RefCell, RefMut};
use std::collections::VecDeque;
use std::fmt::Debug;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

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

/// Incremental fingerprints for an actor model on an ordered network, with each thread's
/// workspace.
pub struct Actors<'m, A: Actor, C, H: Clone + Debug + Hash, F>
where
    A::Msg: Ord,
    A::Timer: Ord,
    Memo<A, F>: Send,
{
    model: &'m ActorModel<A, C, H>,
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

type State<A, H> = ActorModelState<A, H>;
type Flows<Msg> = std::collections::BTreeMap<(Id, Id), VecDeque<Msg>>;
/// A flow a step changes: its key, the position of the message it consumed, the messages it sent.
type FlowEdit<'a, Msg> = ((Id, Id), Option<usize>, SmallVec<[&'a Msg; 2]>);
type Action<A> = ActorModelAction<<A as Actor>::Msg, <A as Actor>::Timer, <A as Actor>::Random>;

/// The parts' hashes. Tags keep parts of different kinds and places apart.
fn actor_part<F: Fingerprint, S: Hash>(index: usize, state: &S) -> F {
    F::of(&(0u8, index, state))
}
fn timer_part<F: Fingerprint, T: Hash>(index: usize, timer: &T) -> F {
    F::of(&(1u8, index, timer))
}
fn storage_part<F: Fingerprint, S: Hash>(index: usize, storage: &S) -> F {
    F::of(&(2u8, index, storage))
}
fn crashed_part<F: Fingerprint>(index: usize, crashed: bool) -> F {
    F::of(&(3u8, index, crashed))
}
fn history_part<F: Fingerprint, H: Hash>(history: &H) -> F {
    F::of(&(4u8, history))
}
fn random_part<F: Fingerprint, R: Hash>(index: usize, choices: &R) -> F {
    F::of(&(5u8, index, choices))
}
fn sizes_part<F: Fingerprint>(actors: usize, timers: usize, storages: usize, randoms: usize) -> F {
    F::of(&(6u8, actors, timers, storages, randoms))
}
/// A flow (the queue of messages from one actor to another), in order; an empty flow is absent.
fn flow_part<'a, F: Fingerprint, M: Hash + 'a>(src: Id, dst: Id, msgs: impl Iterator<Item = &'a M>) -> F {
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
    fn flows(state: &State<A, H>) -> Option<&Flows<A::Msg>> {
        match &state.network {
            Network::Ordered(flows) => Some(flows),
            _ => None,
        }
    }

    fn whole(state: &State<A, H>) -> F {
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
        let flows = Self::flows(state).expect("an ordered network");
        for ((src, dst), msgs) in flows {
            sum = sum.wrapping_add(flow_part(*src, *dst, msgs.iter()));
        }
        sum
    }

    /// The successor's fingerprint after the step `edit` (actor `edit.index` handled an event:
    /// `consumed` is the flow and message a delivery took, `fired` the timer a time-out used up).
    /// `parts` holds the parent's part fingerprints, shared by all its successors. `None` where
    /// the step does something this shortcut does not follow (random choices, saving twice).
    fn after(&self, state: &State<A, H>, fp: F, parts: &mut ParentParts<F>, edit: &Edit<'_, '_, A, F>) -> Option<F> {
        let model = self.model;
        let flows = Self::flows(state)?;
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
            let position =
                flows.get(&(src, dst)).and_then(|q| q.iter().position(|m| std::ptr::eq(m, msg) || m == msg))?;
            edits.push(((src, dst), Some(position), SmallVec::new()));
        }
        fp = fp.wrapping_add(Self::timer_change(state.timers_set.get(index)?, parts, edit));
        for command in handled.out.iter() {
            match command {
                Command::Send(dst, msg) => {
                    let history_now = history.as_ref().unwrap_or(&state.history);
                    if let Some(h) =
                        (model.record_msg_out)(&model.cfg, history_now, Envelope { src: id, dst: *dst, msg })
                    {
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
    fn timer_change(timers: &Timers<A::Timer>, parts: &mut ParentParts<F>, edit: &Edit<'_, '_, A, F>) -> F {
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
                let flows = Self::flows(state).expect("deliveries in place are on ordered networks");
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
        match self.after(state, parent.fp, &mut parent.parts, &edit) {
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
            let again = self.after(state, parent.fp, &mut parent.parts, &Edit::new(index, part, handled, event));
            debug_assert_eq!(again, Some(next_fp), "a handler's result is the same every time");
        }
        let handled = parent.memo.get(ticket).expect("remembered again above");
        let undo = self.apply(state, index, handled, &at, &mut parent.spare_flows);
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
        let next_fp = Self::whole(&next);
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

    /// Makes the successor in `state` (the parent) as stateright's `next_state` would build it
    /// from the parent: a delivery takes its message off its flow (a flow left empty goes), a
    /// time-out cancels its timer; then the actor's new state, the history, and the commands in
    /// order. Returns what it replaced, for `Undo::restore` (the parent's timers for the actor
    /// wait in `handled`). `after` has checked what this relies on: an ordered network, the
    /// actor's timers and storage in place, no random choice.
    fn apply(
        &self,
        state: &mut State<A, H>,
        index: usize,
        handled: &Handled<A, F>,
        at: &EventAt<A::Timer>,
        spare: &mut SpareFlows<A::Msg>,
    ) -> Undo<A, H> {
        let model = self.model;
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
}

/// The timers remembered with `handled` for after its step (`timer_change` worked them out).
fn timers_after<A: Actor, F>(handled: &Handled<A, F>) -> RefMut<'_, Timers<A::Timer>> {
    RefMut::map(handled.timers.borrow_mut(), |t| &mut t.as_mut().expect("`after` worked out the timers").after)
}

/// The fingerprints of a parent's parts that its successors replace, each computed at the first
/// successor that needs it: a state's successors mostly change the same few actors and flows.
struct ParentParts<F> {
    actors: SmallVec<[Option<F>; 16]>,
    /// The sum of each actor's timer parts.
    timers: SmallVec<[Option<F>; 16]>,
    storages: SmallVec<[Option<F>; 16]>,
    flows: SmallVec<[((Id, Id), F); 16]>,
}

impl<F: Fingerprint> ParentParts<F> {
    fn new(actors: usize) -> Self {
        ParentParts {
            actors: smallvec::smallvec![None; actors],
            timers: smallvec::smallvec![None; actors],
            storages: smallvec::smallvec![None; actors],
            flows: SmallVec::new(),
        }
    }

    /// Actor `index`'s part: known to `memo` by the state's address, else hashed (and then
    /// known).
    fn actor<A: Actor>(&mut self, index: usize, state: &Arc<A::State>, memo: &mut Memo<A, F>) -> F {
        *self.actors[index].get_or_insert_with(|| {
            memo.part(index, state).unwrap_or_else(|| {
                let part = actor_part(index, &**state);
                memo.learn(index, state, part);
                part
            })
        })
    }

    fn storage<S: Hash>(&mut self, index: usize, storage: &S) -> F {
        *self.storages[index].get_or_insert_with(|| storage_part(index, storage))
    }

    fn timers<T: Hash + Eq>(&mut self, index: usize, timers: &Timers<T>) -> F {
        *self.timers[index]
            .get_or_insert_with(|| timers.iter().fold(F::default(), |sum, t| sum.wrapping_add(timer_part(index, t))))
    }

    fn flow<M: Hash>(&mut self, src: Id, dst: Id, msgs: Option<&VecDeque<M>>) -> F {
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
struct TimerEdits<'a, T> {
    parent: SmallVec<[&'a T; 16]>,
    named: SmallVec<[(&'a T, bool); 16]>,
}

impl<'a, T: Hash + Eq> TimerEdits<'a, T> {
    fn new(parent: &'a Timers<T>) -> Self {
        TimerEdits { parent: parent.iter().collect(), named: SmallVec::new() }
    }

    /// Sets (`set`) or cancels `timer` of actor `index`, updating the fingerprint `fp`.
    fn turn<F: Fingerprint>(&mut self, timer: &'a T, set: bool, index: usize, fp: F) -> F {
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
        Self::whole(state)
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
        let ordered = Self::flows(state).is_some();
        if ordered && Self::only_deliveries_and_time_outs(model, state) {
            // stateright's actions for this state, without their sorting and copying: the head of
            // each flow delivered, each timer fired.
            let flows = Self::flows(state).expect("ordered");
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
                        let flow = Self::flows(state).and_then(|flows| flows.get(&(*src, *dst)));
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
enum EventAt<T> {
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

/// The action of actor `index` handling `event`.
fn action_of<A: Actor>(index: usize, event: Event<'_, A>) -> Action<A> {
    match event {
        Event::Deliver(src, msg) => ActorModelAction::Deliver { src, dst: Id::from(index), msg: msg.clone() },
        Event::Timeout(timer) => ActorModelAction::Timeout(Id::from(index), timer.clone()),
    }
}

/// A handler's step, as `Actors::after` followed it: what to apply to the parent to get the
/// successor.
struct Edit<'s, 'a, A: Actor, F> {
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
    fn new(index: usize, part: F, handled: &'s Handled<A, F>, event: Event<'a, A>) -> Self {
        let (consumed, fired) = match event {
            Event::Deliver(src, msg) => (Some((src, Id::from(index), msg)), None),
            Event::Timeout(timer) => (None, Some(timer)),
        };
        Edit { index, part, handled, consumed, fired }
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
