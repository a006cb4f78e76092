//! `fetch_max_records` in followers' fetches: an answer, held or not, carries at most that many
//! records.

use super::*;

#[test]
fn a_follower_fetch_returns_at_most_fetch_max_records() {
    let mut cfg = Config::default();
    cfg.runtime.fetch_max_records = Some(2);
    // The leader has three records of epoch 1 (HW 0) and leads epoch 2 with ISR {1,2}.
    let mut leader = with_log(&cfg, 1, &[1, 1, 1], 0);
    step(&mut leader, &cfg, 1, Msg::PartitionChange(meta(Some(1), 2, 2, &[1, 2])));
    let e = step(&mut leader, &cfg, 1, fetch(2, 2, 2, 0, None, 0));
    assert_eq!(e, fx(vec![(to(2), fetch_response(2, 0, records(vec![rec(1, 0), rec(1, 1)], 0)))], false));
    assert_eq!(progress(&leader, 2).parked, None);
    // The next fetch takes the rest, and its position moves the HW.
    let e = step(&mut leader, &cfg, 1, fetch(2, 2, 2, 2, Some(1), 0));
    assert_eq!(e, fx(vec![(to(2), fetch_response(2, 2, records(vec![rec(1, 2)], 2)))], true));
    assert_eq!(hw(&leader), Offset(2));

    // Unset: everything to the log end.
    let cfg = Config::default();
    let mut leader = with_log(&cfg, 1, &[1, 1, 1], 0);
    step(&mut leader, &cfg, 1, Msg::PartitionChange(meta(Some(1), 2, 2, &[1, 2])));
    let e = step(&mut leader, &cfg, 1, fetch(2, 2, 2, 0, None, 0));
    assert_eq!(e, fx(vec![(to(2), fetch_response(2, 0, records(vec![rec(1, 0), rec(1, 1), rec(1, 2)], 0)))], false));
}

#[test]
fn fetches_answered_after_appends_are_bounded_by_fetch_max_records() {
    let mut cfg = Config::default();
    cfg.runtime.fetch_max_records = Some(1);
    let mut leader = boot(&cfg, 1);
    // Both followers wait at offset 0; two acks=1 records are appended, each answering the fetch
    // parked at that moment.
    step(&mut leader, &cfg, 1, fetch(2, 2, 1, 0, None, 0));
    step(&mut leader, &cfg, 1, fetch(3, 3, 1, 0, None, 0));
    let e = step(&mut leader, &cfg, 1, produce_with(Acks::One, true, 0));
    assert_eq!(
        e,
        fx(
            vec![
                produced(0, Ok(0)),
                (to(2), fetch_response(1, 0, records(vec![rec(1, 0)], 0))),
                (to(3), fetch_response(1, 0, records(vec![rec(1, 0)], 0))),
            ],
            true
        )
    );
    step(&mut leader, &cfg, 1, produce_with(Acks::One, true, 1));
    // Follower 2 fetches at 1 (one record past it); follower 3, which lost its answer, fetches at
    // 0 again (two records past it) and gets one.
    let e = step(&mut leader, &cfg, 1, fetch(2, 2, 1, 1, Some(1), 0));
    assert_eq!(e, fx(vec![(to(2), fetch_response(1, 1, records(vec![rec(1, 1)], 0)))], false));
    let e = step(&mut leader, &cfg, 1, fetch(3, 3, 1, 0, None, 0));
    assert_eq!(e, fx(vec![(to(3), fetch_response(1, 0, records(vec![rec(1, 0)], 0)))], false));
}
