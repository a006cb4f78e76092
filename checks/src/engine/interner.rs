//! Actor states interned per thread: one allocation per distinct actor state on each thread
//! (while remembered), whose part fingerprint the thread knows by its address.
//!
//! Each thread has copies of its own, not one allocation shared by all: every state the search
//! keeps or lends takes a reference to each of its actors' states, and the reference counts of
//! the common ones (a broker at rest, an idle producer) are touched at nearly every successor.
//! Shared by all threads, each such count would be a cache line every thread writes to; per
//! thread, a count is written by the thread that made the states holding it, which is the thread
//! that expands and frees them (`owned`). A state another thread made is adopted first: its
//! actors' states are swapped for this thread's equal copies.

use super::fingerprint::Fingerprint;
use std::collections::HashMap;
use std::sync::Arc;

/// Interned states a thread remembers before it starts over (forgetting costs only speed).
const LOCAL: usize = 1 << 16;

/// A state's address, to know an interned state by.
fn address<S>(state: &Arc<S>) -> usize {
    Arc::as_ptr(state) as usize
}

/// What is known of an interned state: the actor it was made for and its part fingerprint.
type Known<F> = (usize, F);

/// What a thread knows of an address: the state's part, this thread's copy of the state, and the
/// state at that address where it is another thread's copy (held, so that the address is not
/// given to another state while it is remembered).
struct ByAddress<S, F> {
    known: Known<F>,
    mine: Arc<S>,
    _theirs: Option<Arc<S>>,
}

/// One thread's table: its interned states by actor and part fingerprint, and what it knows of
/// states by address (its own, and other threads' copies it has adopted).
pub struct Local<S, F> {
    by_part: HashMap<Known<F>, Arc<S>, ahash::RandomState>,
    by_address: HashMap<usize, ByAddress<S, F>, ahash::RandomState>,
}

impl<S, F> Default for Local<S, F> {
    fn default() -> Self {
        Local { by_part: HashMap::default(), by_address: HashMap::default() }
    }
}

impl<S: PartialEq + Clone, F: Fingerprint> Local<S, F> {
    /// This thread's one allocation of actor `index`'s state `state` (part fingerprint `part`).
    pub fn intern(&mut self, index: usize, state: S, part: F) -> Arc<S> {
        let known = (index, part);
        self.find(known, &state).unwrap_or_else(|| self.insert(known, state))
    }

    /// The part fingerprint of actor `index`'s `state`, if this thread knows it by address.
    pub fn part(&self, index: usize, state: &Arc<S>) -> Option<F> {
        self.known(index, state).map(|entry| entry.known.1)
    }

    /// Remembers by address that actor `index`'s `state` has the part fingerprint `part` (hashed
    /// on this thread: a state that no handler made, such as an initial one).
    pub fn learn(&mut self, index: usize, state: &Arc<S>, part: F) {
        self.make_room();
        let entry = ByAddress { known: (index, part), mine: Arc::clone(state), _theirs: None };
        self.by_address.insert(address(state), entry);
    }

    /// Swaps actor `index`'s `state` (another thread's copy, perhaps) for this thread's equal
    /// copy, making one where there is none; `part` hashes a state this thread does not know by
    /// address. Returns the state's part fingerprint.
    pub fn adopt(&mut self, index: usize, state: &mut Arc<S>, part: impl FnOnce(&S) -> F) -> F {
        if let Some(entry) = self.known(index, state) {
            if !Arc::ptr_eq(&entry.mine, state) {
                *state = Arc::clone(&entry.mine);
            }
            return entry.known.1;
        }
        let known = (index, part(state));
        let mine = match self.find(known, state) {
            Some(mine) => mine,
            None => self.insert(known, S::clone(state)),
        };
        let theirs = std::mem::replace(state, Arc::clone(&mine));
        self.by_address.insert(address(&theirs), ByAddress { known, mine, _theirs: Some(theirs) });
        known.1
    }

    fn known(&self, index: usize, state: &Arc<S>) -> Option<&ByAddress<S, F>> {
        self.by_address.get(&address(state)).filter(|entry| entry.known.0 == index)
    }

    /// This thread's copy of a state equal to `state`, if it has one.
    fn find(&self, known: Known<F>, state: &S) -> Option<Arc<S>> {
        self.by_part.get(&known).filter(|interned| ***interned == *state).map(Arc::clone)
    }

    /// Makes `state` this thread's copy.
    fn insert(&mut self, known: Known<F>, state: S) -> Arc<S> {
        self.make_room();
        let mine = Arc::new(state);
        self.by_part.insert(known, Arc::clone(&mine));
        self.by_address.insert(address(&mine), ByAddress { known, mine: Arc::clone(&mine), _theirs: None });
        mine
    }

    fn make_room(&mut self) {
        if self.by_address.len() >= LOCAL {
            self.by_part.clear();
            self.by_address.clear();
        }
    }
}
