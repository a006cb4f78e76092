//! Remembered handler results. A stateright actor's handler is a function of the actor's own
//! state and the event (the message and its sender, or the timer): the same broker state meets
//! the same message in a great many global states, which differ only in the other actors. So
//! `Actors` asks the handler once per (actor, state, event) and remembers what it did: the
//! actor's new state (with its part fingerprint) and the commands it gave. Each search thread
//! has its own table, fixed in size and direct-mapped (a newer result takes the slot of an older
//! one), so memory stays bounded and no thread waits for another. A result is reused only for an
//! equal state and an equal event: the table changes how fast successors are found, never which.
//!
//! The states handlers make are interned (`interner`, per thread): one allocation per distinct
//! actor state, whose part fingerprint is known by its address. So the states the search
//! keeps share their actors' states, a parent's actor is known by address (not hashed again for
//! each parent), and a remembered result is found for it by address (not compared field by field).

use super::fingerprint::Fingerprint;
use super::interner::Local;
use stateright::actor::{Actor, Id, Out, Timers};
use std::cell::RefCell;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

/// Slots per thread. `healthy` (2.9M states, 14.8M successors) meets about 10,000 distinct
/// (actor state, event) pairs in all: its handlers run for 0.04% of the successors with this
/// many slots.
const SLOTS: usize = 1 << 15;

/// The event an actor handles.
pub enum Event<'a, A: Actor> {
    /// A message delivered from `Id`.
    Deliver(Id, &'a A::Msg),
    Timeout(&'a A::Timer),
}

impl<A: Actor> Clone for Event<'_, A> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<A: Actor> Copy for Event<'_, A> {}

impl<A: Actor> Event<'_, A> {
    fn to_owned(self) -> OwnedEvent<A> {
        match self {
            Event::Deliver(src, msg) => OwnedEvent::Deliver(src, msg.clone()),
            Event::Timeout(timer) => OwnedEvent::Timeout(timer.clone()),
        }
    }
}

impl<A: Actor> Hash for Event<'_, A> {
    fn hash<H: Hasher>(&self, hasher: &mut H) {
        match self {
            Event::Deliver(src, msg) => (0u8, src, msg).hash(hasher),
            Event::Timeout(timer) => (1u8, timer).hash(hasher),
        }
    }
}

enum OwnedEvent<A: Actor> {
    Deliver(Id, A::Msg),
    Timeout(A::Timer),
}

impl<A: Actor> OwnedEvent<A> {
    fn is(&self, event: Event<'_, A>) -> bool {
        match (self, event) {
            (OwnedEvent::Deliver(src, msg), Event::Deliver(other_src, other_msg)) => {
                *src == other_src && msg == other_msg
            }
            (OwnedEvent::Timeout(timer), Event::Timeout(other)) => timer == other,
            _ => false,
        }
    }
}

/// What a handler did with one event, as the handler gave it: its new state (with that state's
/// part fingerprint) where it asked to change it.
pub struct Fresh<A: Actor, F> {
    pub next: Option<(A::State, F)>,
    pub out: Out<A>,
    pub no_op: bool,
    pub saved_part: Option<F>,
}

/// What a handler did with one event.
pub struct Handled<A: Actor, F> {
    /// The actor's state afterwards and its part fingerprint; `None` where the handler did not
    /// ask to change it (stateright's `Cow::Borrowed`).
    pub next: Option<(Arc<A::State>, F)>,
    pub out: Out<A>,
    /// A time-out that changed nothing but re-arm its own timer: stateright gives no successor.
    pub no_op: bool,
    /// The part fingerprint of the storage the handler saved, where it saved once.
    pub saved_part: Option<F>,
    /// What the step does to the actor's timers, worked out for the timers set before it (which
    /// are not part of the actor's state).
    pub timers: RefCell<Option<TimersAfter<A::Timer, F>>>,
}

/// The actor's timers after a step, and what that adds to a state's fingerprint, for the timers
/// set before it (known by the sum of their part fingerprints, `before`).
pub struct TimersAfter<T: Hash + Eq, F> {
    pub before: F,
    pub change: F,
    pub after: Timers<T>,
}

struct Entry<A: Actor, F> {
    key: u64,
    index: usize,
    state: Arc<A::State>,
    event: OwnedEvent<A>,
    handled: Handled<A, F>,
}

/// Where a result was remembered: to find it again, unless a newer result has taken its slot.
#[derive(Clone, Copy)]
pub struct Ticket {
    slot: usize,
    key: u64,
}

/// One thread's table of handler results.
pub struct Memo<A: Actor, F> {
    /// Allocated at the first result, so an unused table costs nothing.
    slots: Vec<Option<Entry<A, F>>>,
    /// The interned states this thread has met.
    interned: Local<A::State, F>,
}

impl<A: Actor, F> Default for Memo<A, F> {
    fn default() -> Self {
        Memo { slots: Vec::new(), interned: Local::default() }
    }
}

impl<A: Actor, F: Fingerprint> Memo<A, F> {
    /// What actor `index` does in `state` (whose part fingerprint is `part`) with `event`:
    /// remembered, or found by `handle` and remembered (its new state interned).
    pub fn handled(
        &mut self,
        index: usize,
        state: &Arc<A::State>,
        part: F,
        event: Event<'_, A>,
        handle: impl FnOnce() -> Fresh<A, F>,
    ) -> (Ticket, &Handled<A, F>) {
        if self.slots.is_empty() {
            self.slots.resize_with(SLOTS, || None);
        }
        let key = F::of(&(index, part, event)).low64();
        let hit = self.slots[key as usize & (SLOTS - 1)].as_ref().is_some_and(|entry| {
            entry.key == key
                && entry.index == index
                && (Arc::ptr_eq(&entry.state, state) || entry.state == *state)
                && entry.event.is(event)
        });
        if !hit {
            let Fresh { next, out, no_op, saved_part } = handle();
            let next = next.map(|(next, next_part)| {
                // A state the handler copied but left as it was keeps sharing the parent's.
                let next =
                    if next == **state { Arc::clone(state) } else { self.interned.intern(index, next, next_part) };
                (next, next_part)
            });
            let handled = Handled { next, out, no_op, saved_part, timers: RefCell::new(None) };
            let slot = &mut self.slots[key as usize & (SLOTS - 1)];
            *slot = Some(Entry { key, index, state: Arc::clone(state), event: event.to_owned(), handled });
        }
        let slot = key as usize & (SLOTS - 1);
        (Ticket { slot, key }, &self.slots[slot].as_ref().expect("filled above").handled)
    }

    /// The result remembered at `ticket`, if it is still there.
    pub fn get(&self, ticket: Ticket) -> Option<&Handled<A, F>> {
        self.slots[ticket.slot].as_ref().filter(|entry| entry.key == ticket.key).map(|entry| &entry.handled)
    }

    /// The part fingerprint of actor `index`'s `state`, where this thread knows it by address.
    pub fn part(&self, index: usize, state: &Arc<A::State>) -> Option<F> {
        self.interned.part(index, state)
    }

    /// Remembers the part fingerprint of actor `index`'s `state`, hashed on this thread.
    pub fn learn(&mut self, index: usize, state: &Arc<A::State>, part: F) {
        self.interned.learn(index, state, part);
    }

    /// Swaps actor `index`'s `state` for this thread's equal copy (`interner`); `part` hashes
    /// a state this thread does not know. Returns its part fingerprint.
    pub fn adopt(&mut self, index: usize, state: &mut Arc<A::State>, part: impl FnOnce(&A::State) -> F) -> F {
        self.interned.adopt(index, state, part)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::test_actor::Numbers;
    use std::cell::Cell;

    /// A result that says which call of the handler made it.
    fn made_by(call: &Cell<u32>) -> Fresh<Numbers, u64> {
        call.set(call.get() + 1);
        Fresh { next: Some((100 + call.get(), u64::from(call.get()))), out: Out::new(), no_op: false, saved_part: None }
    }

    fn made_in(handled: &Handled<Numbers, u64>) -> u32 {
        *handled.next.as_ref().expect("a new state").0 - 100
    }

    #[test]
    fn a_result_is_reused_for_an_equal_state_and_event() {
        let calls = Cell::new(0);
        let mut memo = Memo::<Numbers, u64>::default();
        let state = Arc::new(7);
        let event = Event::Deliver(Id::from(1), &3);
        assert_eq!(made_in(memo.handled(2, &state, 9, event, || made_by(&calls)).1), 1);
        assert_eq!(made_in(memo.handled(2, &state, 9, event, || made_by(&calls)).1), 1, "the same state");
        let copy = Arc::new(7);
        assert_eq!(made_in(memo.handled(2, &copy, 9, event, || made_by(&calls)).1), 1, "an equal state");
        assert_eq!(calls.get(), 1);
    }

    #[test]
    fn a_result_is_not_reused_where_anything_differs() {
        let calls = Cell::new(0);
        let mut memo = Memo::<Numbers, u64>::default();
        let state = Arc::new(7);
        let deliver = Event::Deliver(Id::from(1), &3);
        memo.handled(2, &state, 9, deliver, || made_by(&calls));
        // The same part fingerprint for another state: a collision, told apart by equality.
        let other = Arc::new(8);
        assert_eq!(made_in(memo.handled(2, &other, 9, deliver, || made_by(&calls)).1), 2);
        assert_eq!(made_in(memo.handled(2, &other, 9, Event::Deliver(Id::from(0), &3), || made_by(&calls)).1), 3);
        assert_eq!(made_in(memo.handled(2, &other, 9, Event::Deliver(Id::from(0), &4), || made_by(&calls)).1), 4);
        assert_eq!(made_in(memo.handled(2, &other, 9, Event::Timeout(&0), || made_by(&calls)).1), 5);
        assert_eq!(made_in(memo.handled(1, &other, 9, Event::Timeout(&0), || made_by(&calls)).1), 6, "another actor");
    }

    #[test]
    fn equal_new_states_share_one_allocation_known_by_address() {
        let mut memo = Memo::<Numbers, u64>::default();
        let to_five = || Fresh { next: Some((5, 55)), out: Out::new(), no_op: false, saved_part: None };
        let from_one = memo.handled(2, &Arc::new(1), 11, Event::Timeout(&0), to_five).1.next.clone().unwrap().0;
        let from_two = memo.handled(2, &Arc::new(2), 22, Event::Timeout(&0), to_five).1.next.clone().unwrap().0;
        assert!(Arc::ptr_eq(&from_one, &from_two));
        assert_eq!(memo.part(2, &from_one), Some(55));
        assert_eq!(memo.part(1, &from_one), None, "made for another actor");
        assert_eq!(memo.part(2, &Arc::new(5)), None, "not made here");
    }

    #[test]
    fn each_thread_has_its_own_copies_and_adopts_the_others() {
        let (mut first, mut second) = (Memo::<Numbers, u64>::default(), Memo::<Numbers, u64>::default());
        let to_five = || Fresh { next: Some((5, 55)), out: Out::new(), no_op: false, saved_part: None };
        let made = first.handled(2, &Arc::new(1), 11, Event::Timeout(&0), to_five).1.next.clone().unwrap().0;
        let mine = second.handled(2, &Arc::new(1), 11, Event::Timeout(&0), to_five).1.next.clone().unwrap().0;
        assert!(!Arc::ptr_eq(&made, &mine), "the second thread's handler made its own copy");
        assert_eq!(second.part(2, &made), None, "the first thread's copy is a stranger here");
        let mut held = Arc::clone(&made);
        assert_eq!(second.adopt(2, &mut held, |_| 55), 55, "hashed: not known by address");
        assert!(Arc::ptr_eq(&held, &mine), "swapped for the second thread's equal copy");
        let mut again = Arc::clone(&made);
        assert_eq!(second.adopt(2, &mut again, |_| unreachable!("known by address now")), 55);
        assert!(Arc::ptr_eq(&again, &mine));
        // A state no handler of this thread made: hashed once, copied, known by address after.
        let stranger = Arc::new(6);
        let mut held = Arc::clone(&stranger);
        assert_eq!(second.adopt(2, &mut held, |_| 66), 66);
        assert!(!Arc::ptr_eq(&held, &stranger) && *held == 6);
        assert_eq!(second.part(2, &held), Some(66));
        assert_eq!(second.part(1, &held), None, "known for the actor it was adopted for");
        let mut again = Arc::clone(&stranger);
        assert_eq!(second.adopt(2, &mut again, |_| unreachable!("known by address now")), 66);
        assert!(Arc::ptr_eq(&again, &held));
    }

    #[test]
    fn a_learned_state_is_known_by_address() {
        let mut memo = Memo::<Numbers, u64>::default();
        let stranger = Arc::new(6);
        assert_eq!(memo.part(2, &stranger), None);
        memo.learn(2, &stranger, 66);
        assert_eq!(memo.part(2, &stranger), Some(66), "known by address once hashed");
        let mut held = Arc::clone(&stranger);
        assert_eq!(memo.adopt(2, &mut held, |_| unreachable!("known by address")), 66);
        assert!(Arc::ptr_eq(&held, &stranger), "a learned state is this thread's: kept as it is");
    }

    #[test]
    fn a_state_left_as_it_was_stays_the_parents() {
        let mut memo = Memo::<Numbers, u64>::default();
        let parent = Arc::new(5);
        let same = || Fresh { next: Some((5, 55)), out: Out::new(), no_op: false, saved_part: None };
        let next = memo.handled(2, &parent, 55, Event::Timeout(&0), same).1.next.clone().unwrap().0;
        assert!(Arc::ptr_eq(&next, &parent));
    }

    #[test]
    fn a_ticket_finds_its_result_until_a_newer_one_takes_the_slot() {
        let calls = Cell::new(0);
        let mut memo = Memo::<Numbers, u64>::default();
        let state = Arc::new(7);
        let event = Event::Timeout(&0);
        let (ticket, _) = memo.handled(2, &state, 1, event, || made_by(&calls));
        assert_eq!(memo.get(ticket).map(made_in), Some(1));
        // Another state whose result lands in the same slot.
        let slot = |part: u64| u64::of(&(2usize, part, event)) as usize & (SLOTS - 1);
        let rival = (2..).find(|&part| slot(part) == slot(1)).expect("some part shares the slot");
        memo.handled(2, &Arc::new(8), rival, event, || made_by(&calls));
        assert!(memo.get(ticket).is_none());
    }
}
