//! Kafka 2.1's OffsetsForLeaderEpoch (KIP-101): a follower asks where an epoch ends before it
//! truncates.

use super::*;

#[test]
fn kafka_2_1_truncates_by_epoch_request_and_its_fetches_name_no_epoch() {
    // KIP-320 as 2.1 shipped it: OffsetsForLeaderEpoch (with the current leader epoch) first...
    let cfg = Config { truncation: TruncationRule::Kip320Kafka21, ..Config::default() };
    let (mut follower, e, ask) = asking_where_epoch_1_ends(&cfg);
    assert_eq!(e, fx(vec![(to(1), ask)], false));
    // ...then, truncated, a fetch without the last fetched epoch (KAFKA-10554 came in 2.8).
    let answer = Msg::OffsetsForLeaderEpochResponse {
        partition: P0,
        current_leader_epoch: LeaderEpoch(2),
        result: Ok(Some(EpochEnd { epoch: LeaderEpoch(1), end_offset: Offset(1) })),
    };
    let e = step(&mut follower, &cfg, 2, answer);
    assert_eq!(e, fx(vec![(to(1), fetch(2, 2, 2, 1, None, 0))], true));
    assert_eq!(log(&follower).end_offset(), Offset(1));
}

#[test]
fn kafka_2_1_puts_a_new_leaders_epoch_in_its_cache_at_once() {
    // KAFKA-7415, in 2.1 as in today's rule; KIP-279 (2.0) waited for the first append.
    for (rule, cached) in [(TruncationRule::Kip279, false), (TruncationRule::Kip320Kafka21, true)] {
        let cfg = Config { truncation: rule, ..Config::default() };
        let mut broker = with_log(&cfg, 1, &[1], 1);
        step(&mut broker, &cfg, 1, Msg::PartitionChange(meta(Some(1), 2, 2, &[1, 2, 3])));
        let epoch_2 = EpochEntry { epoch: LeaderEpoch(2), start_offset: Offset(1) };
        assert_eq!(log(&broker).epochs.contains(&epoch_2), cached, "{rule}");
    }
}

#[test]
fn an_unanswered_epoch_request_times_out_and_is_asked_again() {
    let mut cfg = Config { truncation: TruncationRule::Kip279, ..Config::default() };
    cfg.runtime.fetch_timeout = true;
    let (mut follower, e, ask) = asking_where_epoch_1_ends(&cfg);
    assert_eq!(e, sent_with_timeout(vec![(to(1), ask.clone())]));
    assert!(follower.wanted_timers(ctx(&cfg, 2)).contains(&Timer::FetchTimeout(P0)));
    assert_eq!(tick(&mut follower, &cfg, 2, Timer::FetchTimeout(P0)), Effects::default());
    assert_eq!(*role(&follower), Role::Follower(FetchState::Backoff { truncating: true }));
    assert_eq!(tick(&mut follower, &cfg, 2, Timer::FetchBackoff(P0)), sent_with_timeout(vec![(to(1), ask)]));
}
