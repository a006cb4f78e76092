//! The `sometimes` witnesses: events that must be reachable for the invariants to mean anything.

use crate::producer::Outcome;
use crate::view::View;

pub fn record_acknowledged(view: &View<'_>) -> bool {
    view.producers().any(|(_, p)| p.outcomes.iter().any(|o| matches!(o, Outcome::Acked { .. })))
}

/// A producer was told a record failed: failures reach the application rather than vanish.
pub fn record_rejected(view: &View<'_>) -> bool {
    view.producers().any(|(_, p)| p.outcomes.iter().any(|o| matches!(o, Outcome::Failed { .. })))
}

pub fn leader_changed(view: &View<'_>) -> bool {
    view.controller().partitions.iter().any(|p| p.leader_epoch.0 >= 2)
}

pub fn isr_shrunk(view: &View<'_>) -> bool {
    view.controller().partitions.iter().any(|p| p.isr.len() < p.replicas.len())
}

pub fn log_truncated(view: &View<'_>) -> bool {
    view.brokers().any(|(_, b)| b.faults.truncated)
}

pub fn process_crash(view: &View<'_>) -> bool {
    view.brokers().any(|(_, b)| b.faults.crashes > 0)
}

pub fn power_loss(view: &View<'_>) -> bool {
    view.brokers().any(|(_, b)| b.faults.power_losses > 0)
}
