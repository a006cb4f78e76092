//! How often a node says it dropped something. Every datagram it refuses, and every message the
//! model cannot take, is worth a line in its log, but a flood of them would fill the disk (12 s of
//! junk at one broker wrote 200 MB of log): past the first lines of a window, the rest are only
//! counted, and the count is logged once the window has closed: at the next drop, or at the node's
//! next poll if the flood has stopped.

use std::time::{Duration, Instant};

/// Lines per window, and the window.
const LINES: u32 = 20;
const WINDOW: Duration = Duration::from_secs(10);

/// The drops of the current window: when it opened, how many were logged, how many were not.
#[derive(Debug, Default)]
pub struct Throttle {
    opened: Option<Instant>,
    logged: u32,
    hidden: u64,
}

/// What to do about one drop at a given time.
#[derive(Debug, PartialEq, Eq)]
pub struct Verdict {
    /// Log this drop.
    pub log: bool,
    /// Drops of the window that just closed that were not logged (say how many first).
    pub unlogged_before: Option<u64>,
}

impl Throttle {
    /// A drop at `now`: it opens a new window if the last one has closed.
    pub fn drop_at(&mut self, now: Instant) -> Verdict {
        let unlogged_before = self.closed_at(now);
        if !self.is_open_at(now) {
            *self = Throttle { opened: Some(now), logged: 0, hidden: 0 };
        }
        let log = self.logged < LINES;
        if log {
            self.logged += 1;
        } else {
            self.hidden += 1;
        }
        Verdict { log, unlogged_before }
    }

    /// The drops of a window that has closed by `now` and were not logged one by one, if any;
    /// they are then forgotten, so that the next drop does not count them again.
    pub fn closed_at(&mut self, now: Instant) -> Option<u64> {
        if self.is_open_at(now) || self.hidden == 0 {
            return None;
        }
        let hidden = self.hidden;
        *self = Throttle::default();
        Some(hidden)
    }

    fn is_open_at(&self, now: Instant) -> bool {
        self.opened.is_some_and(|opened| now.duration_since(opened) < WINDOW)
    }
}

/// The line for `unlogged` drops not logged one by one.
pub fn summary(unlogged: u64) -> String {
    format!("dropped {unlogged} more in {WINDOW:?} without a line each (at most {LINES} lines per {WINDOW:?})")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn past_the_first_lines_of_a_window_drops_are_counted_and_the_count_said_in_the_next() {
        let start = Instant::now();
        let mut throttle = Throttle::default();
        let verdicts: Vec<Verdict> = (0..LINES + 5).map(|_| throttle.drop_at(start)).collect();
        assert!(verdicts[..LINES as usize].iter().all(|v| *v == Verdict { log: true, unlogged_before: None }));
        assert!(verdicts[LINES as usize..].iter().all(|v| *v == Verdict { log: false, unlogged_before: None }));
        // Still the same window.
        let late = throttle.drop_at(start + WINDOW - Duration::from_millis(1));
        assert_eq!(late, Verdict { log: false, unlogged_before: None });
        // The next window: this one is logged, after the count of the 6 that were not.
        assert_eq!(throttle.drop_at(start + WINDOW), Verdict { log: true, unlogged_before: Some(6) });
        assert_eq!(throttle.drop_at(start + WINDOW), Verdict { log: true, unlogged_before: None });
    }

    #[test]
    fn a_flood_that_stops_is_counted_once_its_window_closes_and_only_once() {
        let start = Instant::now();
        let mut throttle = Throttle::default();
        (0..LINES + 3).for_each(|_| _ = throttle.drop_at(start));
        assert_eq!(throttle.closed_at(start + WINDOW - Duration::from_millis(1)), None, "still open");
        assert_eq!(throttle.closed_at(start + WINDOW), Some(3));
        assert_eq!(throttle.closed_at(start + WINDOW * 2), None, "said already");
        assert_eq!(throttle.drop_at(start + WINDOW * 2), Verdict { log: true, unlogged_before: None });
        // A window whose drops were all logged has nothing to say when it closes.
        assert_eq!(throttle.closed_at(start + WINDOW * 3), None);
    }

    #[test]
    fn a_quiet_window_says_nothing_of_the_one_before() {
        let start = Instant::now();
        let mut throttle = Throttle::default();
        throttle.drop_at(start);
        assert_eq!(throttle.drop_at(start + WINDOW * 3), Verdict { log: true, unlogged_before: None });
        assert_eq!(summary(6), "dropped 6 more in 10s without a line each (at most 20 lines per 10s)");
    }
}
