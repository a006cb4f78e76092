//! A violation is reported only once its recorded path replays (`replay::rerun`: from the initial
//! state each recorded action is enabled and stays within the boundary, and the last state breaks
//! the property) through exactly the states the walk recorded (by fingerprint). (stateright's own
//! simulation can record a path it did not take.)

use super::walk::Violation;
use crate::engine::fingerprint::fingerprint;
use crate::replay;
use crate::trace::Action;
use kelp_model::system::{KelpModel, SystemState};
use stateright::Path;

/// The violation's path, replayed and checked, or why it does not replay.
pub fn confirm(model: &KelpModel, violation: &Violation) -> Result<Path<SystemState, Action>, String> {
    let states = replay::rerun(model, violation.property, &violation.actions, None)?;
    let recorded = &violation.fingerprints;
    if let Some(step) = states.iter().zip(recorded).position(|(replayed, &recorded)| fingerprint(replayed) != recorded)
    {
        return Err(format!("step {step} leads elsewhere than recorded"));
    }
    let init = states.into_iter().next().expect("a path has a state");
    Path::from_actions(model, init, &violation.actions).ok_or_else(|| "stateright cannot rebuild the path".to_string())
}
