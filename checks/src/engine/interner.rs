//! Actor states interned across the threads of a search: one allocation per distinct actor state
//! (while remembered), whose part fingerprint is known by its address. Each thread keeps a table
//! of the states it has met (no lock, no shared cache line on the way of every successor) and
//! asks the shared table only for a state it has not met yet. With tables per thread alone, a
//! thread met the states other threads had made as strangers, to hash again and compare field
//! by field: at 2 threads about 4% more work than at one, and at 16 threads most parents come
//! from other threads.

use super::fingerprint::Fingerprint;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Interned states a thread remembers before it starts over (forgetting costs only speed).
const LOCAL: usize = 1 << 16;

/// Interned states the shared table remembers per shard before that shard starts over.
const SHARED_PER_SHARD: usize = 1 << 14;

const SHARDS: usize = 64;

/// A state's address, to know an interned state by.
fn address<S>(state: &Arc<S>) -> usize {
    Arc::as_ptr(state) as usize
}

/// What is known of an interned state: the actor it was made for and its part fingerprint.
type Known<F> = (usize, F);

type ByPart<S, F> = HashMap<Known<F>, Arc<S>, ahash::RandomState>;

/// The table the threads of one search share: interned states by actor and part fingerprint.
pub struct Shared<S, F> {
    shards: Vec<Mutex<ByPart<S, F>>>,
}

impl<S, F> Default for Shared<S, F> {
    fn default() -> Self {
        Shared { shards: (0..SHARDS).map(|_| Mutex::new(HashMap::default())).collect() }
    }
}

impl<S: PartialEq, F: Fingerprint> Shared<S, F> {
    /// The one allocation of `state`, interned here as `known` unless an equal state is.
    fn intern(&self, known: Known<F>, state: S) -> Arc<S> {
        let shard = &self.shards[(known.1.low64() >> 40) as usize % SHARDS];
        let mut shard = shard.lock().expect("no thread panics holding a shard");
        if let Some(interned) = shard.get(&known).filter(|interned| ***interned == state) {
            return Arc::clone(interned);
        }
        if shard.len() >= SHARED_PER_SHARD {
            shard.clear();
        }
        let interned = Arc::new(state);
        shard.insert(known, Arc::clone(&interned));
        interned
    }
}

/// One thread's table: the interned states it met, by actor and part fingerprint, and what it
/// knows of states by address (each entry holds its state, so the address stays its own).
pub struct Local<S, F> {
    by_part: ByPart<S, F>,
    by_address: HashMap<usize, (Known<F>, Arc<S>), ahash::RandomState>,
}

impl<S, F> Default for Local<S, F> {
    fn default() -> Self {
        Local { by_part: HashMap::default(), by_address: HashMap::default() }
    }
}

impl<S: PartialEq, F: Fingerprint> Local<S, F> {
    /// The one allocation of actor `index`'s state `state` (part fingerprint `part`): met
    /// before on this thread, made by another thread, or new.
    pub fn intern(&mut self, shared: &Shared<S, F>, index: usize, state: S, part: F) -> Arc<S> {
        let known = (index, part);
        if let Some(interned) = self.by_part.get(&known).filter(|interned| ***interned == state) {
            return Arc::clone(interned);
        }
        let interned = shared.intern(known, state);
        self.make_room();
        self.by_part.insert(known, Arc::clone(&interned));
        self.by_address.insert(address(&interned), (known, Arc::clone(&interned)));
        interned
    }

    /// The part fingerprint of actor `index`'s `state`, if this thread knows it by address.
    pub fn part(&self, index: usize, state: &Arc<S>) -> Option<F> {
        self.by_address.get(&address(state)).and_then(|&((made_for, part), _)| (made_for == index).then_some(part))
    }

    /// Remembers by address that actor `index`'s `state` has the part fingerprint `part` (hashed
    /// on this thread: a state another thread interned, or that no handler made).
    pub fn learn(&mut self, index: usize, state: &Arc<S>, part: F) {
        self.make_room();
        self.by_address.insert(address(state), ((index, part), Arc::clone(state)));
    }

    fn make_room(&mut self) {
        if self.by_address.len() >= LOCAL {
            self.by_part.clear();
            self.by_address.clear();
        }
    }
}
