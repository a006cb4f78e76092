//! `kelp trace replay`: a trace file's action path re-run against today's model. Starting from the
//! model's single initial state, each recorded action must be enabled (among `Model::actions`),
//! change the state, and stay within the model's boundary (the fault budget); the last state must
//! still break the recorded property: an `always` invariant's explanation still applies; for an
//! `eventually` property, either nothing but spent faults can follow the last state and the
//! property fails there, or (with a recorded cycle) the path returns to the state the cycle starts
//! from, the property fails all along the cycle, and the cycle is fair (`fairness`). What replays
//! is recorded afresh from today's model, so a changed story shows up as a diff.

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
    let states = rerun(&model, property, &actions, file.loop_start)?;
    let init = states.into_iter().next().expect("a path has a state");
    let path = Path::from_actions(&model, init, &actions).ok_or("the replayed path does not rebuild")?;
    let origin = Origin { scenario: &file.scenario, description: &file.description, config: cfg };
    Ok(record(origin, property, path, file.loop_start))
}

/// Re-runs `actions` from the model's single initial state: each must be enabled, change the state
/// and stay within the boundary, and the path must still break `property` (for an `eventually`
/// property with a cycle from the state after step `loop_start`). Returns the states visited, the
/// initial one first, or why the path is no longer a counterexample. (`kelp trace replay` and
/// `kelp simulate`'s confirmation of a walk share it.)
pub fn rerun(
    model: &KelpModel,
    property: &Property,
    actions: &[Action],
    loop_start: Option<usize>,
) -> Result<Vec<SystemState>, String> {
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
    still_violated(model, property, &states, actions, loop_start)?;
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

fn still_violated(
    model: &KelpModel,
    property: &Property,
    states: &[SystemState],
    actions: &[Action],
    loop_start: Option<usize>,
) -> Result<(), String> {
    let steps = states.len() - 1;
    let last = states.last().expect("a path has a state");
    match (property.kind, loop_start) {
        (Kind::Eventually, None) => {
            if (property.condition)(model, last) {
                return Err(format!("after {steps} steps {} holds in today's model", property.name));
            }
            if let Some((action, _)) = successors(model, last).next() {
                let next = TraceAction::of(&action, &model.cfg);
                return Err(format!("after {steps} steps the run is not over in today's model: {next} can follow"));
            }
            Ok(())
        }
        (Kind::Eventually, Some(start)) => {
            if start >= steps || states[start] != *last {
                return Err(format!("the state after step {steps} is not the state after step {start}: no cycle"));
            }
            if let Some(i) = (start..=steps).find(|&i| (property.condition)(model, &states[i])) {
                return Err(format!("{} holds after step {i}, inside the cycle, in today's model", property.name));
            }
            unfair_action(model, &states[start..steps], &actions[start..]).map_or(Ok(()), |action| {
                let action = TraceAction::of(&action, &model.cfg);
                Err(format!("the cycle is not fair in today's model: {action} is enabled all along it and never taken"))
            })
        }
        (Kind::Always, _) if (property.condition)(model, last) => {
            Err(format!("after {steps} steps {} holds in today's model", property.name))
        }
        (Kind::Always | Kind::Sometimes, _) => Ok(()),
    }
}

/// The actions of `state` that lead somewhere the search goes or would go: within the fault
/// budget, or past the leader-epoch limit (a recovery the search stops following). Faults the
/// budget has spent do not count: they cannot happen.
fn successors<'a>(model: &'a KelpModel, state: &'a SystemState) -> impl Iterator<Item = (Action, SystemState)> + 'a {
    let mut offered = Vec::new();
    model.actions(state, &mut offered);
    offered.into_iter().filter_map(move |action| {
        let next = model.next_state(state, action.clone())?;
        let goes_on = Model::within_boundary(model, &next)
            || system::beyond_exploration_bound(&kelp_model::view::View::new(&model.cfg, &next));
        goes_on.then_some((action, next))
    })
}

/// An action whose fairness class is enabled in every state of `cycle` but taken by none of its
/// `steps` (the action taken in each state), if there is one.
fn unfair_action(model: &KelpModel, cycle: &[SystemState], steps: &[Action]) -> Option<Action> {
    let class = |state: &SystemState, action: &Action| crate::fairness::class(&model.cfg, state, action);
    let taken: std::collections::HashSet<u64> = cycle.iter().zip(steps).filter_map(|(s, a)| class(s, a)).collect();
    let first = &cycle[0];
    successors(model, first).map(|(a, _)| a).find(|action| {
        class(first, action).is_some_and(|c| {
            !taken.contains(&c) && cycle.iter().all(|s| successors(model, s).any(|(a, _)| class(s, &a) == Some(c)))
        })
    })
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

    /// The committed acks-1 counterexample: 6 steps, broker 1 crashing at step 2.
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
        file.actions.remove(3);
        assert_eq!(
            replay(&file).unwrap_err(),
            "step 4: controller: session of broker 1 expired: not enabled in today's model"
        );
    }

    #[test]
    fn a_path_that_stops_short_no_longer_breaks_the_property() {
        let mut file = acks_1();
        file.actions.pop();
        assert_eq!(replay(&file).unwrap_err(), "after 5 steps no-acked-loss holds in today's model");
    }

    #[test]
    fn an_eventually_property_must_fail_where_the_run_stops() {
        let mut file = acks_1();
        file.property = "eventually-leader".to_string();
        assert_eq!(replay(&file).unwrap_err(), "after 6 steps eventually-leader holds in today's model");
    }

    #[test]
    fn a_cycle_must_return_to_where_it_starts() {
        let mut file = acks_1();
        file.property = "eventually-leader".to_string();
        file.loop_start = Some(2);
        assert_eq!(replay(&file).unwrap_err(), "the state after step 6 is not the state after step 2: no cycle");
    }

    #[test]
    fn a_fault_the_budget_does_not_arm_is_not_enabled() {
        let mut file = acks_1();
        file.config.budget.crashes = 0;
        assert_eq!(
            replay(&file).unwrap_err(),
            "step 2: broker 1: process crash (SIGKILL): not enabled in today's model"
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
