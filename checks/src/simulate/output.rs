//! How a simulation reads: a line per run, a summary, each violated property's shortest
//! counterexample with the command that replays its run, and the same as one JSON object.

use super::{End, Run, Simulation};
use crate::report::{config_summary, thousands};
use crate::scenario::{Scenario, Verdict};
use serde_json::json;

pub fn hex<S: serde::Serializer>(seed: &u64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format!("{seed:#018x}"))
}

/// `flags` (the scenario and configuration flags as given) quoted for a POSIX shell.
fn shell_words(flags: &[String]) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c);
    flags
        .iter()
        .map(
            |f| {
                if !f.is_empty() && f.chars().all(plain) {
                    f.clone()
                } else {
                    format!("'{}'", f.replace('\'', r"'\''"))
                }
            },
        )
        .map(|f| format!("{f} "))
        .collect()
}

/// The command that replays run `seed` alone, with the same scenario and configuration flags.
pub fn reproduce(flags: &[String], seed: u64, depth: usize) -> String {
    format!("kelp simulate {}--seed {seed:#018x} --runs 1 --depth {depth}", shell_words(flags))
}

fn outcome(run: &Run) -> String {
    match (&run.violation, run.end) {
        (Some(v), _) => match &v.unconfirmed {
            None => format!("violated {} at step {}", v.property, v.step),
            Some(why) => format!(
                "violated {} at step {}, but the path does not replay ({why}): a bug in kelp",
                v.property, v.step
            ),
        },
        (None, End::Terminal) => "ok (terminal)".to_string(),
        (None, End::Boundary) => "ok (every next step exceeds the budget)".to_string(),
        (None, _) => "ok".to_string(),
    }
}

fn result(scenario: &Scenario, sim: &Simulation) -> String {
    let violations = sim.violations();
    if violations.is_empty() {
        return format!(
            "result: nothing violated in {} runs (a simulation proves nothing: `kelp check` does)",
            sim.runs.len()
        );
    }
    let names: Vec<&str> = violations.iter().map(|(p, _)| *p).collect();
    let expected = names.iter().all(|p| scenario.expected(p) == Verdict::Violated);
    format!(
        "result: {} violated, {}",
        names.join(", "),
        if expected { "as this scenario expects" } else { "NOT as expected" }
    )
}

/// The text report; `flags` spell the scenario and configuration for the reproduce commands.
/// `timings` is off in snapshot tests, whose figures must not vary.
pub fn text(scenario: &Scenario, sim: &Simulation, flags: &[String], timings: bool) -> String {
    let o = &sim.options;
    let mut out = format!("scenario {}: {}\n", scenario.name, scenario.description);
    out.push_str(&format!("config: {}\n", config_summary(&scenario.config)));
    out.push_str(&format!("simulation: {} runs of at most {} steps, seed {:#018x}\n\n", o.runs, o.depth, o.seed));
    for run in &sim.runs {
        out.push_str(&format!("run {} seed {:#018x} depth {}: {}\n", run.run, run.seed, run.steps, outcome(run)));
    }
    out.push_str(&format!("\nruns {}, steps {}\n", sim.runs.len(), thousands(sim.steps())));
    if timings {
        out.push_str(&format!("time {:.2} s, {} steps/s\n", sim.seconds, thousands(sim.steps_per_second() as usize)));
    }
    let (reached, not_reached) = sim.reachability();
    let list = |names: &[&str]| if names.is_empty() { "none".to_string() } else { names.join(", ") };
    out.push_str(&format!("sometimes reached: {}\n", list(&reached)));
    out.push_str(&format!("sometimes not reached: {}\n", list(&not_reached)));
    for (property, runs) in sim.violations() {
        out.push_str(&format!("violated: {property} in {runs} of {} runs\n", sim.runs.len()));
    }
    for c in &sim.counterexamples {
        out.push_str(&format!(
            "\ncounterexample for {} (run {}, {} steps):\n",
            c.trace.property,
            c.run,
            c.trace.steps.len()
        ));
        out.push_str(&c.trace.render("  "));
        out.push_str(&format!("reproduce: {}\n", reproduce(flags, c.seed, o.depth)));
    }
    out.push_str(&format!("\n{}\n", result(scenario, sim)));
    out
}

/// One JSON object: the options, every run, the summary and the counterexamples.
pub fn json(scenario: &Scenario, sim: &Simulation, flags: &[String]) -> String {
    let o = &sim.options;
    let (reached, not_reached) = sim.reachability();
    let violated: Vec<_> = sim.violations().into_iter().map(|(p, runs)| json!({"property": p, "runs": runs})).collect();
    let counterexamples: Vec<_> = sim
        .counterexamples
        .iter()
        .map(|c| {
            json!({
                "property": c.trace.property,
                "run": c.run,
                "seed": format!("{:#018x}", c.seed),
                "explanation": c.trace.explanation,
                "trace": c.trace.steps,
                "reproduce": reproduce(flags, c.seed, o.depth),
            })
        })
        .collect();
    let value = json!({
        "scenario": scenario.name,
        "seed": format!("{:#018x}", o.seed),
        "depth": o.depth,
        "threads": o.threads,
        "runs": sim.runs,
        "summary": {
            "runs": sim.runs.len(),
            "steps": sim.steps(),
            "seconds": sim.seconds,
            "steps_per_second": sim.steps_per_second(),
            "reached": reached,
            "not_reached": not_reached,
            "violated": violated,
        },
        "counterexamples": counterexamples,
    });
    serde_json::to_string_pretty(&value).expect("a simulation serializes")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reproduce_keeps_the_flags_and_quotes_what_a_shell_would_split() {
        let flags: Vec<String> = ["--config", "my dir/it's.toml", "--acks", "1"].map(String::from).to_vec();
        assert_eq!(
            reproduce(&flags, 0xab, 50),
            r"kelp simulate --config 'my dir/it'\''s.toml' --acks 1 --seed 0x00000000000000ab --runs 1 --depth 50"
        );
        assert_eq!(reproduce(&[], 1, 9), "kelp simulate --seed 0x0000000000000001 --runs 1 --depth 9");
    }
}
