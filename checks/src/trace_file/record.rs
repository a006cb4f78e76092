//! A trace file from a counterexample path: the actions by role, the steps as the text report
//! tells them, every actor's fields in every state, and the verdict and explanation in words.

use super::action::TraceAction;
use super::ordered::Ordered;
use super::{Snapshot, TraceFile, VERSION};
use crate::describe;
use crate::trace::{self, Action};
use kelp_model::config::Config;
use kelp_model::effects::Address;
use kelp_model::properties::{Kind, Property};
use kelp_model::system::SystemState;
use kelp_model::view::View;
use stateright::actor::Id;
use stateright::Path;

/// What a trace file says about where its path comes from.
#[derive(Clone, Copy, Debug)]
pub struct Origin<'a> {
    pub scenario: &'a str,
    pub description: &'a str,
    pub config: &'a Config,
}

/// The trace file of `path`, a counterexample to `property` in `origin`'s configuration.
pub fn record(origin: Origin<'_>, property: &Property, path: Path<SystemState, Action>) -> TraceFile {
    let cfg = origin.config;
    let actions: Vec<TraceAction> = path.clone().into_actions().iter().map(|a| TraceAction::of(a, cfg)).collect();
    let states: Vec<Snapshot> = path.clone().into_states().iter().map(|s| snapshot(cfg, s)).collect();
    let explanation = explanation(cfg, property, path.last_state());
    let steps = trace::build(cfg, property, path).steps;
    TraceFile {
        version: VERSION,
        scenario: origin.scenario.to_string(),
        description: origin.description.to_string(),
        property: property.name.to_string(),
        verdict: verdict(property.name, steps.len()),
        config: cfg.clone(),
        actions,
        steps,
        states,
        explanation,
    }
}

/// `no-acked-loss violated after 6 steps`.
fn verdict(property: &str, steps: usize) -> String {
    let plural = if steps == 1 { "" } else { "s" };
    format!("{property} violated after {steps} step{plural}")
}

/// Every actor's fields in `state`.
fn snapshot(cfg: &Config, state: &SystemState) -> Snapshot {
    Ordered(
        state
            .actor_states
            .iter()
            .enumerate()
            .map(|(index, actor_state)| {
                let actor = Address::of(Id::from(index), cfg);
                (actor.to_string(), Ordered(describe::describe(cfg, actor, actor_state)))
            })
            .collect(),
    )
}

/// Why the path's last state breaks `property`, in words: the invariant's explanation, or for an
/// `eventually` property that the run ends there without ever having got there.
fn explanation(cfg: &Config, property: &Property, last: &SystemState) -> String {
    let why = (property.explain)(&View::new(cfg, last)).unwrap_or_else(|| "(no explanation)".to_string());
    match property.kind {
        Kind::Eventually => format!("the run can go no further and never settled; at its end {why}"),
        Kind::Always | Kind::Sometimes => why,
    }
}
