//! `log-matching` (LogMatching in the TLA+ specs): every ISR member agrees with the leader on every
//! offset below both their high watermarks. This is where Kafka promises agreement: a replica out of
//! the ISR may hold a stale suffix (an acked record lost by a power loss leaves one on the replica
//! that still has it, until it follows the new leader and truncates), but no replica may be taken
//! back into the ISR, or stay in it, while it disagrees with the leader below its high watermark
//! (the KIP-101 divergence). Members whose current incarnation the controller has not registered
//! yet are judged once they register, as in `strong-isr`.

use crate::view::View;

pub const DESCRIPTION: &str =
    "Every ISR member agrees with the leader on every offset below both their high watermarks (TLA+ LogMatching).";

pub fn violation(view: &View<'_>) -> Option<String> {
    for (record, leader, leader_disk) in view.led_partitions() {
        let p = record.partition;
        for (member, broker) in view.registered(record.isr).filter(|(m, _)| *m != leader) {
            let disk = broker.disk.replica(p);
            let below =
                [leader_disk.high_watermark, disk.high_watermark, leader_disk.log.end_offset(), disk.log.end_offset()]
                    .into_iter()
                    .min()
                    .expect("four offsets");
            let agree = disk.log.common_prefix(&leader_disk.log);
            if agree < below {
                return Some(format!(
                    "broker {member} is in the ISR of partition {p} but disagrees with leader broker {leader} at offset \
                     {agree}, below both high watermarks: {} vs the leader's {}",
                    disk.log, leader_disk.log
                ));
            }
        }
    }
    None
}
