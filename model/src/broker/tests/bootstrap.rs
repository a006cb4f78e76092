//! The bootstrap state (broker 1 leads epoch 1, the others follow it) and requests from an older
//! controller (controller epoch fencing).

use super::*;

#[test]
fn bootstrap_leader_leads_epoch_1_with_followers_unknown() {
    let cfg = Config::default();
    let records = ControllerState::bootstrap(&cfg).partitions;
    let mut effects = Effects::default();
    let broker = BrokerState::bootstrap(ctx(&cfg, 1), &records, &mut effects);
    // KIP-320 (KAFKA-7415): the new epoch enters the epoch cache at once, which is a disk change.
    assert_eq!(effects, fx(vec![], true));
    assert_eq!(process(&broker).session, Session::Registered(BrokerEpoch(1)));
    assert_eq!(process(&broker).replicas[0].meta, Some(records[0].clone()));
    assert_eq!(
        *role(&broker),
        Role::Leader(LeaderState {
            followers: vec![unknown(2), unknown(3)],
            pending_isr: None,
            pending_acks: vec![],
            epoch_start: Offset(0),
        })
    );
    assert_eq!(log(&broker).epochs, vec![EpochEntry { epoch: LeaderEpoch(1), start_offset: Offset(0) }]);
    assert!(log(&broker).records.is_empty());
    assert_eq!(hw(&broker), Offset(0));
    assert_eq!(broker.faults, FaultsSuffered::default());
    assert_eq!(broker.disk.clean_shutdown_epoch, None);
    assert_eq!(broker.leading_epoch(P0), Some(LeaderEpoch(1)));
    assert_eq!(broker.broker_epoch(), Some(BrokerEpoch(1)));
}

#[test]
fn bootstrap_follower_fetches_from_the_leader() {
    let cfg = Config::default();
    let records = ControllerState::bootstrap(&cfg).partitions;
    let mut effects = Effects::default();
    let broker = BrokerState::bootstrap(ctx(&cfg, 2), &records, &mut effects);
    assert_eq!(effects, fx(vec![(to(1), fetch(2, 2, 1, 0, None, 0))], false));
    assert_eq!(*role(&broker), Role::Follower(FetchState::Fetching { fetch_offset: Offset(0) }));
    assert_eq!(process(&broker).replicas[0].meta, Some(records[0].clone()));
    assert_eq!(broker.disk, Disk::empty(&cfg));
    assert_eq!(broker.leading_epoch(P0), None);
}

/// A record from a controller in controller epoch `epoch` (with candidates).
fn from_controller(epoch: u32, msg: Msg) -> Msg {
    Msg::FromController { epoch: ControllerEpoch(epoch), msg: Box::new(msg) }
}

#[test]
fn with_controller_epoch_fencing_a_request_from_an_older_controller_is_ignored() {
    let cfg = Config { controllers: 2, ..Config::default() };
    let mut broker = boot(&cfg, 2);
    // Controller 2 (epoch 2) elects broker 2: applied, and epoch 2 remembered.
    let elected = step(&mut broker, &cfg, 2, from_controller(2, Msg::PartitionChange(meta(Some(2), 2, 2, &[2, 3]))));
    assert_eq!(elected, fx(vec![], true));
    assert_eq!(broker.leading_epoch(P0), Some(LeaderEpoch(2)));
    assert_eq!(process(&broker).controller_epoch, ControllerEpoch(2));
    // The deposed controller (epoch 1) elects broker 3 in a later partition epoch: STALE_CONTROLLER_EPOCH.
    let before = broker.clone();
    let stale = step(&mut broker, &cfg, 2, from_controller(1, Msg::PartitionChange(meta(Some(3), 3, 3, &[2, 3]))));
    assert_eq!(stale, Effects::default());
    assert_eq!(broker, before);
}

#[test]
fn without_controller_epoch_fencing_the_older_controller_is_obeyed() {
    let cfg = Config { controllers: 2, controller_epoch_fencing: false, ..Config::default() };
    let mut broker = boot(&cfg, 2);
    step(&mut broker, &cfg, 2, from_controller(2, Msg::PartitionChange(meta(Some(2), 2, 2, &[2, 3]))));
    step(&mut broker, &cfg, 2, from_controller(1, Msg::PartitionChange(meta(Some(3), 3, 3, &[2, 3]))));
    assert_eq!(broker.leading_epoch(P0), None, "broker 2 follows broker 3 now");
    assert_eq!(process(&broker).replicas[0].meta, Some(meta(Some(3), 3, 3, &[2, 3])));
    assert_eq!(process(&broker).controller_epoch, ControllerEpoch(2), "the highest epoch seen stays");
}
