//! The CPU time a bench run took: every thread of the process, user and system time, from
//! `getrusage(RUSAGE_SELF)`. Over the run's wall-clock time it gives how many threads were at
//! work on average; over the CPU time of the run at 1 thread, how much work more threads add.
//! Together they split a speed-up into its two losses: threads that wait (idle, or a step with
//! one thread at work) and threads that work more for the same states (memory another core
//! holds, work done twice). A thread that spins waiting for work counts as at work.

use std::time::Duration;

/// Runs `f`, with the CPU time the process took meanwhile; `None` where it cannot be measured.
pub fn measure<T>(f: impl FnOnce() -> T) -> (T, Option<Duration>) {
    let before = used();
    let out = f();
    let took = before.zip(used()).map(|(before, after)| after.saturating_sub(before));
    (out, took)
}

/// The CPU time this process has used so far, all threads, user and system.
#[cfg(unix)]
fn used() -> Option<Duration> {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::uninit();
    // SAFETY: getrusage writes the whole `rusage` it is given when it returns 0, and reads
    // nothing from it.
    let usage = unsafe {
        if libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr()) != 0 {
            return None;
        }
        usage.assume_init()
    };
    let timeval = |t: libc::timeval| duration(t.tv_sec, t.tv_usec);
    Some(timeval(usage.ru_utime)? + timeval(usage.ru_stime)?)
}

#[cfg(not(unix))]
fn used() -> Option<Duration> {
    None
}

/// A `timeval`'s seconds and microseconds (of whatever integer types the platform has) as a
/// duration; `None` for a negative field.
fn duration(seconds: impl TryInto<u64>, micros: impl TryInto<u64>) -> Option<Duration> {
    Some(Duration::from_secs(seconds.try_into().ok()?) + Duration::from_micros(micros.try_into().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    #[test]
    fn a_timeval_is_seconds_and_microseconds() {
        assert_eq!(duration(2i64, 500_000i64), Some(Duration::from_millis(2_500)));
        assert_eq!(duration(0i64, 7i32), Some(Duration::from_micros(7)));
        assert_eq!(duration(-1i64, 0i64), None);
        assert_eq!(duration(0i64, -1i32), None);
    }

    #[test]
    fn measuring_here_sees_the_work_of_every_thread() {
        // Two threads each spin until this process has used 20 ms more CPU time than before they
        // started, or 10 s have passed (a machine too busy to give them the time).
        let Some(start) = used() else { return };
        let spin = || {
            let deadline = Instant::now() + Duration::from_secs(10);
            let mut turns = 0u64;
            while used().is_some_and(|now| now < start + Duration::from_millis(20)) && Instant::now() < deadline {
                turns = std::hint::black_box(turns + 1);
            }
        };
        let (_, took) = measure(|| std::thread::scope(|s| [s.spawn(spin), s.spawn(spin)].map(|t| t.join())));
        let took = took.expect("measured where `used` is");
        assert!(took >= Duration::from_millis(20) || used().unwrap() < start + Duration::from_millis(20), "{took:?}");
        assert!(took < Duration::from_secs(60), "microseconds are not read as seconds: {took:?}");
    }
}
