//! Progress of a long check on stderr, TLC-style: one line every 2 s when stderr is a terminal,
//! every 10 s when it is not (CI logs), none with `--quiet`. The engine publishes its figures in
//! atomics ([`Counters`], written at most once per chunk of frontier states); a reporter thread
//! reads them on the schedule, so the search itself never waits on the terminal.

use crate::report::thousands;
use std::io::IsTerminal;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Between two lines when stderr is a terminal.
pub const TERMINAL_INTERVAL: Duration = Duration::from_secs(2);
/// Between two lines when stderr is a file or a pipe (CI logs).
pub const LOG_INTERVAL: Duration = Duration::from_secs(10);

/// How often to print progress: `None` with `quiet`; `override_ms` when given; else by whether
/// stderr is a terminal.
pub fn interval(quiet: bool, override_ms: Option<u64>) -> Option<Duration> {
    if quiet {
        return None;
    }
    Some(match override_ms {
        Some(ms) => Duration::from_millis(ms.max(1)),
        None if std::io::stderr().is_terminal() => TERMINAL_INTERVAL,
        None => LOG_INTERVAL,
    })
}

/// A search's figures at one moment. `queue` is `None` where the engine does not expose it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// States generated (with repeats).
    pub states: usize,
    pub unique: usize,
    pub depth: usize,
    /// States waiting to be expanded (the rest of the current level and the next level so far).
    pub queue: Option<usize>,
}

/// What the native engine publishes while it searches.
#[derive(Debug, Default)]
pub struct Counters {
    states: AtomicUsize,
    unique: AtomicUsize,
    depth: AtomicUsize,
    queue: AtomicUsize,
}

impl Counters {
    pub fn publish(&self, s: Snapshot) {
        self.states.store(s.states, Ordering::Relaxed);
        self.unique.store(s.unique, Ordering::Relaxed);
        self.depth.store(s.depth, Ordering::Relaxed);
        self.queue.store(s.queue.unwrap_or(0), Ordering::Relaxed);
    }

    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            states: self.states.load(Ordering::Relaxed),
            unique: self.unique.load(Ordering::Relaxed),
            depth: self.depth.load(Ordering::Relaxed),
            queue: Some(self.queue.load(Ordering::Relaxed)),
        }
    }
}

/// One progress line: `progress 0:04: depth 12, 1,234,567 states, 345,678 unique, queue 12,345,
/// 86,419 unique states/s`.
pub fn line(elapsed: Duration, s: &Snapshot) -> String {
    let secs = elapsed.as_secs();
    let rate = if elapsed.as_secs_f64() > 0.0 { s.unique as f64 / elapsed.as_secs_f64() } else { 0.0 };
    let queue = s.queue.map_or_else(String::new, |q| format!(", queue {}", thousands(q)));
    format!(
        "progress {}:{:02}:{:02}: depth {}, {} states, {} unique{queue}, {} unique states/s",
        secs / 3600,
        secs / 60 % 60,
        secs % 60,
        s.depth,
        thousands(s.states),
        thousands(s.unique),
        thousands(rate as usize)
    )
}

/// Runs `work` on this thread while, if `interval` is given, a reporter thread prints `sample()`
/// on stderr every `interval` until `work` returns (nothing is printed for a shorter run).
pub fn report_while<T>(
    interval: Option<Duration>,
    sample: impl Fn() -> Snapshot + Sync,
    work: impl FnOnce() -> T,
) -> T {
    let Some(interval) = interval else { return work() };
    let started = Instant::now();
    let (done, finished) = mpsc::channel::<()>();
    let sample = &sample;
    std::thread::scope(|scope| {
        scope.spawn(move || {
            let mut next = started + interval;
            loop {
                let wait = next.saturating_duration_since(Instant::now());
                match finished.recv_timeout(wait) {
                    Err(mpsc::RecvTimeoutError::Timeout) => {
                        eprintln!("{}", line(started.elapsed(), &sample()));
                        // Never a burst of lines to catch up after a stall.
                        next += interval;
                        if next < Instant::now() {
                            next = Instant::now() + interval;
                        }
                    }
                    // The sender is dropped when the work is done.
                    Ok(()) | Err(mpsc::RecvTimeoutError::Disconnected) => break,
                }
            }
        });
        // The sender goes with the work, even when it panics: the reporter then stops, and the
        // scope can end.
        let _done = done;
        work()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_has_elapsed_time_figures_and_rate() {
        let s = Snapshot { states: 1_234_567, unique: 345_678, depth: 12, queue: Some(12_345) };
        assert_eq!(
            line(Duration::from_secs(4), &s),
            "progress 0:00:04: depth 12, 1,234,567 states, 345,678 unique, queue 12,345, 86,419 unique states/s"
        );
        let s = Snapshot { queue: None, ..s };
        assert_eq!(
            line(Duration::from_secs(3725), &s),
            "progress 1:02:05: depth 12, 1,234,567 states, 345,678 unique, 92 unique states/s"
        );
    }

    #[test]
    fn quiet_means_no_progress_and_an_override_wins() {
        assert_eq!(interval(true, Some(5)), None);
        assert_eq!(interval(false, Some(5)), Some(Duration::from_millis(5)));
        assert!(interval(false, None).is_some());
    }

    #[test]
    fn counters_round_trip() {
        let c = Counters::default();
        let s = Snapshot { states: 3, unique: 2, depth: 1, queue: Some(7) };
        c.publish(s);
        assert_eq!(c.snapshot(), s);
    }

    #[test]
    fn a_panicking_search_stops_its_reporter() {
        let caught = std::panic::catch_unwind(|| {
            report_while(Some(Duration::from_secs(60)), Snapshot::default, || panic!("the search failed"))
        });
        assert!(caught.is_err());
    }

    #[test]
    fn the_work_s_result_comes_back_with_or_without_a_reporter() {
        assert_eq!(report_while(None, Snapshot::default, || 7), 7);
        assert_eq!(report_while(Some(Duration::from_secs(60)), Snapshot::default, || 8), 8);
    }
}
