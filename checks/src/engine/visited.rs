//! The visited set of the parallel BFS: every state seen, by fingerprint, with the state it was
//! first reached from. Sharded, each shard's writers behind a mutex and its readers without one,
//! so that the threads expanding a level record new states as they find them and look states up
//! without waiting; deterministic whatever the threads' timing: within a level, a state is
//! *claimed* by each frontier node that reaches it, and the node first in frontier order wins
//! (its index is the smallest), exactly as a one-thread BFS would have it. Only the winner's copy
//! of the state goes on to the next frontier; the others are dropped at once.
//!
//! Every successor the search generates is looked up here, and the set is far larger than the
//! caches: a shard is one open-addressed array of entries, fingerprint and entry side by side, so
//! a lookup costs one cache miss where a general hash map (control bytes, then the bucket) costs two.

use super::fingerprint::Fingerprint;
use std::sync::atomic::{AtomicPtr, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// A visited state's mark: the depth it was found at (`level`) and, within that level, the
/// frontier node whose claim stands (its index). Zero is an empty slot: an initial state's claim
/// is `u32::MAX`, a successor's level is at least 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Mark {
    level: u32,
    claim: u32,
}

impl Mark {
    fn pack(self) -> u64 {
        u64::from(self.level) << 32 | u64::from(self.claim)
    }

    fn unpack(word: u64) -> Option<Mark> {
        (word != 0).then_some(Mark { level: (word >> 32) as u32, claim: word as u32 })
    }
}

/// A slot of a table: a fingerprint, its mark and the fingerprint of the state it was reached
/// from (the claiming node). The mark is written last (release) and read first (acquire), so a
/// thread that finds a slot marked finds its fingerprint written; a slot's fingerprint never
/// changes once marked.
#[derive(Default)]
struct Slot<F: Fingerprint> {
    mark: AtomicU64,
    fp: F::Atomic,
    parent: F::Atomic,
}

/// An open-addressed array (linear probing, at most three quarters full) placed by the
/// fingerprints' low bits.
struct Table<F: Fingerprint> {
    slots: Box<[Slot<F>]>,
}

impl<F: Fingerprint> Table<F> {
    fn new(size: usize) -> Self {
        Table { slots: (0..size).map(|_| Slot::default()).collect() }
    }

    fn mask(&self) -> usize {
        self.slots.len() - 1
    }

    /// The slot holding `fp` and its mark, or the empty slot where `fp` would go and `None`.
    fn find(&self, fp: F) -> (&Slot<F>, Option<Mark>) {
        let mut i = fp.low64() as usize & self.mask();
        loop {
            let slot = &self.slots[i];
            let mark = Mark::unpack(slot.mark.load(Ordering::Acquire));
            if mark.is_none() || F::load(&slot.fp) == fp {
                return (slot, mark);
            }
            i = (i + 1) & self.mask();
        }
    }

    fn get(&self, fp: F) -> Option<Mark> {
        self.find(fp).1
    }

    /// Fills the empty `slot` (or overwrites the claim of the marked one) with `fp`'s entry.
    fn set(slot: &Slot<F>, fp: F, mark: Mark, parent: F) {
        F::store(&slot.fp, fp);
        F::store(&slot.parent, parent);
        slot.mark.store(mark.pack(), Ordering::Release);
    }
}

/// What only the thread holding a shard's lock touches: the table it writes, its count of
/// entries, and the tables it outgrew, kept until no reader can be in them any more. (Tables are
/// held in `Arc`s for their plain pointers, which readers use while the writer holds them; no
/// reader counts on them.)
struct Writer<F: Fingerprint> {
    table: Arc<Table<F>>,
    len: usize,
    outgrown: Vec<Arc<Table<F>>>,
}

/// One shard, alone on its cache lines, its lock on lines of their own: every claim writes the
/// lock, and a lookup that found the table's address on a line just written would wait for it
/// to come back from the claiming core.
#[repr(align(128))]
struct Shard<F: Fingerprint> {
    /// The writer's current table, for readers: they take no lock. Written only when it grows.
    table: AtomicPtr<Table<F>>,
    writer: Apart<Mutex<Writer<F>>>,
}

/// A value on cache lines of its own (128 bytes: a pair of lines, which some processors fetch
/// together).
#[repr(align(128))]
struct Apart<T>(T);

impl<F: Fingerprint> Shard<F> {
    fn new() -> Self {
        let table = Arc::new(Table::new(64));
        let current = AtomicPtr::new(Arc::as_ptr(&table).cast_mut());
        Shard { table: current, writer: Apart(Mutex::new(Writer { table, len: 0, outgrown: Vec::new() })) }
    }

    /// The table readers look in: the writer's current one, or one it has outgrown since, whose
    /// entries are all still true (at worst it lacks the latest claims and states).
    fn table(&self) -> &Table<F> {
        // SAFETY: the pointer is to the writer's current table, or was, in which case the table
        // is in `outgrown`: tables are freed only by `Visited::forget_outgrown`, which takes
        // the set by `&mut` and so waits for every borrow of the shard, like this one, to end.
        unsafe { &*self.table.load(Ordering::Acquire) }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Writer<F>> {
        self.writer.0.lock().expect("no thread panics holding a shard")
    }

    /// Stores `fp`, which is not stored yet (`writer` is this shard's, locked), doubling the
    /// table when it is three quarters full.
    fn insert(&self, writer: &mut Writer<F>, fp: F, mark: Mark, parent: F) {
        if (writer.len + 1) * 4 > writer.table.slots.len() * 3 {
            let grown = Arc::new(Table::new(writer.table.slots.len() * 2));
            for slot in writer.table.slots.iter() {
                if let Some(mark) = Mark::unpack(slot.mark.load(Ordering::Relaxed)) {
                    let fp = F::load(&slot.fp);
                    Table::set(grown.find(fp).0, fp, mark, F::load(&slot.parent));
                }
            }
            self.table.store(Arc::as_ptr(&grown).cast_mut(), Ordering::Release);
            let outgrown = std::mem::replace(&mut writer.table, grown);
            writer.outgrown.push(outgrown);
        }
        let (slot, found) = writer.table.find(fp);
        debug_assert!(found.is_none(), "{fp:?} is not stored yet");
        Table::set(slot, fp, mark, parent);
        writer.len += 1;
    }
}

const SHARDS: usize = 256;

/// The visited set. Lookups (`seen`, `won`) take no lock: they read the shard's table as the
/// threads holding its lock write it. Only a claim (a state not seen yet, or claimed by a later
/// node) locks its shard, so most lookups leave the shard's cache lines where they are.
pub struct Visited<F: Fingerprint> {
    shards: Box<[Shard<F>]>,
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
        Visited { shards: (0..SHARDS).map(|_| Shard::new()).collect() }
    }
}

impl<F: Fingerprint> Visited<F> {
    /// The shard of `fp`. A table places fingerprints by their low bits: the shards split by
    /// higher ones.
    fn shard(&self, fp: F) -> &Shard<F> {
        &self.shards[((fp.low64() >> 32) as usize) % SHARDS]
    }

    /// Asks the processor to start loading the slot where `fp` would be, for a lookup soon
    /// after: the set is much larger than the caches, and a search thread has other work to do
    /// meanwhile.
    pub fn prefetch(&self, fp: F) {
        let table = self.shard(fp).table();
        let slot: *const Slot<F> = &table.slots[fp.low64() as usize & table.mask()];
        #[cfg(target_arch = "x86_64")]
        // SAFETY: a prefetch reads nothing and never faults, whatever the address.
        unsafe {
            use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
            _mm_prefetch::<_MM_HINT_T0>(slot.cast::<i8>());
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = slot;
    }

    /// Whether `fp` needs no new copy from node `claim` of `level`: seen at an earlier level, or
    /// claimed in this one by `claim` or a node before it. Without a lock, the answer may be
    /// out of date while other nodes claim, but only ever towards "no" (a claim only ever moves
    /// to an earlier node, and a state once stored stays): at worst a copy is made for nothing,
    /// and `claim` turns it away.
    pub fn seen(&self, fp: F, level: u32, claim: u32) -> bool {
        self.shard(fp).table().get(fp).is_some_and(|m| m.level < level || m.claim <= claim)
    }

    /// Node `claim` (fingerprint `parent`) of `level` reached `fp`.
    pub fn claim(&self, fp: F, level: u32, claim: u32, parent: F) -> Claim {
        let shard = self.shard(fp);
        let mut writer = shard.lock();
        let mark = Mark { level, claim };
        match writer.table.find(fp) {
            (_, None) => {
                shard.insert(&mut writer, fp, mark, parent);
                Claim::Kept
            }
            (slot, Some(m)) if m.level == level && claim < m.claim => {
                Table::set(slot, fp, mark, parent);
                Claim::Kept
            }
            (_, Some(_)) => Claim::Seen,
        }
    }

    /// Whether node `claim`'s claim on `fp` stood once the level was expanded. Exact once the
    /// claims on `fp` are over, as they are when a chunk's expansion has ended.
    pub fn won(&self, fp: F, claim: u32) -> bool {
        self.shard(fp).table().get(fp).is_some_and(|m| m.claim == claim)
    }

    /// Frees the tables the shards have outgrown: the `&mut` proves no lookup is still in one.
    pub fn forget_outgrown(&mut self) {
        for shard in self.shards.iter_mut() {
            shard.writer.0.get_mut().expect("no thread panics holding a shard").outgrown.clear();
        }
    }

    /// Records an initial state (level 0, no parent); false if it was already there.
    pub fn insert_initial(&self, fp: F) -> bool {
        let shard = self.shard(fp);
        let mut writer = shard.lock();
        if writer.table.get(fp).is_some() {
            return false;
        }
        shard.insert(&mut writer, fp, Mark { level: 0, claim: u32::MAX }, F::default());
        true
    }

    /// The state `fp` was first reached from (`None` for an initial state).
    pub fn parent(&self, fp: F) -> Option<F> {
        let writer = self.shard(fp).lock();
        let (slot, mark) = writer.table.find(fp);
        (mark.expect("a visited state").level > 0).then(|| F::load(&slot.parent))
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
        let shard = Shard::<u64>::new();
        let first = shard.table();
        assert!(first.get(5).is_none());
        // Fingerprints alike in their low bits probe into each other's slots.
        let fps: Vec<u64> = (1..=1000).map(|i| i << 20).chain(1..=1000).collect();
        let mut writer = shard.lock();
        for (n, &fp) in fps.iter().enumerate() {
            shard.insert(&mut writer, fp, Mark { level: 1, claim: n as u32 }, fp + 1);
        }
        for (n, &fp) in fps.iter().enumerate() {
            let (slot, mark) = shard.table().find(fp);
            assert_eq!(mark, Some(Mark { level: 1, claim: n as u32 }));
            assert_eq!(u64::load(&slot.parent), fp + 1);
        }
        assert!(shard.table().get(1 << 40).is_none() && shard.table().get(0).is_none());
        assert!(writer.len * 4 <= writer.table.slots.len() * 3);
        assert!(!writer.outgrown.is_empty(), "the table grew");
        assert_eq!(first.get(1 << 20), Some(Mark { level: 1, claim: 0 }), "an outgrown table still answers");
    }

    #[test]
    fn lookups_without_the_lock_never_answer_seen_before_a_claim_that_says_so() {
        let visited = Visited::<u64>::default();
        let fps: Vec<u64> = (1..=20_000u64).map(|i| i.wrapping_mul(0x9e37_79b9_7f4a_7c15)).collect();
        std::thread::scope(|scope| {
            for claim in 1..=4u32 {
                let (visited, fps) = (&visited, &fps);
                scope.spawn(move || {
                    for &fp in fps {
                        // `seen` may be out of date, but only towards "not seen".
                        if visited.seen(fp, 1, claim) {
                            assert_eq!(visited.claim(fp, 1, claim, u64::from(claim)), Claim::Seen);
                        } else {
                            visited.claim(fp, 1, claim, u64::from(claim));
                        }
                    }
                });
            }
        });
        for &fp in &fps {
            assert!(visited.won(fp, 1), "the first node's claim stands");
            assert_eq!(visited.parent(fp), Some(1));
        }
    }
}
