//! `kelp bench`: both engines on one scenario in one process, breadth-first, so their figures are
//! comparable: unique states per second, peak resident memory, bytes per visited state, and the
//! native engine's scaling with threads. stateright's BFS at 1 thread is the baseline; ratios mean
//! something only between runs of one `kelp bench` (the same machine, the same load).

use crate::cli::BenchArgs;
use crate::columns::{layout, Align};
use crate::report::thousands;
use crate::run::{self, Engine, RunOptions};
use crate::scenario::Scenario;
use kelp_impl::commands::write_out;
use serde::Serialize;
use std::time::Instant;

mod cpu;
pub mod memory;

/// The scenario `kelp bench` measures when neither `--scenario` nor `--config` is given.
pub const DEFAULT_SCENARIO: &str = "healthy";

/// One engine at one thread count.
#[derive(Clone, Debug, Serialize)]
pub struct BenchRun {
    /// `native` or `stateright`.
    pub engine: &'static str,
    pub threads: usize,
    pub unique: usize,
    /// States generated, repeats included.
    pub states: usize,
    /// Wall-clock seconds of the whole run (model, search, verdicts).
    pub seconds: f64,
    /// CPU seconds of the process during the run (every thread, user and system); `None` where
    /// they cannot be measured.
    pub cpu_seconds: Option<f64>,
    pub unique_per_second: f64,
    /// Peak resident set size of the process during the run; `None` where it cannot be measured.
    pub peak_bytes: Option<u64>,
    /// (peak RSS during the run - RSS just before it) / unique states.
    pub bytes_per_state: Option<f64>,
    /// Of `seconds`, the search's time with one thread at work (at most): native only.
    pub sequential_seconds: Option<f64>,
    /// Of the states the native search expanded, the share a thread expanded that another thread
    /// had made (it had run out of its own).
    pub helped_share: Option<f64>,
    /// Of the copies of new states the native search kept for their claims, the share made for
    /// nothing: a node earlier in frontier order, on another thread, claimed the state after.
    pub lost_copy_share: Option<f64>,
}

/// A whole `kelp bench`: in each round stateright at 1 thread, then native at each thread count
/// ascending (every other round in the reverse order).
#[derive(Clone, Debug, Serialize)]
pub struct Bench {
    pub scenario: String,
    /// Each engine and thread count's median run over the rounds (of an even number of rounds,
    /// the faster of the middle two).
    pub runs: Vec<BenchRun>,
    /// native's unique states/s over stateright's, both at 1 thread, from the median runs
    /// (`None` when the native thread counts leave out 1).
    pub native_over_stateright: Option<f64>,
    pub rounds: usize,
    /// The same ratio in each round, in order.
    pub round_ratios: Vec<f64>,
    /// The cores this process could run on (`available_parallelism`): past them, more threads
    /// take turns on the cores, and a run measures their waiting, not how the search scales.
    pub cores: usize,
}

fn engine_name(engine: Engine) -> &'static str {
    match engine {
        Engine::Native => "native",
        Engine::Stateright => "stateright",
    }
}

/// Runs, `rounds` times, stateright's BFS at 1 thread and the native engine at each of `threads`
/// (ascending, as given; every other round in the reverse order), measuring each; `progress`
/// announces each run on stderr. `release_memory` runs before each run: it should hand the memory
/// the allocator keeps from earlier runs back to the system (`kelp` passes mimalloc's
/// `mi_collect`), or the next run reuses those pages unseen and its bytes per state come out too
/// low.
pub fn bench(
    scenario: &Scenario,
    threads: &[usize],
    rounds: usize,
    progress: bool,
    release_memory: &dyn Fn(),
) -> Bench {
    let plan: Vec<(Engine, usize)> =
        std::iter::once((Engine::Stateright, 1)).chain(threads.iter().map(|&t| (Engine::Native, t))).collect();
    let rounds = rounds.max(1);
    let mut all: Vec<Vec<BenchRun>> = vec![Vec::new(); plan.len()];
    let mut round_ratios = Vec::new();
    for round in 0..rounds {
        let mut order: Vec<usize> = (0..plan.len()).collect();
        if round % 2 == 1 {
            order.reverse();
        }
        for i in order {
            let (engine, threads) = plan[i];
            if progress {
                let of = if rounds > 1 { format!("round {} of {rounds}: ", round + 1) } else { String::new() };
                eprintln!("bench: {of}{} at {threads} thread(s)...", engine_name(engine));
            }
            all[i].push(measure(scenario, engine, threads, release_memory));
        }
        let this_round: Vec<BenchRun> = all.iter().filter_map(|runs| runs.last().cloned()).collect();
        if let Some(r) = speed_up(&this_round) {
            round_ratios.push(r);
        }
    }
    let runs: Vec<BenchRun> = all.into_iter().filter_map(median).collect();
    let native_over_stateright = speed_up(&runs);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    Bench { scenario: scenario.name.clone(), runs, native_over_stateright, rounds, round_ratios, cores }
}

/// native at 1 thread over stateright, in unique states per second.
fn speed_up(runs: &[BenchRun]) -> Option<f64> {
    ratio(native_at_one(runs)?.unique_per_second, baseline(runs)?.unique_per_second)
}

/// The median of one engine and thread count's runs by time (of an even number, the faster of
/// the middle two).
fn median(mut runs: Vec<BenchRun>) -> Option<BenchRun> {
    runs.sort_by(|a, b| a.seconds.total_cmp(&b.seconds));
    let middle = runs.len().checked_sub(1)? / 2;
    Some(runs.swap_remove(middle))
}

/// One run of `engine` at `threads`, timed and with its memory measured.
fn measure(scenario: &Scenario, engine: Engine, threads: usize, release_memory: &dyn Fn()) -> BenchRun {
    release_memory();
    let started = Instant::now();
    let ((report, usage), cpu) =
        cpu::measure(|| memory::measure(|| run::run(scenario, RunOptions::bfs(engine, threads))));
    let seconds = started.elapsed().as_secs_f64();
    BenchRun {
        engine: engine_name(engine),
        threads,
        unique: report.unique,
        states: report.states,
        seconds,
        cpu_seconds: cpu.map(|cpu| cpu.as_secs_f64()),
        unique_per_second: per_second(report.unique, seconds),
        peak_bytes: usage.map(|u| u.peak),
        bytes_per_state: usage.and_then(|u| u.bytes_per_state(report.unique)),
        sequential_seconds: report.sequential_seconds,
        helped_share: report.overlap.map(|o| ratio(o.helped as f64, o.expanded as f64).unwrap_or(0.0)),
        lost_copy_share: report.overlap.map(|o| ratio(o.lost as f64, o.copies as f64).unwrap_or(0.0)),
    }
}

fn per_second(unique: usize, seconds: f64) -> f64 {
    if seconds > 0.0 {
        unique as f64 / seconds
    } else {
        0.0
    }
}

fn ratio(a: f64, b: f64) -> Option<f64> {
    (b > 0.0).then(|| a / b)
}

fn baseline(runs: &[BenchRun]) -> Option<&BenchRun> {
    runs.iter().find(|r| r.engine == "stateright")
}

fn native_at_one(runs: &[BenchRun]) -> Option<&BenchRun> {
    runs.iter().find(|r| r.engine == "native" && r.threads == 1)
}

/// The warning when the runs disagree on the unique states (an engine bug: both explore the same
/// state space exhaustively).
pub fn disagreement(bench: &Bench) -> Option<String> {
    let first = bench.runs.first()?;
    if bench.runs.iter().all(|r| r.unique == first.unique) {
        return None;
    }
    let counts: Vec<String> = bench
        .runs
        .iter()
        .map(|r| format!("{} at {} thread(s): {}", r.engine, r.threads, thousands(r.unique)))
        .collect();
    Some(format!(
        "WARNING: the engines disagree on the number of unique states ({}): one of them has a bug",
        counts.join("; ")
    ))
}

/// `2.13x`, or `n/a` without a ratio.
fn times(r: Option<f64>) -> String {
    r.map_or_else(|| "n/a".to_string(), |r| format!("{r:.2}x"))
}

/// The last column: stateright is the baseline; native is its unique/s over stateright's, and
/// past 1 thread also over its own at 1 thread.
fn versus(bench: &Bench, run: &BenchRun) -> String {
    if run.engine == "stateright" {
        return "1.00x (baseline)".to_string();
    }
    let over_stateright = times(baseline(&bench.runs).and_then(|s| ratio(run.unique_per_second, s.unique_per_second)));
    match native_at_one(&bench.runs) {
        Some(one) if run.threads > 1 => format!(
            "{over_stateright} ({} over native at 1 thread)",
            times(ratio(run.unique_per_second, one.unique_per_second))
        ),
        _ => over_stateright,
    }
}

fn mib(bytes: Option<u64>) -> String {
    bytes.map_or_else(|| "n/a".to_string(), |b| format!("{:.1}", b as f64 / (1024.0 * 1024.0)))
}

fn bytes_per_state(b: Option<f64>) -> String {
    b.map_or_else(|| "n/a".to_string(), |b| thousands(b.round() as usize))
}

/// The threads Amdahl's law is worked out for: those of the scaling target.
const AMDAHL_THREADS: f64 = 16.0;

/// How much of a native run at 1 thread had one thread at work, and what that leaves more
/// threads to gain: the speed-up at 16 threads is at most 1 / (s + (1 - s) / 16) for a share s.
fn sequential_part(run: &BenchRun) -> Option<String> {
    let sequential = run.sequential_seconds?;
    let share = (sequential / run.seconds).clamp(0.0, 1.0);
    let bound = 1.0 / (share + (1.0 - share) / AMDAHL_THREADS);
    Some(format!(
        "native at 1 thread: {sequential:.2} s of {:.2} s with one thread at work ({:.1}%): at most {bound:.1}x at {AMDAHL_THREADS} threads (Amdahl)\n",
        run.seconds,
        share * 100.0
    ))
}

/// What the threads of a native run at more than one thread did for each other and twice.
fn overlap(run: &BenchRun) -> Option<String> {
    let (helped, lost) = (run.helped_share?, run.lost_copy_share?);
    (run.threads > 1).then(|| {
        format!(
            "native at {} threads: {:.1}% of the states expanded by a thread that had not made them, {:.1}% of the copies of new states made for nothing\n",
            run.threads,
            helped * 100.0,
            lost * 100.0
        )
    })
}

/// How a native run past 1 thread came to its speed-up over native at 1 thread: the threads at
/// work on average (CPU time over wall-clock time, for it and for the run at 1 thread) over the
/// CPU time it took for the same states as against the run at 1 thread. The speed-up is exactly
/// the one over the other: (cpu/wall) / (cpu1/wall1) / (cpu/cpu1) = wall1/wall. Below the
/// thread count, threads waited; above 1x CPU time, they did more work for the same states.
fn at_work(bench: &Bench, run: &BenchRun) -> Option<String> {
    let one = native_at_one(&bench.runs).filter(|_| run.engine == "native" && run.threads > 1)?;
    let (cpu, cpu_one) = (run.cpu_seconds?, one.cpu_seconds?);
    let (busy, busy_one) = (ratio(cpu, run.seconds)?, ratio(cpu_one, one.seconds)?);
    let more_work = ratio(cpu, cpu_one)?;
    Some(format!(
        "native at {} threads: {busy:.2} threads at work on average (at 1 thread: {busy_one:.2}), {more_work:.2}x the CPU time of native at 1 thread: {busy:.2} / {busy_one:.2} / {more_work:.2} = {}\n",
        run.threads,
        times(ratio(one.seconds, run.seconds)),
    ))
}

/// Which runs had more threads than the machine has cores, said so that nobody reads their figures
/// as the search's scaling.
fn more_threads_than_cores(bench: &Bench) -> Option<String> {
    let over: Vec<String> =
        bench.runs.iter().filter(|r| r.threads > bench.cores).map(|r| r.threads.to_string()).collect();
    (!over.is_empty()).then(|| {
        format!(
            "this machine has {} core(s): at {} thread(s), threads took turns on them, so those rows measure waiting, not scaling\n",
            bench.cores,
            over.join(", ")
        )
    })
}

/// The table, a warning if some runs had more threads than cores, what the threads of each
/// native run at more than one thread did for each other and how its speed-up splits into threads
/// at work and CPU time, the sequential part of the native run at 1 thread, and the summary line.
pub fn text(scenario: &Scenario, bench: &Bench) -> String {
    let mut out = format!("scenario {}: {}\n", scenario.name, scenario.description);
    out.push_str(&format!("config: {}\n\n", crate::report::config_summary(&scenario.config)));
    let header =
        ["engine", "threads", "unique", "seconds", "CPU s", "unique/s", "peak MiB", "bytes/state", "vs stateright"];
    let mut rows = vec![header.map(String::from).to_vec()];
    for run in &bench.runs {
        rows.push(vec![
            run.engine.to_string(),
            run.threads.to_string(),
            thousands(run.unique),
            format!("{:.2}", run.seconds),
            run.cpu_seconds.map_or_else(|| "n/a".to_string(), |cpu| format!("{cpu:.2}")),
            thousands(run.unique_per_second.round() as usize),
            mib(run.peak_bytes),
            bytes_per_state(run.bytes_per_state),
            versus(bench, run),
        ]);
    }
    let mut align = [Align::Right; 9];
    align[0] = Align::Left;
    align[8] = Align::Left;
    out.push_str(&layout(&rows, &align));
    out.push('\n');
    out.extend(more_threads_than_cores(bench));
    for run in &bench.runs {
        out.extend(overlap(run));
        out.extend(at_work(bench, run));
    }
    if let Some(line) = native_at_one(&bench.runs).and_then(sequential_part) {
        out.push_str(&line);
    }
    if bench.rounds > 1 {
        let each: Vec<String> = bench.round_ratios.iter().map(|r| format!("{r:.2}x")).collect();
        out.push_str(&format!(
            "{} rounds (each row: that engine's median run); native/stateright at 1 thread by round: {}\n",
            bench.rounds,
            if each.is_empty() { "n/a".to_string() } else { each.join(" ") }
        ));
    }
    out.push_str(&match bench.native_over_stateright {
        Some(r) if bench.rounds > 1 => {
            format!("native/stateright at 1 thread: {r:.2}x (unique states per second, median runs of this run)\n")
        }
        Some(r) => format!("native/stateright at 1 thread: {r:.2}x (unique states per second, measured in this run)\n"),
        None => "native/stateright at 1 thread: n/a (add 1 to --threads)\n".to_string(),
    });
    out
}

pub fn json(bench: &Bench) -> String {
    serde_json::to_string_pretty(bench).expect("bench results serialize")
}

/// `kelp bench`: `Ok(true)` when the engines agree on the unique states, `Ok(false)` (exit 1)
/// when they do not, `Err` on bad input (exit 2). `release_memory`: as for [`bench`].
pub fn command(args: &BenchArgs, release_memory: &dyn Fn()) -> Result<bool, String> {
    let selection = &args.selection;
    let name = match (&selection.scenario, &selection.config) {
        (None, None) => Some(DEFAULT_SCENARIO),
        (name, _) => name.as_deref(),
    };
    let scenario =
        Scenario::select(name, selection.config.as_deref(), &selection.overrides).map_err(|e| e.to_string())?;
    let bench = bench(&scenario, &args.threads.ascending(), usize::from(args.rounds), !args.quiet, release_memory);
    if args.json {
        write_out(&format!("{}\n", json(&bench)))?;
    } else {
        write_out(&text(&scenario, &bench))?;
    }
    match disagreement(&bench) {
        Some(warning) => {
            if args.json {
                eprintln!("{warning}");
            } else {
                write_out(&format!("{warning}\n"))?;
            }
            Ok(false)
        }
        None => Ok(true),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(engine: &'static str, threads: usize, unique: usize, unique_per_second: f64) -> BenchRun {
        BenchRun {
            engine,
            threads,
            unique,
            states: unique * 3,
            seconds: 1.0,
            cpu_seconds: Some(0.98),
            unique_per_second,
            peak_bytes: Some(100 << 20),
            bytes_per_state: Some(250.4),
            sequential_seconds: (engine == "native").then_some(0.05),
            helped_share: None,
            lost_copy_share: None,
        }
    }

    fn sample() -> Bench {
        Bench {
            scenario: "s".to_string(),
            runs: vec![run("stateright", 1, 1000, 100.0), run("native", 1, 1000, 213.0), run("native", 2, 1000, 390.0)],
            native_over_stateright: Some(2.13),
            rounds: 1,
            round_ratios: vec![2.13],
            cores: 2,
        }
    }

    #[test]
    fn the_median_run_is_the_middle_one_by_time_or_the_faster_of_the_middle_two() {
        let timed = |seconds: f64| BenchRun { seconds, ..run("native", 1, 1000, 1000.0 / seconds) };
        let seconds = |runs: Vec<f64>| median(runs.into_iter().map(timed).collect()).map(|r| r.seconds);
        assert_eq!(seconds(vec![30.0, 10.0, 20.0]), Some(20.0));
        assert_eq!(seconds(vec![40.0, 10.0, 30.0, 20.0]), Some(20.0));
        assert_eq!(seconds(vec![5.0]), Some(5.0));
        assert_eq!(seconds(vec![]), None);
    }

    #[test]
    fn several_rounds_print_each_rounds_ratio() {
        let bench = Bench { rounds: 3, round_ratios: vec![2.05, 2.13, 2.2], ..sample() };
        let scenario = Scenario::select(Some("healthy"), None, &Default::default()).expect("a catalogue scenario");
        let out = text(&scenario, &bench);
        assert!(
            out.contains("3 rounds (each row: that engine's median run); native/stateright at 1 thread by round: 2.05x 2.13x 2.20x\n"),
            "{out}"
        );
        assert!(!text(&scenario, &sample()).contains("rounds"), "one round says nothing of rounds");
    }

    #[test]
    fn the_last_column_compares_with_stateright_and_native_at_one_thread() {
        let bench = sample();
        let cells: Vec<String> = bench.runs.iter().map(|r| versus(&bench, r)).collect();
        assert_eq!(cells, ["1.00x (baseline)", "2.13x", "3.90x (1.83x over native at 1 thread)"]);
    }

    #[test]
    fn without_native_at_one_thread_there_is_no_speed_up() {
        let mut bench = sample();
        bench.runs.remove(1);
        assert_eq!(versus(&bench, &bench.runs[1]), "3.90x");
    }

    #[test]
    fn agreement_on_unique_states_is_checked() {
        let mut bench = sample();
        assert_eq!(disagreement(&bench), None);
        bench.runs[2].unique = 999;
        let warning = disagreement(&bench).unwrap();
        assert!(warning.contains("stateright at 1 thread(s): 1,000"), "{warning}");
        assert!(warning.contains("native at 2 thread(s): 999"), "{warning}");
    }

    #[test]
    fn the_sequential_part_bounds_the_speed_up_by_amdahls_law() {
        // 5% on one thread: 1 / (0.05 + 0.95 / 16) = 9.14.
        assert_eq!(
            sequential_part(&run("native", 1, 1000, 213.0)).as_deref(),
            Some("native at 1 thread: 0.05 s of 1.00 s with one thread at work (5.0%): at most 9.1x at 16 threads (Amdahl)\n")
        );
        assert_eq!(sequential_part(&run("stateright", 1, 1000, 100.0)), None, "not measured");
        let text = text(&Scenario::named("healthy").expect("a named scenario"), &sample());
        let lines: Vec<&str> = text.lines().rev().take(2).collect();
        assert!(lines[1].starts_with("native at 1 thread: 0.05 s"), "{text}");
        assert!(lines[0].starts_with("native/stateright at 1 thread: 2.13x"), "{text}");
    }

    #[test]
    fn runs_at_more_threads_tell_what_their_threads_did_for_each_other() {
        let shares = |threads| BenchRun {
            helped_share: Some(0.095),
            lost_copy_share: Some(0.14),
            ..run("native", threads, 1000, 390.0)
        };
        assert_eq!(
            overlap(&shares(2)).as_deref(),
            Some("native at 2 threads: 9.5% of the states expanded by a thread that had not made them, 14.0% of the copies of new states made for nothing\n")
        );
        assert_eq!(overlap(&shares(1)), None, "nothing to tell at one thread");
        assert_eq!(overlap(&run("native", 2, 1000, 390.0)), None, "not counted");
        let mut bench = sample();
        bench.runs[2] = shares(2);
        let text = text(&Scenario::named("healthy").expect("a named scenario"), &bench);
        assert!(text.contains("\nnative at 2 threads: 9.5% of the states"), "{text}");
    }

    #[test]
    fn a_speed_up_is_split_into_threads_at_work_and_cpu_time() {
        // 1 s and 0.98 CPU s at 1 thread; 0.6 s and 1.1 CPU s at 2: 1.83 threads at work against
        // 0.98, 1.12x the CPU time, 1.67x faster.
        let mut bench = sample();
        bench.runs[2] = BenchRun { seconds: 0.6, cpu_seconds: Some(1.1), ..run("native", 2, 1000, 1666.7) };
        let line = "native at 2 threads: 1.83 threads at work on average (at 1 thread: 0.98), 1.12x the CPU time of native at 1 thread: 1.83 / 0.98 / 1.12 = 1.67x\n";
        assert_eq!(at_work(&bench, &bench.runs[2]).as_deref(), Some(line));
        assert_eq!(at_work(&bench, &bench.runs[1]), None, "nothing to split at 1 thread");
        assert_eq!(at_work(&bench, &bench.runs[0]), None, "stateright is not split");
        let text = text(&Scenario::named("healthy").expect("a named scenario"), &bench);
        assert!(text.contains(&format!("\n{line}")), "{text}");
        let mut unmeasured = bench.clone();
        unmeasured.runs[1].cpu_seconds = None;
        assert_eq!(at_work(&unmeasured, &unmeasured.runs[2]), None, "no CPU time at 1 thread");
        unmeasured.runs.remove(1);
        assert_eq!(at_work(&unmeasured, &unmeasured.runs[1]), None, "no run at 1 thread");
    }

    #[test]
    fn the_table_has_each_runs_cpu_time() {
        let mut bench = sample();
        bench.runs[0].cpu_seconds = None;
        let text = text(&Scenario::named("healthy").expect("a named scenario"), &bench);
        let rows: Vec<Vec<&str>> = text.lines().skip(3).take(3).map(|l| l.split_whitespace().collect()).collect();
        assert_eq!(rows[0][..5], ["engine", "threads", "unique", "seconds", "CPU"], "{text}");
        assert_eq!(rows[1][..5], ["stateright", "1", "1,000", "1.00", "n/a"], "{text}");
        assert_eq!(rows[2][..5], ["native", "1", "1,000", "1.00", "0.98"], "{text}");
        assert!(json(&bench).contains("\"cpu_seconds\": 0.98"), "{}", json(&bench));
    }

    #[test]
    fn runs_at_more_threads_than_cores_are_said_to_measure_waiting() {
        let healthy = Scenario::named("healthy").expect("a named scenario");
        assert_eq!(more_threads_than_cores(&sample()), None, "2 threads on 2 cores");
        let mut bench = sample();
        bench.runs.extend([run("native", 4, 1000, 300.0), run("native", 16, 1000, 200.0)]);
        let line = "this machine has 2 core(s): at 4, 16 thread(s), threads took turns on them, so those rows measure waiting, not scaling\n";
        assert_eq!(more_threads_than_cores(&bench).as_deref(), Some(line));
        assert!(text(&healthy, &bench).contains(&format!("\n\n{line}")), "right under the table");
        assert!(!text(&healthy, &Bench { cores: 16, ..bench }).contains("took turns"));
    }

    #[test]
    fn unmeasured_memory_reads_n_a() {
        assert_eq!(mib(None), "n/a");
        assert_eq!(bytes_per_state(None), "n/a");
        assert_eq!(mib(Some(3 << 19)), "1.5");
        assert_eq!(bytes_per_state(Some(1234.5)), "1,235");
    }
}
