//! How a check reads: a text report for people (properties, figures, counterexamples as numbered
//! steps) and one JSON object for scripts.

use crate::columns::{layout, Align};
use crate::run::RunReport;
use crate::scenario::Scenario;
use crate::trace::Trace;
use kelp_model::config::Config;

/// `3 brokers, 1 partition, RF 3, minISR 2, acks all, idempotent, ...`: the knobs that matter.
pub fn config_summary(cfg: &Config) -> String {
    let b = &cfg.budget;
    format!(
        "{} brokers, {} partition(s), RF {}, minISR {}, acks {:?}, idempotence {}, retries {}, {} record(s) from {} producer(s), \
         truncation {}, unclean election {}, ELR {}, flush {:?}; budget: {} crash(es), {} power loss(es), {} shutdown(s), \
         {} session expiry(ies), {} ISR shrink(s), leader epochs <= {}{}{}{}",
        cfg.brokers,
        cfg.partitions,
        cfg.replication_factor,
        cfg.min_insync_replicas,
        cfg.acks,
        cfg.idempotence,
        cfg.retries,
        cfg.records,
        cfg.producers,
        cfg.truncation,
        cfg.unclean_leader_election,
        cfg.eligible_leader_replicas,
        cfg.flush,
        b.crashes,
        b.power_losses,
        b.shutdowns,
        b.session_expiries,
        b.isr_shrinks,
        b.leader_epochs,
        b.faults.map_or_else(String::new, |f| format!(", at most {f} fault(s) per run")),
        // Shown only where used, so that older reports read as before.
        if b.link_cuts > 0 { format!(", {} link cut(s)", b.link_cuts) } else { String::new() },
        if cfg.operator_demotes { "; an operator demotes stalled leaders" } else { "" },
    ) + &unusual(cfg)
}

/// The knobs the line above leaves out, where they are not the defaults (Kafka's current
/// behaviour): a fix turned off is often the whole story of a trace.
fn unusual(cfg: &Config) -> String {
    let usual = Config::default();
    let b = &cfg.budget;
    let switches = [
        (cfg.fetch_epoch_fencing, usual.fetch_epoch_fencing, "KIP-320 leader epoch fencing of fetches"),
        (cfg.broker_epoch_fencing, usual.broker_epoch_fencing, "KIP-903 broker epochs in AlterPartition"),
        (cfg.strict_min_isr, usual.strict_min_isr, "KIP-966 no HW advance below min ISR"),
        // Only ELR ever empties an ISR, so without it the election has nobody to elect.
        (
            cfg.last_known_leader_election || !cfg.eligible_leader_replicas,
            usual.last_known_leader_election,
            "KIP-966 last-known-leader election",
        ),
        (cfg.isr_expand_epoch_check, usual.isr_expand_epoch_check, "KAFKA-7128 ISR expansion epoch check"),
        (cfg.auto_leader_rebalance, usual.auto_leader_rebalance, "auto leader rebalance"),
    ];
    let mut parts: Vec<String> = switches
        .into_iter()
        .filter(|(set, usual, _)| set != usual)
        .map(|(set, _, what)| format!("{what} {}", if set { "on" } else { "off" }))
        .collect();
    if cfg.controllers > 1 {
        let fencing = if cfg.controller_epoch_fencing { "on" } else { "off" };
        parts.push(format!(
            "{} controller candidates and ZooKeeper, controller epoch fencing {fencing}",
            cfg.controllers
        ));
    }
    if b.controller_session_expiries > 0 {
        parts.push(format!("{} controller session expiry(ies)", b.controller_session_expiries));
    }
    if let Some(restarts) = b.restarts {
        parts.push(format!("a stopped broker comes back at most {restarts} time(s)"));
    }
    parts.iter().map(|part| format!("; {part}")).collect()
}

pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The text report. `timings` is off in snapshot tests, whose figures must not vary.
pub fn text(scenario: &Scenario, report: &RunReport, timings: bool) -> String {
    let mut out = format!("scenario {}: {}\n", scenario.name, scenario.description);
    out.push_str(&format!("config: {}\n", config_summary(&scenario.config)));
    out.push_str(&format!(
        "engine {}, {} thread(s): {} states, {} unique, depth {}",
        report.engine,
        report.threads,
        thousands(report.states),
        thousands(report.unique),
        report.depth
    ));
    if timings {
        out.push_str(&format!(
            ", {:.1} s, {} unique states/s",
            report.seconds,
            thousands(report.unique_per_second() as usize)
        ));
    }
    out.push_str(&format!(
        "\nfingerprint collision probability ({}-bit, optimistic): {}",
        report.fingerprint_bits,
        crate::engine::collision::describe(report.collision_probability)
    ));
    out.push_str("\n\n");
    let mut rows = vec![["property", "kind", "verdict", "expected", ""].map(String::from).to_vec()];
    for p in &report.properties {
        let mark = if p.as_expected() { "" } else { "<- unexpected" };
        rows.push(vec![
            p.name.to_string(),
            p.kind.name().to_string(),
            p.verdict.describe(p.kind).to_string(),
            p.expected.describe(p.kind).to_string(),
            mark.to_string(),
        ]);
    }
    // A row without a mark ends in the padding of its verdicts: trim it.
    for line in layout(&rows, &[Align::Left; 5]).lines() {
        out.push_str(line.trim_end());
        out.push('\n');
    }
    if let Some(coverage) = &report.coverage {
        out.push('\n');
        out.push_str(&crate::coverage::table(coverage));
    }
    for p in &report.properties {
        if let Some(steps) = &p.trace {
            let trace =
                Trace { property: p.name.to_string(), steps: steps.clone(), explanation: p.explanation.clone() };
            out.push_str(&format!("\ncounterexample for {} ({} steps):\n", p.name, steps.len()));
            out.push_str(&trace.render("  "));
            if p.kind == kelp_model::properties::Kind::Eventually {
                out.push_str(&match p.loop_start {
                    Some(k) => format!("  (a fair cycle: steps {}-{} repeat for ever)\n", k + 1, steps.len()),
                    None => format!(
                        "  (nothing but spent faults can follow step {}: the run stays there for ever)\n",
                        steps.len()
                    ),
                });
            }
        }
    }
    let violations = report.violations();
    let result = match (violations.is_empty(), report.as_expected()) {
        (true, true) => "result: every property holds, as expected".to_string(),
        (false, true) => format!("result: {} violated, as this scenario expects", violations.join(", ")),
        (true, false) => "result: NOT as expected".to_string(),
        (false, false) => format!("result: {} violated, NOT as expected", violations.join(", ")),
    };
    let unjudged = report.unjudged();
    let result = if unjudged.is_empty() {
        result
    } else {
        format!("{result} ({} not judged by this search)", unjudged.join(", "))
    };
    out.push_str(&format!("\n{result}\n"));
    out
}

pub fn json(report: &RunReport) -> String {
    serde_json::to_string_pretty(report).expect("reports serialize")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_configuration_names_the_knobs_a_run_changes_from_kafkas_current_behaviour() {
        let usual = config_summary(&Config::default());
        assert!(!usual.contains("; KIP") && !usual.contains("controller candidates"), "{usual}");
        let mut cfg = Config {
            broker_epoch_fencing: false,
            controllers: 2,
            controller_epoch_fencing: false,
            ..Config::default()
        };
        cfg.budget.restarts = Some(0);
        let line = config_summary(&cfg);
        assert!(line.starts_with(&usual), "the usual line first: {line}");
        assert_eq!(
            &line[usual.len()..],
            "; KIP-903 broker epochs in AlterPartition off; 2 controller candidates and ZooKeeper, controller epoch \
             fencing off; a stopped broker comes back at most 0 time(s)"
        );
    }

    #[test]
    fn the_last_known_leader_election_is_named_off_only_where_elr_could_use_it() {
        let off = Config { last_known_leader_election: false, ..Config::default() };
        assert!(config_summary(&off).ends_with("; KIP-966 last-known-leader election off"));
        let without_elr = Config { eligible_leader_replicas: false, ..off };
        assert!(!config_summary(&without_elr).contains("last-known"));
    }
}
