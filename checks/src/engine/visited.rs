//! The visited set of the parallel BFS: every state seen, by fingerprint, with the state it was
//! first reached from. Sharded behind mutexes so that the threads expanding a level record new
//! states as they find them, and deterministic whatever the threads' timing: within a level, a
//! state is *claimed* by each frontier node that reaches it, and the node first in frontier order
//! wins (its index is the smallest), exactly as a one-thread BFS would have it. Only the winner's
//! copy of the state goes on to the next frontier; the others are dropped at once.
//!
//! Every successor the search generates is looked up here, and the set is far larger than the
//! caches: a shard is one open-addressed array of entries, fingerprint and entry side by side, so
//! a lookup costs one cache miss where a general hash map (control bytes, then the bucket) costs two.

use super::fingerprint::Fingerprint;
use std::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};
use std::sync::Mutex;

/// A visited state: the depth it was found at, and within that level the frontier node whose
/// claim stands (its index) and that node's fingerprint (the parent).
#[derive(Clone, Copy)]
struct Entry<F> {
    parent: F,
    level: u32,
    claim: u32,
}

/// A slot of a shard: a fingerprint and its entry, or empty (level 0 and claim 0: an initial
/// state's claim is `u32::MAX`, a successor's level is at least 1).
#[derive(Clone, Copy)]
struct Slot<F> {
    fp: F,
    entry: Entry<F>,
}

impl<F: Fingerprint> Slot<F> {
    const EMPTY: Self = Slot { fp: F::ZERO, entry: Entry { parent: F::ZERO, level: 0, claim: 0 } };

    fn occupied(&self) -> bool {
        self.entry.level != 0 || self.entry.claim != 0
    }
}

/// One shard: an open-addressed array (linear probing, at most three quarters full) placed by
/// the fingerprints' low bits.
struct Shard<F> {
    slots: Vec<Slot<F>>,
    len: usize,
}

impl<F: Fingerprint> Default for Shard<F> {
    fn default() -> Self {
        Shard { slots: Vec::new(), len: 0 }
    }
}

impl<F: Fingerprint> Shard<F> {
    /// The slot holding `fp`, or the empty one where it would go; `None` while nothing is stored.
    fn slot(&self, fp: F) -> Option<usize> {
        let mask = self.slots.len().checked_sub(1)?;
        let mut i = fp.low64() as usize & mask;
        loop {
            let slot = &self.slots[i];
            if !slot.occupied() || slot.fp == fp {
                return Some(i);
            }
            i = (i + 1) & mask;
        }
    }

    fn get(&self, fp: F) -> Option<&Entry<F>> {
        let slot = &self.slots[self.slot(fp)?];
        slot.occupied().then_some(&slot.entry)
    }

    fn get_mut(&mut self, fp: F) -> Option<&mut Entry<F>> {
        let i = self.slot(fp)?;
        let slot = &mut self.slots[i];
        slot.occupied().then_some(&mut slot.entry)
    }

    /// Stores `fp`, which is not stored yet.
    fn insert(&mut self, fp: F, entry: Entry<F>) {
        if (self.len + 1) * 4 > self.slots.len() * 3 {
            self.grow();
        }
        let i = self.slot(fp).expect("room was made");
        debug_assert!(entry.level != 0 || entry.claim != 0, "an entry is told from an empty slot");
        self.slots[i] = Slot { fp, entry };
        self.len += 1;
    }

    fn grow(&mut self) {
        let size = (self.slots.len() * 2).max(64);
        let old = std::mem::replace(&mut self.slots, vec![Slot::EMPTY; size]);
        for slot in old.into_iter().filter(Slot::occupied) {
            let i = self.slot(slot.fp).expect("not empty");
            self.slots[i] = slot;
        }
    }
}

const SHARDS: usize = 256;

pub struct Visited<F> {
    shards: Vec<Mutex<Shard<F>>>,
    /// Where each shard's array is, for `prefetch` to read without the lock (a stale answer
    /// names memory that prefetching may touch harmlessly).
    places: Vec<Place>,
}

#[derive(Default)]
struct Place {
    slots: AtomicPtr<u8>,
    mask: AtomicUsize,
}

/// What a node's claim on a successor came to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Claim {
    /// Seen at an earlier level, or claimed by a node earlier in this level (or by this node
    /// through another action): the state need not be kept.
    Seen,
    /// This node's claim stands, for now: keep the state until the level is admitted.
    Kept,
}

impl<F: Fingerprint> Default for Visited<F> {
    fn default() -> Self {
        Visited {
            shards: (0..SHARDS).map(|_| Mutex::new(Shard::default())).collect(),
            places: (0..SHARDS).map(|_| Place::default()).collect(),
        }
    }
}

impl<F: Fingerprint> Visited<F> {
    /// The shard of `fp`. A shard places fingerprints by their low bits: the shards split by
    /// higher ones.
    fn shard_of(fp: F) -> usize {
        ((fp.low64() >> 32) as usize) % SHARDS
    }

    fn shard(&self, fp: F) -> std::sync::MutexGuard<'_, Shard<F>> {
        self.shards[Self::shard_of(fp)].lock().expect("no thread panics holding a shard")
    }

    /// Inserts into `fp`'s shard (locked as `shard`), telling `prefetch` where its array is now.
    fn insert(&self, shard: &mut Shard<F>, fp: F, entry: Entry<F>) {
        shard.insert(fp, entry);
        let place = &self.places[Self::shard_of(fp)];
        place.slots.store(shard.slots.as_mut_ptr().cast(), Ordering::Relaxed);
        place.mask.store(shard.slots.len() - 1, Ordering::Relaxed);
    }

    /// Asks the processor to start loading the slot where `fp` would be, for a lookup soon
    /// after: the set is much larger than the caches, and a search thread has other work to do
    /// meanwhile.
    pub fn prefetch(&self, fp: F) {
        let place = &self.places[Self::shard_of(fp)];
        let slots = place.slots.load(Ordering::Relaxed);
        let offset = (fp.low64() as usize & place.mask.load(Ordering::Relaxed)) * std::mem::size_of::<Slot<F>>();
        #[cfg(target_arch = "x86_64")]
        // SAFETY: a prefetch reads nothing and never faults, whatever the address.
        unsafe {
            use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
            _mm_prefetch::<_MM_HINT_T0>(slots.wrapping_add(offset).cast::<i8>());
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = (slots, offset);
    }

    /// Whether `fp` needs no new copy from node `claim` of `level`: seen at an earlier level, or
    /// claimed in this one by `claim` or a node before it.
    pub fn seen(&self, fp: F, level: u32, claim: u32) -> bool {
        self.shard(fp).get(fp).is_some_and(|e| e.level < level || e.claim <= claim)
    }

    /// Node `claim` (fingerprint `parent`) of `level` reached `fp`.
    pub fn claim(&self, fp: F, level: u32, claim: u32, parent: F) -> Claim {
        let mut shard = self.shard(fp);
        match shard.get_mut(fp) {
            None => {
                self.insert(&mut shard, fp, Entry { parent, level, claim });
                Claim::Kept
            }
            Some(e) if e.level == level && claim < e.claim => {
                *e = Entry { parent, level, claim };
                Claim::Kept
            }
            Some(_) => Claim::Seen,
        }
    }

    /// Whether node `claim`'s claim on `fp` stood once the level was expanded.
    pub fn won(&self, fp: F, claim: u32) -> bool {
        self.shard(fp).get(fp).is_some_and(|e| e.claim == claim)
    }

    /// Records an initial state (level 0, no parent); false if it was already there.
    pub fn insert_initial(&self, fp: F) -> bool {
        let mut shard = self.shard(fp);
        if shard.get(fp).is_some() {
            return false;
        }
        self.insert(&mut shard, fp, Entry { parent: F::default(), level: 0, claim: u32::MAX });
        true
    }

    /// The state `fp` was first reached from (`None` for an initial state).
    pub fn parent(&self, fp: F) -> Option<F> {
        let entry = *self.shard(fp).get(fp).expect("a visited state");
        (entry.level > 0).then_some(entry.parent)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_node_in_frontier_order_wins_whatever_the_order_of_claims() {
        let visited = Visited::<u64>::default();
        assert_eq!(visited.claim(7, 1, 5, 500), Claim::Kept);
        assert!(visited.seen(7, 1, 6), "a later node need not build it");
        assert!(!visited.seen(7, 1, 2), "an earlier node must build its own copy");
        assert_eq!(visited.claim(7, 1, 2, 200), Claim::Kept);
        assert_eq!(visited.claim(7, 1, 3, 300), Claim::Seen);
        assert!(visited.won(7, 2) && !visited.won(7, 5));
        assert_eq!(visited.parent(7), Some(200));
    }

    #[test]
    fn a_state_from_an_earlier_level_is_seen_by_everyone() {
        let visited = Visited::<u64>::default();
        visited.claim(9, 1, 5, 500);
        assert!(visited.seen(9, 2, 0));
        assert_eq!(visited.claim(9, 2, 0, 1), Claim::Seen);
        assert_eq!(visited.parent(9), Some(500));
    }

    #[test]
    fn initial_states_have_no_parent_and_count_once() {
        let visited = Visited::<u64>::default();
        assert!(visited.insert_initial(3));
        assert!(!visited.insert_initial(3));
        assert_eq!(visited.parent(3), None);
    }

    #[test]
    fn a_shard_finds_every_fingerprint_through_collisions_and_growth() {
        let mut shard = Shard::<u64>::default();
        assert!(shard.get(5).is_none(), "an empty shard has no slots yet");
        // Fingerprints alike in their low bits probe into each other's slots.
        let fps: Vec<u64> = (1..=1000).map(|i| i << 20).chain(1..=1000).collect();
        for (n, &fp) in fps.iter().enumerate() {
            shard.insert(fp, Entry { parent: fp + 1, level: 1, claim: n as u32 });
        }
        for (n, &fp) in fps.iter().enumerate() {
            let entry = shard.get(fp).expect("stored");
            assert_eq!((entry.parent, entry.claim), (fp + 1, n as u32));
        }
        assert!(shard.get(1 << 40).is_none() && shard.get(0).is_none());
        assert!(shard.len * 4 <= shard.slots.len() * 3);
    }
}
