//! `kelp trace replay`: a trace file's action path re-run against today's model. Starting from the
//! model's single initial state, each recorded action must be enabled (among `Model::actions`),
//! change the state, and stay within the model's boundary (the fault budget); the last state must
//! still break the recorded property: an `always` invariant's explanation still applies, or an
//! `eventually` property never held along the path and the last state has no successor. What
//! replays is recorded afresh from today's model, so a changed story shows up as a diff.

use crate::trace::Action;
use crate::trace_file::action::TraceAction;
use crate::trace_file::json;
use crate::trace_file::record::{record, Origin};
use crate::trace_file::TraceFile;
use kelp_model::properties::{Kind, Property};
use kelp_model::system::{self, KelpModel, SystemState};
use stateright::{Model, Path};

/// The file as today's model tells it, or why it no longer is a counterexample (`step 7: broker 2
/// receives Fetch{...} from broker 1: not enabled in today's model`).
pub fn replay(file: &TraceFile) -> Result<TraceFile, String> {
    let property = json::property(file)?;
    let cfg = &file.config;
    let model = system::build(cfg.clone());
    let actions: Vec<Action> = file.actions.iter().map(|a| a.to_model(cfg)).collect();
    let states = rerun(&model, property, &actions)?;
    let init = states.into_iter().next().expect("a path has a state");
    let path = Path::from_actions(&model, init, &actions).ok_or("the replayed path does not rebuild")?;
    Ok(record(Origin { scenario: &file.scenario, description: &file.description, config: cfg }, property, path))
}

/// Re-runs `actions` from the model's single initial state: each must be enabled, change the state
/// and stay within the boundary, and the last state must still break `property`. Returns the states
/// visited, the initial one first, or why the path is no longer a counterexample. (`kelp trace
/// replay` and `kelp simulate`'s confirmation of a walk share it.)
pub fn rerun(model: &KelpModel, property: &Property, actions: &[Action]) -> Result<Vec<SystemState>, String> {
    let init = match model.init_states().as_slice() {
        [init] => init.clone(),
        other => return Err(format!("today's model has {} initial states, not one", other.len())),
    };
    if !Model::within_boundary(model, &init) {
        return Err("the initial state lies outside today's model's boundary".to_string());
    }
    let mut states = vec![init];
    for (i, action) in actions.iter().enumerate() {
        let state = states.last().expect("the initial state is there");
        let why = match enabled(model, state, action) {
            Ok(next) if Model::within_boundary(model, &next) => {
                states.push(next);
                continue;
            }
            Ok(_) => "goes beyond the fault budget in today's model",
            Err(why) => why,
        };
        return Err(format!("step {}: {}: {why}", i + 1, TraceAction::of(action, &model.cfg)));
    }
    still_violated(model, property, &states)?;
    Ok(states)
}

/// The state `action` leads to from `state`, if today's model offers it there and it does something.
fn enabled(model: &KelpModel, state: &SystemState, action: &Action) -> Result<SystemState, &'static str> {
    let mut offered = Vec::new();
    model.actions(state, &mut offered);
    if !offered.contains(action) {
        return Err("not enabled in today's model");
    }
    model.next_state(state, action.clone()).ok_or("changes nothing in today's model")
}

fn still_violated(model: &KelpModel, property: &Property, states: &[SystemState]) -> Result<(), String> {
    let steps = states.len() - 1;
    let last = states.last().expect("a path has a state");
    match property.kind {
        Kind::Eventually => {
            if let Some(i) = states.iter().position(|s| (property.condition)(model, s)) {
                let when = if i == 0 { "at the start".to_string() } else { format!("after step {i}") };
                return Err(format!("{} holds {when} in today's model", property.name));
            }
            let mut offered = Vec::new();
            model.actions(last, &mut offered);
            if let Some(next) = offered.into_iter().find(|a| model.next_state(last, a.clone()).is_some()) {
                let next = TraceAction::of(&next, &model.cfg);
                return Err(format!("after {steps} steps the run is not over in today's model: {next} can follow"));
            }
            Ok(())
        }
        Kind::Always if (property.condition)(model, last) => {
            Err(format!("after {steps} steps {} holds in today's model", property.name))
        }
        Kind::Always | Kind::Sometimes => Ok(()),
    }
}

/// The line `kelp trace replay` prints for a valid trace.
pub fn summary(replayed: &TraceFile) -> String {
    format!(
        "valid: {} steps replayed, {} still violated: {}",
        replayed.actions.len(),
        replayed.property,
        replayed.explanation
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The committed acks-1 counterexample: 6 steps, broker 1 crashing at step 3.
    fn acks_1() -> TraceFile {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../traces/acks-1/no-acked-loss/trace.json");
        json::read(&path).expect("the committed acks-1 trace")
    }

    #[test]
    fn the_committed_trace_replays_to_itself() {
        let file = acks_1();
        let replayed = replay(&file).expect("valid");
        assert_eq!(replayed, file);
        assert!(summary(&replayed).starts_with("valid: 6 steps replayed, no-acked-loss still violated: record p1#0"));
    }

    #[test]
    fn a_removed_action_is_named_by_its_step() {
        let mut file = acks_1();
        file.actions.remove(2);
        assert_eq!(
            replay(&file).unwrap_err(),
            "step 3: controller receives (heartbeats stop){broker 1 epoch 1} from broker 1: not enabled in today's model"
        );
    }

    #[test]
    fn a_path_that_stops_short_no_longer_breaks_the_property() {
        let mut file = acks_1();
        file.actions.pop();
        assert_eq!(replay(&file).unwrap_err(), "after 5 steps no-acked-loss holds in today's model");
    }

    #[test]
    fn an_eventually_property_needs_a_path_that_cannot_go_on() {
        let mut file = acks_1();
        file.property = "eventually-leader".to_string();
        let why = replay(&file).unwrap_err();
        assert!(why.starts_with("after 6 steps the run is not over in today's model: "), "{why}");
    }

    #[test]
    fn a_fault_the_budget_does_not_arm_is_not_enabled() {
        let mut file = acks_1();
        file.config.budget.crashes = 0;
        assert_eq!(
            replay(&file).unwrap_err(),
            "step 3: broker 1: process crash (SIGKILL): not enabled in today's model"
        );
    }

    #[test]
    fn a_step_beyond_the_fault_budget_is_refused() {
        let mut file = acks_1();
        file.config.budget.leader_epochs = 1;
        assert_eq!(
            replay(&file).unwrap_err(),
            "step 5: controller: session of broker 1 expired: goes beyond the fault budget in today's model"
        );
    }
}
