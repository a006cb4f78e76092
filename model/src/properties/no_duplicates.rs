//! `no-duplicates`: with idempotence (KIP-98), a record appears at most once in any log.

use crate::view::View;

pub const DESCRIPTION: &str = "No log holds the same record (producer id, sequence) twice (idempotent producer).";

pub fn violation(view: &View<'_>) -> Option<String> {
    for (b, broker) in view.brokers() {
        for p in view.cfg.partition_ids() {
            let log = &broker.disk.replica(p).log;
            for (i, r) in log.records.iter().enumerate() {
                if log.records[..i].iter().any(|earlier| earlier.same_value(r)) {
                    return Some(format!(
                        "broker {b} holds {}#{} twice in partition {p}: {log}",
                        r.producer, r.sequence
                    ));
                }
            }
        }
    }
    None
}
