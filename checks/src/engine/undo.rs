//! How `Actors` makes a new successor in the parent itself and puts the parent back: the step's
//! changes are applied in place, each part they replace is kept here (moved out, not copied), and
//! `restore` moves every one back. A parent is never copied to make its successors: only the ones
//! the search keeps are cloned.

use smallvec::SmallVec;
use stateright::actor::{Actor, ActorModelState, Id, Network, Timers};
use std::collections::VecDeque;
use std::sync::Arc;

type State<A, H> = ActorModelState<A, H>;

/// What a step replaced in the parent, to be put back.
pub(super) struct Undo<A: Actor, H> {
    /// The actor that handled the event.
    pub(super) index: usize,
    /// Its state in the parent, where the step changed it.
    pub(super) actor: Option<Arc<A::State>>,
    /// Its storage in the parent, where the step saved.
    pub(super) storage: Option<Option<A::Storage>>,
    /// The parent's history, where the step recorded something.
    pub(super) history: Option<H>,
    /// The delivered message, with its flow and its place in it.
    pub(super) consumed: Option<((Id, Id), usize, A::Msg)>,
    /// The flows the step appended a message to, in order.
    pub(super) sent: SmallVec<[(Id, Id); 2]>,
}

impl<A: Actor, H> Undo<A, H> {
    /// Nothing replaced yet.
    pub(super) fn new(index: usize) -> Self {
        Undo { index, actor: None, storage: None, history: None, consumed: None, sent: SmallVec::new() }
    }

    /// Trades the actor's timers in `state` for `other`: the set the step leaves, in; the
    /// parent's, out (to be traded back by `restore`). No set is copied.
    pub(super) fn trade_timers(&self, state: &mut State<A, H>, other: &mut Timers<A::Timer>) {
        std::mem::swap(&mut state.timers_set[self.index], other);
    }

    /// Keeps the history the parent had, the first time a step replaces it.
    pub(super) fn history_was(&mut self, before: H) {
        self.history.get_or_insert(before);
    }

    /// Keeps the storage the parent had, the first time a step replaces it.
    pub(super) fn storage_was(&mut self, before: Option<A::Storage>) {
        self.storage.get_or_insert(before);
    }

    /// Puts `state` (the successor) back to the parent it was made in: the actor's timers trade
    /// back (`timers` holds the parent's, traded out by `trade_timers`; it gets the step's back),
    /// then, in the reverse order of the changes, the sent messages come off the ends of their
    /// flows (a flow left empty goes), the delivered one goes back to its place, then the
    /// history, storage and state.
    pub(super) fn restore(self, state: &mut State<A, H>, timers: &mut Timers<A::Timer>, spare: &mut SpareFlows<A::Msg>)
    where
        A::Msg: Ord,
    {
        self.trade_timers(state, timers);
        let Network::Ordered(flows) = &mut state.network else { unreachable!("steps in place edit ordered networks") };
        for key in self.sent.iter().rev() {
            let flow = flows.get_mut(key).expect("the step appended to it");
            flow.pop_back();
            if flow.is_empty() {
                spare.keep(flows.remove(key).expect("the flow is there"));
            }
        }
        if let Some((key, position, msg)) = self.consumed {
            flows.entry(key).or_insert_with(|| spare.take()).insert(position, msg);
        }
        let i = self.index;
        if let Some(history) = self.history {
            state.history = history;
        }
        if let Some(storage) = self.storage {
            state.actor_storages[i] = storage;
        }
        if let Some(actor) = self.actor {
            state.actor_states[i] = actor;
        }
    }
}

/// Empty flows, kept for reuse: a parent's successors open and close the same few flows again
/// and again (a delivery empties the flow it takes from, `restore` fills it again; a send opens
/// a flow, `restore` empties it), which cost an allocation and a free each time.
pub(super) struct SpareFlows<M>(SmallVec<[VecDeque<M>; 4]>);

impl<M> Default for SpareFlows<M> {
    fn default() -> Self {
        SpareFlows(SmallVec::new())
    }
}

impl<M> SpareFlows<M> {
    /// An empty flow: a kept one, or a new one.
    pub(super) fn take(&mut self) -> VecDeque<M> {
        self.0.pop().unwrap_or_else(|| VecDeque::with_capacity(1))
    }

    /// Keeps `flow` (empty) for reuse, while there is room; else it is freed.
    pub(super) fn keep(&mut self, flow: VecDeque<M>) {
        debug_assert!(flow.is_empty(), "only empty flows are kept");
        if self.0.len() < self.0.inline_size() {
            self.0.push(flow);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::test_actor::Numbers;
    use stateright::actor::Envelope;

    type S = State<Numbers, Vec<u8>>;

    /// Two actors; flow 0 -> 1 holds 10 and 11, flow 1 -> 0 holds 20; actor 1 has timer 7.
    fn parent() -> S {
        let envelopes = [(0, 1, 10), (0, 1, 11), (1, 0, 20)].map(|(src, dst, msg)| Envelope {
            src: Id::from(src),
            dst: Id::from(dst),
            msg,
        });
        let mut timers = Timers::new();
        timers.set(7);
        ActorModelState {
            actor_states: vec![Arc::new(0), Arc::new(1)],
            network: Network::new_ordered(envelopes),
            timers_set: vec![Timers::new(), timers],
            random_choices: vec![Default::default(), Default::default()],
            crashed: vec![false, false],
            history: vec![],
            actor_storages: vec![None, Some(5)],
        }
    }

    fn flows(state: &mut S) -> &mut std::collections::BTreeMap<(Id, Id), VecDeque<u8>> {
        match &mut state.network {
            Network::Ordered(flows) => flows,
            _ => unreachable!("an ordered network"),
        }
    }

    #[test]
    fn a_step_that_changes_every_part_is_put_back() {
        let before = parent();
        let mut state = parent();
        let (one, zero) = (Id::from(1), Id::from(0));
        // Actor 1 takes 10 off flow 0 -> 1, sends 30 to itself and 31 to actor 0, saves 6.
        let msg = flows(&mut state).get_mut(&(zero, one)).unwrap().remove(0).unwrap();
        let mut undo = Undo::<Numbers, Vec<u8>>::new(1);
        // The step leaves actor 1 no timer: the set it leaves trades places with the parent's.
        let mut timers = Timers::new();
        undo.trade_timers(&mut state, &mut timers);
        undo.consumed = Some(((zero, one), 0, msg));
        for (dst, sent) in [(one, 30), (zero, 31)] {
            flows(&mut state).entry((one, dst)).or_default().push_back(sent);
            undo.sent.push((one, dst));
        }
        undo.history_was(std::mem::replace(&mut state.history, vec![1]));
        undo.history_was(std::mem::replace(&mut state.history, vec![1, 2]));
        undo.storage_was(state.actor_storages[1].replace(6));
        undo.actor = Some(std::mem::replace(&mut state.actor_states[1], Arc::new(9)));
        assert!(state != before);
        undo.restore(&mut state, &mut timers, &mut SpareFlows::default());
        assert!(state == before, "{state:?}");
        assert!(timers == Timers::new(), "the step's timers are back where they waited");
    }

    #[test]
    fn spare_flows_are_taken_again_up_to_a_few() {
        let mut spare = SpareFlows::<u8>::default();
        for _ in 0..6 {
            spare.keep(VecDeque::with_capacity(16));
        }
        let capacities: Vec<usize> = (0..5).map(|_| spare.take().capacity()).collect();
        assert!(capacities[..4].iter().all(|&c| c >= 16), "{capacities:?}");
        assert!(capacities[4] < 16, "a fifth is a new one: {capacities:?}");
    }

    #[test]
    fn a_flow_the_step_emptied_or_opened_is_put_back_as_it_was() {
        let before = parent();
        let mut state = parent();
        let (one, zero) = (Id::from(1), Id::from(0));
        // Actor 0 takes 20, the only message of flow 1 -> 0 (which goes), and opens flow 0 -> 0.
        let flow = flows(&mut state);
        let msg = flow.get_mut(&(one, zero)).unwrap().remove(0).unwrap();
        flow.remove(&(one, zero));
        flow.entry((zero, zero)).or_default().push_back(40);
        let mut undo = Undo::<Numbers, Vec<u8>>::new(0);
        let mut timers = Timers::new();
        undo.trade_timers(&mut state, &mut timers);
        undo.consumed = Some(((one, zero), 0, msg));
        undo.sent.push((zero, zero));
        undo.restore(&mut state, &mut timers, &mut SpareFlows::default());
        assert!(state == before, "{state:?}");
        assert!(!flows(&mut state).contains_key(&(zero, zero)), "no empty flow is left behind");
    }
}
