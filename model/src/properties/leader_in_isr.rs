//! `leader-in-isr` (LeaderInIsr): the partition's leader is a member of its ISR (a clean election
//! picks from the ISR or ELR and makes the winner the ISR; an unclean one makes it the whole ISR).

use crate::view::View;

pub const DESCRIPTION: &str = "The controller's leader of a partition is in its ISR.";

pub fn violation(view: &View<'_>) -> Option<String> {
    view.controller().partitions.iter().find_map(|record| {
        let leader = record.leader?;
        (!record.isr.contains(leader)).then(|| format!("leader broker {leader} is not in the ISR: {record}"))
    })
}
