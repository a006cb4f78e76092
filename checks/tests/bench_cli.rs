//! `kelp bench` as users run it: the table's rows and summary, the JSON object, and bad input.
//! Timings vary from run to run, so only the structure and the unique-state counts are checked.

mod common;

use common::kelp;

/// A small configuration: about 21,000 unique states, well under a second per engine.
const SMALL: [&str; 4] = ["--scenario", "kip-101-divergence-fixed", "--records", "1"];

fn bench(extra: &[&str]) -> (i32, String, String) {
    let args: Vec<&str> = ["bench"].iter().chain(&SMALL).chain(extra).copied().collect();
    kelp(&args)
}

/// The table's data rows, split into cells (the last column, which has spaces, kept whole).
fn rows(out: &str) -> Vec<Vec<String>> {
    out.lines()
        .skip_while(|l| !l.starts_with("engine "))
        .skip(1)
        .take_while(|l| !l.is_empty())
        .map(|l| {
            let mut cells: Vec<String> = l.split_whitespace().take(8).map(String::from).collect();
            let last = l.split_whitespace().skip(8).collect::<Vec<_>>().join(" ");
            cells.push(last);
            cells
        })
        .collect()
}

#[test]
fn the_table_has_stateright_then_native_by_thread_count_with_one_unique_count() {
    // About 155,000 states: a few seconds per engine. Thread counts out of order and repeated:
    // each runs once, ascending.
    let (code, out, err) = kelp(&["bench", "--scenario", "kip-101-divergence-fixed", "--threads", "2,1,2", "--quiet"]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert_eq!(err, "", "--quiet prints nothing on stderr");
    assert!(out.starts_with("scenario kip-101-divergence-fixed: "), "{out}");
    let header = out.lines().find(|l| l.starts_with("engine ")).expect("a header");
    let columns: Vec<&str> = header.split("  ").map(str::trim).filter(|c| !c.is_empty()).collect();
    assert_eq!(
        columns,
        ["engine", "threads", "unique", "seconds", "CPU s", "unique/s", "peak MiB", "bytes/state", "vs stateright"]
    );
    let rows = rows(&out);
    let runs: Vec<(&str, &str)> = rows.iter().map(|r| (r[0].as_str(), r[1].as_str())).collect();
    assert_eq!(runs, [("stateright", "1"), ("native", "1"), ("native", "2")], "{out}");
    assert!(rows.iter().all(|r| r[2] == rows[0][2]), "every run finds the same unique states:\n{out}");
    assert_eq!(rows[0][8], "1.00x (baseline)");
    assert!(rows[1][8].ends_with('x') && !rows[1][8].contains("over"), "{out}");
    assert!(rows[2][8].ends_with("over native at 1 thread)"), "{out}");
    for row in &rows {
        for cell in &row[3..8] {
            assert!(cell == "n/a" || cell.replace([',', '.'], "").chars().all(|c| c.is_ascii_digit()), "{cell}");
        }
    }
    let overlap = out.lines().find(|l| l.starts_with("native at 2 threads: ")).expect("a line on 2 threads' overlap");
    assert!(overlap.ends_with("% of the copies of new states made for nothing"), "{out}");
    let at_work =
        out.lines().filter(|l| l.starts_with("native at 2 threads: ")).nth(1).expect("a line on 2 threads' work");
    assert!(at_work.contains(" threads at work on average (at 1 thread: "), "{out}");
    assert!(at_work.contains("x the CPU time of native at 1 thread: "), "{out}");
    // The split's product is the speed-up in the table's last column (both from wall-clock times
    // of equal state counts), up to rounding.
    let (factors, split) = at_work.rsplit_once(": ").unwrap().1.split_once(" = ").unwrap();
    let split = split.strip_suffix('x').unwrap().parse::<f64>().unwrap();
    let column = rows[2][8].split('(').nth(1).unwrap().split('x').next().unwrap().parse::<f64>().unwrap();
    assert!((split - column).abs() <= 0.011, "{split} against {column}:\n{out}");
    let factors: Vec<f64> = factors.split(" / ").map(|f| f.parse().unwrap()).collect();
    let product = factors[0] / factors[1] / factors[2];
    assert!((product - split).abs() <= 0.03 * split, "{factors:?} make {product}, not {split}:\n{out}");
    let amdahl = out.lines().rev().nth(1).unwrap();
    assert!(
        amdahl.starts_with("native at 1 thread: ") && amdahl.ends_with(" at 16 threads (Amdahl)"),
        "no sequential part before the summary:\n{out}"
    );
    let summary = out.lines().last().unwrap();
    let ratio = summary
        .strip_prefix("native/stateright at 1 thread: ")
        .and_then(|s| s.strip_suffix("x (unique states per second, measured in this run)"))
        .unwrap_or_else(|| panic!("no summary line:\n{out}"));
    assert!(ratio.parse::<f64>().is_ok_and(|r| r > 0.0), "{summary}");
}

#[test]
fn json_has_the_documented_fields_and_progress_goes_to_stderr() {
    let (code, out, err) = bench(&["--threads", "1,2", "--json"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        err.lines().collect::<Vec<_>>(),
        ["bench: stateright at 1 thread(s)...", "bench: native at 1 thread(s)...", "bench: native at 2 thread(s)..."]
    );
    let v: serde_json::Value = serde_json::from_str(&out).expect("one JSON object");
    // The unique states `kelp check` reports for the configuration.
    let args: Vec<&str> =
        ["check"].iter().chain(&SMALL).chain(&["--threads", "1", "--json", "--no-traces"]).copied().collect();
    let (_, check, _) = kelp(&args);
    let check: serde_json::Value = serde_json::from_str(&check).expect("one JSON object");
    let unique = check["unique"].as_u64().expect("a unique count");
    assert_eq!(v["scenario"], "kip-101-divergence-fixed+flags");
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    assert_eq!(v["cores"].as_u64(), Some(cores as u64), "{v}");
    assert!(v["native_over_stateright"].as_f64().is_some_and(|r| r > 0.0), "{v}");
    let runs = v["runs"].as_array().expect("runs");
    let order: Vec<(&str, u64)> =
        runs.iter().map(|r| (r["engine"].as_str().unwrap(), r["threads"].as_u64().unwrap())).collect();
    assert_eq!(order, [("stateright", 1), ("native", 1), ("native", 2)]);
    for run in runs {
        for field in [
            "engine",
            "threads",
            "unique",
            "states",
            "seconds",
            "cpu_seconds",
            "unique_per_second",
            "peak_bytes",
            "bytes_per_state",
        ] {
            assert!(run.get(field).is_some(), "missing {field} in {run}");
        }
        // Measured for the native engine only; at one thread no thread works for another.
        let sequential = &run["sequential_seconds"];
        let (helped, lost) = (&run["helped_share"], &run["lost_copy_share"]);
        match (run["engine"].as_str(), run["threads"].as_u64()) {
            (Some("native"), threads) => {
                assert!(
                    sequential.as_f64().is_some_and(|s| s >= 0.0 && s <= run["seconds"].as_f64().unwrap()),
                    "{run}"
                );
                for share in [helped, lost] {
                    assert!(share.as_f64().is_some_and(|s| (0.0..=1.0).contains(&s)), "{run}");
                }
                if threads == Some(1) {
                    assert_eq!((helped.as_f64(), lost.as_f64()), (Some(0.0), Some(0.0)), "{run}");
                }
            }
            _ => assert!(sequential.is_null() && helped.is_null() && lost.is_null(), "{run}"),
        }
        assert_eq!(run["unique"], unique, "{run}");
        assert!(run["states"].as_u64().unwrap() >= unique, "{run}");
        assert!(run["unique_per_second"].as_f64().is_some_and(|r| r > 0.0), "{run}");
        // Measured on Linux, null where /proc does not allow it: both or neither.
        assert_eq!(run["peak_bytes"].is_null(), run["bytes_per_state"].is_null(), "{run}");
        if !run["peak_bytes"].is_null() {
            assert!(run["peak_bytes"].as_u64().is_some_and(|b| b > 0), "{run}");
            assert!(run["bytes_per_state"].as_f64().is_some_and(|b| b >= 0.0), "{run}");
        }
        // Measured on Unix (getrusage, every thread of the process).
        if cfg!(unix) {
            assert!(run["cpu_seconds"].as_f64().is_some_and(|c| c > 0.0), "{run}");
        }
    }
}

#[test]
fn rounds_alternate_the_order_and_give_each_rounds_ratio() {
    let (code, out, err) = bench(&["--rounds", "2", "--json"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        err.lines().collect::<Vec<_>>(),
        [
            "bench: round 1 of 2: stateright at 1 thread(s)...",
            "bench: round 1 of 2: native at 1 thread(s)...",
            "bench: round 2 of 2: native at 1 thread(s)...",
            "bench: round 2 of 2: stateright at 1 thread(s)...",
        ],
        "the second round runs in the reverse order"
    );
    let v: serde_json::Value = serde_json::from_str(&out).expect("one JSON object");
    assert_eq!(v["rounds"], 2);
    let ratios = v["round_ratios"].as_array().expect("round_ratios");
    assert_eq!(ratios.len(), 2, "{v}");
    assert!(ratios.iter().all(|r| r.as_f64().is_some_and(|r| r > 0.0)), "{v}");
    assert_eq!(v["runs"].as_array().map(Vec::len), Some(2), "one median run per engine: {v}");
    let (code, out, _) = bench(&["--rounds", "2", "--quiet"]);
    assert_eq!(code, 0);
    let line = out.lines().find(|l| l.starts_with("2 rounds ")).unwrap_or_else(|| panic!("no rounds line:\n{out}"));
    assert!(line.starts_with("2 rounds (each row: that engine's median run); native/stateright at 1 thread by round: "));
    let (code, _, err) = kelp(&["bench", "--rounds", "0"]);
    assert_eq!(code, 2);
    assert!(err.contains("invalid value '0' for '--rounds <ROUNDS>': 0 is not in 1..=20"), "{err}");
}

#[test]
fn without_native_at_one_thread_there_is_no_ratio() {
    let (code, out, _) = bench(&["--threads", "2", "--json", "--quiet"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).expect("one JSON object");
    assert!(v["native_over_stateright"].is_null(), "{v}");
}

#[test]
fn bad_thread_lists_exit_2_with_clap_errors() {
    let (code, _, err) = kelp(&["bench", "--threads", "0"]);
    assert_eq!(code, 2);
    assert!(err.contains("invalid value '0' for '--threads <LIST>': 0 is not in 1..=512"), "{err}");
    let (code, _, err) = kelp(&["bench", "--threads", "1,x"]);
    assert_eq!(code, 2);
    assert!(err.contains("invalid value 'x' for '--threads <LIST>'"), "{err}");
    let (code, _, err) = kelp(&["bench", "--threads", "x"]);
    assert_eq!(code, 2);
    assert!(err.contains("invalid value 'x' for '--threads <LIST>'"), "{err}");
}

#[test]
fn a_bad_scenario_exits_2() {
    let (code, out, err) = kelp(&["bench", "--scenario", "nope"]);
    assert_eq!((code, out.as_str()), (2, ""));
    assert_eq!(err.trim(), "error: unknown scenario 'nope' (kelp scenarios lists them)");
    let (code, _, err) = kelp(&["bench", "--scenario", "healthy", "--config", "x.toml"]);
    assert_eq!(code, 2, "{err}");
    let (code, _, err) = kelp(&["bench", "--replication-factor", "4"]);
    assert_eq!(code, 2);
    assert_eq!(err.trim(), "error: command line: invalid configuration: replication-factor = 4: must be at least 1 and at most the number of brokers");
}
