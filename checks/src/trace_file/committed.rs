//! The counterexamples a check found against the committed ones (`kelp matrix --traces DIR`): each
//! must be in `DIR/<scenario>/<property>/trace.json` with the same configuration and the same
//! action path, so a model change that changes a shortest counterexample fails CI until the
//! traces are regenerated (`kelp matrix --out DIR`) and the diff reviewed.

use super::json;
use super::write::{counterexamples, dir_for};
use super::TraceFile;
use crate::run::RunReport;
use crate::scenario::Scenario;
use std::path::Path;

/// What differs between the found and the committed counterexamples, one line each; empty when
/// every counterexample is committed as found.
pub fn compare(root: &Path, scenario: &Scenario, report: &RunReport) -> Vec<String> {
    counterexamples(scenario, report).iter().filter_map(|found| difference(root, found)).collect()
}

fn difference(root: &Path, found: &TraceFile) -> Option<String> {
    let path = match dir_for(root, &found.scenario, &found.property) {
        Ok(dir) => dir.join("trace.json"),
        Err(e) => return Some(e.to_string()),
    };
    if !path.exists() {
        return Some(format!("{} is missing (kelp matrix --out {} writes it)", path.display(), root.display()));
    }
    let committed = match json::read(&path) {
        Ok(file) => file,
        Err(e) => return Some(e.to_string()),
    };
    let shown = path.display();
    if committed.config != found.config {
        return Some(format!("{shown}: recorded with another configuration than the scenario's"));
    }
    let first_difference = (0..found.actions.len().max(committed.actions.len()))
        .find(|&i| found.actions.get(i) != committed.actions.get(i))?;
    let describe =
        |file: &TraceFile| file.actions.get(first_difference).map_or_else(|| "(ends)".to_string(), |a| a.to_string());
    Some(format!(
        "{shown}: the counterexample differs from step {}: committed {}, found {} ({} steps committed, {} found)",
        first_difference + 1,
        describe(&committed),
        describe(found),
        committed.actions.len(),
        found.actions.len()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace_file::write::write;
    use std::path::PathBuf;

    fn committed_acks_1() -> TraceFile {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../traces");
        json::read(&root.join("acks-1/no-acked-loss/trace.json")).expect("the committed acks-1 trace")
    }

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("kelp-committed-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn the_same_path_is_no_difference() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../traces");
        assert_eq!(difference(&root, &committed_acks_1()), None);
    }

    #[test]
    fn a_missing_trace_says_how_to_write_it() {
        let root = scratch("missing");
        let why = difference(&root, &committed_acks_1()).expect("missing");
        assert!(
            why.ends_with(&format!("trace.json is missing (kelp matrix --out {} writes it)", root.display())),
            "{why}"
        );
    }

    #[test]
    fn a_different_path_names_the_first_step_that_differs() {
        let root = scratch("differs");
        let committed = committed_acks_1();
        write(&root.join("acks-1/no-acked-loss"), &committed).unwrap();
        let mut found = committed.clone();
        found.actions.remove(2);
        let why = difference(&root, &found).expect("differs");
        assert!(
            why.ends_with(
                "the counterexample differs from step 3: committed producer 1 receives ProduceResponse{p0 #0 ok offset 0} \
                 from broker 1, found controller receives (heartbeats stop){broker 1 broker-epoch 1} from broker 1 \
                 (6 steps committed, 5 found)"
            ),
            "{why}"
        );
        found.config.budget.link_cuts += 1;
        let why = difference(&root, &found).expect("differs");
        assert!(why.ends_with("recorded with another configuration than the scenario's"), "{why}");
        std::fs::remove_dir_all(&root).unwrap();
    }
}
