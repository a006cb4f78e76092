//! What the native BFS's threads did twice or for each other (`engine::bfs::Overlap`, which
//! `kelp bench` prints): nothing at one thread; at any thread count every state is expanded once
//! and the copies that kept their claims are exactly the new states.

mod common;

use kelp_checks::run::{run, Engine, RunOptions};
use kelp_checks::scenario::Scenario;
use kelp_model::config::{Config, Retries};

#[test]
fn the_threads_overlap_only_in_what_they_count() {
    let scenario = Scenario::ad_hoc(Config {
        records: 1,
        retries: Retries::Times(0),
        budget: common::crashes_only(1),
        ..Config::default()
    });
    for threads in [1, 2, 3] {
        let report = run(&scenario, RunOptions::bfs(Engine::Native, threads));
        let overlap = report.overlap.expect("counted by the native BFS");
        assert_eq!(overlap.expanded, report.unique, "every state expanded once, at {threads} threads");
        // One initial state: every other unique state is a copy that kept its claim.
        assert_eq!(overlap.copies - overlap.lost, report.unique - 1, "at {threads} threads: {overlap:?}");
        assert!(overlap.helped <= overlap.expanded);
        if threads == 1 {
            assert_eq!((overlap.helped, overlap.lost), (0, 0), "one thread works for no other");
        }
    }
}
