//! Real timers for a model actor: armed timers by deadline, each duration drawn at random from the
//! range the model gives it.

use std::collections::hash_map::RandomState;
use std::collections::BTreeMap;
use std::hash::{BuildHasher, Hasher};
use std::ops::Range;
use std::time::{Duration, Instant};

/// Armed timers by deadline. Durations are drawn at random from the range the model gives.
#[derive(Debug)]
pub struct TimerQueue<T: Ord + Clone> {
    by_deadline: BTreeMap<(Instant, u64), T>,
    armed: BTreeMap<T, (Instant, u64)>,
    next_seq: u64,
    rng: u64,
}

impl<T: Ord + Clone> Default for TimerQueue<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Ord + Clone> TimerQueue<T> {
    pub fn new() -> Self {
        let mut hasher = RandomState::new().build_hasher();
        hasher.write_u32(std::process::id());
        Self::with_seed(hasher.finish())
    }

    /// A queue whose random durations follow from `seed`.
    pub fn with_seed(seed: u64) -> Self {
        TimerQueue { by_deadline: BTreeMap::new(), armed: BTreeMap::new(), next_seq: 0, rng: seed }
    }

    /// Arms `timer` to fire after a random duration in `range` from `now`, unless it is armed
    /// already (then its deadline stands). Returns its deadline.
    pub fn arm(&mut self, timer: T, range: Range<Duration>, now: Instant) -> Instant {
        match self.armed.get(&timer) {
            Some(&(deadline, _)) => deadline,
            None => self.insert(timer, range, now),
        }
    }

    /// Arms `timer` afresh: a new random deadline in `range` from `now`, armed or not before.
    pub fn rearm(&mut self, timer: T, range: Range<Duration>, now: Instant) -> Instant {
        self.cancel(&timer);
        self.insert(timer, range, now)
    }

    /// Disarms `timer`; false if it was not armed.
    pub fn cancel(&mut self, timer: &T) -> bool {
        match self.armed.remove(timer) {
            Some(key) => {
                self.by_deadline.remove(&key);
                true
            }
            None => false,
        }
    }

    pub fn is_armed(&self, timer: &T) -> bool {
        self.armed.contains_key(timer)
    }

    pub fn deadline(&self, timer: &T) -> Option<Instant> {
        self.armed.get(timer).map(|&(deadline, _)| deadline)
    }

    /// The earliest deadline.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.by_deadline.keys().next().map(|&(deadline, _)| deadline)
    }

    /// Disarms and returns the earliest timer whose deadline is at or before `now`.
    pub fn pop_due(&mut self, now: Instant) -> Option<T> {
        let (&key, _) = self.by_deadline.iter().next().filter(|((deadline, _), _)| *deadline <= now)?;
        let timer = self.by_deadline.remove(&key).expect("just seen");
        self.armed.remove(&timer);
        Some(timer)
    }

    /// The armed timers, earliest first.
    pub fn armed(&self) -> impl Iterator<Item = (&T, Instant)> {
        self.by_deadline.iter().map(|(&(deadline, _), timer)| (timer, deadline))
    }

    pub fn len(&self) -> usize {
        self.armed.len()
    }

    pub fn is_empty(&self) -> bool {
        self.armed.is_empty()
    }

    fn insert(&mut self, timer: T, range: Range<Duration>, now: Instant) -> Instant {
        let deadline = now + self.pick(range);
        let key = (deadline, self.next_seq);
        self.next_seq += 1;
        self.by_deadline.insert(key, timer.clone());
        self.armed.insert(timer, key);
        deadline
    }

    /// A duration in `range` (its start when the range is empty).
    fn pick(&mut self, range: Range<Duration>) -> Duration {
        let width = range.end.saturating_sub(range.start).as_nanos();
        if width == 0 {
            return range.start;
        }
        // splitmix64
        self.rng = self.rng.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        let offset = u128::from(z) % width;
        range.start + Duration::from_nanos(u64::try_from(offset).unwrap_or(u64::MAX))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::node::test_support::ms;
    use std::collections::BTreeSet;

    #[test]
    fn an_armed_timer_keeps_its_deadline_until_it_fires_or_is_cancelled() {
        let mut q = TimerQueue::with_seed(7);
        let t0 = Instant::now();
        let first = q.arm("a", ms(100, 200), t0);
        assert!(first >= t0 + Duration::from_millis(100) && first < t0 + Duration::from_millis(200));
        assert_eq!(q.arm("a", ms(100, 200), t0 + Duration::from_millis(50)), first, "re-arming keeps the clock");
        let restarted = q.rearm("a", ms(100, 101), t0 + Duration::from_millis(50));
        assert!(restarted >= t0 + Duration::from_millis(150));
        assert_eq!(q.deadline(&"a"), Some(restarted));
        assert!(q.cancel(&"a"));
        assert!(!q.cancel(&"a"));
        assert!(q.is_empty() && q.next_deadline().is_none());
    }

    #[test]
    fn due_timers_pop_earliest_first() {
        let mut q = TimerQueue::with_seed(1);
        let t0 = Instant::now();
        q.arm("late", ms(300, 300), t0);
        q.arm("early", ms(100, 100), t0);
        q.arm("middle", ms(200, 200), t0);
        q.arm("tie", ms(200, 200), t0);
        assert_eq!(q.len(), 4);
        assert_eq!(q.next_deadline(), Some(t0 + Duration::from_millis(100)));
        assert_eq!(q.pop_due(t0 + Duration::from_millis(99)), None);
        assert_eq!(q.pop_due(t0 + Duration::from_millis(250)), Some("early"));
        assert_eq!(q.pop_due(t0 + Duration::from_millis(250)), Some("middle"), "ties fire in arming order");
        assert_eq!(q.pop_due(t0 + Duration::from_millis(250)), Some("tie"));
        assert_eq!(q.pop_due(t0 + Duration::from_millis(250)), None);
        assert!(q.is_armed(&"late"));
        assert_eq!(q.armed().map(|(t, _)| *t).collect::<Vec<_>>(), vec!["late"]);
    }

    #[test]
    fn durations_are_drawn_from_the_models_range() {
        let mut q = TimerQueue::with_seed(42);
        let t0 = Instant::now();
        let mut seen = BTreeSet::new();
        for i in 0..200u32 {
            let d = q.rearm(i % 3, ms(1_000, 1_010), t0) - t0;
            assert!(d >= Duration::from_millis(1_000) && d < Duration::from_millis(1_010), "{d:?}");
            seen.insert(d.as_millis());
        }
        assert!(seen.len() > 5, "random over the range: {seen:?}");
        assert_eq!(q.rearm(9, ms(5, 5), t0), t0 + Duration::from_millis(5), "an empty range gives its start");
    }
}
