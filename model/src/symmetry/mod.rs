//! Symmetry reduction: states that differ only by a renaming of actors the configuration cannot
//! tell apart behave alike, so a checker need only keep one state of each such orbit. The checker
//! deduplicates states by the fingerprint of `Symmetry::representative(state)`.
//!
//! * `permutation.rs`: `Permutation`, one group element: a broker permutation π with a producer
//!   permutation σ, acting on actor ids by role (the controller is fixed).
//! * `group.rs`: `Symmetry::of`, which brokers and producers a `Config` cannot tell apart, and the
//!   group they generate (an explicit list, identity first).
//! * `rename/`: the `Rename` trait, applying a permutation to every model type that names a
//!   broker, a producer or an actor, up to the whole `SystemState`: ids, containers and logs in
//!   `mod.rs`, then one file each for messages, the broker, the controller, the producer and the
//!   system.
//! * `tests.rs`: the groups of known configurations, and on states reached by the model: renaming
//!   is invertible, commutes with the model's transitions, keeps every property's verdict, and
//!   `representative` is one per orbit.
//!
//! Why brokers are rarely interchangeable: a partition's assignment is an ordered list. Kafka's
//! controller elects the first live ISR (or ELR) replica *in assignment order*
//! (`PartitionChangeBuilder.electLeader`), and the first replica is the preferred leader, so even
//! a renaming that maps the assignment to itself as a set (swapping 2 and 3 in `[1,2,3]`) yields
//! another ordered list: `[1,3,2]`, whose elections go elsewhere. The assignment travels in the
//! state (every partition record carries `replicas`), so such a renaming still commutes with the
//! model's steps, but the states it produces belong to an assignment the configuration never has:
//! it maps no reachable state to a reachable one and would only cost time. The group therefore
//! fixes every broker that appears in some assignment; only brokers outside every assignment
//! (spares, with more brokers than the partitions' replicas cover) are interchangeable. Producers,
//! all configured alike, are.
//!
//! Soundness rests on the model being equivariant under the group: a step from `s` to `t` is also
//! a step from `g(s)` to `g(t)`, the fault-budget boundary and every property agree on `s` and
//! `g(s)`. The initial state need not be fixed by the group (broker epochs start equal to broker
//! ids): the reduced search reaches exactly the orbits of the states the full search reaches.

mod group;
mod permutation;
mod rename;
#[cfg(test)]
mod tests;

pub use permutation::Permutation;
pub use rename::Rename;

use crate::ids::{BrokerId, ProducerId};
use crate::system::SystemState;
use std::borrow::Cow;

/// The symmetry group of a configuration: every `Permutation` that maps the configuration to
/// itself, identity first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Symmetry {
    /// Classes of two or more interchangeable brokers, each in id order.
    broker_classes: Vec<Vec<BrokerId>>,
    /// Classes of two or more interchangeable producers, each in id order.
    producer_classes: Vec<Vec<ProducerId>>,
    elements: Vec<Permutation>,
}

/// A state's key among the states of its orbit: a fixed-seed hash, the same in every run and
/// every thread (stateright's own `Hash` of a state is stable: its hash sets hash in sorted order).
pub fn stable_key(state: &SystemState) -> u64 {
    ahash::RandomState::with_seeds(0x73796d6d, 0x65747279, 0x6b656c70, 0x6f726269).hash_one(state)
}

impl Symmetry {
    /// The group's elements, the identity first.
    pub fn elements(&self) -> &[Permutation] {
        &self.elements
    }

    /// The classes of two or more interchangeable brokers.
    pub fn broker_classes(&self) -> &[Vec<BrokerId>] {
        &self.broker_classes
    }

    /// The classes of two or more interchangeable producers.
    pub fn producer_classes(&self) -> &[Vec<ProducerId>] {
        &self.producer_classes
    }

    /// Only the identity: `representative` is the state itself.
    pub fn is_trivial(&self) -> bool {
        self.elements.len() == 1
    }

    /// The number of group elements (the most states one orbit can hold).
    pub fn order(&self) -> usize {
        self.elements.len()
    }

    /// The element of `state`'s orbit with the smallest `stable_key`: equal for every state of one
    /// orbit (barring a collision of 64-bit keys within an orbit, which costs reduction, never
    /// soundness: the result is always a renaming of `state`). Borrowed when the group is trivial
    /// or `state` is its own representative. Costs one renaming and one hash per group element.
    pub fn representative<'a>(&self, state: &'a SystemState) -> Cow<'a, SystemState> {
        if self.is_trivial() {
            return Cow::Borrowed(state);
        }
        let mut best_key = stable_key(state);
        let mut best = None;
        for g in &self.elements[1..] {
            let renamed = state.rename(g);
            let key = stable_key(&renamed);
            if key < best_key {
                best_key = key;
                best = Some(renamed);
            }
        }
        best.map_or(Cow::Borrowed(state), Cow::Owned)
    }
}
