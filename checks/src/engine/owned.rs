//! Work that belongs to a thread: each of the pool's threads first does the items it owns, then
//! helps with the others'. The search hands a thread the states it made, so that the thread that
//! allocated a state is, mostly, the one that frees it: a block freed by another thread goes
//! back to its page through an atomic list that the owner must collect (mimalloc), which cost
//! 6.5% of the samples of `healthy` at 2 threads under plain work stealing (half of all frees
//! crossed threads there; with 16 threads, fifteen in sixteen would).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The items one thread owns (their indices, ascending) and how many have been taken; alone on
/// its cache lines, as its owner takes from it at every item.
#[repr(align(128))]
struct Queue {
    items: Vec<usize>,
    taken: AtomicUsize,
}

impl Queue {
    /// The next item no thread has taken yet.
    fn take(&self) -> Option<usize> {
        self.items.get(self.taken.fetch_add(1, Ordering::Relaxed)).copied()
    }
}

/// Runs `work` on every item, on the current rayon pool's threads; an item is first offered to
/// the thread `owner` names (taken modulo the pool's size), and `work` is told whether that is
/// the thread doing it. Returns, in the items' order, each result and the index of the thread
/// that did it. Adds to `parallel` the time the pool's threads were at the items (handing the
/// items out and gathering the results is done by the calling thread alone, before and after).
pub fn map<T: Send, R: Send>(
    items: Vec<T>,
    owner: impl Fn(&T) -> usize,
    work: impl Fn(T, bool) -> R + Sync,
    parallel: &mut Duration,
) -> Vec<(R, usize)> {
    let threads = rayon::current_num_threads();
    let mut queues: Vec<Queue> =
        (0..threads).map(|_| Queue { items: Vec::new(), taken: AtomicUsize::new(0) }).collect();
    for (i, item) in items.iter().enumerate() {
        queues[owner(item) % threads].items.push(i);
    }
    let len = items.len();
    let slots: Vec<Mutex<Option<T>>> = items.into_iter().map(|item| Mutex::new(Some(item))).collect();
    let take = |i: usize| slots[i].lock().expect("no thread panicked").take().expect("each item taken once");
    let started = Instant::now();
    let done: Vec<Vec<(usize, R)>> = rayon::broadcast(|context| {
        let me = context.index();
        let mut done = Vec::new();
        for k in 0..threads {
            let queue = &queues[(me + k) % threads];
            while let Some(i) = queue.take() {
                done.push((i, work(take(i), k == 0)));
            }
        }
        done
    });
    *parallel += started.elapsed();
    let mut results: Vec<Option<(R, usize)>> = (0..len).map(|_| None).collect();
    for (thread, done) in done.into_iter().enumerate() {
        for (i, result) in done {
            results[i] = Some((result, thread));
        }
    }
    results.into_iter().map(|r| r.expect("every item done")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_item_is_done_once_and_results_keep_the_items_order() {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(3).build().unwrap();
        let items: Vec<u32> = (0..1000).collect();
        let results = pool.install(|| map(items, |&i| i as usize, |i, _| i * 2, &mut Duration::default()));
        assert_eq!(results.iter().map(|&(r, _)| r).collect::<Vec<_>>(), (0..1000).map(|i| i * 2).collect::<Vec<_>>());
        assert!(results.iter().all(|&(_, thread)| thread < 3));
    }

    /// Two items, owned by the threads `owners` names, on a pool of two threads; each item
    /// waits for the other to start, so each thread does one. Returns, in the items' order,
    /// whether the thread that did it owns it, and that thread.
    fn two_at_once(owners: [usize; 2]) -> Vec<(bool, usize)> {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
        let both_started = std::sync::Barrier::new(2);
        let work = |_, mine: bool| {
            both_started.wait();
            mine
        };
        pool.install(|| map(owners.to_vec(), |&owner| owner, work, &mut Duration::default()))
    }

    #[test]
    fn each_thread_does_its_own_items_first() {
        // Only a thread that takes its own item first lets the other thread take its own.
        assert_eq!(two_at_once([0, 1]), vec![(true, 0), (true, 1)]);
    }

    #[test]
    fn work_knows_whether_it_helps_another_thread() {
        // Both items are thread 0's: thread 1 must take one, as a helper.
        let mut done = two_at_once([0, 0]);
        done.sort_by_key(|&(_, thread)| thread);
        assert_eq!(done, vec![(true, 0), (false, 1)]);
    }

    #[test]
    fn owners_beyond_the_pool_wrap_around() {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
        let results = pool.install(|| map(vec![7, 8], |&i| i, |i, mine| (i + 1, mine), &mut Duration::default()));
        assert_eq!(results, vec![((8, true), 0), ((9, true), 0)]);
    }
}
