//! A counterexample's directory, `<root>/<scenario>/<property>/`, with `trace.md`, `trace.json`
//! and `trace.svg`; and the trace files of a finished check, one per violated safety or liveness
//! property (a `sometimes` property left unreached has no counterexample).

use super::json::{to_json, TraceFileError};
use super::markdown::{self, Options};
use super::record::{record, Origin};
use super::sequence::Diagram;
use super::{svg, TraceFile};
use crate::run::RunReport;
use crate::scenario::Scenario;
use kelp_model::properties;
use std::path::{Path, PathBuf};

/// `trace.md` as written.
pub fn markdown(file: &TraceFile) -> String {
    markdown::render(file, Options { diagram: true, full: false })
}

/// `trace.svg` as written.
pub fn svg(file: &TraceFile) -> String {
    svg::render(&Diagram::of(file), &format!("{}: {}", file.scenario, file.verdict))
}

/// Every file of a counterexample's directory: name and contents.
fn contents(file: &TraceFile) -> [(&'static str, String); 3] {
    [("trace.md", markdown(file)), ("trace.json", to_json(file)), ("trace.svg", svg(file))]
}

/// `root/<scenario>/<property>`; a scenario name that is not a plain directory name (a user's file
/// may say `../x`) is refused.
pub fn dir_for(root: &Path, scenario: &str, property: &str) -> Result<PathBuf, TraceFileError> {
    if names_a_directory(scenario) {
        Ok(root.join(scenario).join(property))
    } else {
        Err(TraceFileError::Invalid {
            path: root.display().to_string(),
            message: format!("scenario name '{scenario}' cannot name a directory: {NAME_RULE}"),
        })
    }
}

/// What a scenario's name may be, as `names_a_directory` has it.
pub const NAME_RULE: &str =
    "a scenario's name is 1 to 64 ASCII letters, digits, '-', '_', '.' and '+', starting with a letter or digit";

/// Whether `name` is a plain directory name on any system, one that no shell reads as a flag or
/// hides: 1 to 64 ASCII letters, digits, `-`, `_`, `.` and `+` (a scenario changed by flags is
/// `<name>+flags`), the first a letter or digit.
pub fn names_a_directory(name: &str) -> bool {
    let plain = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '+');
    name.len() <= 64 && name.starts_with(|c: char| c.is_ascii_alphanumeric()) && name.chars().all(plain)
}

pub fn write(dir: &Path, file: &TraceFile) -> Result<(), TraceFileError> {
    let failed = |path: &Path| {
        let path = path.display().to_string();
        move |source| TraceFileError::Write { path, source }
    };
    std::fs::create_dir_all(dir).map_err(failed(dir))?;
    for (name, text) in contents(file) {
        let path = dir.join(name);
        std::fs::write(&path, text).map_err(failed(&path))?;
    }
    Ok(())
}

/// The trace file of every counterexample `report` found in `scenario`.
pub fn counterexamples(scenario: &Scenario, report: &RunReport) -> Vec<TraceFile> {
    let origin = Origin { scenario: &scenario.name, description: &scenario.description, config: &scenario.config };
    report
        .properties
        .iter()
        .filter_map(|p| Some(record(origin, properties::by_name(p.name)?, p.path.clone()?, p.loop_start)))
        .collect()
}

/// Writes every counterexample of `report` under `root`; returns the directories written.
pub fn write_counterexamples(
    root: &Path,
    scenario: &Scenario,
    report: &RunReport,
) -> Result<Vec<PathBuf>, TraceFileError> {
    let mut written = Vec::new();
    for file in counterexamples(scenario, report) {
        let dir = dir_for(root, &file.scenario, &file.property)?;
        write(&dir, &file)?;
        written.push(dir);
    }
    Ok(written)
}
