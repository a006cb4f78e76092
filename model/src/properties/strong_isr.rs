//! `strong-isr` (StrongIsr / LeaderCandidateCompleteness in the TLA+ specs): every member of the
//! ISR, and of the ELR (KIP-966), holds everything below the leader's HW. Members whose current
//! incarnation the controller has not registered yet (down, or restarted and not yet registered)
//! are judged once they register: registration is where Kafka fences a lost incarnation.

use crate::view::View;

pub const DESCRIPTION: &str =
    "Every ISR and ELR member holds every record below the leader's high watermark (TLA+ StrongIsr).";

pub fn violation(view: &View<'_>) -> Option<String> {
    for (record, leader, leader_disk) in view.led_partitions() {
        let p = record.partition;
        let hw = leader_disk.high_watermark;
        for (member, broker) in view.registered(record.isr.union(record.elr)) {
            let log = &broker.disk.replica(p).log;
            let agreed = log.common_prefix(&leader_disk.log);
            if agreed < hw {
                let set = if record.isr.contains(member) { "ISR" } else { "ELR" };
                return Some(format!(
                    "broker {member} is in the {set} of partition {p} but parts from leader broker {leader}'s log at \
                     offset {agreed}, below the leader's high watermark {hw}: its log is {log}, the leader's is {}",
                    leader_disk.log
                ));
            }
        }
    }
    None
}
