//! `trace.json` in and out. Reading checks what the replay and the renderers rely on (the version,
//! the fields, a known property that can have a counterexample, a valid configuration, actors the
//! configuration has), so a corrupt, truncated or foreign file is one clear error, never a panic
//! further on. Printing a file also needs its steps and states to match its actions (`complete`);
//! replaying needs only the actions, so a hand-edited action path still replays.

use super::action::{self, TraceAction};
use super::{TraceFile, VERSION};
use kelp_model::properties::{self, Kind, Property};
use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum TraceFileError {
    #[error("cannot read {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("cannot write {path}: {source}")]
    Write { path: String, source: std::io::Error },
    #[error("{path} is not a kelp trace file: {message}")]
    Parse { path: String, message: String },
    #[error("{path}: trace file version {found}, but this kelp reads version {VERSION} only")]
    Version { path: String, found: String },
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
}

/// The file as written: pretty JSON, one trailing newline.
pub fn to_json(file: &TraceFile) -> String {
    serde_json::to_string_pretty(file).expect("trace files serialize") + "\n"
}

pub fn read(path: &Path) -> Result<TraceFile, TraceFileError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| TraceFileError::Read { path: shown.clone(), source })?;
    parse(&shown, &text)
}

/// Parses and checks a trace file; `path` only names it in errors.
pub fn parse(path: &str, text: &str) -> Result<TraceFile, TraceFileError> {
    let parse_error = |message: String| TraceFileError::Parse { path: path.to_string(), message };
    // The version first: a file of another version is named as such, not by its first odd field.
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| parse_error(e.to_string()))?;
    match value.get("version") {
        None => return Err(parse_error("no \"version\" field".to_string())),
        Some(v) if !v.is_u64() => return Err(parse_error(format!("\"version\" is {v}, not a whole number"))),
        Some(v) if v.as_u64() != Some(u64::from(VERSION)) => {
            return Err(TraceFileError::Version { path: path.to_string(), found: v.to_string() })
        }
        Some(_) => {}
    }
    let file: TraceFile = serde_json::from_str(text).map_err(|e| parse_error(e.to_string()))?;
    check(&file).map_err(|message| TraceFileError::Invalid { path: path.to_string(), message })?;
    Ok(file)
}

/// The property a trace file names, if it can have a counterexample.
pub fn property(file: &TraceFile) -> Result<&'static Property, String> {
    match properties::by_name(&file.property) {
        None => Err(format!("unknown property '{}'", file.property)),
        Some(p) if p.kind == Kind::Sometimes => {
            Err(format!("'{}' is a reachability witness, which has no counterexample", p.name))
        }
        Some(p) => Ok(p),
    }
}

fn check(file: &TraceFile) -> Result<(), String> {
    let property = property(file)?;
    file.config.validate().map_err(|e| e.to_string())?;
    // The checker writes none: the runtime settings are the reference cluster's.
    if !file.config.runtime.is_off() {
        return Err("config.runtime is the reference cluster's: no checker's trace has it".to_string());
    }
    // A cycle is an `eventually` property's counterexample.
    if file.loop_start.is_some() && property.kind != Kind::Eventually {
        return Err(format!("loop_start is for an `eventually` property's cycle, and '{}' is not one", property.name));
    }
    let actions = file.actions.len();
    if let Some(at) = file.loop_start.filter(|&at| at >= actions) {
        return Err(format!("loop_start {at} leaves no step for the cycle (the path has {actions} steps)"));
    }
    let unknown = |(i, a): (usize, &TraceAction)| {
        a.addresses().into_iter().find(|x| !action::exists(*x, &file.config)).map(|x| (i + 1, x))
    };
    if let Some((step, actor)) = file.actions.iter().enumerate().find_map(unknown) {
        return Err(format!("step {step} names {actor}, which this configuration does not have"));
    }
    Ok(())
}

/// Whether the file tells its action path whole, as kelp writes it: a step per action, a state
/// before and after each, and the verdict kelp writes for that path (a file edited by hand would
/// otherwise tell a story its steps do not). Replaying needs only the actions (it names the first
/// that no longer applies); printing needs all this.
pub fn complete(file: &TraceFile) -> Result<(), String> {
    let (actions, steps, states) = (file.actions.len(), file.steps.len(), file.states.len());
    if steps != actions || states != actions + 1 {
        return Err(format!(
            "{actions} actions need {actions} steps and {} states, but the file has {steps} and {states}",
            actions + 1
        ));
    }
    let verdict = super::record::verdict(property(file)?, actions, file.loop_start);
    if file.verdict != verdict {
        return Err(format!("the verdict says '{}', but its {actions} actions make it '{verdict}'", file.verdict));
    }
    Ok(())
}
