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

/// The trace file of `path`, a counterexample to `property` in `origin`'s configuration;
/// `loop_start` as `TraceFile::loop_start` says.
pub fn record(
    origin: Origin<'_>,
    property: &Property,
    path: Path<SystemState, Action>,
    loop_start: Option<usize>,
) -> TraceFile {
    let cfg = origin.config;
    let actions: Vec<TraceAction> = path.clone().into_actions().iter().map(|a| TraceAction::of(a, cfg)).collect();
    let states: Vec<Snapshot> = path.clone().into_states().iter().map(|s| snapshot(cfg, s)).collect();
    let steps_taken = actions.len();
    let explanation = explanation(cfg, property, path.last_state(), steps_taken, loop_start);
    let steps = trace::build(cfg, property, path).steps;
    TraceFile {
        version: VERSION,
        scenario: origin.scenario.to_string(),
        description: origin.description.to_string(),
        property: property.name.to_string(),
        verdict: verdict(property, steps.len(), loop_start),
        config: cfg.clone(),
        actions,
        steps,
        states,
        explanation,
        loop_start,
    }
}

/// `no-acked-loss violated after 6 steps`; for a liveness property, how the run goes on for ever.
pub(crate) fn verdict(property: &Property, steps: usize, loop_start: Option<usize>) -> String {
    let plural = if steps == 1 { "" } else { "s" };
    let forever = match (property.kind, loop_start) {
        (Kind::Eventually, Some(k)) => format!(", then steps {}-{steps} repeat for ever", k + 1),
        (Kind::Eventually, None) => ", then nothing more can happen".to_string(),
        _ => String::new(),
    };
    format!("{} violated after {steps} step{plural}{forever}", property.name)
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
/// `eventually` property how the run stays without it for ever.
fn explanation(
    cfg: &Config,
    property: &Property,
    last: &SystemState,
    steps: usize,
    loop_start: Option<usize>,
) -> String {
    let why = (property.explain)(&View::new(cfg, last)).unwrap_or_else(|| "(no explanation)".to_string());
    match (property.kind, loop_start) {
        (Kind::Eventually, Some(k)) => format!(
            "steps {}-{steps} can repeat for ever, and fairly (every recovery enabled all along the cycle is taken \
             in it), without the property holding in any of their states; after step {steps}: {why}",
            k + 1
        ),
        (Kind::Eventually, None) => {
            format!("after step {steps} nothing but spent faults is left, and the run stays there for ever: {why}")
        }
        (Kind::Always | Kind::Sometimes, _) => why,
    }
}
