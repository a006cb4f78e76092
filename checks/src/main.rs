//! `kelp`: `check` exits 0 when nothing is violated and every verdict is the expected one, 1 otherwise
//! (a violation fails the check even when the scenario expects it); `matrix` exits 0 when every
//! scenario meets its expectation; `simulate` exits 1 when a run breaks a property; `trace replay`
//! exits 1 when a recorded counterexample no longer breaks its property; `bench` exits 1 when the
//! engines disagree on the unique states; 2 on bad input.

use clap::Parser;
use kelp_checks::cli::{CheckArgs, Cli, Command, MatrixArgs};
use kelp_checks::columns::Align;
use kelp_checks::matrix;
use kelp_checks::report;
use kelp_checks::run::{self, Engine, FingerprintBits, RunOptions};
use kelp_checks::scenario::{Scenario, ScenarioError, Tier};
use kelp_impl::commands::{write_out, COULD_NOT, FOUND_A_FAILURE};
use std::process::ExitCode;

/// Model checking allocates and frees states at a high rate; mimalloc does that far faster than
/// the system allocator (measured: glibc's malloc took over half the checker's time).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

extern "C" {
    /// mimalloc's `void mi_collect(bool force)`: with `force`, hands every free page back to the
    /// system now. (The `mimalloc` crate exposes it only behind a feature that needs another crate.)
    fn mi_collect(force: bool);
    /// mimalloc's `void mi_option_set(mi_option_t option, long value)`.
    fn mi_option_set(option: std::ffi::c_int, value: std::ffi::c_long);
}

/// mimalloc's `mi_option_purge_delay` (v2): how long freed memory waits before it goes back to the
/// system.
const MI_OPTION_PURGE_DELAY: std::ffi::c_int = 15;

/// A search frees one level's states and allocates the next's: with mimalloc's default 10 ms the
/// freed pages went back to the system and were faulted in again, and page faults serialise the
/// threads (measured on `healthy` at 1 thread: system time 8.2 s -> 5.6 s with purging held
/// back). One second keeps them across a level; `mi_collect(true)` still purges at once.
fn hold_freed_memory() {
    // SAFETY: mi_option_set takes no pointer; it runs before any other thread exists.
    unsafe { mi_option_set(MI_OPTION_PURGE_DELAY, 1000) }
}

/// mimalloc (v3) asks for transparent huge pages on its 1 GiB arena (`MADV_HUGEPAGE`), then hands
/// freed memory back in 64 KiB pieces (`MADV_DONTNEED`): each piece touched again faults in and
/// zeroes a whole 2 MiB page. `kelp check` on `healthy` at 1 thread spent 12% of its samples
/// there (`clear_page_erms`), 9.5 s of system time; with THP off for this process: 1 s, 5% less
/// peak memory, 41-42 s -> 31-33 s of wall time (stateright's engine: 65 -> 60 s).
#[cfg(target_os = "linux")]
fn no_transparent_huge_pages() {
    // SAFETY: prctl with PR_SET_THP_DISABLE takes integers only; it sets a flag of this process
    // that the kernel reads at each page fault. A failure (an old kernel) leaves THP as it was.
    unsafe { libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0) };
}

#[cfg(not(target_os = "linux"))]
fn no_transparent_huge_pages() {}

/// Before each `kelp bench` run: the pages earlier runs freed leave the resident set, so a run's
/// growth in memory is its own.
fn release_memory() {
    // SAFETY: mi_collect takes no pointer and may be called at any time from any thread.
    unsafe { mi_collect(true) }
}

fn scenario_for(args: &CheckArgs) -> Result<Scenario, ScenarioError> {
    args.selection.select()
}

fn check(args: &CheckArgs) -> Result<bool, String> {
    if args.coverage && args.engine != Engine::Native {
        return Err("--coverage needs the native engine (drop --engine stateright)".to_string());
    }
    if args.coverage && args.dfs {
        return Err("--coverage needs the breadth-first search (drop --dfs)".to_string());
    }
    // stateright's checkers run without kelp's symmetry reduction and keep 64-bit fingerprints:
    // asking for either with them is refused, not silently dropped.
    if args.symmetry && args.engine != Engine::Native {
        return Err("--symmetry needs the native engine (drop --engine stateright)".to_string());
    }
    if args.fingerprint_bits != FingerprintBits::Sixty4 && args.engine != Engine::Native {
        return Err("--fingerprint-bits 128 needs the native engine (drop --engine stateright)".to_string());
    }
    let scenario = scenario_for(args).map_err(|e| e.to_string())?;
    if !args.no_traces {
        // Where this scenario's counterexamples go: `OUT/<scenario>/<property>/`.
        let target = match kelp_checks::trace_file::write::names_a_directory(&scenario.name) {
            true => args.out.join(&scenario.name),
            false => args.out.clone(),
        };
        kelp_checks::trace_cmd::writable(&target)?;
    }
    let extras = run::Extras {
        progress: kelp_checks::progress::interval(args.quiet, args.progress_interval_ms),
        coverage: args.coverage,
    };
    let report = run::run_with(
        &scenario,
        RunOptions {
            engine: args.engine,
            search: args.search(),
            threads: args.threads(),
            symmetry: args.symmetry,
            fingerprint_bits: args.fingerprint_bits,
        },
        extras,
    );
    if args.json {
        write_out(&format!("{}\n", report::json(&report)))?;
    } else {
        write_out(&report::text(&scenario, &report, true))?;
    }
    if !args.no_traces {
        kelp_checks::trace_cmd::write_check(&args.out, &scenario, &report, args.quiet)?;
    }
    Ok(report.passed())
}

fn scenarios() -> Result<bool, String> {
    // The tier says which `kelp matrix` runs it: `full` ones take minutes (`kelp matrix --full`).
    let mut rows = vec![["scenario", "tier", "expected", "description"].map(String::from).to_vec()];
    rows.extend(
        Scenario::built_in()
            .into_iter()
            .map(|s| vec![s.name.clone(), s.tier.name().to_string(), s.expected_summary(), s.description]),
    );
    write_out(&kelp_checks::columns::layout(&rows, &[Align::Left; 4]))?;
    Ok(true)
}

fn matrix(args: &MatrixArgs) -> Result<bool, String> {
    if let Some(root) = &args.traces {
        kelp_checks::trace_cmd::committed_dir(root)?;
    }
    if let Some(root) = &args.out {
        kelp_checks::trace_cmd::writable(root)?;
    }
    let tier = if args.full { Tier::Full } else { Tier::Ci };
    let parallel =
        args.parallel.map(usize::from).unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let done = |row: &matrix::Row| {
        if !args.quiet {
            eprintln!("{}", matrix::done_line(&row.scenario.name, &row.report));
        }
    };
    let mut rows = matrix::run_matrix_with(tier, parallel, &args.threads.ascending(), &done);
    kelp_checks::trace_cmd::matrix(&mut rows, args.traces.as_deref(), args.out.as_deref(), args.quiet)?;
    write_out(&matrix::table(&rows))?;
    Ok(rows.iter().all(matrix::Row::ok))
}

/// The checker's exit codes: 0 when all is as expected, 1 when the command did its work and found
/// otherwise (a violation, a verdict not the expected one), 2 when it could not do its work.
fn exit_code<E: std::fmt::Display>(result: Result<bool, E>) -> ExitCode {
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(FOUND_A_FAILURE),
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(COULD_NOT)
        }
    }
}

fn main() -> ExitCode {
    hold_freed_memory();
    no_transparent_huge_pages();
    let cli = Cli::parse();
    match cli.command {
        Command::Scenarios => exit_code(scenarios()),
        Command::Matrix(args) => exit_code(matrix(&args)),
        Command::Check(args) => exit_code(check(&args)),
        Command::Trace(command) => kelp_checks::trace_cmd::run(&command),
        Command::Cluster(command) => kelp_impl::commands::cluster(&command),
        Command::Topics(args) => kelp_impl::commands::topics(&args),
        Command::LeaderElection(args) => kelp_impl::commands::leader_election(&args),
        Command::DemoteBroker(args) => kelp_impl::commands::demote_broker(&args),
        Command::Produce(args) => kelp_impl::commands::produce(&args),
        Command::Consume(args) => kelp_impl::commands::consume(&args),
        Command::Node(args) => kelp_impl::commands::node(&args),
        Command::Explore(args) => exit_code(kelp_checks::explore::command(&args).map(|()| true)),
        Command::Bench(args) => exit_code(kelp_checks::bench::command(&args, &release_memory)),
        Command::Simulate(args) => exit_code(kelp_checks::simulate::command(&args)),
    }
}
