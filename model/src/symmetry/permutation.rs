//! One element of the symmetry group: a broker permutation π and a producer permutation σ, applied
//! together. The controller candidates, the operator and the coordinator are never renamed. Actor ids follow `Address::id`:
//! the controller is actor 0, broker `b` is actor `b`, producer `p` is actor `brokers + p`, so π
//! and σ together are one role-preserving permutation of actor ids.

use crate::ids::{BrokerId, ProducerId};
use stateright::actor::Id;
use std::fmt;

/// A role-preserving renaming of brokers and producers.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Permutation {
    /// `brokers[i]` is the image of broker `i + 1`.
    brokers: Vec<BrokerId>,
    /// `producers[i]` is the image of producer `i + 1`.
    producers: Vec<ProducerId>,
}

/// Whether `images` (1-based ids) is a permutation of `1..=images.len()`.
fn is_bijection(images: impl ExactSizeIterator<Item = usize>) -> bool {
    let n = images.len();
    let mut seen = vec![false; n];
    for image in images {
        match image.checked_sub(1).and_then(|i| seen.get_mut(i)) {
            Some(slot) if !*slot => *slot = true,
            _ => return false,
        }
    }
    true
}

impl Permutation {
    /// The identity on `brokers` brokers and `producers` producers.
    pub fn identity(brokers: u8, producers: u8) -> Self {
        Permutation {
            brokers: (1..=brokers).map(BrokerId).collect(),
            producers: (1..=u32::from(producers)).map(ProducerId).collect(),
        }
    }

    /// The permutation sending broker `i + 1` to `brokers[i]` and producer `i + 1` to
    /// `producers[i]`; `None` unless both are bijections of `1..=n`.
    pub fn new(brokers: Vec<BrokerId>, producers: Vec<ProducerId>) -> Option<Self> {
        let ok = is_bijection(brokers.iter().map(|b| usize::from(b.0)))
            && is_bijection(producers.iter().map(|p| p.0 as usize));
        ok.then_some(Permutation { brokers, producers })
    }

    /// How many brokers it permutes.
    pub fn broker_count(&self) -> u8 {
        self.brokers.len() as u8
    }

    /// How many producers it permutes.
    pub fn producer_count(&self) -> u8 {
        self.producers.len() as u8
    }

    /// π(b). Ids outside `1..=brokers` (none occur in a valid state) are left alone.
    pub fn broker(&self, b: BrokerId) -> BrokerId {
        usize::from(b.0).checked_sub(1).and_then(|i| self.brokers.get(i)).copied().unwrap_or(b)
    }

    /// σ(p). Ids outside `1..=producers` are left alone.
    pub fn producer(&self, p: ProducerId) -> ProducerId {
        (p.0 as usize).checked_sub(1).and_then(|i| self.producers.get(i)).copied().unwrap_or(p)
    }

    /// The image of actor index `i` (controller 0, brokers 1..=n, producers after). Indices past
    /// the last producer are left alone.
    pub fn actor_index(&self, i: usize) -> usize {
        let brokers = self.brokers.len();
        match i {
            0 => 0,
            i if i <= brokers => self.broker(BrokerId(i as u8)).actor_index(),
            i if i - brokers <= self.producers.len() => {
                brokers + self.producer(ProducerId((i - brokers) as u32)).0 as usize
            }
            i => i,
        }
    }

    /// The image of a stateright actor id.
    pub fn actor(&self, id: Id) -> Id {
        Id::from(self.actor_index(usize::from(id)))
    }

    /// π⁻¹ and σ⁻¹.
    pub fn inverse(&self) -> Self {
        let mut brokers = self.brokers.clone();
        for (i, image) in self.brokers.iter().enumerate() {
            brokers[usize::from(image.0) - 1] = BrokerId(i as u8 + 1);
        }
        let mut producers = self.producers.clone();
        for (i, image) in self.producers.iter().enumerate() {
            producers[image.0 as usize - 1] = ProducerId(i as u32 + 1);
        }
        Permutation { brokers, producers }
    }

    /// `self` first, then `next`: x ↦ next(self(x)). Renaming by `a.then(&b)` is renaming by `a`,
    /// then by `b`.
    pub fn then(&self, next: &Permutation) -> Self {
        assert_eq!(
            (self.brokers.len(), self.producers.len()),
            (next.brokers.len(), next.producers.len()),
            "permutations of different clusters"
        );
        Permutation {
            brokers: self.brokers.iter().map(|b| next.broker(*b)).collect(),
            producers: self.producers.iter().map(|p| next.producer(*p)).collect(),
        }
    }

    pub fn is_identity(&self) -> bool {
        self.brokers.iter().zip(1..).all(|(b, i)| b.0 == i) && self.producers.iter().zip(1..).all(|(p, i)| p.0 == i)
    }
}

/// Writes the non-trivial cycles of `images` (1-based) with a role prefix, e.g. `(b4 b5)`.
fn write_cycles(f: &mut fmt::Formatter<'_>, prefix: &str, images: &[usize]) -> fmt::Result {
    let mut done = vec![false; images.len()];
    for start in 0..images.len() {
        if done[start] || images[start] == start + 1 {
            continue;
        }
        write!(f, "(")?;
        let mut i = start;
        let mut first = true;
        while !done[i] {
            done[i] = true;
            write!(f, "{}{prefix}{}", if first { "" } else { " " }, i + 1)?;
            first = false;
            i = images[i] - 1;
        }
        write!(f, ")")?;
    }
    Ok(())
}

impl fmt::Display for Permutation {
    /// Cycle notation over broker (`b`) and producer (`p`) ids, e.g. `(b4 b5)(p1 p2)`;
    /// `identity` for the identity.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_identity() {
            return write!(f, "identity");
        }
        write_cycles(f, "b", &self.brokers.iter().map(|b| usize::from(b.0)).collect::<Vec<_>>())?;
        write_cycles(f, "p", &self.producers.iter().map(|p| p.0 as usize).collect::<Vec<_>>())
    }
}
