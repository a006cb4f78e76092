//! What the integration tests of the reference cluster share: nodes run as threads of the test
//! process (`node::run`), stopped through their `Stop`.

use kelp_impl::node::{self, NodeError, Stop};
use std::path::Path;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Runs node `id` of the cluster in `dir` on a thread of its own.
pub fn spawn_node(dir: &Path, id: u32) -> (Stop, JoinHandle<Result<(), NodeError>>) {
    let stop = Stop::new();
    let (dir, thread_stop) = (dir.to_path_buf(), stop.clone());
    let handle = std::thread::spawn(move || node::run(&dir, id, &thread_stop));
    (stop, handle)
}

/// Waits for a node's thread to end, at most `limit`; its result.
pub fn join_within(handle: JoinHandle<Result<(), NodeError>>, limit: Duration, what: &str) -> Result<(), NodeError> {
    let deadline = Instant::now() + limit;
    while !handle.is_finished() {
        assert!(Instant::now() < deadline, "{what} did not stop within {limit:?}");
        std::thread::sleep(Duration::from_millis(10));
    }
    handle.join().expect("the node thread panicked")
}
