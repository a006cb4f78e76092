//! Answers to the leader's AlterPartition (KIP-497): refusals, superseded changes, and the fetch
//! wait that lets a refused follower be proposed again.

use super::*;

#[test]
fn every_refusal_but_ineligible_replica_leaves_the_change_pending_until_newer_metadata() {
    let cfg = Config::default();
    for error in [
        AlterPartitionError::FencedLeaderEpoch,
        AlterPartitionError::NotLeader,
        AlterPartitionError::InvalidRequest,
        AlterPartitionError::InvalidUpdateVersion,
    ] {
        let mut leader = expansion_proposed(&cfg);
        let refused = alter_partition_answer(2, Err(error));
        assert_eq!(step(&mut leader, &cfg, 1, refused), fx(vec![], false), "{error:?}");
        let pending = leader_state(&leader).pending_isr.clone().expect("still pending");
        assert_eq!((pending.isr(), pending.answered), (set(&[1, 2, 3]), true), "{error:?}");
        // Only the newer record settles it.
        step(&mut leader, &cfg, 1, Msg::PartitionChange(meta(Some(1), 1, 3, &[1, 2, 3])));
        assert_eq!(leader_state(&leader).pending_isr, None, "{error:?}");
    }
    // STALE_BROKER_EPOCH is retried by `AlterPartitionManager`: pending and not answered.
    let mut leader = expansion_proposed(&cfg);
    let stale = alter_partition_answer(2, Err(AlterPartitionError::StaleBrokerEpoch));
    assert_eq!(step(&mut leader, &cfg, 1, stale), fx(vec![], false));
    assert_eq!(leader_state(&leader).pending_isr.as_ref().map(|p| p.answered), Some(false));
}

/// The reason for the rule above: a leader told INVALID_UPDATE_VERSION does not know whether its
/// expansion was applied (a resent request is refused once the first is in), so the HW keeps
/// counting the proposed member, which has record 0 only, rather than the committed ISR.
#[test]
fn a_pending_expansion_keeps_the_proposed_member_in_the_maximal_isr_after_a_refusal() {
    let cfg = Config::default();
    let mut leader = expansion_proposed(&cfg);
    step(&mut leader, &cfg, 1, produce(2));
    step(&mut leader, &cfg, 1, fetch(2, 2, 1, 3, Some(1), 0));
    assert_eq!(hw(&leader), Offset(2), "follower 3 (proposed) holds the HW back");
    let refused = alter_partition_answer(2, Err(AlterPartitionError::InvalidUpdateVersion));
    assert_eq!(step(&mut leader, &cfg, 1, refused), fx(vec![], false));
    assert_eq!(hw(&leader), Offset(2));
}

#[test]
fn a_late_answer_to_a_superseded_alter_partition_is_ignored() {
    let cfg = Config::default();
    let mut leader = boot(&cfg, 1);
    step(&mut leader, &cfg, 1, fetch(2, 2, 1, 0, None, 0));
    // Shrink proposed against partition epoch 1 ...
    tick(&mut leader, &cfg, 1, Timer::LagTimeout(P0, b(3)));
    // ... then the controller fences broker 3 itself: the newer record drops the pending change.
    step(&mut leader, &cfg, 1, Msg::PartitionChange(meta(Some(1), 1, 2, &[1, 2])));
    assert_eq!(leader_state(&leader).pending_isr, None);
    // Broker 3 (re-registered) catches up: an expansion is proposed against partition epoch 2.
    step(&mut leader, &cfg, 1, fetch(3, 4, 1, 0, None, 0));
    assert_eq!(leader_state(&leader).pending_isr.as_ref().map(|p| p.partition_epoch), Some(PartitionEpoch(2)));
    // The late refusal of the shrink must not clear the expansion in flight.
    let late = alter_partition_answer(1, Err(AlterPartitionError::InvalidUpdateVersion));
    assert_eq!(step(&mut leader, &cfg, 1, late), fx(vec![], false));
    assert_eq!(leader_state(&leader).pending_isr.as_ref().map(|p| p.isr()), Some(set(&[1, 2, 3])));
}

/// Leader 1 with ISR 1,2 on an idle partition: follower 2's fetch is held, follower 3 caught up
/// and was proposed, and the controller refused it (broker 3 not yet unfenced, as when its
/// heartbeat is read after the leader's AlterPartition). Both fetches stay held.
fn refused_expansion(cfg: &Config) -> BrokerState {
    let mut leader = boot(cfg, 1);
    step(&mut leader, cfg, 1, Msg::PartitionChange(meta(Some(1), 1, 2, &[1, 2])));
    step(&mut leader, cfg, 1, fetch(2, 2, 1, 0, None, 0));
    step(&mut leader, cfg, 1, fetch(3, 3, 1, 0, None, 0));
    let refused = alter_partition_answer(2, Err(AlterPartitionError::IneligibleReplica));
    assert_eq!(step(&mut leader, cfg, 1, refused), fx(vec![], false));
    assert_eq!(leader_state(&leader).pending_isr, None);
    assert_eq!(progress(&leader, 3), parked_at(3, 3, 1, 0, 0));
    leader
}

#[test]
fn without_the_fetch_wait_a_refused_follower_waits_for_the_next_write() {
    let cfg = Config::default();
    let leader = refused_expansion(&cfg);
    never_armed(&leader, &cfg, 1, Timer::FetchMaxWait(P0));
}

#[test]
fn after_the_fetch_wait_held_fetches_are_answered_and_a_refused_follower_is_proposed_again() {
    let mut cfg = Config::default();
    cfg.runtime.fetch_max_wait = true;
    let mut leader = refused_expansion(&cfg);
    assert!(leader.wanted_timers(ctx(&cfg, 1)).contains(&Timer::FetchMaxWait(P0)));

    // `replica.fetch.wait.max.ms`: every held fetch is answered with what there is (nothing).
    let e = tick(&mut leader, &cfg, 1, Timer::FetchMaxWait(P0));
    let empty = fetch_response(1, 0, records(vec![], 0));
    assert_eq!(e, fx(vec![(to(2), empty.clone()), (to(3), empty)], false));
    assert_eq!(progress(&leader, 3).parked, None);
    assert!(!leader.wanted_timers(ctx(&cfg, 1)).contains(&Timer::FetchMaxWait(P0)), "nothing held");

    // Broker 3 fetches again (unfenced by now): proposed again.
    let e = step(&mut leader, &cfg, 1, fetch(3, 3, 1, 0, None, 0));
    assert_eq!(e, fx(vec![(Address::Controller, proposal_of_all_three())], false));
}

#[test]
fn a_fetch_wait_firing_on_a_broker_that_no_longer_leads_changes_nothing() {
    let mut cfg = Config::default();
    cfg.runtime.fetch_max_wait = true;
    let mut follower = boot(&cfg, 2);
    let before = follower.clone();
    assert_eq!(tick(&mut follower, &cfg, 2, Timer::FetchMaxWait(P0)), fx(vec![], false));
    assert_eq!(follower, before);
}
