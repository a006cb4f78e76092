//! Remembered handler results. A stateright actor's handler is a function of the actor's own
//! state and the event (the message and its sender, or the timer): the same broker state meets
//! the same message in a great many global states, which differ only in the other actors. So
//! `Actors` asks the handler once per (actor, state, event) and remembers what it did: the
//! actor's new state (with its part fingerprint) and the commands it gave. Each search thread
//! has its own table, fixed in size and direct-mapped (a newer result takes the slot of an older
//! one), so memory stays bounded and no thread waits for another. A result is reused only for an
//! equal state and an equal event: the table changes how fast successors are found, never which.

use super::fingerprint::Fingerprint;
use stateright::actor::{Actor, Id, Out};
use std::cell::Cell;
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

/// What a handler did with one event.
pub struct Handled<A: Actor, F> {
    /// The actor's state afterwards and its part fingerprint; `None` where the handler did not
    /// ask to change it (stateright's `Cow::Borrowed`).
    pub next: Option<(Arc<A::State>, F)>,
    pub out: Out<A>,
    /// A time-out that changed nothing but re-arm its own timer: stateright gives no successor.
    pub no_op: bool,
    /// What the step adds to a state's fingerprint through the actor's timers, and the timers
    /// (by the sum of their part fingerprints) that this was worked out for: it depends on the
    /// timers set before, which are not part of the actor's state.
    pub timer_change: Cell<Option<(F, F)>>,
}

struct Entry<A: Actor, F> {
    key: u64,
    index: usize,
    state: Arc<A::State>,
    event: OwnedEvent<A>,
    handled: Handled<A, F>,
}

/// One thread's table of handler results.
pub struct Memo<A: Actor, F> {
    /// Allocated at the first result, so an unused table costs nothing.
    slots: Vec<Option<Entry<A, F>>>,
}

impl<A: Actor, F> Default for Memo<A, F> {
    fn default() -> Self {
        Memo { slots: Vec::new() }
    }
}

impl<A: Actor, F: Fingerprint> Memo<A, F> {
    /// What actor `index` does in `state` (whose part fingerprint is `part`) with `event`:
    /// remembered, or found by `handle` and remembered.
    pub fn handled(
        &mut self,
        index: usize,
        state: &Arc<A::State>,
        part: F,
        event: Event<'_, A>,
        handle: impl FnOnce() -> Handled<A, F>,
    ) -> &Handled<A, F> {
        if self.slots.is_empty() {
            self.slots.resize_with(SLOTS, || None);
        }
        let key = F::of(&(index, part, event)).low64();
        let slot = &mut self.slots[key as usize & (SLOTS - 1)];
        let hit = slot.as_ref().is_some_and(|entry| {
            entry.key == key
                && entry.index == index
                && (Arc::ptr_eq(&entry.state, state) || entry.state == *state)
                && entry.event.is(event)
        });
        if !hit {
            let handled = handle();
            *slot = Some(Entry { key, index, state: Arc::clone(state), event: event.to_owned(), handled });
        }
        &slot.as_ref().expect("filled above").handled
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An actor whose state counts the messages it got.
    struct Counter;

    impl Actor for Counter {
        type Msg = u8;
        type State = u32;
        type Timer = ();
        type Random = ();
        type Storage = ();

        fn on_start(&self, _: Id, _: &Option<()>, _: &mut Out<Self>) -> u32 {
            0
        }
    }

    /// A result that says which call of the handler made it.
    fn made_by(call: &Cell<u32>) -> Handled<Counter, u64> {
        call.set(call.get() + 1);
        Handled { next: Some((Arc::new(call.get()), 0)), out: Out::new(), no_op: false, timer_change: Cell::new(None) }
    }

    fn made_in(handled: &Handled<Counter, u64>) -> u32 {
        *handled.next.as_ref().expect("a new state").0
    }

    #[test]
    fn a_result_is_reused_for_an_equal_state_and_event() {
        let calls = Cell::new(0);
        let mut memo = Memo::<Counter, u64>::default();
        let state = Arc::new(7);
        let event = Event::Deliver(Id::from(1), &3);
        assert_eq!(made_in(memo.handled(2, &state, 9, event, || made_by(&calls))), 1);
        assert_eq!(made_in(memo.handled(2, &state, 9, event, || made_by(&calls))), 1, "the same state");
        let copy = Arc::new(7);
        assert_eq!(made_in(memo.handled(2, &copy, 9, event, || made_by(&calls))), 1, "an equal state");
        assert_eq!(calls.get(), 1);
    }

    #[test]
    fn a_result_is_not_reused_where_anything_differs() {
        let calls = Cell::new(0);
        let mut memo = Memo::<Counter, u64>::default();
        let state = Arc::new(7);
        let deliver = Event::Deliver(Id::from(1), &3);
        memo.handled(2, &state, 9, deliver, || made_by(&calls));
        // The same part fingerprint for another state: a collision, told apart by equality.
        let other = Arc::new(8);
        assert_eq!(made_in(memo.handled(2, &other, 9, deliver, || made_by(&calls))), 2);
        assert_eq!(made_in(memo.handled(2, &other, 9, Event::Deliver(Id::from(0), &3), || made_by(&calls))), 3);
        assert_eq!(made_in(memo.handled(2, &other, 9, Event::Deliver(Id::from(0), &4), || made_by(&calls))), 4);
        assert_eq!(made_in(memo.handled(2, &other, 9, Event::Timeout(&()), || made_by(&calls))), 5);
        assert_eq!(made_in(memo.handled(1, &other, 9, Event::Timeout(&()), || made_by(&calls))), 6, "another actor");
    }
}
