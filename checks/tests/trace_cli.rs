//! Trace files as users meet them through the binary: `kelp check` writing them (`--out`,
//! `--no-traces`), `kelp trace show` and `kelp trace replay` on good, tampered and bad files.

mod common;

use common::{kelp, kelp_in};
use std::path::{Path, PathBuf};

/// A fresh, empty directory of this test's own.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kelp-trace-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn acks_1() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../traces/acks-1/no-acked-loss/trace.json")
}

fn acks_1_json() -> String {
    std::fs::read_to_string(acks_1()).unwrap()
}

/// A copy of the acks-1 trace with `edit` applied, written into `dir`.
fn edited(dir: &Path, name: &str, edit: impl FnOnce(String) -> String) -> String {
    let path = dir.join(name);
    std::fs::write(&path, edit(acks_1_json())).unwrap();
    path.to_str().unwrap().to_string()
}

#[test]
fn check_writes_each_counterexample_where_told_and_says_so() {
    let check = ["check", "--scenario", "no-idempotence", "--threads", "2"];
    let committed = Path::new(env!("CARGO_MANIFEST_DIR")).join("../traces/no-idempotence/no-duplicates");
    let dir = scratch("out");
    let elsewhere = dir.join("elsewhere");
    for (args, root) in [(vec![], dir.join("traces")), (vec!["--out", elsewhere.to_str().unwrap()], elsewhere.clone())]
    {
        let (code, _, err) = kelp_in(&dir, &[&check[..], &args].concat());
        assert_eq!(code, 1, "{err}");
        let written = root.join("no-idempotence/no-duplicates");
        let shown =
            if args.is_empty() { "traces/no-idempotence/no-duplicates".into() } else { written.display().to_string() };
        assert_eq!(err, format!("counterexample written to {shown}/ (trace.md, trace.json, trace.svg)\n"));
        // The same counterexample as the committed one: the native engine's shortest path.
        for file in ["trace.md", "trace.json", "trace.svg"] {
            let read = |dir: &Path| std::fs::read_to_string(dir.join(file)).unwrap();
            assert!(read(&written) == read(&committed), "{file} differs from the committed one");
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();

    let dir = scratch("quiet");
    let (code, _, err) = kelp_in(&dir, &[&check[..], &["--quiet"]].concat());
    assert_eq!((code, err.as_str()), (1, ""), "--quiet writes the files without a word");
    assert!(dir.join("traces/no-idempotence/no-duplicates/trace.json").exists());
    std::fs::remove_dir_all(&dir).unwrap();

    let dir = scratch("none");
    let (code, _, err) = kelp_in(&dir, &[&check[..], &["--no-traces", "--quiet"]].concat());
    assert_eq!((code, err.as_str()), (1, ""));
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0, "--no-traces writes nothing");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn show_prints_the_markdown_without_the_diagram() {
    let (code, out, _) = kelp(&["trace", "show", acks_1().to_str().unwrap()]);
    assert_eq!(code, 0);
    let md = std::fs::read_to_string(acks_1().with_file_name("trace.md")).unwrap();
    let (story, _) = md.split_once("\n## Sequence diagram").unwrap();
    assert_eq!(out.trim_end(), story.trim_end());
    let (code, full, _) = kelp(&["trace", "show", "--full", acks_1().to_str().unwrap()]);
    assert_eq!(code, 0);
    assert!(full.contains("   - every field after step 6:\n     - controller:\n"), "{full}");
}

#[test]
fn replay_accepts_the_committed_trace_and_names_the_first_step_that_no_longer_applies() {
    let (code, out, _) = kelp(&["trace", "replay", acks_1().to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
    assert!(out.starts_with("valid: 6 steps replayed, no-acked-loss still violated: record p1#0"), "{out}");

    // Broker 1's crash (step 2) taken out of the action path.
    let dir = scratch("tampered");
    let tampered = edited(&dir, "tampered.json", |json| {
        let mut v: serde_json::Value = serde_json::from_str(&json).unwrap();
        v["actions"].as_array_mut().unwrap().remove(1);
        v.to_string()
    });
    let (code, out, _) = kelp(&["trace", "replay", &tampered]);
    assert_eq!(code, 1);
    assert_eq!(
        out.trim_end(),
        "invalid: step 3: controller receives (heartbeats stop){broker 1 broker-epoch 1} from broker 1: not enabled in today's model"
    );
    // Printing it needs the steps and states to match: a clear error.
    let (code, _, err) = kelp(&["trace", "show", &tampered]);
    assert_eq!(code, 2);
    assert!(err.ends_with("5 actions need 5 steps and 6 states, but the file has 6 and 7\n"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A copy of the committed lasso of `partial-partition` (7 steps, its cycle from step 5) whose
/// cycle starts at `at` instead.
fn lasso_with_loop_start(dir: &Path, at: usize) -> String {
    let committed =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../traces/partial-partition/eventually-write-completes/trace.json");
    let json = std::fs::read_to_string(committed).unwrap();
    assert!(json.contains("\"loop_start\": 5"));
    let path = dir.join(format!("loop-start-{at}.json"));
    std::fs::write(&path, json.replace("\"loop_start\": 5", &format!("\"loop_start\": {at}"))).unwrap();
    path.to_str().unwrap().to_string()
}

#[test]
fn bad_files_exit_2_with_one_line() {
    let dir = scratch("bad");
    let json = acks_1_json();
    let cases = [
        (edited(&dir, "not-json.json", |_| "hello".to_string()), "is not a kelp trace file: expected value"),
        (
            edited(&dir, "truncated.json", |j| j[..j.len() / 2].to_string()),
            "is not a kelp trace file: EOF while parsing",
        ),
        (
            edited(&dir, "version.json", |j| j.replace("\"version\": 1", "\"version\": 2")),
            "trace file version 2, but this kelp reads version 1 only",
        ),
        (
            edited(&dir, "version-text.json", |j| j.replace("\"version\": 1", "\"version\": \"1\"")),
            "is not a kelp trace file: \"version\" is \"1\", not a whole number",
        ),
        (
            edited(&dir, "field.json", |j| j.replace("\"description\"", "\"descriptio\"")),
            "is not a kelp trace file: unknown field `descriptio`",
        ),
        (
            edited(&dir, "config.json", |j| j.replace("\"min_insync_replicas\"", "\"min_isr\"")),
            "is not a kelp trace file: unknown field `min_isr`",
        ),
        (dir.join("missing.json").to_str().unwrap().to_string(), "cannot read"),
        (
            edited(&dir, "runtime.json", |j| {
                j.replacen("\"config\": {", "\"config\": {\"runtime\": {\"heartbeats\": true},", 1)
            }),
            "config.runtime is the reference cluster's: no checker's trace has it",
        ),
        (lasso_with_loop_start(&dir, 7), "loop_start 7 leaves no step for the cycle (the path has 7 steps)"),
        (lasso_with_loop_start(&dir, 99), "loop_start 99 leaves no step for the cycle (the path has 7 steps)"),
    ];
    assert!(json.contains("\"version\": 1") && json.contains("\"min_insync_replicas\""));
    for (file, message) in &cases {
        for command in ["show", "replay"] {
            let (code, out, err) = kelp(&["trace", command, file]);
            assert_eq!(code, 2, "{command} {file}: {out}{err}");
            assert_eq!(err.lines().count(), 1, "{err}");
            assert!(err.starts_with("error: ") && err.contains(message), "{command} {file}: {err}");
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_scenario_changed_by_flags_writes_under_its_own_name() {
    let dir = scratch("flags");
    let (code, _, err) =
        kelp_in(&dir, &["check", "--scenario", "no-idempotence", "--retries", "2", "--threads", "1", "--quiet"]);
    assert_eq!(code, 1, "{err}");
    assert!(dir.join("traces/no-idempotence+flags/no-duplicates/trace.json").exists());
    assert!(!dir.join("traces/no-idempotence").exists(), "the named scenario's traces are left alone");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_place_traces_cannot_be_written_or_read_is_refused_before_any_search() {
    let dir = scratch("refused");
    std::fs::write(dir.join("a-file"), "").unwrap();
    let file = dir.join("a-file");
    let under_file = file.join("traces");
    for (args, message) in [
        (vec!["check", "--scenario", "acks-1", "--out", file.to_str().unwrap()], "a-file is not a directory"),
        (vec!["matrix", "--out", under_file.to_str().unwrap()], "a-file is not a directory"),
        (
            vec!["matrix", "--traces", under_file.to_str().unwrap()],
            "no such directory (`kelp matrix --out DIR` writes one)",
        ),
    ] {
        let (code, out, err) = kelp_in(&dir, &args);
        assert_eq!((code, out.as_str()), (2, ""), "kelp {args:?}: nothing checked: {err}");
        assert!(err.starts_with("error: ") && err.trim_end().ends_with(message), "kelp {args:?}: {err}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
