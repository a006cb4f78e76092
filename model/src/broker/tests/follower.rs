//! The follower: appending fetched records, taking the leader's HW, and truncating on divergence
//! (KIP-101, KIP-279, KIP-320) or on an out-of-range offset.

use super::*;

#[test]
fn the_follower_appends_fetched_records_takes_the_hw_and_fetches_on() {
    let cfg = Config::default();
    let mut follower = boot(&cfg, 2);
    let e = step(&mut follower, &cfg, 2, fetch_response(1, 0, records(vec![rec(1, 0), rec(1, 1)], 1)));
    assert_eq!(e, fx(vec![(to(1), fetch(2, 2, 1, 2, Some(1), 1))], true));
    assert_eq!(log(&follower).records, vec![rec(1, 0), rec(1, 1)]);
    assert_eq!(log(&follower).epochs, vec![EpochEntry { epoch: LeaderEpoch(1), start_offset: Offset(0) }]);
    assert_eq!(hw(&follower), Offset(1));
    assert_eq!(*role(&follower), Role::Follower(FetchState::Fetching { fetch_offset: Offset(2) }));
}

#[test]
fn the_follower_hw_is_capped_by_its_own_log_end() {
    let cfg = Config::default();
    let mut follower = boot(&cfg, 2);
    step(&mut follower, &cfg, 2, fetch_response(1, 0, records(vec![rec(1, 0)], 3)));
    assert_eq!(hw(&follower), Offset(1));
}

#[test]
fn the_follower_takes_a_leader_hw_lower_than_its_own() {
    let cfg = Config::default();
    let mut follower = with_log(&cfg, 2, &[1, 1], 2);
    step(&mut follower, &cfg, 2, Msg::PartitionChange(meta(Some(1), 2, 2, &[1, 2, 3])));
    step(&mut follower, &cfg, 2, fetch_response(2, 2, records(vec![], 1)));
    assert_eq!(hw(&follower), Offset(1));
}

#[test]
fn a_diverging_epoch_truncates_the_follower_and_it_fetches_from_there() {
    let cfg = Config::default();
    let mut follower = with_log(&cfg, 2, &[1, 2], 0);
    let e = step(&mut follower, &cfg, 2, Msg::PartitionChange(meta(Some(1), 3, 3, &[1, 2, 3])));
    assert_eq!(e, fx(vec![(to(1), fetch(2, 2, 3, 2, Some(2), 0))], false));

    let end = EpochEnd { epoch: LeaderEpoch(1), end_offset: Offset(1) };
    let e = step(&mut follower, &cfg, 2, fetch_response(3, 2, FetchResult::Diverging { end }));
    assert_eq!(e, fx(vec![(to(1), fetch(2, 2, 3, 1, Some(1), 0))], true));
    assert_eq!(log(&follower).records, vec![rec(1, 0)]);
    assert_eq!(log(&follower).epochs, vec![EpochEntry { epoch: LeaderEpoch(1), start_offset: Offset(0) }]);
    assert!(follower.faults.truncated);
    assert_eq!(*role(&follower), Role::Follower(FetchState::Fetching { fetch_offset: Offset(1) }));
}

#[test]
fn offset_out_of_range_cuts_the_follower_back_to_the_leader_end() {
    let cfg = Config::default();
    let mut follower = with_log(&cfg, 2, &[1, 1, 1], 2);
    step(&mut follower, &cfg, 2, Msg::PartitionChange(meta(Some(1), 2, 2, &[1, 2, 3])));
    let e = step(
        &mut follower,
        &cfg,
        2,
        fetch_response(2, 3, FetchResult::OffsetOutOfRange { leader_end_offset: Offset(1) }),
    );
    assert_eq!(e, fx(vec![(to(1), fetch(2, 2, 2, 1, Some(1), 1))], true));
    assert_eq!(log(&follower).records, vec![rec(1, 0)]);
    assert_eq!(hw(&follower), Offset(1));
    assert!(follower.faults.truncated);
}

#[test]
fn stale_fetch_responses_are_ignored() {
    let cfg = Config::default();
    let mut follower = boot(&cfg, 2);
    let before = follower.clone();
    // Another leader epoch.
    let e = step(&mut follower, &cfg, 2, fetch_response(2, 0, records(vec![rec(2, 0)], 1)));
    assert_eq!(e, Effects::default());
    // Another fetch offset than the one in flight.
    let e = step(&mut follower, &cfg, 2, fetch_response(1, 1, records(vec![rec(1, 1)], 1)));
    assert_eq!(e, Effects::default());
    // A response to a leader.
    let mut leader = boot(&cfg, 1);
    let leader_before = leader.clone();
    let e = step(&mut leader, &cfg, 1, fetch_response(1, 0, records(vec![rec(1, 0)], 1)));
    assert_eq!(e, Effects::default());
    assert_eq!(leader, leader_before);
    assert_eq!(follower, before);
}

#[test]
fn fetch_errors_back_off_or_wait_for_metadata() {
    let cfg = Config::default();
    let mut follower = boot(&cfg, 2);
    let e = step(&mut follower, &cfg, 2, fetch_response(1, 0, FetchResult::Error(FetchError::UnknownLeaderEpoch)));
    assert_eq!(e, Effects::default());
    assert_eq!(*role(&follower), Role::Follower(FetchState::Backoff { truncating: false }));
    assert!(follower.wanted_timers(ctx(&cfg, 2)).contains(&Timer::FetchBackoff(P0)));
    let e = tick(&mut follower, &cfg, 2, Timer::FetchBackoff(P0));
    assert_eq!(e, fx(vec![(to(1), fetch(2, 2, 1, 0, None, 0))], false));
    assert_eq!(*role(&follower), Role::Follower(FetchState::Fetching { fetch_offset: Offset(0) }));

    let e = step(&mut follower, &cfg, 2, fetch_response(1, 0, FetchResult::Error(FetchError::FencedLeaderEpoch)));
    assert_eq!(e, Effects::default());
    assert_eq!(*role(&follower), Role::Follower(FetchState::Idle));
    assert_eq!(tick(&mut follower, &cfg, 2, Timer::FetchBackoff(P0)), Effects::default());
}

#[test]
fn before_kip101_a_new_follower_truncates_to_its_hw() {
    let cfg = Config { truncation: TruncationRule::HighWatermark, ..Config::default() };
    let mut follower = with_log(&cfg, 2, &[1, 1], 1);
    let e = step(&mut follower, &cfg, 2, Msg::PartitionChange(meta(Some(1), 2, 2, &[1, 2, 3])));
    // No last fetched epoch before KIP-320.
    assert_eq!(e, fx(vec![(to(1), fetch(2, 2, 2, 1, None, 1))], true));
    assert_eq!(log(&follower).records, vec![rec(1, 0)]);
    assert!(follower.faults.truncated);

    // Under KIP-320 the same follower keeps its log and lets the leader judge it.
    let cfg = Config::default();
    let mut follower = with_log(&cfg, 2, &[1, 1], 1);
    let e = step(&mut follower, &cfg, 2, Msg::PartitionChange(meta(Some(1), 2, 2, &[1, 2, 3])));
    assert_eq!(e, fx(vec![(to(1), fetch(2, 2, 2, 2, Some(1), 1))], false));
    assert!(!follower.faults.truncated);
}

#[test]
fn under_kip279_a_new_follower_asks_where_its_epoch_ends_then_truncates() {
    let cfg = Config { truncation: TruncationRule::Kip279, ..Config::default() };
    let (mut follower, e, ask) = asking_where_epoch_1_ends(&cfg);
    assert_eq!(e, fx(vec![(to(1), ask)], false));
    assert_eq!(*role(&follower), Role::Follower(FetchState::AwaitingEpochEnd { epoch: LeaderEpoch(1) }));

    // A stale answer (another leader epoch) is ignored.
    let stale =
        Msg::OffsetsForLeaderEpochResponse { partition: P0, current_leader_epoch: LeaderEpoch(1), result: Ok(None) };
    assert_eq!(step(&mut follower, &cfg, 2, stale), Effects::default());

    // The leader's epoch 1 ends at offset 1: truncate there, then fetch (no last fetched epoch).
    let answer = Ok(Some(EpochEnd { epoch: LeaderEpoch(1), end_offset: Offset(1) }));
    let e = step(
        &mut follower,
        &cfg,
        2,
        Msg::OffsetsForLeaderEpochResponse { partition: P0, current_leader_epoch: LeaderEpoch(2), result: answer },
    );
    assert_eq!(e, fx(vec![(to(1), fetch(2, 2, 2, 1, None, 0))], true));
    assert_eq!(log(&follower).records, vec![rec(1, 0)]);
    assert!(follower.faults.truncated);
}

#[test]
fn an_empty_kip279_follower_fetches_at_once() {
    let cfg = Config { truncation: TruncationRule::Kip279, ..Config::default() };
    let mut effects = Effects::default();
    let records = ControllerState::bootstrap(&cfg).partitions;
    BrokerState::bootstrap(ctx(&cfg, 2), &records, &mut effects);
    assert_eq!(effects, fx(vec![(to(1), fetch(2, 2, 1, 0, None, 0))], false));
}

#[test]
fn the_kip279_leader_answers_offsets_for_leader_epoch() {
    let cfg = Config { truncation: TruncationRule::Kip279, ..Config::default() };
    let mut leader = with_log(&cfg, 1, &[1, 1, 2], 0);
    step(&mut leader, &cfg, 1, Msg::PartitionChange(meta(Some(1), 2, 2, &[1, 2, 3])));
    let ask = |epoch: u32, current: u32| Msg::OffsetsForLeaderEpoch {
        partition: P0,
        replica: b(2),
        current_leader_epoch: LeaderEpoch(current),
        epoch: LeaderEpoch(epoch),
    };
    let answer = |current: u32, result| {
        fx(
            vec![(
                to(2),
                Msg::OffsetsForLeaderEpochResponse {
                    partition: P0,
                    current_leader_epoch: LeaderEpoch(current),
                    result,
                },
            )],
            false,
        )
    };
    let e = step(&mut leader, &cfg, 1, ask(1, 2));
    assert_eq!(e, answer(2, Ok(Some(EpochEnd { epoch: LeaderEpoch(1), end_offset: Offset(2) }))));
    let e = step(&mut leader, &cfg, 1, ask(3, 2));
    assert_eq!(e, answer(2, Ok(None)));
    let e = step(&mut leader, &cfg, 1, ask(1, 1));
    assert_eq!(e, answer(1, Err(FetchError::FencedLeaderEpoch)));
}
