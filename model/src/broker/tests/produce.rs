//! Produce requests at the leader: acks 0, 1 and all, min.insync.replicas, idempotent duplicates
//! (KIP-98), and the flush policy.

use super::*;

#[test]
fn a_follower_refuses_produce() {
    let cfg = Config::default();
    let mut follower = boot(&cfg, 2);
    let before = follower.clone();
    let e = step(&mut follower, &cfg, 2, produce(0));
    assert_eq!(e, fx(vec![produced(0, Err(ProduceError::NotLeaderOrFollower))], false));
    assert_eq!(follower, before);
}

#[test]
fn acks_all_is_refused_below_min_isr_without_appending() {
    let cfg = Config::default();
    let mut leader = boot(&cfg, 1);
    let e = step(&mut leader, &cfg, 1, Msg::PartitionChange(meta(Some(1), 1, 2, &[1])));
    assert_eq!(e, fx(vec![], false));
    let e = step(&mut leader, &cfg, 1, produce(0));
    assert_eq!(e, fx(vec![produced(0, Err(ProduceError::NotEnoughReplicas))], false));
    assert!(log(&leader).records.is_empty());
    assert_eq!(leader_state(&leader).pending_acks, vec![]);

    // acks=1 does not look at min ISR.
    let mut leader = boot(&cfg, 1);
    step(&mut leader, &cfg, 1, Msg::PartitionChange(meta(Some(1), 1, 2, &[1])));
    let e = step(&mut leader, &cfg, 1, produce_with(Acks::One, true, 0));
    assert_eq!(e, fx(vec![produced(0, Ok(0))], true));
}

#[test]
fn acks_1_is_answered_after_the_leader_append_and_duplicates_are_not_appended() {
    let cfg = Config::default();
    let mut leader = boot(&cfg, 1);
    let e = step(&mut leader, &cfg, 1, produce_with(Acks::One, true, 0));
    assert_eq!(e, fx(vec![produced(0, Ok(0))], true));
    let e = step(&mut leader, &cfg, 1, produce_with(Acks::One, true, 1));
    assert_eq!(e, fx(vec![produced(1, Ok(1))], true));
    // A retry of sequence 0: answered with its original offset, not appended again (KIP-98).
    let e = step(&mut leader, &cfg, 1, produce_with(Acks::One, true, 0));
    assert_eq!(e, fx(vec![produced(0, Ok(0))], false));
    assert_eq!(log(&leader).records, vec![rec(1, 0), rec(1, 1)]);
    assert_eq!(leader_state(&leader).pending_acks, vec![]);
    assert_eq!(leader.disk.replicas[0].flushed, Offset(0), "flush.messages is not set");
}

#[test]
fn an_acks_all_duplicate_waits_for_the_hw_at_its_original_offset_once() {
    let cfg = Config::default();
    let mut leader = boot(&cfg, 1);
    step(&mut leader, &cfg, 1, produce(0));
    let e = step(&mut leader, &cfg, 1, produce(0));
    assert_eq!(e, fx(vec![], false));
    assert_eq!(log(&leader).records, vec![rec(1, 0)]);
    // The retry shares the first request's wait: one answer when the HW passes offset 0.
    let ack = PendingAck { producer: ProducerId(1), sequence: Sequence(0), offset: Offset(0) };
    assert_eq!(leader_state(&leader).pending_acks, vec![ack]);
    let e = step(&mut leader, &cfg, 1, produce(0));
    assert_eq!(e, fx(vec![], false));
    assert_eq!(leader_state(&leader).pending_acks, vec![ack]);
}

#[test]
fn without_idempotence_a_retry_is_appended_again() {
    let cfg = Config::default();
    let mut leader = boot(&cfg, 1);
    step(&mut leader, &cfg, 1, produce_with(Acks::One, false, 0));
    let e = step(&mut leader, &cfg, 1, produce_with(Acks::One, false, 0));
    assert_eq!(e, fx(vec![produced(0, Ok(1))], true));
    assert_eq!(log(&leader).records, vec![rec(1, 0), rec(1, 0)]);
}

#[test]
fn acks_0_is_never_answered() {
    let cfg = Config::default();
    let mut leader = boot(&cfg, 1);
    let e = step(&mut leader, &cfg, 1, produce_with(Acks::Zero, true, 0));
    assert_eq!(e, fx(vec![], true));
    assert_eq!(log(&leader).records, vec![rec(1, 0)]);
    assert_eq!(leader_state(&leader).pending_acks, vec![]);
}

#[test]
fn flush_always_syncs_every_append() {
    let cfg = Config { flush: FlushPolicy::Always, ..Config::default() };
    let mut leader = boot(&cfg, 1);
    step(&mut leader, &cfg, 1, produce(0));
    assert_eq!(leader.disk.replicas[0].flushed, Offset(1));
}
