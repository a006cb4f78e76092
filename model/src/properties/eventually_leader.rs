//! `eventually-leader` (the TLA+ specs' EventuallyLeaderElected, read as "always eventually"):
//! on every fair path, again and again, every partition has a live leader that knows it leads in
//! the controller's current leader epoch. After any fault the controller elects a new leader
//! (KRaft's `PartitionChangeBuilder` on a fenced or shut-down leader) and the broker takes it on.
//! It fails for good when every replica that may lead is gone and none may come back (Kafka's
//! `OfflinePartitionsCount`: the partition stays offline until a replica in the ISR or ELR
//! returns, or an operator allows an unclean election). The native checker judges it on cycles
//! under weak fairness (`checks/src/engine/liveness`); stateright's checker only at the ends of
//! finite paths.

use crate::ids::PartitionId;
use crate::view::View;

pub const DESCRIPTION: &str =
    "On every fair path, again and again, every partition has a live leader that knows it leads in the current leader epoch.";

/// The first partition without a live leader.
fn leaderless(view: &View<'_>) -> Option<PartitionId> {
    view.cfg.partition_ids().find(|p| view.current_leader(*p).is_none())
}

/// Whether every partition has its leader: the checker's condition, asked of every state (many
/// of which are between leaders), so it formats nothing.
pub fn holds(view: &View<'_>) -> bool {
    leaderless(view).is_none()
}

pub fn violation(view: &View<'_>) -> Option<String> {
    let p = leaderless(view)?;
    let record = &view.controller().partitions[usize::from(p.0)];
    let why = match record.leader {
        None => "the controller's record names none".to_string(),
        Some(b) if !view.broker(b).is_up() => format!("the controller's record names broker {b}, which is down"),
        Some(b) => format!(
            "the controller's record names broker {b}, which does not lead it in leader epoch {}",
            record.leader_epoch
        ),
    };
    Some(format!("partition {p} has no live leader ({why}): {record}"))
}

#[cfg(test)]
mod tests {
    use crate::config::Config;
    use crate::system::build;
    use crate::view::View;
    use stateright::Model;

    #[test]
    fn the_formatted_cluster_starts_with_its_leaders_in_place() {
        let cfg = Config::default();
        let model = build(cfg.clone());
        let init = &model.init_states()[0];
        assert_eq!(super::violation(&View::new(&cfg, init)), None);
    }
}
