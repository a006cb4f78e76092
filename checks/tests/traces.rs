//! The committed counterexamples (`traces/<scenario>/<property>/`), pinned without a search: one
//! per violation a scenario expects, of either tier (replaying a full-tier trace costs no search);
//! each trace.json of its scenario as it is today, still replaying against today's model and
//! breaking its property, what today's model records for that path, and its trace.md and
//! trace.svg what kelp writes for it. The rendered files are insta snapshots too, so a model
//! change that changes a trace shows as a diff. Refresh the committed files with `kelp matrix
//! --ci --out traces` (`--full` for the full tier's), or `kelp check --scenario S`.

use kelp_checks::replay::replay;
use kelp_checks::scenario::{Scenario, Verdict};
use kelp_checks::trace_file::json;
use kelp_checks::trace_file::write::{markdown, svg};
use kelp_model::properties::{self, Kind};
use std::path::{Path, PathBuf};

fn committed() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../traces");
    let mut files = Vec::new();
    for scenario in std::fs::read_dir(&root).expect("traces/ is committed") {
        for property in std::fs::read_dir(scenario.unwrap().path()).unwrap() {
            let file = property.unwrap().path().join("trace.json");
            assert!(file.exists(), "{} lacks trace.json", file.display());
            files.push(file);
        }
    }
    files.sort();
    files
}

/// `scenario/property` for every safety or liveness property a scenario expects violated.
fn expected() -> Vec<String> {
    let breaks = |name: &str| properties::by_name(name).is_some_and(|p| p.kind != Kind::Sometimes);
    let mut expected: Vec<String> = Scenario::built_in()
        .iter()
        .flat_map(|s| {
            s.expect
                .iter()
                .filter(|(p, v)| **v == Verdict::Violated && breaks(p))
                .map(|(p, _)| format!("{}/{p}", s.name))
                .collect::<Vec<_>>()
        })
        .collect();
    expected.sort();
    expected
}

#[test]
fn every_expected_violation_has_its_committed_trace() {
    let name = |path: &PathBuf| {
        let dir = path.parent().unwrap();
        format!(
            "{}/{}",
            dir.parent().unwrap().file_name().unwrap().to_string_lossy(),
            dir.file_name().unwrap().to_string_lossy()
        )
    };
    let mut committed: Vec<String> = committed().iter().map(name).collect();
    committed.sort();
    assert_eq!(committed, expected());
}

#[test]
fn every_committed_trace_replays_and_renders_as_committed() {
    for path in committed() {
        let shown = path.display().to_string();
        let file = json::read(&path).unwrap_or_else(|e| panic!("{e}"));
        let scenario = Scenario::named(&file.scenario).unwrap_or_else(|e| panic!("{shown}: {e}"));
        let recorded = (&file.description, &file.config);
        assert!(recorded == (&scenario.description, &scenario.config), "{shown}: the scenario has changed since");
        let replayed = replay(&file).unwrap_or_else(|why| panic!("{shown} no longer replays: {why}"));
        assert!(replayed == file, "{shown}: today's model records this path differently; refresh the traces");
        let name = format!("{}__{}", file.scenario, file.property);
        let (md, svg) = (markdown(&replayed), svg(&replayed));
        insta::assert_snapshot!(format!("{name}__md"), md);
        insta::assert_snapshot!(format!("{name}__svg"), svg);
        let dir = path.parent().unwrap();
        for (written, rendered) in [("trace.md", &md), ("trace.svg", &svg)] {
            let text = std::fs::read_to_string(dir.join(written)).unwrap();
            assert!(text == *rendered, "{}/{written} is not what kelp writes for its trace.json", dir.display());
        }
    }
}
