//! `kelp simulate` as users run it: the report for a fixed seed, the same runs for any thread count
//! and in any process, a reproduce command that replays the violation, exit codes.

mod common;

use common::kelp;

/// The report without its one line of wall-clock figures.
fn without_timings(out: &str) -> String {
    out.lines().filter(|l| !l.starts_with("time ")).map(|l| format!("{l}\n")).collect()
}

fn reproduce_command(out: &str) -> Vec<String> {
    let line = out.lines().find_map(|l| l.strip_prefix("reproduce: ")).expect("a reproduce line");
    let words: Vec<String> = line.split_whitespace().map(String::from).collect();
    assert_eq!(words[..2], ["kelp", "simulate"], "{line}");
    words[1..].to_vec()
}

#[test]
fn acks_1_report_for_a_fixed_seed() {
    // The seed of run 386 of `--seed 1 --runs 1000`, whose 8 steps were the shortest loss there.
    let seed = "0x7bbea9b3b5bb3b89";
    let (code, out, _) =
        kelp(&["simulate", "--scenario", "acks-1", "--seed", seed, "--runs", "3", "--depth", "50", "--threads", "1"]);
    assert_eq!(code, 1, "{out}");
    insta::assert_snapshot!("acks_1_fixed_seed", without_timings(&out));
}

#[test]
fn the_reproduce_command_replays_the_violation() {
    let (code, out, _) = kelp(&[
        "simulate",
        "--scenario",
        "no-idempotence",
        "--retries",
        "1",
        "--seed",
        "1",
        "--runs",
        "20",
        "--depth",
        "60",
    ]);
    assert_eq!(code, 1, "{out}");
    let counterexample = out.split("counterexample for ").nth(1).expect("a counterexample").to_string();
    let args = reproduce_command(&out);
    assert_eq!(args[..5], ["simulate", "--scenario", "no-idempotence", "--retries", "1"]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, again, _) = kelp(&args);
    assert_eq!(code, 1, "{again}");
    let line = again.lines().find(|l| l.starts_with("run 0 ")).expect("run 0");
    assert!(line.contains("violated no-duplicates at step"), "{line}");
    let replayed = again.split("counterexample for ").nth(1).expect("a counterexample");
    assert_eq!(any_run(replayed), any_run(&counterexample));
}

/// `no-duplicates (run 17, 3 steps):` as `no-duplicates (run N, 3 steps):`.
fn any_run(counterexample: &str) -> String {
    let (heading, rest) = counterexample.split_once(", ").expect("a heading");
    let (property, _) = heading.split_once(" (run ").expect("a run");
    format!("{property} (run N, {rest}")
}

#[test]
fn one_or_two_threads_and_two_processes_give_the_same_runs() {
    let args = ["simulate", "--scenario", "healthy", "--seed", "42", "--runs", "12", "--depth", "80"];
    let run = |threads: &str| {
        let (code, out, _) = kelp(&[&args[..], &["--threads", threads]].concat());
        assert_eq!(code, 0, "{out}");
        without_timings(&out)
    };
    let one = run("1");
    assert_eq!(one, run("2"));
    assert_eq!(one, run("1"));
}

#[test]
fn a_healthy_small_config_is_ok_in_json() {
    let (code, out, _) =
        kelp(&["simulate", "--scenario", "healthy", "--records", "1", "--seed", "0x2a", "--runs", "4", "--json"]);
    assert_eq!(code, 0, "{out}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("one JSON object");
    assert_eq!((v["seed"].as_str(), v["depth"].as_u64()), (Some("0x000000000000002a"), Some(200)));
    let runs = v["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 4);
    assert_eq!(runs[0]["seed"], "0x000000000000002a");
    assert!(runs.iter().all(|r| r.get("violation").is_none() && r["steps"].as_u64() > Some(0)), "{out}");
    for field in ["runs", "steps", "seconds", "steps_per_second", "reached", "not_reached", "violated"] {
        assert!(v["summary"].get(field).is_some(), "missing summary.{field}");
    }
    assert_eq!(v["counterexamples"], serde_json::json!([]));
}

#[test]
fn bad_input_exits_2_with_one_line() {
    let (code, _, err) = kelp(&["simulate", "--scenario", "nope"]);
    assert_eq!((code, err.trim()), (2, "error: unknown scenario 'nope' (kelp scenarios lists them)"));
    let (code, _, err) = kelp(&["simulate", "--replication-factor", "4"]);
    assert_eq!((code, err.trim()), (2, "error: command line: invalid configuration: replication-factor = 4: must be at least 1 and at most the number of brokers"));
    for args in [
        &["simulate", "--runs", "0"][..],
        &["simulate", "--depth", "0"],
        &["simulate", "--seed", "0xzz"],
        &["simulate", "--seed", "-1"],
    ] {
        let (code, _, err) = kelp(args);
        assert_eq!(code, 2, "{args:?}");
        assert!(err.starts_with("error: "), "{args:?}: {err}");
    }
}
