//! A small ordered set of broker ids (ISR, ELR, fenced brokers), stored as a bit set so that states
//! hash and compare fast. Iteration is in broker-id order.

use crate::ids::BrokerId;
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(from = "Vec<BrokerId>", into = "Vec<BrokerId>")]
pub struct BrokerSet(u16);

impl BrokerSet {
    pub const EMPTY: BrokerSet = BrokerSet(0);

    pub fn of(brokers: impl IntoIterator<Item = BrokerId>) -> Self {
        brokers.into_iter().fold(Self::EMPTY, |set, b| set.with(b))
    }
    pub fn contains(self, b: BrokerId) -> bool {
        self.0 & (1 << b.0) != 0
    }
    pub fn with(self, b: BrokerId) -> Self {
        BrokerSet(self.0 | (1 << b.0))
    }
    pub fn without(self, b: BrokerId) -> Self {
        BrokerSet(self.0 & !(1 << b.0))
    }
    pub fn union(self, other: BrokerSet) -> Self {
        BrokerSet(self.0 | other.0)
    }
    pub fn minus(self, other: BrokerSet) -> Self {
        BrokerSet(self.0 & !other.0)
    }
    pub fn len(self) -> usize {
        self.0.count_ones() as usize
    }
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
    pub fn iter(self) -> impl Iterator<Item = BrokerId> {
        (0..16u8).filter(move |i| self.0 & (1 << i) != 0).map(BrokerId)
    }
}

impl From<Vec<BrokerId>> for BrokerSet {
    fn from(v: Vec<BrokerId>) -> Self {
        BrokerSet::of(v)
    }
}

impl From<BrokerSet> for Vec<BrokerId> {
    fn from(s: BrokerSet) -> Self {
        s.iter().collect()
    }
}

impl fmt::Display for BrokerSet {
    /// Kafka's comma-separated form: `2,3`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ids: Vec<String> = self.iter().map(|b| b.to_string()).collect();
        write!(f, "{}", ids.join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_operations_and_kafka_display() {
        let s = BrokerSet::of([BrokerId(3), BrokerId(1)]);
        assert!(s.contains(BrokerId(1)) && !s.contains(BrokerId(2)));
        assert_eq!(s.with(BrokerId(2)).to_string(), "1,2,3");
        assert_eq!(s.without(BrokerId(1)).to_string(), "3");
        assert_eq!(s.len(), 2);
        assert_eq!(BrokerSet::EMPTY.to_string(), "");
    }
}
