//! The whole modelled system as a stateright `ActorModel`: the actors of a `Config`, an ordered
//! network (Kafka's TCP connections: FIFO per pair, nothing lost while both ends live), the fault
//! budget as the model's boundary, and every property. Both engines check this model.

use crate::actor::{cluster_actors, KelpActor, KelpState};
use crate::config::{Config, Retries};
use crate::effects::Address;
use crate::properties;
use crate::view::View;
use stateright::actor::{ActorModel, ActorModelState, Id, Network};
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
    faults_within_budget(view) && !beyond_exploration_bound(view) && retry_backlog_within_bound(view)
}

/// Whether actor `index` stepping to `next` in `state` leaves the fault budget (and not past the
/// exploration bound, which the liveness check must see): a successor outside the boundary,
/// known from the actor's new state alone, so that the checker can drop it before building it.
/// Exact where it answers yes: both rules read only the actors' states.
pub fn step_leaves_budget(cfg: &Config, state: &SystemState, index: usize, next: &KelpState) -> bool {
    let view = View::after_step(cfg, state, index, next);
    !faults_within_budget(&view) && !beyond_exploration_bound(&view)
}

/// The faults the actors have counted, against the budget's caps. Reads the actors' states only.
fn faults_within_budget(view: &View<'_>) -> bool {
    let budget = &view.cfg.budget;
    let mut used = crate::broker::FaultsSuffered::default();
    let mut link_cuts = 0;
    for (_, b) in view.brokers() {
        link_cuts += b.links_cut.len();
        used.crashes += b.faults.crashes;
        used.power_losses += b.faults.power_losses;
        used.shutdowns += b.faults.shutdowns;
        used.isr_shrinks += b.faults.isr_shrinks;
        used.restarts += b.faults.restarts;
    }
    // Each candidate counts the broker sessions it expired; a new controller carries on the count
    // it read, and a zombie's own expiries count too.
    let session_expiries = view.controllers().map(|(_, c)| c.session_expiries).max().unwrap_or(0);
    let controller_expiries = view.coordinator().map_or(0, |z| z.expiries);
    let total = usize::from(used.crashes + used.power_losses + used.shutdowns + used.isr_shrinks)
        + usize::from(session_expiries)
        + usize::from(controller_expiries)
        + link_cuts;
    budget.faults.is_none_or(|cap| total <= usize::from(cap))
        && link_cuts <= usize::from(budget.link_cuts)
        && used.crashes <= budget.crashes
        && used.power_losses <= budget.power_losses
        && used.shutdowns <= budget.shutdowns
        && used.isr_shrinks <= budget.isr_shrinks
        && budget.restarts.is_none_or(|cap| used.restarts <= cap)
        && session_expiries <= budget.session_expiries
        && controller_expiries <= budget.controller_session_expiries
}

/// How many messages a flow between a producer and a broker (or the operator) may hold when the
/// producer retries for ever.
const MAX_PRODUCER_BACKLOG: usize = 1;

/// With `Retries::Forever`, a producer whose request times out while the request (or its answer,
/// or its alert to the operator) is still in the network would pile up copies without end: the
/// state space would be infinite. Kafka's `NetworkClient` closes the connection on a request
/// time-out (`handleTimedOutRequests`), so a real backlog stays short. The model keeps at most
/// `MAX_PRODUCER_BACKLOG` messages in each flow a producer sends on and in each broker's flow to
/// a producer: a time-out waits until the last copy has arrived (or was lost to a cut link). The
/// controller's metadata to producers is not bounded here: elections bound it, and cutting it
/// would cut elections short. With a bounded `retries` the retries bound the backlog, and this
/// rule never applies.
fn retry_backlog_within_bound(view: &View<'_>) -> bool {
    if view.cfg.retries != Retries::Forever {
        return true;
    }
    let Network::Ordered(flows) = &view.state.network else { return true };
    let role = |id: Id| Address::of(id, view.cfg);
    let bounded = |src: Id, dst: Id| {
        matches!((role(src), role(dst)), (Address::Producer(_), _) | (Address::Broker(_), Address::Producer(_)))
    };
    flows.iter().all(|((src, dst), msgs)| msgs.len() <= MAX_PRODUCER_BACKLOG || !bounded(*src, *dst))
}

/// Whether a state lies past the leader-epoch limit: an election the search does not follow. The
/// other limits of the budget bound faults, which simply do not happen once spent; this one cuts
/// recovery short, so a liveness check must not read the cut as the system standing still.
pub fn beyond_exploration_bound(view: &View<'_>) -> bool {
    view.controllers()
        .flat_map(|(_, c)| &c.partitions)
        .any(|p| p.leader_epoch.0 > u32::from(view.cfg.budget.leader_epochs))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::FaultBudget;
    use crate::timer::Timer;
    use stateright::actor::{ActorModelAction, Envelope};
    use stateright::Model;

    fn time_out_producer(model: &KelpModel, state: &SystemState) -> SystemState {
        let producer = Id::from(model.cfg.producer_actor_index(crate::ids::ProducerId(1)));
        model.next_state(state, ActorModelAction::Timeout(producer, Timer::RequestTimeout)).expect("a step")
    }

    /// Over the first states of a cluster with one fault to spend (a crash or a power loss) and
    /// two leader epochs: `step_leaves_budget`, given the stepping actor's new state, says yes
    /// exactly for the successors past the fault budget and not past the exploration bound,
    /// judged on the whole successor; each such successor is outside the boundary; and there are
    /// such steps (the second fault of a run).
    #[test]
    fn a_step_leaves_the_budget_exactly_where_its_successor_spends_too_many_faults() {
        let budget =
            FaultBudget { crashes: 1, power_losses: 1, faults: Some(1), leader_epochs: 2, ..FaultBudget::default() };
        let model = build(Config { budget, ..Config::default() });
        let init = model.init_states().remove(0);
        let mut seen = std::collections::HashSet::from([init.clone()]);
        let mut queue = std::collections::VecDeque::from([init]);
        let (mut leaving, mut past_the_bound) = (0, 0);
        while let Some(state) = queue.pop_front().filter(|_| seen.len() < 3_000) {
            let mut actions = Vec::new();
            model.actions(&state, &mut actions);
            for action in actions {
                let index = match &action {
                    ActorModelAction::Deliver { dst, .. } => usize::from(*dst),
                    ActorModelAction::Timeout(id, _) => usize::from(*id),
                    _ => unreachable!("kelp's network loses nothing and its actors do not crash"),
                };
                let Some(next) = model.next_state(&state, action) else { continue };
                let leaves = step_leaves_budget(&model.cfg, &state, index, &next.actor_states[index]);
                let whole = View::new(&model.cfg, &next);
                assert_eq!(leaves, !faults_within_budget(&whole) && !beyond_exploration_bound(&whole));
                assert!(!leaves || !Model::within_boundary(&model, &next));
                leaving += usize::from(leaves);
                past_the_bound += usize::from(beyond_exploration_bound(&whole));
                if Model::within_boundary(&model, &next) && seen.insert(next.clone()) {
                    queue.push_back(next);
                }
            }
        }
        assert!(
            leaving > 100 && past_the_bound > 0,
            "{leaving} steps leave the budget, {past_the_bound} pass the bound"
        );
    }

    #[test]
    fn a_producer_retrying_for_ever_keeps_at_most_one_request_in_flight() {
        let budget = FaultBudget::none();
        let model = build(Config { retries: Retries::Forever, budget, ..Config::default() });
        let init = model.init_states().remove(0);
        assert!(Model::within_boundary(&model, &init), "the first request is in flight");
        // A time-out before the request arrived would queue a second copy behind it.
        assert!(!Model::within_boundary(&model, &time_out_producer(&model, &init)));

        // The controller's metadata to the producer is bounded by elections, not by this rule.
        let mut two_changes = init.clone();
        let producer = Id::from(model.cfg.producer_actor_index(crate::ids::ProducerId(1)));
        let record = crate::controller::ControllerState::bootstrap(&model.cfg).partitions[0].clone();
        let Network::Ordered(flows) = &init.network else { unreachable!("an ordered network") };
        let mut envelopes: Vec<Envelope<crate::msg::Msg>> = flows
            .iter()
            .flat_map(|((src, dst), msgs)| msgs.iter().map(|msg| Envelope { src: *src, dst: *dst, msg: msg.clone() }))
            .collect();
        for _ in 0..2 {
            let msg = crate::msg::Msg::PartitionChange(record.clone());
            envelopes.push(Envelope { src: Id::from(0), dst: producer, msg });
        }
        two_changes.network = Network::new_ordered(envelopes);
        assert!(Model::within_boundary(&model, &two_changes));

        // With bounded retries the copies are bounded anyway, and allowed.
        let model = build(Config { retries: Retries::Times(1), ..model.cfg.clone() });
        let init = model.init_states().remove(0);
        assert!(Model::within_boundary(&model, &time_out_producer(&model, &init)));
    }
}
