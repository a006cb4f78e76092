//! `no-duplicates`: with idempotence (KIP-98), a record appears at most once in any log.

use crate::log::Record;
use crate::view::View;
use std::collections::HashSet;

pub const DESCRIPTION: &str = "No log holds the same record (producer id, sequence) twice (idempotent producer).";

/// Logs up to this long are scanned pair by pair: every log the checker makes is, and for them
/// that costs less than building a set.
const PAIRWISE_UP_TO: usize = 32;

pub fn violation(view: &View<'_>) -> Option<String> {
    for (b, broker) in view.brokers() {
        for p in view.cfg.partition_ids() {
            let log = &broker.disk.replica(p).log;
            if let Some(r) = first_repeat(&log.records) {
                return Some(format!("broker {b} holds {}#{} twice in partition {p}: {log}", r.producer, r.sequence));
            }
        }
    }
    None
}

/// The first record of `records` with the (producer, sequence) of one before it. A longer log
/// (`kelp simulate`'s walks go thousands of records deep) goes through a set, so that judging a
/// state stays linear in its logs rather than quadratic.
fn first_repeat(records: &[Record]) -> Option<&Record> {
    if records.len() <= PAIRWISE_UP_TO {
        return records.iter().enumerate().find(|(i, r)| records[..*i].iter().any(|e| e.same_value(r))).map(|(_, r)| r);
    }
    let mut seen = HashSet::with_capacity(records.len());
    records.iter().find(|r| !seen.insert((r.producer, r.sequence)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{LeaderEpoch, ProducerId, Sequence};

    fn records(sequences: impl IntoIterator<Item = u32>) -> Vec<Record> {
        sequences.into_iter().map(|s| Record::new(LeaderEpoch(1), ProducerId(1), Sequence(s))).collect()
    }

    #[test]
    fn short_and_long_logs_find_the_same_first_repeat() {
        for len in [0, 1, 5, PAIRWISE_UP_TO, PAIRWISE_UP_TO + 1, 500] {
            let len = len as u32;
            assert_eq!(first_repeat(&records(0..len)), None, "{len} distinct records");
            for (first, again) in [(0, len / 2), (len / 3, len.saturating_sub(1))] {
                if again <= first {
                    continue;
                }
                let mut log = records(0..len);
                log[again as usize] = log[first as usize].clone();
                let found = first_repeat(&log).map(|r| r.sequence);
                assert_eq!(found, Some(Sequence(first)), "{len} records, #{first} again at {again}");
            }
        }
    }
}
