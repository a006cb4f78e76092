//! How a node is asked to stop: SIGTERM/SIGINT in a `kelp node` process, or a flag of its own for
//! a node run as a thread in tests.

use super::NodeError;
use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

static SIGNALS: AtomicUsize = AtomicUsize::new(0);

extern "C" fn on_signal(_signal: libc::c_int) {
    // Async-signal-safe: one lock-free atomic increment.
    SIGNALS.fetch_add(1, Ordering::SeqCst);
}

/// How a node is asked to stop: SIGTERM/SIGINT (`Stop::on_signals`) in a `kelp node` process, or
/// `Stop::request` (tests running nodes as threads). The first request starts a broker's
/// controlled shutdown; a second one stops it at once.
#[derive(Clone, Debug)]
pub struct Stop(StopSource);

#[derive(Clone, Debug)]
enum StopSource {
    Flag(Arc<AtomicUsize>),
    Signals,
}

impl Default for Stop {
    fn default() -> Self {
        Self::new()
    }
}

impl Stop {
    /// A stop flag of its own (for a node run as a thread).
    pub fn new() -> Self {
        Stop(StopSource::Flag(Arc::new(AtomicUsize::new(0))))
    }

    /// Installs handlers for SIGTERM and SIGINT (once per process is enough; again is harmless)
    /// and returns the stop that they request. The handlers only count signals.
    pub fn on_signals() -> Result<Self, NodeError> {
        for signal in [libc::SIGTERM, libc::SIGINT] {
            // SAFETY: a zeroed sigaction is valid; the handler only touches an atomic; no
            // SA_RESTART, so a blocked receive returns EINTR and the loop looks at once.
            let installed = unsafe {
                let mut action: libc::sigaction = std::mem::zeroed();
                action.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
                libc::sigemptyset(&mut action.sa_mask);
                action.sa_flags = 0;
                libc::sigaction(signal, &action, std::ptr::null_mut())
            };
            if installed != 0 {
                return Err(NodeError::Signals(io::Error::last_os_error()));
            }
        }
        Ok(Stop(StopSource::Signals))
    }

    /// Asks the node to stop (as one SIGTERM would).
    pub fn request(&self) {
        self.counter().fetch_add(1, Ordering::SeqCst);
    }

    /// How many stops were requested so far.
    pub fn requests(&self) -> usize {
        self.counter().load(Ordering::SeqCst)
    }

    fn counter(&self) -> &AtomicUsize {
        match &self.0 {
            StopSource::Flag(flag) => flag,
            StopSource::Signals => &SIGNALS,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sigterm_requests_a_stop() {
        let stop = Stop::on_signals().unwrap();
        let before = stop.requests();
        // SAFETY: the handler just installed only counts the signal.
        assert_eq!(unsafe { libc::raise(libc::SIGTERM) }, 0);
        assert_eq!(stop.requests(), before + 1);
    }

    #[test]
    fn a_stop_counts_requests() {
        let stop = Stop::new();
        let other = stop.clone();
        assert_eq!(stop.requests(), 0);
        other.request();
        other.request();
        assert_eq!(stop.requests(), 2);
        assert_eq!(Stop::new().requests(), 0);
    }
}
