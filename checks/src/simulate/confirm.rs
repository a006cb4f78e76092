//! A violation is reported only once its recorded path replays: from a fresh initial state, each
//! recorded action must be enabled, lead to the recorded state within the boundary, and the last
//! state must break the property. (stateright's own simulation can record a path it did not take.)

use super::walk::{self, Violation};
use crate::trace::Action;
use kelp_model::properties::Kind;
use kelp_model::system::{KelpModel, SystemState};
use stateright::{Model, Path};

/// The violation's path, replayed and checked, or why it does not replay.
pub fn confirm(model: &KelpModel, violation: &Violation) -> Result<Path<SystemState, Action>, String> {
    let property = violation.property;
    let init = model.init_states().into_iter().next().ok_or("the model has no initial state")?;
    if violation.states.first() != Some(&init) {
        return Err("the recorded initial state is not the model's".to_string());
    }
    let mut state = init.clone();
    let mut held = (property.condition)(model, &state);
    for (i, (action, recorded)) in violation.actions.iter().zip(&violation.states[1..]).enumerate() {
        let step = i + 1;
        if !walk::actions(model, &state).contains(action) {
            return Err(format!("step {step} is not enabled"));
        }
        let next = model.next_state(&state, action.clone()).ok_or(format!("step {step} does nothing"))?;
        if !model.within_boundary(&next) {
            return Err(format!("step {step} leaves the fault budget"));
        }
        if next != *recorded {
            return Err(format!("step {step} leads elsewhere than recorded"));
        }
        held |= (property.condition)(model, &next);
        state = next;
    }
    let broken = match property.kind {
        Kind::Always => !(property.condition)(model, &state),
        Kind::Eventually => !held && model.next_steps(&state).is_empty(),
        Kind::Sometimes => false,
    };
    if !broken {
        return Err(format!("the last state does not break {}", property.name));
    }
    Path::from_actions(model, init, &violation.actions).ok_or_else(|| "stateright cannot rebuild the path".to_string())
}
