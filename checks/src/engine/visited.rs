//! The visited set of the parallel BFS: every state seen, by fingerprint, with the state it was
//! first reached from. Sharded behind mutexes so that the threads expanding a level record new
//! states as they find them, and deterministic whatever the threads' timing: within a level, a
//! state is *claimed* by each frontier node that reaches it, and the node first in frontier order
//! wins (its index is the smallest), exactly as a one-thread BFS would have it. Only the winner's
//! copy of the state goes on to the next frontier; the others are dropped at once.

use super::fingerprint::Fingerprint;
use std::collections::HashMap;
use std::hash::BuildHasherDefault;
use std::sync::Mutex;

/// Fingerprints are already uniform hashes: the maps use them as they are.
#[derive(Default)]
pub struct IdentityHasher(u64);

impl std::hash::Hasher for IdentityHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, _: &[u8]) {
        unreachable!("only fingerprints are hashed")
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
    fn write_u128(&mut self, n: u128) {
        self.0 = n as u64;
    }
}

/// A visited state: the depth it was found at, and within that level the frontier node whose
/// claim stands (its index) and that node's fingerprint (the parent).
#[derive(Clone, Copy)]
struct Entry<F> {
    parent: F,
    level: u32,
    claim: u32,
}

type Shard<F> = HashMap<F, Entry<F>, BuildHasherDefault<IdentityHasher>>;

const SHARDS: usize = 256;

pub struct Visited<F> {
    shards: Vec<Mutex<Shard<F>>>,
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
        Visited { shards: (0..SHARDS).map(|_| Mutex::new(Shard::default())).collect() }
    }
}

impl<F: Fingerprint> Visited<F> {
    fn shard(&self, fp: F) -> std::sync::MutexGuard<'_, Shard<F>> {
        // The maps place keys by their low bits and tell them apart in a probe by their top seven
        // (hashbrown): the shards split by bits that neither of those uses.
        self.shards[((fp.low64() >> 32) as usize) % SHARDS].lock().expect("no thread panics holding a shard")
    }

    /// Whether `fp` needs no new copy from node `claim` of `level`: seen at an earlier level, or
    /// claimed in this one by `claim` or a node before it.
    pub fn seen(&self, fp: F, level: u32, claim: u32) -> bool {
        self.shard(fp).get(&fp).is_some_and(|e| e.level < level || e.claim <= claim)
    }

    /// Node `claim` (fingerprint `parent`) of `level` reached `fp`.
    pub fn claim(&self, fp: F, level: u32, claim: u32, parent: F) -> Claim {
        let mut shard = self.shard(fp);
        match shard.get_mut(&fp) {
            None => {
                shard.insert(fp, Entry { parent, level, claim });
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
        self.shard(fp).get(&fp).is_some_and(|e| e.claim == claim)
    }

    /// Records an initial state (level 0, no parent); false if it was already there.
    pub fn insert_initial(&self, fp: F) -> bool {
        let mut shard = self.shard(fp);
        if shard.contains_key(&fp) {
            return false;
        }
        shard.insert(fp, Entry { parent: F::default(), level: 0, claim: u32::MAX });
        true
    }

    /// The state `fp` was first reached from (`None` for an initial state).
    pub fn parent(&self, fp: F) -> Option<F> {
        let entry = *self.shard(fp).get(&fp).expect("a visited state");
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
}
