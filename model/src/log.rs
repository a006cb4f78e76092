//! A replica's log: records stamped with the leader epoch they were written in, and the leader
//! epoch cache (Kafka's `LeaderEpochFileCache`, KIP-101) that maps each epoch to its start offset.
//! Pure data and lookups; who may append or truncate is decided by the broker's rules.

use crate::ids::{LeaderEpoch, Offset, ProducerId, Sequence};
use serde::{Deserialize, Serialize};
use std::fmt;

/// A record's payload: a line a `kelp produce` user typed. Always empty in the checker, where the
/// producer's (id, sequence) alone identifies a record; the producer's handlers never look at it.
#[derive(Clone, Default, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Value(pub Box<[u8]>);

/// Byte equality, with empty values (every value in the checker) told equal without a call to
/// `memcmp`: the properties compare logs record by record in every state the checker keeps, and
/// remembered handler results are found by comparing states and messages. `kelp check healthy`
/// at 1 thread, 6 interleaved pairs of runs: 31.1 s -> 28.2 s on average.
impl PartialEq for Value {
    fn eq(&self, other: &Self) -> bool {
        self.0.len() == other.0.len() && (self.0.is_empty() || self.0 == other.0)
    }
}

/// The bytes' hash, as derived: equal values (equal bytes) hash alike.
impl std::hash::Hash for Value {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.hash(state);
    }
}

impl Value {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<&str> for Value {
    fn from(text: &str) -> Self {
        Value(text.as_bytes().into())
    }
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(&self.0))
    }
}

/// One record: the producer's (id, sequence) identifies its value; `epoch` is the leader epoch of
/// the leader that appended it (KIP-101 stamps every batch with it).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Record {
    pub epoch: LeaderEpoch,
    pub producer: ProducerId,
    pub sequence: Sequence,
    pub value: Value,
}

impl Record {
    /// A record without payload (as every record in the checker is).
    pub fn new(epoch: LeaderEpoch, producer: ProducerId, sequence: Sequence) -> Self {
        Record { epoch, producer, sequence, value: Value::default() }
    }

    /// The same value regardless of the epoch it was written in.
    pub fn same_value(&self, other: &Record) -> bool {
        self.producer == other.producer && self.sequence == other.sequence
    }
}

impl fmt::Display for Record {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}#{}@e{}", self.producer, self.sequence, self.epoch)
    }
}

/// An entry of the leader epoch cache: `epoch` began at `start_offset`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct EpochEntry {
    pub epoch: LeaderEpoch,
    pub start_offset: Offset,
}

/// The answer to "where does epoch E end in your log?" (`OffsetsForLeaderEpoch`, and the
/// `DivergingEpoch` of a fetch response): the largest epoch known that is <= E, and its end offset.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct EpochEnd {
    pub epoch: LeaderEpoch,
    pub end_offset: Offset,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ReplicaLog {
    pub records: Vec<Record>,
    pub epochs: Vec<EpochEntry>,
}

impl ReplicaLog {
    /// Log end offset.
    pub fn end_offset(&self) -> Offset {
        Offset::of_len(self.records.len())
    }

    pub fn get(&self, offset: Offset) -> Option<&Record> {
        self.records.get(offset.index())
    }

    /// Records from `from` to the end (what a fetch at `from` returns).
    pub fn records_from(&self, from: Offset) -> &[Record] {
        self.records.get(from.index()..).unwrap_or(&[])
    }

    /// The latest epoch in the epoch cache (the `last_fetched_epoch` a follower sends).
    pub fn latest_epoch(&self) -> Option<LeaderEpoch> {
        self.epochs.last().map(|e| e.epoch)
    }

    /// The start offset of `epoch` in the cache, if that epoch is known.
    pub fn epoch_start(&self, epoch: LeaderEpoch) -> Option<Offset> {
        self.epochs.iter().find(|e| e.epoch == epoch).map(|e| e.start_offset)
    }

    /// `LeaderEpochFileCache.assign`: a new epoch begins at `start_offset`. Entries that would make
    /// the cache non-monotonic (same or later epoch, same or later start) are dropped first.
    pub fn assign_epoch(&mut self, epoch: LeaderEpoch, start_offset: Offset) {
        if self.latest_epoch() == Some(epoch) {
            return;
        }
        self.epochs.retain(|e| e.epoch < epoch && e.start_offset < start_offset);
        self.epochs.push(EpochEntry { epoch, start_offset });
    }

    /// Appends one record, opening its epoch in the cache when it is new (followers learn epochs
    /// from the records they fetch).
    pub fn append(&mut self, record: Record) {
        let at = self.end_offset();
        if self.latest_epoch().is_none_or(|latest| record.epoch > latest) {
            self.assign_epoch(record.epoch, at);
        }
        self.records.push(record);
    }

    /// Removes every record at or after `end`, and the cache entries that start there
    /// (`LeaderEpochFileCache.truncateFromEnd`). Truncating past the end is a no-op.
    pub fn truncate_to(&mut self, end: Offset) {
        if end.index() < self.records.len() {
            self.records.truncate(end.index());
        }
        self.epochs.retain(|e| e.start_offset < end);
    }

    /// KIP-279 lookup (`LeaderEpochFileCache.endOffsetFor`): the largest known epoch <= `requested`
    /// and where it ends: the start of the next epoch, or the log end for the latest epoch.
    /// `None` when every known epoch is larger than `requested` (Kafka: UNDEFINED_EPOCH).
    pub fn end_for_epoch(&self, requested: LeaderEpoch) -> Option<EpochEnd> {
        let i = self.epochs.iter().rposition(|e| e.epoch <= requested)?;
        let end_offset = self.epochs.get(i + 1).map_or(self.end_offset(), |next| next.start_offset);
        Some(EpochEnd { epoch: self.epochs[i].epoch, end_offset })
    }

    /// KIP-101 as first shipped (Kafka 0.11, fixed by KIP-279): the latest epoch ends at the log
    /// end; any other requested epoch ends where the first larger known epoch starts, whether or
    /// not the requested epoch itself is known. `None` (UNDEFINED_EPOCH_OFFSET) when no larger
    /// epoch is known, or when the requested one is older than every known epoch (0.11's upgrade
    /// rule: the follower then falls back to its high watermark).
    pub fn end_for_epoch_pre_kip279(&self, requested: LeaderEpoch) -> Option<Offset> {
        if self.latest_epoch() == Some(requested) {
            return Some(self.end_offset());
        }
        if self.epochs.first().is_some_and(|first| requested < first.epoch) {
            return None;
        }
        self.epochs.iter().find(|e| e.epoch > requested).map(|e| e.start_offset)
    }

    /// Length of the common prefix of two logs (same value and epoch at each offset).
    pub fn common_prefix(&self, other: &ReplicaLog) -> Offset {
        let n = self.records.iter().zip(&other.records).take_while(|(a, b)| a == b).count();
        Offset::of_len(n)
    }
}

impl fmt::Display for ReplicaLog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[")?;
        for (i, r) in self.records.iter().enumerate() {
            if i > 0 {
                write!(f, " ")?;
            }
            write!(f, "{r}")?;
        }
        write!(f, "]")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn values_are_equal_exactly_when_their_bytes_are(
            a in proptest::collection::vec(0u8..3, 0..3),
            b in proptest::collection::vec(0u8..3, 0..3),
        ) {
            let (x, y) = (Value(a.clone().into()), Value(b.clone().into()));
            prop_assert_eq!(x == y, a == b);
            prop_assert_eq!(x == y, x.cmp(&y) == std::cmp::Ordering::Equal);
        }
    }

    fn rec(epoch: u32, seq: u32) -> Record {
        Record::new(LeaderEpoch(epoch), ProducerId(1), Sequence(seq))
    }

    fn log_of(epochs: &[u32]) -> ReplicaLog {
        let mut log = ReplicaLog::default();
        for (i, e) in epochs.iter().enumerate() {
            log.append(rec(*e, i as u32));
        }
        log
    }

    #[test]
    fn append_opens_epochs_from_records() {
        let log = log_of(&[1, 1, 3]);
        assert_eq!(
            log.epochs,
            vec![
                EpochEntry { epoch: LeaderEpoch(1), start_offset: Offset(0) },
                EpochEntry { epoch: LeaderEpoch(3), start_offset: Offset(2) },
            ]
        );
    }

    #[test]
    fn end_for_epoch_returns_largest_epoch_not_above_the_request() {
        let log = log_of(&[1, 1, 3]);
        assert_eq!(log.end_for_epoch(LeaderEpoch(2)), Some(EpochEnd { epoch: LeaderEpoch(1), end_offset: Offset(2) }));
        assert_eq!(log.end_for_epoch(LeaderEpoch(3)), Some(EpochEnd { epoch: LeaderEpoch(3), end_offset: Offset(3) }));
        assert_eq!(log.end_for_epoch(LeaderEpoch(0)), None);
    }

    #[test]
    fn pre_kip279_lookup_answers_the_next_epoch_start_for_an_unknown_epoch() {
        let log = log_of(&[1, 1, 3]);
        assert_eq!(log.end_for_epoch_pre_kip279(LeaderEpoch(2)), Some(Offset(2)));
        assert_eq!(log.end_for_epoch_pre_kip279(LeaderEpoch(3)), Some(Offset(3)));
        assert_eq!(log.end_for_epoch_pre_kip279(LeaderEpoch(4)), None);
        // Older than every known epoch: UNDEFINED, as 0.11 answered during an upgrade.
        assert_eq!(log_of(&[2, 3]).end_for_epoch_pre_kip279(LeaderEpoch(1)), None);
    }

    #[test]
    fn truncation_drops_records_and_epochs_that_start_at_or_after_the_point() {
        let mut log = log_of(&[1, 1, 3]);
        log.truncate_to(Offset(2));
        assert_eq!(log.end_offset(), Offset(2));
        assert_eq!(log.latest_epoch(), Some(LeaderEpoch(1)));
    }

    #[test]
    fn assign_replaces_an_empty_epoch_at_the_same_offset() {
        let mut log = log_of(&[1]);
        log.assign_epoch(LeaderEpoch(2), Offset(1));
        log.assign_epoch(LeaderEpoch(3), Offset(1));
        assert_eq!(log.epochs.len(), 2);
        assert_eq!(log.end_for_epoch(LeaderEpoch(2)), Some(EpochEnd { epoch: LeaderEpoch(1), end_offset: Offset(1) }));
    }
}
