//! `no-acked-loss` (LeaderCompleteness / NoCommittedRecordLostGlobally in the TLA+ specs): a record
//! acknowledged to its producer is in the log of every later leader, at its offset. Kafka promises
//! it for acks=all with min.insync.replicas >= 2 and clean elections.

use crate::log::Record;
use crate::view::View;

pub const DESCRIPTION: &str =
    "An acknowledged record is in the log of every later leader at its offset (TLA+ NoCommittedRecordLostGlobally).";

pub fn violation(view: &View<'_>) -> Option<String> {
    for (producer, state) in view.producers() {
        for (sequence, p, offset) in state.acked() {
            let Some((leader, broker, epoch)) = view.current_leader(p) else { continue };
            let log = &broker.disk.replica(p).log;
            let found = log.get(offset);
            let expected = |r: &Record| r.producer == producer && r.sequence == sequence;
            if !found.is_some_and(expected) {
                let now = found.map_or_else(|| "nothing".to_string(), |r| r.to_string());
                return Some(format!(
                    "record {producer}#{sequence} was acknowledged at offset {offset} of partition {p}, but leader \
                     broker {leader} (leader epoch {epoch}) has {now} there: its log is {log}"
                ));
            }
        }
    }
    None
}
