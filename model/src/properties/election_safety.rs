//! `election-safety` (ElectionSafety): at most one leader per leader epoch, and no broker leads in
//! an epoch the controller has not reached (epochs only grow).

use crate::view::View;

pub const DESCRIPTION: &str = "At most one broker leads a partition in any leader epoch; epochs only grow.";

pub fn violation(view: &View<'_>) -> Option<String> {
    let controller = view.controller();
    for record in &controller.partitions {
        let p = record.partition;
        let leaders: Vec<_> = view.brokers().filter_map(|(id, b)| b.leading_epoch(p).map(|e| (id, e))).collect();
        for (i, (a, ea)) in leaders.iter().enumerate() {
            if *ea > record.leader_epoch {
                return Some(format!(
                    "broker {a} leads partition {p} in leader epoch {ea}, beyond leader epoch {} of the controller's record",
                    record.leader_epoch
                ));
            }
            if let Some((b, _)) = leaders[i + 1..].iter().find(|(_, eb)| eb == ea) {
                return Some(format!("brokers {a} and {b} both lead partition {p} in epoch {ea}"));
            }
        }
    }
    None
}
