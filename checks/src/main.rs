//! `kelp`: `check` exits 0 when nothing is violated and every verdict is the expected one, 1 otherwise
//! (a violation fails the check even when the scenario expects it); `matrix` exits 0 when every
//! scenario meets its expectation; 2 on bad input.

use clap::Parser;
use kelp_checks::cli::{CheckArgs, Cli, Command, MatrixArgs};
use kelp_checks::columns::Align;
use kelp_checks::matrix;
use kelp_checks::report;
use kelp_checks::run::{self, Engine, RunOptions};
use kelp_checks::scenario::{Scenario, ScenarioError, Tier};
use std::process::ExitCode;

/// Model checking allocates and frees states at a high rate; mimalloc does that far faster than
/// the system allocator (measured: glibc's malloc took over half the checker's time).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn scenario_for(args: &CheckArgs) -> Result<Scenario, ScenarioError> {
    let mut scenario = match (&args.scenario, &args.config) {
        (Some(name), _) => Scenario::named(name)?,
        (None, Some(path)) => Scenario::from_file(path)?,
        (None, None) => Scenario::ad_hoc(kelp_model::config::Config::default()),
    };
    if args.overrides.apply(&mut scenario.config) {
        scenario
            .config
            .validate()
            .map_err(|source| ScenarioError::Config { path: "command line".to_string(), source })?;
    }
    Ok(scenario)
}

fn check(args: &CheckArgs) -> Result<bool, String> {
    if args.dfs && args.engine == Engine::Native {
        return Err("--dfs needs --engine stateright (the native engine searches breadth-first)".to_string());
    }
    let scenario = scenario_for(args).map_err(|e| e.to_string())?;
    let report =
        run::run(&scenario, RunOptions { engine: args.engine, search: args.search(), threads: args.threads() });
    if args.json {
        println!("{}", report::json(&report));
    } else {
        print!("{}", report::text(&scenario, &report, true));
    }
    Ok(report.passed())
}

fn scenarios() {
    let mut rows = vec![vec!["scenario".to_string(), "expected".to_string(), "description".to_string()]];
    rows.extend(Scenario::built_in().into_iter().map(|s| vec![s.name.clone(), s.expected_summary(), s.description]));
    print!("{}", kelp_checks::columns::layout(&rows, &[Align::Left; 3]));
}

fn matrix(args: &MatrixArgs) -> bool {
    let tier = if args.full { Tier::Full } else { Tier::Ci };
    let parallel =
        args.parallel.map(usize::from).unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let rows = matrix::run_matrix(tier, parallel);
    print!("{}", matrix::table(&rows));
    rows.iter().all(|r| r.report.as_expected())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Scenarios => {
            scenarios();
            ExitCode::SUCCESS
        }
        Command::Matrix(args) => {
            if matrix(&args) {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Command::Check(args) => match check(&args) {
            Ok(true) => ExitCode::SUCCESS,
            Ok(false) => ExitCode::from(1),
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::from(2)
            }
        },
    }
}
