//! `consistent-read` (ConsistentRead): a record a consumer could read (below some replica's high
//! watermark) never changes or disappears: it is in the current leader's log, at its offset.

use crate::view::View;

pub const DESCRIPTION: &str =
    "A record readable below a high watermark never changes or disappears (TLA+ ConsistentRead).";

pub fn violation(view: &View<'_>) -> Option<String> {
    for p in view.cfg.partition_ids() {
        let Some((leader, leader_state, _)) = view.current_leader(p) else { continue };
        let leader_log = &leader_state.disk.replica(p).log;
        for (b, broker) in view.brokers() {
            let disk = broker.disk.replica(p);
            let readable = disk.high_watermark.min(disk.log.end_offset());
            if disk.log.common_prefix(leader_log) < readable {
                return Some(format!(
                    "broker {b} exposed records of partition {p} up to its high watermark {readable} that leader broker \
                     {leader} does not have: {} vs the leader's {leader_log}",
                    disk.log
                ));
            }
        }
    }
    None
}
