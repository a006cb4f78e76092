//! `kelp matrix`: every scenario of a tier checked (scenarios in parallel, one checker thread each:
//! the native engine's results do not depend on the thread count), compared with its expectation.

use crate::columns::{layout, Align};
use crate::run::{run, Engine, RunOptions, RunReport, Search};
use crate::scenario::{Scenario, Tier};
use kelp_model::properties::Kind;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

pub struct Row {
    pub scenario: Scenario,
    pub report: RunReport,
    /// How its counterexamples differ from the committed ones (`kelp matrix --traces`).
    pub trace_problems: Vec<String>,
}

impl Row {
    /// As expected, and every counterexample as committed.
    pub fn ok(&self) -> bool {
        self.report.as_expected() && self.trace_problems.is_empty()
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
    run_matrix_with(tier, parallel, &|_| {})
}

/// `run_matrix`, calling `done` with each row as its scenario finishes (in finishing order).
pub fn run_matrix_with(tier: Tier, parallel: usize, done: &(dyn Fn(&Row) + Sync)) -> Vec<Row> {
    let scenarios: Vec<Scenario> =
        Scenario::built_in().into_iter().filter(|s| tier == Tier::Full || s.tier == Tier::Ci).collect();
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<(usize, Row)>> = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..parallel.min(scenarios.len()) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(scenario) = scenarios.get(i) else { break };
                let report = match scenario.simulate {
                    Some(bounds) => crate::simulated::report(scenario, bounds, 1),
                    None => run(
                        scenario,
                        RunOptions { engine: Engine::Native, search: Search::Bfs, threads: 1, symmetry: false },
                    ),
                };
                let row = Row { scenario: scenario.clone(), report, trace_problems: Vec::new() };
                done(&row);
                results.lock().expect("no worker panicked").push((i, row));
            });
        }
    });
    let mut rows = results.into_inner().expect("no worker panicked");
    rows.sort_by_key(|(i, _)| *i);
    rows.into_iter().map(|(_, row)| row).collect()
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
        for problem in &row.trace_problems {
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
        let report =
            run(&scenario, RunOptions { engine: Engine::Native, search: Search::Bfs, threads: 1, symmetry: false });
        let line = done_line(&scenario.name, &report);
        assert!(line.starts_with("done no-idempotence: 629 unique in "), "{line}");
        assert!(line.ends_with(" s"), "{line}");
    }
}
