//! `kelp simulate` on the command line: the scenario, the seed (from the clock when none is
//! given), the run, and the report. The reproduce commands repeat the scenario and configuration
//! flags exactly as the user gave them.

use super::{json, rng, simulate, text, Options};
use crate::cli::SimulateArgs;

/// Flags that shape the simulation rather than the model, with whether each takes a value.
const RUN_FLAGS: &[(&str, bool)] =
    &[("--seed", true), ("--runs", true), ("--depth", true), ("--threads", true), ("--json", false)];

/// The scenario and configuration flags among the arguments after `simulate`.
fn model_flags(args: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut kept = Vec::new();
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let name = arg.split_once('=').map_or(arg.as_str(), |(name, _)| name);
        match RUN_FLAGS.iter().find(|(flag, _)| *flag == name) {
            Some((_, true)) if !arg.contains('=') => {
                args.next();
            }
            Some(_) => {}
            None => kept.push(arg),
        }
    }
    kept
}

/// Runs `kelp simulate` and prints its report; `Ok(false)` when a property was violated.
pub fn command(args: &SimulateArgs) -> Result<bool, String> {
    let scenario = args.selection.select().map_err(|e| e.to_string())?;
    let options = Options {
        seed: args.seed.unwrap_or_else(rng::seed_from_clock),
        runs: args.runs as usize,
        depth: args.depth as usize,
        threads: args.threads(),
    };
    let argv = std::env::args_os().map(|a| a.to_string_lossy().into_owned());
    let flags = model_flags(argv.skip_while(|a| a != "simulate").skip(1));
    let sim = simulate(&scenario, options);
    let report = if args.json { json(&scenario, &sim, &flags) + "\n" } else { text(&scenario, &sim, &flags, true) };
    kelp_impl::commands::write_out(&report)?;
    Ok(sim.violations().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_flags_are_dropped_and_model_flags_kept_in_order() {
        let args = "--scenario acks-1 --seed 5 --runs=3 --acks 1 --json --depth 9 --threads 2 --crashes=2";
        let kept = model_flags(args.split(' ').map(String::from));
        assert_eq!(kept, ["--scenario", "acks-1", "--acks", "1", "--crashes=2"]);
    }
}
