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
/// items out and reading the results back is done by the calling thread alone, before and
/// after). Each result is written once, into its item's place, by the thread that made it: the
/// calling thread moves it once more, as it reads it (gathering each thread's results and putting
/// them in order moved each twice more, one thread at a time: 50 ms of `healthy` at one thread).
pub fn map<T: Send, R: Send>(
    items: Vec<T>,
    owner: impl Fn(&T) -> usize,
    work: impl Fn(T, bool) -> R + Sync,
    parallel: &mut Duration,
) -> Results<T, R> {
    let threads = rayon::current_num_threads();
    let mut queues: Vec<Queue> =
        (0..threads).map(|_| Queue { items: Vec::new(), taken: AtomicUsize::new(0) }).collect();
    for (i, item) in items.iter().enumerate() {
        queues[owner(item) % threads].items.push(i);
    }
    let slots: Vec<Mutex<Slot<T, R>>> = items.into_iter().map(|item| Mutex::new(Slot::Waiting(item))).collect();
    let started = Instant::now();
    rayon::broadcast(|context| {
        let me = context.index();
        for k in 0..threads {
            let queue = &queues[(me + k) % threads];
            while let Some(i) = queue.take() {
                let lock = || slots[i].lock().expect("no thread panicked");
                let Slot::Waiting(item) = std::mem::replace(&mut *lock(), Slot::Taken) else {
                    unreachable!("each item is taken once")
                };
                let result = work(item, k == 0);
                *lock() = Slot::Done(result, me);
            }
        }
    });
    *parallel += started.elapsed();
    Results(slots)
}

/// An item's place: the item until a thread takes it, then its result and that thread's index.
pub enum Slot<T, R> {
    Waiting(T),
    Taken,
    Done(R, usize),
}

/// What `map` returns: each item's result and the index of the thread that made it, in the
/// items' order, each in its item's place.
pub struct Results<T, R>(Vec<Mutex<Slot<T, R>>>);

impl<T, R> IntoIterator for Results<T, R> {
    type Item = (R, usize);
    type IntoIter = std::iter::Map<std::vec::IntoIter<Mutex<Slot<T, R>>>, fn(Mutex<Slot<T, R>>) -> (R, usize)>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter().map(|slot| match slot.into_inner().expect("no thread panicked") {
            Slot::Done(result, thread) => (result, thread),
            Slot::Waiting(_) | Slot::Taken => unreachable!("every item is done"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_item_is_done_once_and_results_keep_the_items_order() {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(3).build().unwrap();
        let items: Vec<u32> = (0..1000).collect();
        let results: Vec<_> =
            pool.install(|| map(items, |&i| i as usize, |i, _| i * 2, &mut Duration::default()).into_iter().collect());
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
        pool.install(|| map(owners.to_vec(), |&owner| owner, work, &mut Duration::default()).into_iter().collect())
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
        let results: Vec<_> = pool.install(|| {
            map(vec![7, 8], |&i| i, |i, mine| (i + 1, mine), &mut Duration::default()).into_iter().collect()
        });
        assert_eq!(results, vec![((8, true), 0), ((9, true), 0)]);
    }
}
