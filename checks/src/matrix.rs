//! `kelp matrix`: every scenario of a tier checked (scenarios in parallel, one checker thread each:
//! the native engine's results do not depend on the thread count), compared with its expectation.
//! With more thread counts (`--threads 1,2`), each scenario is checked at each, and a scenario
//! whose counts, verdicts or counterexamples differ between them fails.

use crate::columns::{layout, Align};
use crate::run::{run, Engine, RunOptions, RunReport};
use crate::scenario::{Scenario, Tier};
use kelp_model::properties::Kind;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

pub struct Row {
    pub scenario: Scenario,
    pub report: RunReport,
    /// How its counterexamples differ from the committed ones (`kelp matrix --traces`).
    pub trace_problems: Vec<String>,
    /// How its results at the other thread counts differ from those at the first.
    pub thread_problems: Vec<String>,
}

impl Row {
    /// As expected, and every counterexample as committed.
    pub fn ok(&self) -> bool {
        self.report.as_expected() && self.trace_problems.is_empty() && self.thread_problems.is_empty()
    }

    /// The safety and liveness properties found violated, or "every property holds".
    fn got(&self) -> String {
        let violated = self.report.violations();
        let mut got = if violated.is_empty() {
            "every property holds".to_string()
        } else {
            format!("{} violated", violated.join(", "))
        };
        let unexpected: Vec<String> = self
            .report
            .properties
            .iter()
            .filter(|p| p.kind == Kind::Sometimes && !p.as_expected())
            .map(|p| format!("{} {}", p.name, p.verdict.describe(p.kind)))
            .collect();
        if !unexpected.is_empty() {
            got.push_str(&format!(" ({})", unexpected.join(", ")));
        }
        if self.report.engine == crate::simulated::ENGINE {
            got.push_str(&format!(" (by simulation: {} steps)", self.report.states));
        }
        got
    }

    /// Steps of the longest counterexample reported (0 when nothing broke).
    fn trace_length(&self) -> usize {
        self.report.properties.iter().filter_map(|p| p.trace.as_ref().map(Vec::len)).max().unwrap_or(0)
    }
}

/// Runs the scenarios of `tier` (`Full` runs every scenario), `parallel` at a time. Each runs on a
/// worker thread of its own with a one-thread checker, so its seconds are its own.
pub fn run_matrix(tier: Tier, parallel: usize) -> Vec<Row> {
    run_matrix_with(tier, parallel, &[1], &|_| {})
}

/// `run_matrix` with the checker at each of `threads` (the row reports the first), calling `done`
/// with each row as its scenario finishes (in finishing order).
pub fn run_matrix_with(tier: Tier, parallel: usize, threads: &[usize], done: &(dyn Fn(&Row) + Sync)) -> Vec<Row> {
    let (&first, others) = threads.split_first().expect("at least one thread count");
    let scenarios: Vec<Scenario> =
        Scenario::built_in().into_iter().filter(|s| tier == Tier::Full || s.tier == Tier::Ci).collect();
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<(usize, Row)>> = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..parallel.min(scenarios.len()) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(scenario) = scenarios.get(i) else { break };
                let check = |threads| run(scenario, RunOptions::bfs(Engine::Native, threads));
                let (report, thread_problems) = match scenario.simulate {
                    // Random walks: what they find depends on the walk, not on the checker.
                    Some(bounds) => (crate::simulated::report(scenario, bounds, 1), Vec::new()),
                    None => {
                        let report = check(first);
                        let problems = others
                            .iter()
                            .flat_map(|&n| {
                                differences(&report, &check(n)).into_iter().map(move |d| format!("at {n} threads: {d}"))
                            })
                            .collect();
                        (report, problems)
                    }
                };
                let row = Row { scenario: scenario.clone(), report, trace_problems: Vec::new(), thread_problems };
                done(&row);
                results.lock().expect("no worker panicked").push((i, row));
            });
        }
    });
    let mut rows = results.into_inner().expect("no worker panicked");
    rows.sort_by_key(|(i, _)| *i);
    rows.into_iter().map(|(_, row)| row).collect()
}

/// How `other` differs from `first` in what the search found: counts, depth, verdicts and
/// counterexamples (the order it was found in is part of the result: none may differ).
fn differences(first: &RunReport, other: &RunReport) -> Vec<String> {
    let mut found = Vec::new();
    let figures = [
        ("unique states", first.unique, other.unique),
        ("states", first.states, other.states),
        ("depth", first.depth, other.depth),
    ];
    for (what, a, b) in figures {
        if a != b {
            found.push(format!("{b} {what}, not {a}"));
        }
    }
    for (a, b) in first.properties.iter().zip(&other.properties) {
        if a.verdict != b.verdict {
            found.push(format!("{} {}, not {}", a.name, b.verdict.describe(b.kind), a.verdict.describe(a.kind)));
        } else if a.trace != b.trace || a.loop_start != b.loop_start {
            found.push(format!("{}: another counterexample", a.name));
        }
    }
    found
}

/// The stderr line for a finished scenario: `done kip-101-divergence: 155,667 unique in 2.0 s`.
pub fn done_line(scenario: &str, report: &RunReport) -> String {
    let explored = if report.engine == crate::simulated::ENGINE {
        format!("{} steps of random walks", crate::report::thousands(report.states))
    } else {
        format!("{} unique", crate::report::thousands(report.unique))
    };
    format!("done {scenario}: {explored} in {:.1} s", report.seconds)
}

pub fn table(rows: &[Row]) -> String {
    let header = ["scenario", "ok", "expected", "got", "unique", "seconds", "trace"];
    let mut cells = vec![header.map(String::from).to_vec()];
    for row in rows {
        cells.push(vec![
            row.scenario.name.clone(),
            (if row.ok() { "yes" } else { "NO" }).to_string(),
            row.scenario.expected_summary(),
            row.got(),
            row.report.unique.to_string(),
            format!("{:.1}", row.report.seconds),
            row.trace_length().to_string(),
        ]);
    }
    use Align::{Left, Right};
    let mut out = layout(&cells, &[Left, Left, Left, Left, Right, Right, Right]);
    for row in rows {
        for problem in row.trace_problems.iter().chain(&row.thread_problems) {
            out.push_str(&format!("{}: {problem}\n", row.scenario.name));
        }
    }
    let failed = rows.iter().filter(|r| !r.ok()).count();
    out.push_str(&format!("\n{} scenario(s), {} as expected, {} not\n", rows.len(), rows.len() - failed, failed));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_finished_scenario_is_one_line() {
        let scenario = Scenario::named("no-idempotence").unwrap();
        let report = run(&scenario, RunOptions::bfs(Engine::Native, 1));
        let line = done_line(&scenario.name, &report);
        assert!(line.starts_with("done no-idempotence: 629 unique in "), "{line}");
        assert!(line.ends_with(" s"), "{line}");
    }

    #[test]
    fn runs_at_two_thread_counts_agree_and_any_difference_is_named() {
        let scenario = Scenario::named("no-idempotence").unwrap();
        let at = |threads| run(&scenario, RunOptions::bfs(Engine::Native, threads));
        let (one, mut two) = (at(1), at(2));
        assert_eq!(differences(&one, &two), Vec::<String>::new());
        two.unique += 1;
        let violated = two.properties.iter_mut().find(|p| p.trace.is_some()).expect("no-idempotence breaks a property");
        violated.trace.as_mut().unwrap().pop();
        let name = violated.name;
        assert_eq!(
            differences(&one, &two),
            vec!["630 unique states, not 629".to_string(), format!("{name}: another counterexample")]
        );
    }
}
