//! The leader serving fetches: epoch fencing (KIP-320), divergence (KIP-101/279), held fetches, the
//! HW, and ISR changes it proposes (KIP-903, KAFKA-7128).

use super::*;

#[test]
fn the_leader_fences_fetches_of_another_leader_epoch() {
    let cfg = Config::default();
    let mut leader = boot(&cfg, 1);
    let before = leader.clone();
    let e = step(&mut leader, &cfg, 1, fetch(2, 2, 0, 0, None, 0));
    assert_eq!(e, fx(vec![(to(2), fetch_response(0, 0, FetchResult::Error(FetchError::FencedLeaderEpoch)))], false));
    let e = step(&mut leader, &cfg, 1, fetch(3, 3, 2, 0, None, 0));
    assert_eq!(e, fx(vec![(to(3), fetch_response(2, 0, FetchResult::Error(FetchError::UnknownLeaderEpoch)))], false));
    assert_eq!(leader, before, "a fenced fetch does not count as the follower's position");
}

#[test]
fn without_kip320_fencing_the_leader_serves_any_epoch() {
    let cfg = Config { fetch_epoch_fencing: false, ..Config::default() };
    let mut leader = boot(&cfg, 1);
    let e = step(&mut leader, &cfg, 1, fetch(2, 2, 0, 0, None, 0));
    assert_eq!(e, fx(vec![], false));
    assert_eq!(progress(&leader, 2), parked_at(2, 2, 0, 0, 0));
}

#[test]
fn a_broker_that_does_not_lead_refuses_fetches() {
    let cfg = Config::default();
    let mut follower = boot(&cfg, 2);
    let before = follower.clone();
    let e = step(&mut follower, &cfg, 2, fetch(3, 3, 1, 0, None, 0));
    assert_eq!(e, fx(vec![(to(3), fetch_response(1, 0, FetchResult::Error(FetchError::NotLeaderOrFollower)))], false));
    assert_eq!(follower, before);

    // Even with fencing off.
    let cfg = Config { fetch_epoch_fencing: false, ..Config::default() };
    let mut follower = boot(&cfg, 2);
    let e = step(&mut follower, &cfg, 2, fetch(3, 3, 1, 0, None, 0));
    assert_eq!(e, fx(vec![(to(3), fetch_response(1, 0, FetchResult::Error(FetchError::NotLeaderOrFollower)))], false));
}

#[test]
fn the_leader_tells_a_diverging_follower_where_its_epoch_ends() {
    let cfg = Config::default();
    // The leader wrote offset 0 in epoch 1 and offset 1 in epoch 3; it leads epoch 3.
    let mut leader = with_log(&cfg, 1, &[1, 3], 0);
    step(&mut leader, &cfg, 1, Msg::PartitionChange(meta(Some(1), 3, 3, &[1, 2, 3])));
    assert_eq!(leader_state(&leader).epoch_start, Offset(2));
    // The follower wrote offset 1 in epoch 2 (a leader that lost it): epoch 2 is unknown to the
    // leader, whose largest epoch <= 2 is epoch 1, ending at offset 1.
    let e = step(&mut leader, &cfg, 1, fetch(2, 2, 3, 2, Some(2), 0));
    let end = EpochEnd { epoch: LeaderEpoch(1), end_offset: Offset(1) };
    assert_eq!(e, fx(vec![(to(2), fetch_response(3, 2, FetchResult::Diverging { end }))], false));
    assert_eq!(progress(&leader, 2), unknown(2), "a diverging fetch is no position");
}

#[test]
fn the_leader_ignores_the_last_fetched_epoch_before_kip320() {
    let cfg = Config { truncation: TruncationRule::Kip279, ..Config::default() };
    let mut leader = with_log(&cfg, 1, &[1, 3], 0);
    step(&mut leader, &cfg, 1, Msg::PartitionChange(meta(Some(1), 3, 3, &[1, 2, 3])));
    // The same request: no divergence check, the records from offset 1 are served.
    let e = step(&mut leader, &cfg, 1, fetch(2, 2, 3, 1, Some(2), 0));
    assert_eq!(e, fx(vec![(to(2), fetch_response(3, 1, records(vec![rec(3, 1)], 0)))], false));
}

#[test]
fn a_fetch_past_the_log_end_is_out_of_range() {
    let cfg = Config::default();
    let mut leader = boot(&cfg, 1);
    let before = leader.clone();
    let e = step(&mut leader, &cfg, 1, fetch(2, 2, 1, 3, None, 0));
    assert_eq!(
        e,
        fx(vec![(to(2), fetch_response(1, 3, FetchResult::OffsetOutOfRange { leader_end_offset: Offset(0) }))], false)
    );
    assert_eq!(leader, before);
}

#[test]
fn a_fetch_with_nothing_new_is_parked_and_answered_by_the_next_produce() {
    let cfg = Config::default();
    let mut leader = boot(&cfg, 1);
    let e = step(&mut leader, &cfg, 1, fetch(2, 2, 1, 0, None, 0));
    assert_eq!(e, fx(vec![], false));
    assert_eq!(progress(&leader, 2), parked_at(2, 2, 1, 0, 0));
    assert_eq!(progress(&leader, 3), unknown(3));

    let e = step(&mut leader, &cfg, 1, produce(0));
    assert_eq!(e, fx(vec![(to(2), fetch_response(1, 0, records(vec![rec(1, 0)], 0)))], true));
    assert_eq!(log(&leader).records, vec![rec(1, 0)]);
    assert_eq!(progress(&leader, 2).parked, None);
    assert_eq!(
        leader_state(&leader).pending_acks,
        vec![PendingAck { producer: ProducerId(1), sequence: Sequence(0), offset: Offset(0) }]
    );
    assert_eq!(hw(&leader), Offset(0), "follower 3's position is unknown: the HW holds");
}

#[test]
fn the_hw_advances_when_every_isr_follower_fetched_and_acks_all_is_answered() {
    let cfg = Config::default();
    let mut leader = boot(&cfg, 1);
    step(&mut leader, &cfg, 1, fetch(2, 2, 1, 0, None, 0));
    step(&mut leader, &cfg, 1, fetch(3, 3, 1, 0, None, 0));
    let e = step(&mut leader, &cfg, 1, produce(0));
    assert_eq!(
        e,
        fx(
            vec![
                (to(2), fetch_response(1, 0, records(vec![rec(1, 0)], 0))),
                (to(3), fetch_response(1, 0, records(vec![rec(1, 0)], 0))),
            ],
            true
        )
    );
    // Follower 2 caught up; follower 3 has not: nothing to say yet, the fetch is parked.
    let e = step(&mut leader, &cfg, 1, fetch(2, 2, 1, 1, Some(1), 0));
    assert_eq!(e, fx(vec![], false));
    assert_eq!(hw(&leader), Offset(0));
    assert_eq!(progress(&leader, 2), parked_at(2, 2, 1, 1, 0));
    // Follower 3 caught up: the HW passes offset 0, the produce is acknowledged, and both parked
    // fetches learn the new HW.
    let e = step(&mut leader, &cfg, 1, fetch(3, 3, 1, 1, Some(1), 0));
    assert_eq!(
        e,
        fx(
            vec![
                produced(0, Ok(0)),
                (to(2), fetch_response(1, 1, records(vec![], 1))),
                (to(3), fetch_response(1, 1, records(vec![], 1))),
            ],
            true
        )
    );
    assert_eq!(hw(&leader), Offset(1));
    assert_eq!(leader_state(&leader).pending_acks, vec![]);
    assert_eq!(progress(&leader, 2).parked, None);
    assert_eq!(progress(&leader, 3).parked, None);
}

#[test]
fn a_caught_up_follower_outside_the_isr_is_proposed_with_broker_epochs() {
    let cfg = Config::default();
    let mut leader = boot(&cfg, 1);
    let e = step(&mut leader, &cfg, 1, Msg::PartitionChange(meta(Some(1), 1, 2, &[1, 2])));
    assert_eq!(e, fx(vec![], false));
    step(&mut leader, &cfg, 1, fetch(2, 2, 1, 0, None, 0));
    let e = step(&mut leader, &cfg, 1, fetch(3, 3, 1, 0, None, 0));
    assert_eq!(e, fx(vec![(Address::Controller, proposal_of_all_three())], false));
    assert_eq!(leader_state(&leader).pending_isr.as_ref().map(|p| p.isr()), Some(set(&[1, 2, 3])));

    // While it is in flight, no second proposal.
    let e = step(&mut leader, &cfg, 1, fetch(3, 3, 1, 0, None, 0));
    assert_eq!(e, fx(vec![], false));

    // The controller's answer is applied and closes the pending change.
    let accepted = meta(Some(1), 1, 3, &[1, 2, 3]);
    let e = step(&mut leader, &cfg, 1, alter_partition_answer(2, Ok(accepted.clone())));
    assert_eq!(e, fx(vec![], false));
    assert_eq!(leader_state(&leader).pending_isr, None);
    assert_eq!(process(&leader).replicas[0].meta, Some(accepted));
}

#[test]
fn without_kip903_the_proposal_names_no_broker_epochs() {
    let cfg = Config { broker_epoch_fencing: false, ..Config::default() };
    let mut leader = boot(&cfg, 1);
    step(&mut leader, &cfg, 1, Msg::PartitionChange(meta(Some(1), 1, 2, &[1, 2])));
    let e = step(&mut leader, &cfg, 1, fetch(3, 3, 1, 0, None, 0));
    let request = Msg::AlterPartition {
        partition: P0,
        leader: b(1),
        broker_epoch: BrokerEpoch(1),
        leader_epoch: LeaderEpoch(1),
        partition_epoch: PartitionEpoch(2),
        isr: vec![member(1, None), member(2, None), member(3, None)],
    };
    assert_eq!(e, fx(vec![(Address::Controller, request)], false));
}

#[test]
fn kafka_7128_a_follower_joins_only_once_it_reached_the_epoch_start() {
    let cfg = Config::default();
    // The leader has two records of epoch 1 (HW 0) and leads epoch 2 from offset 2.
    let mut leader = with_log(&cfg, 1, &[1, 1], 0);
    step(&mut leader, &cfg, 1, Msg::PartitionChange(meta(Some(1), 2, 2, &[1, 2])));
    assert_eq!(leader_state(&leader).epoch_start, Offset(2));
    // Follower 3 is at offset 1: past the HW, short of the epoch start. No proposal.
    let e = step(&mut leader, &cfg, 1, fetch(3, 3, 2, 1, Some(1), 0));
    assert_eq!(e, fx(vec![(to(3), fetch_response(2, 1, records(vec![rec(1, 1)], 0)))], false));
    assert_eq!(leader_state(&leader).pending_isr, None);

    // Without the KAFKA-7128 check, it is proposed at once.
    let cfg = Config { isr_expand_epoch_check: false, ..Config::default() };
    let mut leader = with_log(&cfg, 1, &[1, 1], 0);
    step(&mut leader, &cfg, 1, Msg::PartitionChange(meta(Some(1), 2, 2, &[1, 2])));
    let e = step(&mut leader, &cfg, 1, fetch(3, 3, 2, 1, Some(1), 0));
    assert_eq!(e.sends[0].0, Address::Controller);
    assert_eq!(leader_state(&leader).pending_isr.as_ref().map(|p| p.isr()), Some(set(&[1, 2, 3])));
}

#[test]
fn lag_timeout_proposes_a_shrink_and_counts_it() {
    let cfg = Config::default();
    let mut leader = boot(&cfg, 1);
    step(&mut leader, &cfg, 1, fetch(2, 2, 1, 0, None, 0));
    // Follower 2 is caught up: never removed.
    let before = leader.clone();
    let e = tick(&mut leader, &cfg, 1, Timer::LagTimeout(P0, b(2)));
    assert_eq!(e, fx(vec![], false));
    assert_eq!(leader, before);

    // Follower 3 never fetched in this epoch: out of sync.
    let e = tick(&mut leader, &cfg, 1, Timer::LagTimeout(P0, b(3)));
    let request = Msg::AlterPartition {
        partition: P0,
        leader: b(1),
        broker_epoch: BrokerEpoch(1),
        leader_epoch: LeaderEpoch(1),
        partition_epoch: PartitionEpoch(1),
        isr: vec![member(1, Some(1)), member(2, Some(2))],
    };
    assert_eq!(e, fx(vec![(Address::Controller, request)], false));
    assert_eq!(leader_state(&leader).pending_isr.as_ref().map(|p| p.isr()), Some(set(&[1, 2])));
    assert_eq!(leader.faults.isr_shrinks, 1);

    // INELIGIBLE_REPLICA says the request was not applied: back to the committed ISR.
    let e = step(&mut leader, &cfg, 1, alter_partition_answer(1, Err(AlterPartitionError::IneligibleReplica)));
    assert_eq!(e, fx(vec![], false));
    assert_eq!(leader_state(&leader).pending_isr, None);
    assert_eq!(process(&leader).replicas[0].meta, Some(meta(Some(1), 1, 1, &[1, 2, 3])));
}

#[test]
fn a_committed_shrink_lets_the_hw_pass_the_lagging_follower() {
    let cfg = Config::default();
    let mut leader = boot(&cfg, 1);
    step(&mut leader, &cfg, 1, fetch(2, 2, 1, 0, None, 0));
    step(&mut leader, &cfg, 1, fetch(3, 3, 1, 0, None, 0));
    step(&mut leader, &cfg, 1, produce(0));
    step(&mut leader, &cfg, 1, fetch(2, 2, 1, 1, Some(1), 0));
    tick(&mut leader, &cfg, 1, Timer::LagTimeout(P0, b(3)));
    assert_eq!(hw(&leader), Offset(0), "a pending shrink keeps the current ISR as the maximal ISR");
    let e = step(&mut leader, &cfg, 1, alter_partition_answer(1, Ok(meta(Some(1), 1, 2, &[1, 2]))));
    assert_eq!(e, fx(vec![produced(0, Ok(0)), (to(2), fetch_response(1, 1, records(vec![], 1)))], true));
    assert_eq!(hw(&leader), Offset(1));
    assert_eq!(leader_state(&leader).pending_isr, None);
}
