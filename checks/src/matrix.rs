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
}

impl Row {
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
    let scenarios: Vec<Scenario> =
        Scenario::built_in().into_iter().filter(|s| tier == Tier::Full || s.tier == Tier::Ci).collect();
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<(usize, Row)>> = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..parallel.min(scenarios.len()) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(scenario) = scenarios.get(i) else { break };
                let options = RunOptions { engine: Engine::Native, search: Search::Bfs, threads: 1 };
                let report = run(scenario, options);
                results.lock().expect("no worker panicked").push((i, Row { scenario: scenario.clone(), report }));
            });
        }
    });
    let mut rows = results.into_inner().expect("no worker panicked");
    rows.sort_by_key(|(i, _)| *i);
    rows.into_iter().map(|(_, row)| row).collect()
}

pub fn table(rows: &[Row]) -> String {
    let header = ["scenario", "ok", "expected", "got", "unique", "seconds", "trace"];
    let mut cells = vec![header.map(String::from).to_vec()];
    for row in rows {
        cells.push(vec![
            row.scenario.name.clone(),
            (if row.report.as_expected() { "yes" } else { "NO" }).to_string(),
            row.scenario.expected_summary(),
            row.got(),
            row.report.unique.to_string(),
            format!("{:.1}", row.report.seconds),
            row.trace_length().to_string(),
        ]);
    }
    use Align::{Left, Right};
    let mut out = layout(&cells, &[Left, Left, Left, Left, Right, Right, Right]);
    let failed = rows.iter().filter(|r| !r.report.as_expected()).count();
    out.push_str(&format!("\n{} scenario(s), {} as expected, {} not\n", rows.len(), rows.len() - failed, failed));
    out
}
