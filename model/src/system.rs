//! The whole modelled system as a stateright `ActorModel`: the actors of a `Config`, an ordered
//! network (Kafka's TCP connections: FIFO per pair, nothing lost while both ends live), the fault
//! budget as the model's boundary, and every property. Both engines check this model.

use crate::actor::{cluster_actors, KelpActor};
use crate::config::Config;
use crate::properties;
use crate::view::View;
use stateright::actor::{ActorModel, ActorModelState, Network};
use std::sync::Arc;

pub type KelpModel = ActorModel<KelpActor, Config, ()>;
pub type SystemState = ActorModelState<KelpActor, ()>;

/// Builds the model of `cfg` (which must be valid: see `Config::validate`).
pub fn build(cfg: Config) -> KelpModel {
    let shared = Arc::new(cfg.clone());
    let mut model = ActorModel::new(cfg, ())
        .actors(cluster_actors(&shared))
        .init_network(Network::new_ordered([]))
        .within_boundary(|cfg, state| within_budget(&View::new(cfg, state)));
    for p in properties::ALL {
        model = model.property(p.kind.expectation(), p.name, p.condition);
    }
    model
}

/// The fault budget: states past it are not explored (faults are bounded, recovery is not).
pub fn within_budget(view: &View<'_>) -> bool {
    let budget = &view.cfg.budget;
    let mut used = crate::broker::FaultsSuffered::default();
    for (_, b) in view.brokers() {
        used.crashes += b.faults.crashes;
        used.power_losses += b.faults.power_losses;
        used.shutdowns += b.faults.shutdowns;
        used.isr_shrinks += b.faults.isr_shrinks;
        used.restarts += b.faults.restarts;
    }
    let controller = view.controller();
    let total = used.crashes + used.power_losses + used.shutdowns + used.isr_shrinks + controller.session_expiries;
    budget.faults.is_none_or(|cap| total <= cap)
        && used.crashes <= budget.crashes
        && used.power_losses <= budget.power_losses
        && used.shutdowns <= budget.shutdowns
        && used.isr_shrinks <= budget.isr_shrinks
        && budget.restarts.is_none_or(|cap| used.restarts <= cap)
        && controller.session_expiries <= budget.session_expiries
        && !beyond_exploration_bound(view)
}

/// Whether a state lies past the leader-epoch limit: an election the search does not follow. The
/// other limits of the budget bound faults, which simply do not happen once spent; this one cuts
/// recovery short, so a liveness check must not read the cut as the system standing still.
pub fn beyond_exploration_bound(view: &View<'_>) -> bool {
    view.controller().partitions.iter().any(|p| p.leader_epoch.0 > u32::from(view.cfg.budget.leader_epochs))
}
