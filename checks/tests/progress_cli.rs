//! `kelp check` progress on stderr (`--quiet`, `--progress-interval-ms`) and `--coverage` as users
//! run them.

mod common;

use common::kelp;

/// A check of a tenth of a second (two brokers, one record, one crash); it exits 1 (its power-loss
/// witness is not reached).
const SMALL: &[&str] = &[
    "check",
    "--brokers",
    "2",
    "--replication-factor",
    "2",
    "--min-insync-replicas",
    "1",
    "--records",
    "1",
    "--retries",
    "0",
    "--crashes",
    "1",
    "--power-losses",
    "0",
    "--session-expiries",
    "0",
    "--isr-shrinks",
    "0",
    "--leader-epochs",
    "2",
];

fn small(extra: &[&str]) -> (i32, String, String) {
    kelp(&[SMALL, extra].concat())
}

#[test]
fn quiet_prints_nothing_on_stderr() {
    let (code, out, err) = small(&["--threads", "1", "--quiet"]);
    assert_eq!(code, 1, "{out}{err}");
    assert_eq!(err, "");
    assert!(out.contains("unique"), "{out}");
}

#[test]
fn progress_lines_appear_on_stderr_on_the_schedule() {
    let (code, out, err) = small(&["--threads", "2", "--progress-interval-ms", "1"]);
    assert_eq!(code, 1, "{out}{err}");
    let lines: Vec<&str> = err.lines().collect();
    assert!(!lines.is_empty(), "no progress line");
    for line in &lines {
        assert!(line.starts_with("progress "), "{line}");
        for part in ["depth ", " states, ", " unique, ", "queue ", " unique states/s"] {
            assert!(line.contains(part), "{line} lacks {part:?}");
        }
    }
    assert!(!out.contains("progress "), "progress goes to stderr only");
}

#[test]
fn the_stateright_engine_reports_what_its_checker_exposes() {
    let (code, out, err) = small(&["--threads", "1", "--engine", "stateright", "--progress-interval-ms", "1"]);
    assert_eq!(code, 1, "{out}{err}");
    let line = err.lines().next().expect("a progress line");
    assert!(line.starts_with("progress ") && line.contains(" unique, ") && !line.contains("queue"), "{line}");
}

#[test]
fn quiet_and_an_interval_do_not_go_together() {
    let (code, _, err) = small(&["--quiet", "--progress-interval-ms", "10"]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn coverage_is_a_table_after_the_properties_and_an_array_in_json() {
    let (_, out, _) = small(&["--threads", "2", "--quiet", "--coverage"]);
    let properties = out.find("property ").expect("the property table");
    let coverage = out.find("action ").expect("the coverage table");
    assert!(properties < coverage, "{out}");
    assert!(out.contains("timer PowerLoss") && out.contains("NEVER FIRED"), "{out}");

    let (_, out, _) = small(&["--threads", "2", "--quiet", "--coverage", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&out).expect("one JSON object");
    let rows = v["coverage"].as_array().expect("a coverage array");
    let fetch = rows.iter().find(|r| r["kind"] == "deliver Fetch").expect("deliver Fetch");
    assert!(fetch["fired"].as_u64().unwrap() >= fetch["new_states"].as_u64().unwrap());
    let sum: u64 = rows.iter().map(|r| r["fired"].as_u64().unwrap()).sum();
    assert_eq!(sum, v["states"].as_u64().unwrap() - 1);

    let (_, out, _) = small(&["--threads", "2", "--quiet", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(v.get("coverage").is_none(), "coverage only when asked");
}

#[test]
fn coverage_with_stateright_s_engine_is_an_error() {
    let (code, out, err) = small(&["--engine", "stateright", "--coverage"]);
    assert_eq!(code, 2);
    assert_eq!(out, "");
    assert_eq!(err.trim(), "error: --coverage needs the native engine (drop --engine stateright)");
}

#[test]
fn coverage_with_the_depth_first_search_is_an_error() {
    let (code, out, err) = small(&["--dfs", "--coverage"]);
    assert_eq!(code, 2);
    assert_eq!(out, "");
    assert_eq!(err.trim(), "error: --coverage needs the breadth-first search (drop --dfs)");
}
