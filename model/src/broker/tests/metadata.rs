//! Partition records from the controller: leadership changes, stale records, and the runtime's
//! fetch of the metadata log.

use super::*;

#[test]
fn a_resigning_leader_fails_its_pending_acks_and_follows() {
    let cfg = Config::default();
    let mut broker = boot(&cfg, 1);
    step(&mut broker, &cfg, 1, produce(0));
    let e = step(&mut broker, &cfg, 1, Msg::PartitionChange(meta(Some(2), 2, 2, &[1, 2, 3])));
    assert_eq!(
        e,
        fx(vec![produced(0, Err(ProduceError::NotLeaderOrFollower)), (to(2), fetch(1, 1, 2, 1, Some(1), 0))], false)
    );
    assert_eq!(*role(&broker), Role::Follower(FetchState::Fetching { fetch_offset: Offset(1) }));
    assert_eq!(broker.leading_epoch(P0), None);
}

#[test]
fn a_stale_partition_record_is_ignored() {
    let cfg = Config::default();
    let mut follower = boot(&cfg, 2);
    let before = follower.clone();
    let e = step(&mut follower, &cfg, 2, Msg::PartitionChange(meta(Some(3), 2, 1, &[2, 3])));
    assert_eq!(e, Effects::default());
    assert_eq!(follower, before);
}

#[test]
fn a_follower_restarts_its_fetcher_only_on_a_new_leader_epoch() {
    let cfg = Config::default();
    let mut follower = boot(&cfg, 2);
    // Same leader epoch, ISR change only: nothing to do.
    let e = step(&mut follower, &cfg, 2, Msg::PartitionChange(meta(Some(1), 1, 2, &[1, 2])));
    assert_eq!(e, Effects::default());
    assert_eq!(*role(&follower), Role::Follower(FetchState::Fetching { fetch_offset: Offset(0) }));
    // A new leader: fetch from it.
    let e = step(&mut follower, &cfg, 2, Msg::PartitionChange(meta(Some(3), 2, 3, &[2, 3])));
    assert_eq!(e, fx(vec![(to(3), fetch(2, 2, 2, 0, None, 0))], false));
    // No leader: idle.
    let e = step(&mut follower, &cfg, 2, Msg::PartitionChange(meta(None, 3, 4, &[2])));
    assert_eq!(e, Effects::default());
    assert_eq!(*role(&follower), Role::Follower(FetchState::Idle));
}

#[test]
fn a_follower_elected_leader_starts_a_new_epoch_at_its_log_end() {
    let cfg = Config::default();
    let mut broker = boot(&cfg, 2);
    step(&mut broker, &cfg, 2, fetch_response(1, 0, records(vec![rec(1, 0)], 0)));
    let e = step(&mut broker, &cfg, 2, Msg::PartitionChange(meta(Some(2), 2, 2, &[2, 3])));
    assert_eq!(e, fx(vec![], true));
    assert_eq!(
        *role(&broker),
        Role::Leader(LeaderState {
            followers: vec![unknown(1), unknown(3)],
            pending_isr: None,
            pending_acks: vec![],
            epoch_start: Offset(1),
        })
    );
    assert_eq!(
        log(&broker).epochs,
        vec![
            EpochEntry { epoch: LeaderEpoch(1), start_offset: Offset(0) },
            EpochEntry { epoch: LeaderEpoch(2), start_offset: Offset(1) },
        ]
    );
}

#[test]
fn without_the_metadata_fetch_a_broker_waits_for_records_to_be_pushed() {
    let cfg = Config::default();
    never_armed(&boot(&cfg, 2), &cfg, 2, Timer::MetadataFetch);
}

#[test]
fn a_registered_broker_fetches_the_metadata_log_and_applies_only_what_it_missed() {
    let mut cfg = Config::default();
    cfg.runtime.metadata_fetch = true;
    let mut follower = boot(&cfg, 2);
    assert!(follower.wanted_timers(ctx(&cfg, 2)).contains(&Timer::MetadataFetch));
    let e = tick(&mut follower, &cfg, 2, Timer::MetadataFetch);
    assert_eq!(e, fx(vec![(Address::Controller, Msg::FetchMetadata { broker: b(2) })], false));
    // The record it has changes nothing; a newer one (its PartitionChange was lost) is applied.
    let before = follower.clone();
    assert_eq!(step(&mut follower, &cfg, 2, Msg::PartitionChange(meta(Some(1), 1, 1, &[1, 2, 3]))), Effects::default());
    assert_eq!(follower, before);
    step(&mut follower, &cfg, 2, Msg::PartitionChange(meta(Some(3), 2, 2, &[2, 3])));
    assert_eq!(process(&follower).replicas[0].meta, Some(meta(Some(3), 2, 2, &[2, 3])));

    // A registering broker applies no metadata, so it fetches none.
    let mut registering = follower.clone();
    registering.process.as_mut().expect("up").session =
        Session::Registering { previous_epoch: None, incarnation: Incarnation(1) };
    assert!(!registering.wanted_timers(ctx(&cfg, 2)).contains(&Timer::MetadataFetch));
    assert_eq!(tick(&mut registering, &cfg, 2, Timer::MetadataFetch), Effects::default());
}
