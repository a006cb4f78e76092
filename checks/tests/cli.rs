//! The `kelp` binary as users run it: exit codes, error messages, the scenario list and JSON.

mod common;

use common::{closed_pipe, full_disk, kelp, kelp_writing_to};
use std::path::Path;

#[test]
fn nonsense_configuration_exits_2_naming_the_value() {
    // Out of the model's bounds: the flag is refused with those bounds.
    for (value, shown) in [("0", "0 is not in 1..=9"), ("1000", "1000 is not in 1..=9")] {
        let (code, _, err) = kelp(&["check", "--brokers", value]);
        assert_eq!(code, 2);
        assert!(
            err.starts_with(&format!("error: invalid value '{value}' for '--brokers <BROKERS>': {shown}")),
            "{err}"
        );
    }
    let (code, _, err) = kelp(&["check", "--faults", "17"]);
    assert!(code == 2 && err.contains("17 is not in 0..=16"), "{err}");
    // Within them, but not a cluster: the configuration's own check names the value.
    let (code, _, err) = kelp(&["check", "--brokers", "2", "--min-insync-replicas", "3"]);
    assert_eq!(code, 2);
    assert_eq!(
        err.trim(),
        "error: command line: invalid configuration: replication-factor = 3: must be at least 1 and at most the number of brokers"
    );
    let (code, _, err) = kelp(&["check", "--replication-factor", "4"]);
    assert_eq!(code, 2);
    assert!(err.contains("replication-factor = 4"), "{err}");
}

#[test]
fn bad_flags_exit_2() {
    for args in
        [&["check", "--acks", "2"][..], &["check", "--threads", "0"], &["check", "--scenario", "nope"], &["frobnicate"]]
    {
        let (code, _, err) = kelp(args);
        assert_eq!(code, 2, "{args:?}");
        assert!(!err.is_empty(), "{args:?}");
    }
    let (_, _, err) = kelp(&["check", "--scenario", "nope"]);
    assert_eq!(err.trim(), "error: unknown scenario 'nope' (kelp scenarios lists them)");
}

#[test]
fn what_only_the_native_engine_does_is_refused_with_stateright_not_dropped() {
    let (code, out, err) = kelp(&["check", "--scenario", "acks-1", "--engine", "stateright", "--symmetry"]);
    assert_eq!((code, out.as_str()), (2, ""));
    assert_eq!(err.trim(), "error: --symmetry needs the native engine (drop --engine stateright)");
    let (code, out, err) =
        kelp(&["check", "--scenario", "acks-1", "--engine", "stateright", "--fingerprint-bits", "128"]);
    assert_eq!((code, out.as_str()), (2, ""));
    assert_eq!(err.trim(), "error: --fingerprint-bits 128 needs the native engine (drop --engine stateright)");
}

#[test]
fn a_missing_or_broken_config_file_exits_2() {
    let (code, _, err) = kelp(&["check", "--config", "/nonexistent/kelp.toml"]);
    assert_eq!(code, 2);
    assert!(err.starts_with("error: cannot read /nonexistent/kelp.toml"), "{err}");
    let dir = std::env::temp_dir().join(format!("kelp-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("broken.toml");
    std::fs::write(&file, "name = 'x'\n[config\n").unwrap();
    let (code, _, err) = kelp(&["check", "--config", file.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("is not a valid scenario: TOML parse error at line 2, column 8"), "{err}");
    // The reference cluster's settings have no place in a checked scenario (with heartbeats on, a
    // state space has no end).
    std::fs::write(&file, "name = 'x'\ndescription = 'd'\n[config.runtime]\nheartbeats = true\n").unwrap();
    let (code, _, err) = kelp(&["check", "--config", file.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("[config.runtime] is for the reference cluster only"), "{err}");
}

#[test]
fn help_lists_the_commands_and_what_exit_codes_mean() {
    let (code, out, _) = kelp(&["--help"]);
    assert_eq!(code, 0);
    insta::assert_snapshot!("help", out);
}

#[test]
fn scenarios_lists_names_and_expectations() {
    let (code, out, _) = kelp(&["scenarios"]);
    assert_eq!(code, 0);
    insta::assert_snapshot!("scenarios", out);
}

#[test]
fn json_output_has_the_documented_fields_and_exit_1_on_unexpected_verdicts() {
    // Without faults nothing is lost, but the fault witnesses are not reached: not as expected.
    let (code, out, _) = kelp(&[
        "check",
        "--records",
        "1",
        "--crashes",
        "0",
        "--power-losses",
        "0",
        "--session-expiries",
        "0",
        "--isr-shrinks",
        "0",
        "--threads",
        "1",
        "--json",
    ]);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&out).expect("one JSON object");
    for field in ["scenario", "engine", "threads", "states", "unique", "depth", "seconds", "properties"] {
        assert!(v.get(field).is_some(), "missing {field}");
    }
    let props = v["properties"].as_array().unwrap();
    let loss = props.iter().find(|p| p["name"] == "no-acked-loss").unwrap();
    assert_eq!((loss["kind"].as_str(), loss["verdict"].as_str()), (Some("always"), Some("holds")));
    let crash = props.iter().find(|p| p["name"] == "process-crash").unwrap();
    assert_eq!((crash["kind"].as_str(), crash["verdict"].as_str()), (Some("sometimes"), Some("violated")));
}

#[test]
fn acks_1_exits_1_with_the_counterexample_even_though_the_scenario_expects_it() {
    let (code, out, _) = kelp(&["check", "--scenario", "acks-1", "--threads", "1", "--no-traces"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("counterexample for no-acked-loss"));
    assert!(out.contains("result: no-acked-loss violated, as this scenario expects"), "{out}");
}

#[test]
fn acks_take_kafkas_spellings_on_the_command_line() {
    // acks=-1 is acks=all: the acks-1 scenario's loss is gone (so its verdict is not the expected one).
    let (code, out, err) = kelp(&["check", "--scenario", "acks-1", "--acks", "-1", "--no-traces", "--json"]);
    assert_eq!(code, 1, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("one JSON object");
    let props = v["properties"].as_array().unwrap();
    let loss = props.iter().find(|p| p["name"] == "no-acked-loss").unwrap();
    assert_eq!(loss["verdict"].as_str(), Some("holds"));
    let (code, _, err) = kelp(&["check", "--scenario", "acks-1", "--acks", "2"]);
    assert_eq!(code, 2);
    assert!(err.contains("expected 0, 1 or all (-1), found \"2\""), "{err}");
}

#[test]
fn a_reader_gone_is_no_error_and_a_full_disk_exits_2() {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let trace = here.join("../traces/acks-1/no-acked-loss/trace.json");
    for args in [&["scenarios"][..], &["trace", "show", trace.to_str().unwrap()]] {
        assert_eq!(kelp_writing_to(here, args, closed_pipe()), (0, String::new()), "kelp {args:?} | head");
        let (code, err) = kelp_writing_to(here, args, full_disk());
        assert_eq!(code, 2, "kelp {args:?} > /dev/full: {err}");
        assert!(err.starts_with("error: writing standard output: No space left on device"), "{err}");
    }
}
