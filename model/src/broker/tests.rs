//! The broker's handlers, message or timer in, exact sends and state out. Default configuration:
//! three brokers, one partition on all three with broker 1 leading epoch 1, min ISR 2, acks=all,
//! KIP-320 truncation and fencing, flush never, one producer.

use super::*;
use crate::config::{Acks, FaultBudget, FlushPolicy, TruncationRule};
use crate::controller::ControllerState;
use crate::effects::Address;
use crate::ids::PartitionEpoch;
use crate::log::{EpochEnd, EpochEntry, Record};
use crate::msg::{
    AlterPartitionError, ClientRequest, ClientResponse, ElectionType, FetchError, FetchRequest, FetchResult, IsrMember,
    ProduceError,
};

const P0: PartitionId = PartitionId(0);
const P1: Address = Address::Producer(ProducerId(1));

fn b(n: u8) -> BrokerId {
    BrokerId(n)
}

fn to(n: u8) -> Address {
    Address::Broker(b(n))
}

fn ctx(cfg: &Config, me: u8) -> Ctx<'_> {
    Ctx { cfg, me: b(me) }
}

fn set(brokers: &[u8]) -> BrokerSet {
    BrokerSet::of(brokers.iter().copied().map(BrokerId))
}

/// Producer 1's record `sequence`, written in `epoch`.
fn rec(epoch: u32, sequence: u32) -> Record {
    Record::new(LeaderEpoch(epoch), ProducerId(1), Sequence(sequence))
}

/// Partition 0's record (replicas 1,2,3) with the given leader, epochs and ISR.
fn meta(leader: Option<u8>, leader_epoch: u32, partition_epoch: u32, isr: &[u8]) -> PartitionState {
    crate::metadata::tests::partition_record(leader, leader_epoch, partition_epoch, isr)
}

/// Broker `me` of the freshly formatted cluster.
fn boot(cfg: &Config, me: u8) -> BrokerState {
    let records = ControllerState::bootstrap(cfg).partitions;
    BrokerState::bootstrap(ctx(cfg, me), &records, &mut Effects::default())
}

/// A running broker registered with epoch = its id, with partition 0's log holding one record per
/// entry of `epochs` (sequence = offset), HW `hw`, and no metadata applied yet.
fn with_log(cfg: &Config, me: u8, epochs: &[u32], hw: u32) -> BrokerState {
    let mut disk = Disk::empty(cfg);
    for (i, e) in epochs.iter().enumerate() {
        disk.replicas[0].log.append(rec(*e, i as u32));
    }
    disk.replicas[0].high_watermark = Offset(hw);
    let replicas = vec![Replica { meta: None, role: Role::None }; usize::from(cfg.partitions)];
    BrokerState {
        disk,
        process: Some(Process {
            session: Session::Registered(BrokerEpoch(u32::from(me))),
            replicas,
            controller_epoch: ControllerEpoch::default(),
        }),
        faults: FaultsSuffered::default(),
        links_cut: Vec::new(),
    }
}

fn step(broker: &mut BrokerState, cfg: &Config, me: u8, msg: Msg) -> Effects {
    let mut fx = Effects::default();
    broker.on_msg(ctx(cfg, me), msg, &mut fx);
    fx
}

fn tick(broker: &mut BrokerState, cfg: &Config, me: u8, timer: Timer) -> Effects {
    let mut fx = Effects::default();
    broker.on_timer(ctx(cfg, me), timer, &mut fx);
    fx
}

fn fx(sends: Vec<(Address, Msg)>, save_disk: bool) -> Effects {
    Effects { sends, save_disk, ..Effects::default() }
}

fn fetch(
    replica: u8,
    broker_epoch: u8,
    leader_epoch: u8,
    offset: u8,
    last_fetched_epoch: Option<u8>,
    known_hw: u8,
) -> Msg {
    Msg::Fetch(FetchRequest {
        partition: P0,
        replica: b(replica),
        broker_epoch: BrokerEpoch(u32::from(broker_epoch)),
        current_leader_epoch: LeaderEpoch(u32::from(leader_epoch)),
        fetch_offset: Offset(u32::from(offset)),
        last_fetched_epoch: last_fetched_epoch.map(|e| LeaderEpoch(u32::from(e))),
        known_high_watermark: Offset(u32::from(known_hw)),
    })
}

fn fetch_response(leader_epoch: u32, offset: u32, result: FetchResult) -> Msg {
    Msg::FetchResponse {
        partition: P0,
        current_leader_epoch: LeaderEpoch(leader_epoch),
        fetch_offset: Offset(offset),
        result,
    }
}

fn records(records: Vec<Record>, hw: u32) -> FetchResult {
    FetchResult::Records { records, high_watermark: Offset(hw) }
}

fn produce(sequence: u32) -> Msg {
    produce_with(Acks::All, true, sequence)
}

/// Producer 1's Produce of `sequence` to partition 0 with `acks`, idempotent or not.
fn produce_with(acks: Acks, idempotent: bool, sequence: u32) -> Msg {
    Msg::Produce {
        partition: P0,
        producer: ProducerId(1),
        sequence: Sequence(sequence),
        acks,
        idempotent,
        value: Default::default(),
    }
}

fn produced(sequence: u32, result: Result<u32, ProduceError>) -> (Address, Msg) {
    (P1, Msg::ProduceResponse { partition: P0, sequence: Sequence(sequence), result: result.map(Offset) })
}

fn member(broker: u8, epoch: Option<u32>) -> IsrMember {
    IsrMember { broker: b(broker), broker_epoch: epoch.map(BrokerEpoch) }
}

fn process(broker: &BrokerState) -> &Process {
    broker.process.as_ref().expect("running")
}

fn role(broker: &BrokerState) -> &Role {
    &process(broker).replicas[0].role
}

fn leader_state(broker: &BrokerState) -> &LeaderState {
    match role(broker) {
        Role::Leader(l) => l,
        other => panic!("not a leader: {other:?}"),
    }
}

fn progress(broker: &BrokerState, follower: u8) -> FollowerProgress {
    *leader_state(broker).followers.iter().find(|f| f.broker == b(follower)).expect("a follower")
}

fn log(broker: &BrokerState) -> &crate::log::ReplicaLog {
    &broker.disk.replicas[0].log
}

fn hw(broker: &BrokerState) -> Offset {
    broker.disk.replicas[0].high_watermark
}

/// Leader 1's AlterPartition (leader epoch 1, partition epoch 2) for ISR 1,2,3, each member with
/// broker epoch = its id.
fn proposal_of_all_three() -> Msg {
    Msg::AlterPartition {
        partition: P0,
        leader: b(1),
        broker_epoch: BrokerEpoch(1),
        leader_epoch: LeaderEpoch(1),
        partition_epoch: PartitionEpoch(2),
        isr: vec![member(1, Some(1)), member(2, Some(2)), member(3, Some(3))],
    }
}

fn unknown(broker: u8) -> FollowerProgress {
    FollowerProgress { broker: b(broker), end_offset: None, broker_epoch: None, parked: None }
}

fn parked_at(broker: u8, broker_epoch: u32, leader_epoch: u32, offset: u32, known_hw: u32) -> FollowerProgress {
    FollowerProgress {
        broker: b(broker),
        end_offset: Some(Offset(offset)),
        broker_epoch: Some(BrokerEpoch(broker_epoch)),
        parked: Some(ParkedFetch {
            current_leader_epoch: LeaderEpoch(leader_epoch),
            fetch_offset: Offset(offset),
            known_high_watermark: Offset(known_hw),
        }),
    }
}

// ---------------------------------------------------------------------------------------------
// Bootstrap.

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

// ---------------------------------------------------------------------------------------------
// The leader serving fetches.

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
    let e = step(
        &mut leader,
        &cfg,
        1,
        Msg::AlterPartitionResponse {
            partition: P0,
            request_partition_epoch: PartitionEpoch(2),
            result: Ok(accepted.clone()),
        },
    );
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
    let e = step(
        &mut leader,
        &cfg,
        1,
        Msg::AlterPartitionResponse {
            partition: P0,
            request_partition_epoch: PartitionEpoch(1),
            result: Err(AlterPartitionError::IneligibleReplica),
        },
    );
    assert_eq!(e, fx(vec![], false));
    assert_eq!(leader_state(&leader).pending_isr, None);
    assert_eq!(process(&leader).replicas[0].meta, Some(meta(Some(1), 1, 1, &[1, 2, 3])));
}

/// Leader 1 of ISR 1,2 with records 0 and 1 (follower 2 has both, the HW is 2), proposing
/// follower 3 (which has record 0) for the ISR against partition epoch 2.
fn expansion_proposed(cfg: &Config) -> BrokerState {
    let mut leader = boot(cfg, 1);
    step(&mut leader, cfg, 1, Msg::PartitionChange(meta(Some(1), 1, 2, &[1, 2])));
    step(&mut leader, cfg, 1, produce(0));
    step(&mut leader, cfg, 1, produce(1));
    step(&mut leader, cfg, 1, fetch(2, 2, 1, 2, Some(1), 0));
    step(&mut leader, cfg, 1, fetch(3, 3, 1, 0, None, 0));
    step(&mut leader, cfg, 1, fetch(3, 3, 1, 1, Some(1), 0));
    step(&mut leader, cfg, 1, fetch(3, 3, 1, 2, Some(1), 0));
    assert_eq!(leader_state(&leader).pending_isr.as_ref().map(|p| p.isr()), Some(set(&[1, 2, 3])));
    leader
}

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
        let refused = Msg::AlterPartitionResponse {
            partition: P0,
            request_partition_epoch: PartitionEpoch(2),
            result: Err(error),
        };
        assert_eq!(step(&mut leader, &cfg, 1, refused), fx(vec![], false), "{error:?}");
        let pending = leader_state(&leader).pending_isr.clone().expect("still pending");
        assert_eq!((pending.isr(), pending.answered), (set(&[1, 2, 3]), true), "{error:?}");
        // Only the newer record settles it.
        step(&mut leader, &cfg, 1, Msg::PartitionChange(meta(Some(1), 1, 3, &[1, 2, 3])));
        assert_eq!(leader_state(&leader).pending_isr, None, "{error:?}");
    }
    // STALE_BROKER_EPOCH is retried by `AlterPartitionManager`: pending and not answered.
    let mut leader = expansion_proposed(&cfg);
    let stale = Msg::AlterPartitionResponse {
        partition: P0,
        request_partition_epoch: PartitionEpoch(2),
        result: Err(AlterPartitionError::StaleBrokerEpoch),
    };
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
    let refused = Msg::AlterPartitionResponse {
        partition: P0,
        request_partition_epoch: PartitionEpoch(2),
        result: Err(AlterPartitionError::InvalidUpdateVersion),
    };
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
    let late = Msg::AlterPartitionResponse {
        partition: P0,
        request_partition_epoch: PartitionEpoch(1),
        result: Err(AlterPartitionError::InvalidUpdateVersion),
    };
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
    let refused = Msg::AlterPartitionResponse {
        partition: P0,
        request_partition_epoch: PartitionEpoch(2),
        result: Err(AlterPartitionError::IneligibleReplica),
    };
    assert_eq!(step(&mut leader, cfg, 1, refused), fx(vec![], false));
    assert_eq!(leader_state(&leader).pending_isr, None);
    assert_eq!(progress(&leader, 3), parked_at(3, 3, 1, 0, 0));
    leader
}

/// Asserts that broker `me` neither wants `timer` now nor could ever arm it: a runtime-only timer
/// with its runtime setting off.
fn never_armed(broker: &BrokerState, cfg: &Config, me: u8, timer: Timer) {
    assert!(!broker.wanted_timers(ctx(cfg, me)).contains(&timer), "{timer:?} wanted");
    assert!(!BrokerState::all_timers(ctx(cfg, me)).contains(&timer), "{timer:?} among all timers");
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

/// `fx(sends, false)` with the fetch timeout restarted: a request to the leader went out.
fn sent_with_timeout(sends: Vec<(Address, Msg)>) -> Effects {
    Effects { restart_timers: vec![Timer::FetchTimeout(P0)], ..fx(sends, false) }
}

#[test]
fn without_the_fetch_timeout_an_unanswered_fetch_waits_for_good() {
    let cfg = Config::default();
    let follower = boot(&cfg, 2);
    assert_eq!(*role(&follower), Role::Follower(FetchState::Fetching { fetch_offset: Offset(0) }));
    never_armed(&follower, &cfg, 2, Timer::FetchTimeout(P0));
}

#[test]
fn an_unanswered_fetch_times_out_backs_off_and_goes_again() {
    let mut cfg = Config::default();
    cfg.runtime.fetch_timeout = true;
    let partitions = ControllerState::bootstrap(&cfg).partitions;
    let mut effects = Effects::default();
    let mut follower = BrokerState::bootstrap(ctx(&cfg, 2), &partitions, &mut effects);
    // The request's clock starts as it is sent.
    assert_eq!(effects, sent_with_timeout(vec![(to(1), fetch(2, 2, 1, 0, None, 0))]));
    assert!(follower.wanted_timers(ctx(&cfg, 2)).contains(&Timer::FetchTimeout(P0)));

    // No answer (the leader's process was not listening yet): back off, as after an error...
    assert_eq!(tick(&mut follower, &cfg, 2, Timer::FetchTimeout(P0)), Effects::default());
    assert_eq!(*role(&follower), Role::Follower(FetchState::Backoff { truncating: false }));
    let wanted = follower.wanted_timers(ctx(&cfg, 2));
    assert!(wanted.contains(&Timer::FetchBackoff(P0)) && !wanted.contains(&Timer::FetchTimeout(P0)));
    // ...then the same fetch again, on a clock of its own.
    let e = tick(&mut follower, &cfg, 2, Timer::FetchBackoff(P0));
    assert_eq!(e, sent_with_timeout(vec![(to(1), fetch(2, 2, 1, 0, None, 0))]));

    // Each answer's next fetch restarts the clock: a follower in steady contact never times out.
    let e = step(&mut follower, &cfg, 2, fetch_response(1, 0, records(vec![rec(1, 0)], 0)));
    assert_eq!(e, Effects { save_disk: true, ..sent_with_timeout(vec![(to(1), fetch(2, 2, 1, 1, Some(1), 0))]) });

    // A time-out that fires when nothing is in flight changes nothing.
    let mut idle = follower.clone();
    idle.set_fetch_state(P0, FetchState::Idle);
    let before = idle.clone();
    assert_eq!(tick(&mut idle, &cfg, 2, Timer::FetchTimeout(P0)), Effects::default());
    assert_eq!(idle, before);
}

#[test]
fn without_the_controller_request_timeout_an_unanswered_alter_partition_waits_for_good() {
    let cfg = Config::default();
    let leader = expansion_proposed(&cfg);
    never_armed(&leader, &cfg, 1, Timer::ControllerRequestTimeout);
}

#[test]
fn an_unanswered_alter_partition_is_sent_again_unchanged_until_answered() {
    let mut cfg = Config::default();
    cfg.runtime.controller_request_timeout = true;
    let mut leader = boot(&cfg, 1);
    step(&mut leader, &cfg, 1, Msg::PartitionChange(meta(Some(1), 1, 2, &[1, 2])));
    step(&mut leader, &cfg, 1, fetch(2, 2, 1, 0, None, 0));
    // While the request is unanswered the timer is wanted (armed when it is not already).
    let e = step(&mut leader, &cfg, 1, fetch(3, 3, 1, 0, None, 0));
    let sent = fx(vec![(Address::Controller, proposal_of_all_three())], false);
    assert_eq!(e, sent);
    assert!(leader.wanted_timers(ctx(&cfg, 1)).contains(&Timer::ControllerRequestTimeout));

    // Broker 3 restarts and fetches in broker epoch 4; the request sent again is the one first
    // proposed, with broker 3's epoch as it was then (KIP-903: a new incarnation is proposed on
    // its own fetches, once this change is settled).
    step(&mut leader, &cfg, 1, fetch(3, 4, 1, 0, None, 0));
    assert_eq!(tick(&mut leader, &cfg, 1, Timer::ControllerRequestTimeout), sent);

    // A refusal that leaves the change pending is an answer: nothing more is sent.
    let refused = Msg::AlterPartitionResponse {
        partition: P0,
        request_partition_epoch: PartitionEpoch(2),
        result: Err(AlterPartitionError::InvalidUpdateVersion),
    };
    step(&mut leader, &cfg, 1, refused);
    assert!(!leader.wanted_timers(ctx(&cfg, 1)).contains(&Timer::ControllerRequestTimeout));
    assert_eq!(tick(&mut leader, &cfg, 1, Timer::ControllerRequestTimeout), Effects::default());
}

#[test]
fn without_the_controller_request_timeout_an_unanswered_registration_waits_for_good() {
    let cfg = Config::default();
    let mut broker = boot(&cfg, 2);
    tick(&mut broker, &cfg, 2, Timer::Crash);
    tick(&mut broker, &cfg, 2, Timer::Restart);
    never_armed(&broker, &cfg, 2, Timer::ControllerRequestTimeout);
}

#[test]
fn an_unanswered_registration_is_sent_again_unchanged_until_accepted() {
    let mut cfg = Config { budget: FaultBudget { shutdowns: 1, ..FaultBudget::default() }, ..Config::default() };
    cfg.runtime.controller_request_timeout = true;
    let mut broker = boot(&cfg, 2);
    tick(&mut broker, &cfg, 2, Timer::Shutdown);
    step(&mut broker, &cfg, 2, Msg::ShutdownAccepted { broker_epoch: BrokerEpoch(2) });
    // The clean-shutdown marker is removed at startup; the request keeps its epoch.
    let register =
        Msg::RegisterBroker { broker: b(2), previous_epoch: Some(BrokerEpoch(2)), incarnation: Incarnation(1) };
    let e = tick(&mut broker, &cfg, 2, Timer::Restart);
    let sent = fx(vec![(Address::Controller, register.clone())], false);
    assert_eq!(e, Effects { save_disk: true, ..sent.clone() });
    assert_eq!(broker.disk.clean_shutdown_epoch, None);
    assert!(broker.wanted_timers(ctx(&cfg, 2)).contains(&Timer::ControllerRequestTimeout));
    let e = tick(&mut broker, &cfg, 2, Timer::ControllerRequestTimeout);
    assert_eq!(e, sent);

    // Accepted: registered, and the timer is no longer wanted.
    step(
        &mut broker,
        &cfg,
        2,
        Msg::RegistrationAccepted { broker_epoch: BrokerEpoch(4), partitions: vec![], incarnation: Incarnation(1) },
    );
    assert_eq!(broker.broker_epoch(), Some(BrokerEpoch(4)));
    assert!(!broker.wanted_timers(ctx(&cfg, 2)).contains(&Timer::ControllerRequestTimeout));
    assert_eq!(tick(&mut broker, &cfg, 2, Timer::ControllerRequestTimeout), Effects::default());
}

#[test]
fn a_registering_broker_ignores_the_answer_to_a_process_that_died_before_it() {
    let cfg = Config::default();
    let mut broker = boot(&cfg, 2);
    tick(&mut broker, &cfg, 2, Timer::Crash);
    tick(&mut broker, &cfg, 2, Timer::Restart);
    tick(&mut broker, &cfg, 2, Timer::PowerLoss);
    tick(&mut broker, &cfg, 2, Timer::Restart);
    // Process 1's answer arrives at process 2: not its own.
    let stale =
        Msg::RegistrationAccepted { broker_epoch: BrokerEpoch(4), partitions: vec![], incarnation: Incarnation(1) };
    let before = broker.clone();
    assert_eq!(step(&mut broker, &cfg, 2, stale), Effects::default());
    assert_eq!(broker, before);
    let own =
        Msg::RegistrationAccepted { broker_epoch: BrokerEpoch(5), partitions: vec![], incarnation: Incarnation(2) };
    step(&mut broker, &cfg, 2, own);
    assert_eq!(broker.broker_epoch(), Some(BrokerEpoch(5)));
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

/// Broker 2, two records of epoch 1 in its log, told that broker 1 leads in epoch 2 (under
/// KIP-101/279 truncation): the follower, what it did, and the OffsetsForLeaderEpoch it asks.
fn asking_where_epoch_1_ends(cfg: &Config) -> (BrokerState, Effects, Msg) {
    let mut follower = with_log(cfg, 2, &[1, 1], 0);
    let e = step(&mut follower, cfg, 2, Msg::PartitionChange(meta(Some(1), 2, 2, &[1, 2, 3])));
    let ask = Msg::OffsetsForLeaderEpoch {
        partition: P0,
        replica: b(2),
        current_leader_epoch: LeaderEpoch(2),
        epoch: LeaderEpoch(1),
    };
    (follower, e, ask)
}

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
    let e = step(
        &mut leader,
        &cfg,
        1,
        Msg::AlterPartitionResponse {
            partition: P0,
            request_partition_epoch: PartitionEpoch(1),
            result: Ok(meta(Some(1), 1, 2, &[1, 2])),
        },
    );
    assert_eq!(e, fx(vec![produced(0, Ok(0)), (to(2), fetch_response(1, 1, records(vec![], 1)))], true));
    assert_eq!(hw(&leader), Offset(1));
    assert_eq!(leader_state(&leader).pending_isr, None);
}

// ---------------------------------------------------------------------------------------------
// Produce.

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

// ---------------------------------------------------------------------------------------------
// The follower.

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

// ---------------------------------------------------------------------------------------------
// Metadata.

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

// ---------------------------------------------------------------------------------------------
// Lifecycle.

#[test]
fn a_crash_loses_the_process_and_keeps_the_disk() {
    let cfg = Config::default();
    let mut broker = boot(&cfg, 1);
    step(&mut broker, &cfg, 1, produce(0));
    let disk = broker.disk.clone();
    let e = tick(&mut broker, &cfg, 1, Timer::Crash);
    // Its heartbeats stop: the controller's session timer will fence it (recovery, not a fault).
    let stopped = Msg::HeartbeatsStopped { broker: BrokerId(1), broker_epoch: BrokerEpoch(1) };
    assert_eq!(e, fx(vec![(Address::Controller, stopped)], false));
    assert_eq!(broker.process, None);
    assert_eq!(broker.disk, disk);
    assert_eq!(broker.faults, FaultsSuffered { crashes: 1, ..FaultsSuffered::default() });
    // A broker that is down hears nothing.
    assert_eq!(step(&mut broker, &cfg, 1, produce(1)), Effects::default());
    assert_eq!(broker.disk, disk);
    assert_eq!(broker.wanted_timers(ctx(&cfg, 1)), vec![Timer::Restart]);
}

#[test]
fn a_broker_stays_down_once_the_restarts_are_spent() {
    let cfg = Config { budget: FaultBudget { restarts: Some(1), ..FaultBudget::default() }, ..Config::default() };
    let mut broker = boot(&cfg, 1);
    tick(&mut broker, &cfg, 1, Timer::Crash);
    assert_eq!(broker.wanted_timers(ctx(&cfg, 1)), vec![Timer::Restart]);
    tick(&mut broker, &cfg, 1, Timer::Restart);
    assert_eq!(broker.faults, FaultsSuffered { crashes: 1, restarts: 1, ..FaultsSuffered::default() });
    broker.process = None;
    assert_eq!(broker.wanted_timers(ctx(&cfg, 1)), Vec::<Timer>::new());
}

#[test]
fn a_power_loss_loses_unflushed_records() {
    let cfg = Config::default();
    let mut broker = boot(&cfg, 1);
    step(&mut broker, &cfg, 1, produce(0));
    let e = tick(&mut broker, &cfg, 1, Timer::PowerLoss);
    let stopped = Msg::HeartbeatsStopped { broker: BrokerId(1), broker_epoch: BrokerEpoch(1) };
    assert_eq!(e, fx(vec![(Address::Controller, stopped)], true));
    assert_eq!(broker.process, None);
    assert_eq!(broker.faults, FaultsSuffered { power_losses: 1, ..FaultsSuffered::default() });
    assert!(log(&broker).records.is_empty());
    // The epoch that began at offset 0 goes with the log (recovery truncates the epoch cache).
    assert!(log(&broker).epochs.is_empty());
}

#[test]
fn a_power_loss_keeps_flushed_records() {
    let cfg = Config { flush: FlushPolicy::Always, ..Config::default() };
    let mut broker = boot(&cfg, 1);
    step(&mut broker, &cfg, 1, produce(0));
    tick(&mut broker, &cfg, 1, Timer::PowerLoss);
    assert_eq!(log(&broker).records, vec![rec(1, 0)]);
}

#[test]
fn restart_after_a_crash_registers_without_a_clean_shutdown_epoch() {
    let cfg = Config::default();
    let mut broker = boot(&cfg, 2);
    tick(&mut broker, &cfg, 2, Timer::Crash);
    let e = tick(&mut broker, &cfg, 2, Timer::Restart);
    assert_eq!(
        e,
        fx(
            vec![(
                Address::Controller,
                Msg::RegisterBroker { broker: b(2), previous_epoch: None, incarnation: Incarnation(1) }
            )],
            true
        )
    );
    assert_eq!(
        broker.process,
        Some(Process {
            session: Session::Registering { previous_epoch: None, incarnation: Incarnation(1) },
            replicas: vec![Replica { meta: None, role: Role::None }],
            controller_epoch: ControllerEpoch::default(),
        })
    );
    assert_eq!(broker.faults.crashes, 1);
    assert_eq!(broker.broker_epoch(), None);
    // A running broker does not restart.
    let before = broker.clone();
    assert_eq!(tick(&mut broker, &cfg, 2, Timer::Restart), Effects::default());
    assert_eq!(broker, before);
}

#[test]
fn restart_recovers_a_hw_checkpoint_ahead_of_the_log() {
    let cfg = Config::default();
    let mut broker = with_log(&cfg, 2, &[1, 1], 2);
    tick(&mut broker, &cfg, 2, Timer::PowerLoss);
    assert_eq!(hw(&broker), Offset(2), "the HW checkpoint survives the power loss");
    tick(&mut broker, &cfg, 2, Timer::Restart);
    assert_eq!(hw(&broker), Offset(0));
}

#[test]
fn controlled_shutdown_then_restart_registers_with_the_clean_shutdown_epoch() {
    let cfg = Config { budget: FaultBudget { shutdowns: 1, ..FaultBudget::default() }, ..Config::default() };
    let mut broker = boot(&cfg, 1);
    step(&mut broker, &cfg, 1, produce(0));
    assert!(broker.wanted_timers(ctx(&cfg, 1)).contains(&Timer::Shutdown));
    let e = tick(&mut broker, &cfg, 1, Timer::Shutdown);
    assert_eq!(
        e,
        fx(vec![(Address::Controller, Msg::ControlledShutdown { broker: b(1), broker_epoch: BrokerEpoch(1) })], false)
    );
    assert_eq!(process(&broker).session, Session::ShuttingDown(BrokerEpoch(1)));
    assert_eq!(broker.faults.shutdowns, 1);
    // No fault while shutting down.
    assert_eq!(broker.wanted_timers(ctx(&cfg, 1)), vec![Timer::LagTimeout(P0, b(2)), Timer::LagTimeout(P0, b(3))]);

    // Another incarnation's acceptance is not ours.
    assert_eq!(step(&mut broker, &cfg, 1, Msg::ShutdownAccepted { broker_epoch: BrokerEpoch(4) }), Effects::default());
    assert!(broker.is_up());

    let e = step(&mut broker, &cfg, 1, Msg::ShutdownAccepted { broker_epoch: BrokerEpoch(1) });
    assert_eq!(e, fx(vec![], true));
    assert_eq!(broker.process, None);
    assert_eq!(broker.disk.clean_shutdown_epoch, Some(BrokerEpoch(1)));
    assert_eq!(broker.disk.replicas[0].flushed, Offset(1), "a clean shutdown flushes");

    let e = tick(&mut broker, &cfg, 1, Timer::Restart);
    assert_eq!(
        e,
        fx(
            vec![(
                Address::Controller,
                Msg::RegisterBroker { broker: b(1), previous_epoch: Some(BrokerEpoch(1)), incarnation: Incarnation(1) }
            )],
            true
        )
    );
    assert_eq!(broker.disk.clean_shutdown_epoch, None, "the marker is removed at startup");
}

#[test]
fn registration_accepted_heartbeats_and_applies_the_metadata() {
    let cfg = Config::default();
    let mut broker = boot(&cfg, 2);
    tick(&mut broker, &cfg, 2, Timer::Crash);
    tick(&mut broker, &cfg, 2, Timer::Restart);
    // Nothing is applied before the registration is accepted.
    let e = step(&mut broker, &cfg, 2, Msg::PartitionChange(meta(Some(1), 2, 2, &[1, 3])));
    assert_eq!(e, Effects::default());
    assert_eq!(process(&broker).replicas[0], Replica { meta: None, role: Role::None });

    let partitions = vec![meta(Some(1), 2, 2, &[1, 3])];
    let e = step(
        &mut broker,
        &cfg,
        2,
        Msg::RegistrationAccepted {
            broker_epoch: BrokerEpoch(5),
            partitions: partitions.clone(),
            incarnation: Incarnation(1),
        },
    );
    assert_eq!(
        e,
        fx(
            vec![
                (Address::Controller, Msg::BrokerHeartbeat { broker: b(2), broker_epoch: BrokerEpoch(5) }),
                (to(1), fetch(2, 5, 2, 0, None, 0)),
            ],
            false
        )
    );
    assert_eq!(process(&broker).session, Session::Registered(BrokerEpoch(5)));
    assert_eq!(process(&broker).replicas[0].meta, Some(partitions[0].clone()));
    assert_eq!(*role(&broker), Role::Follower(FetchState::Fetching { fetch_offset: Offset(0) }));

    // A second acceptance is not for this registration.
    let before = broker.clone();
    let e = step(
        &mut broker,
        &cfg,
        2,
        Msg::RegistrationAccepted { broker_epoch: BrokerEpoch(6), partitions, incarnation: Incarnation(1) },
    );
    assert_eq!(e, Effects::default());
    assert_eq!(broker, before);
}

#[test]
fn session_expired_is_answered_by_a_heartbeat_of_the_current_epoch() {
    let cfg = Config::default();
    let mut broker = boot(&cfg, 2);
    let e = step(&mut broker, &cfg, 2, Msg::SessionExpired { broker_epoch: BrokerEpoch(2) });
    assert_eq!(
        e,
        fx(vec![(Address::Controller, Msg::BrokerHeartbeat { broker: b(2), broker_epoch: BrokerEpoch(2) })], false)
    );
    let e = step(&mut broker, &cfg, 2, Msg::SessionExpired { broker_epoch: BrokerEpoch(1) });
    assert_eq!(e, Effects::default());
}

// ---------------------------------------------------------------------------------------------
// Timers.

#[test]
fn wanted_timers_follow_role_and_budget() {
    let cfg = Config::default();
    let mut leader = boot(&cfg, 1);
    assert_eq!(
        leader.wanted_timers(ctx(&cfg, 1)),
        vec![Timer::Crash, Timer::PowerLoss, Timer::LagTimeout(P0, b(2)), Timer::LagTimeout(P0, b(3))]
    );
    step(&mut leader, &cfg, 1, fetch(2, 2, 1, 0, None, 0));
    step(&mut leader, &cfg, 1, fetch(3, 3, 1, 0, None, 0));
    assert_eq!(leader.wanted_timers(ctx(&cfg, 1)), vec![Timer::Crash, Timer::PowerLoss], "both followers caught up");
    step(&mut leader, &cfg, 1, produce(0));
    assert_eq!(
        leader.wanted_timers(ctx(&cfg, 1)),
        vec![Timer::Crash, Timer::PowerLoss, Timer::LagTimeout(P0, b(2)), Timer::LagTimeout(P0, b(3))]
    );
    // A pending ISR change suspends the lag checks; the spent shrink budget ends them.
    tick(&mut leader, &cfg, 1, Timer::LagTimeout(P0, b(3)));
    assert_eq!(leader.wanted_timers(ctx(&cfg, 1)), vec![Timer::Crash, Timer::PowerLoss]);
    step(
        &mut leader,
        &cfg,
        1,
        Msg::AlterPartitionResponse {
            partition: P0,
            request_partition_epoch: PartitionEpoch(1),
            result: Err(AlterPartitionError::IneligibleReplica),
        },
    );
    assert_eq!(leader.wanted_timers(ctx(&cfg, 1)), vec![Timer::Crash, Timer::PowerLoss]);

    let follower = boot(&cfg, 2);
    assert_eq!(follower.wanted_timers(ctx(&cfg, 2)), vec![Timer::Crash, Timer::PowerLoss]);

    let mut spent = boot(&cfg, 2);
    spent.faults = FaultsSuffered { crashes: 1, power_losses: 1, ..FaultsSuffered::default() };
    assert_eq!(spent.wanted_timers(ctx(&cfg, 2)), vec![]);

    assert_eq!(
        BrokerState::all_timers(ctx(&cfg, 2)),
        vec![
            Timer::Crash,
            Timer::PowerLoss,
            Timer::Shutdown,
            Timer::Restart,
            Timer::Heartbeat,
            Timer::CutLink(ProducerId(1)),
            Timer::FetchBackoff(P0),
            Timer::LagTimeout(P0, b(1)),
            Timer::LagTimeout(P0, b(3)),
        ]
    );
}

// ---------------------------------------------------------------------------------------------
// Consumers' fetches.

/// Broker 1 leading partition 0 in epoch 2 with four records of epoch 1, HW 2.
fn leader_with_committed(cfg: &Config) -> BrokerState {
    let mut leader = with_log(cfg, 1, &[1, 1, 1, 1], 2);
    step(&mut leader, cfg, 1, Msg::PartitionChange(meta(Some(1), 2, 2, &[1, 2, 3])));
    assert_eq!(hw(&leader), Offset(2));
    leader
}

fn consumer_fetch(partition: u8, fetch_offset: u32) -> ClientRequest {
    ClientRequest::ConsumerFetch { partition: PartitionId(partition), fetch_offset: Offset(fetch_offset) }
}

fn consumer_records(
    partition: u8,
    fetch_offset: u32,
    result: Result<(Vec<Record>, u32), FetchError>,
) -> Option<ClientResponse> {
    Some(ClientResponse::ConsumerRecords {
        partition: PartitionId(partition),
        fetch_offset: Offset(fetch_offset),
        result: result.map(|(records, hw)| (records, Offset(hw))),
    })
}

#[test]
fn a_consumer_fetch_returns_only_committed_records_from_its_offset_and_the_hw() {
    let cfg = Config::default();
    let leader = leader_with_committed(&cfg);
    let before = leader.clone();
    let c = ctx(&cfg, 1);
    assert_eq!(
        leader.on_client_request(c, consumer_fetch(0, 0)),
        consumer_records(0, 0, Ok((vec![rec(1, 0), rec(1, 1)], 2)))
    );
    assert_eq!(leader.on_client_request(c, consumer_fetch(0, 1)), consumer_records(0, 1, Ok((vec![rec(1, 1)], 2))));
    // At the HW, or past it up to the log end (4): nothing yet, and the HW.
    assert_eq!(leader.on_client_request(c, consumer_fetch(0, 2)), consumer_records(0, 2, Ok((vec![], 2))));
    assert_eq!(leader.on_client_request(c, consumer_fetch(0, 3)), consumer_records(0, 3, Ok((vec![], 2))));
    assert_eq!(leader.on_client_request(c, consumer_fetch(0, 4)), consumer_records(0, 4, Ok((vec![], 2))));
    // Past the log end: OFFSET_OUT_OF_RANGE, as Kafka's `LocalLog.read` throws.
    assert_eq!(
        leader.on_client_request(c, consumer_fetch(0, 5)),
        consumer_records(0, 5, Err(FetchError::OffsetOutOfRange))
    );
    assert_eq!(
        leader.on_client_request(c, consumer_fetch(0, 9)),
        consumer_records(0, 9, Err(FetchError::OffsetOutOfRange))
    );
    assert_eq!(leader, before);
}

#[test]
fn a_consumer_fetch_returns_at_most_fetch_max_records() {
    let mut cfg = Config::default();
    cfg.runtime.fetch_max_records = Some(1);
    let leader = leader_with_committed(&cfg);
    let c = ctx(&cfg, 1);
    assert_eq!(leader.on_client_request(c, consumer_fetch(0, 0)), consumer_records(0, 0, Ok((vec![rec(1, 0)], 2))));
    assert_eq!(leader.on_client_request(c, consumer_fetch(0, 1)), consumer_records(0, 1, Ok((vec![rec(1, 1)], 2))));
    cfg.runtime.fetch_max_records = Some(5);
    let c = ctx(&cfg, 1);
    assert_eq!(
        leader.on_client_request(c, consumer_fetch(0, 0)),
        consumer_records(0, 0, Ok((vec![rec(1, 0), rec(1, 1)], 2))),
        "a limit above the committed records changes nothing"
    );
}

#[test]
fn a_broker_that_does_not_lead_refuses_a_consumer_fetch() {
    let cfg = Config::default();
    let follower = boot(&cfg, 2);
    assert_eq!(
        follower.on_client_request(ctx(&cfg, 2), consumer_fetch(0, 0)),
        consumer_records(0, 0, Err(FetchError::NotLeaderOrFollower))
    );
    // A broker with no replica of the partition (no metadata applied) refuses it the same way.
    let cfg = Config { partitions: 2, replication_factor: 1, min_insync_replicas: 1, ..Config::default() };
    let broker = boot(&cfg, 3);
    assert_eq!(
        broker.on_client_request(ctx(&cfg, 3), consumer_fetch(1, 0)),
        consumer_records(1, 0, Err(FetchError::NotLeaderOrFollower))
    );
}

#[test]
fn a_consumer_fetch_of_an_unknown_partition_is_refused() {
    let cfg = Config::default();
    let leader = leader_with_committed(&cfg);
    assert_eq!(
        leader.on_client_request(ctx(&cfg, 1), consumer_fetch(1, 0)),
        consumer_records(1, 0, Err(FetchError::UnknownTopicOrPartition))
    );
    assert_eq!(
        leader.on_client_request(ctx(&cfg, 1), consumer_fetch(200, 0)),
        consumer_records(200, 0, Err(FetchError::UnknownTopicOrPartition))
    );
}

#[test]
fn a_broker_answers_no_controller_request_and_nothing_while_down() {
    let cfg = Config::default();
    let mut leader = leader_with_committed(&cfg);
    let c = ctx(&cfg, 1);
    assert_eq!(leader.on_client_request(c, ClientRequest::DescribePartitions), None);
    let elect = ClientRequest::ElectLeaders { election: ElectionType::Preferred, partitions: vec![P0] };
    assert_eq!(leader.on_client_request(c, elect), None);
    tick(&mut leader, &cfg, 1, Timer::Crash);
    assert_eq!(leader.on_client_request(c, consumer_fetch(0, 0)), None);
}

// ---------------------------------------------------------------------------------------------
// `fetch_max_records` in followers' fetches.

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

// ---------------------------------------------------------------------------------------------
// Runtime heartbeats (`RuntimeSettings::heartbeats`).

fn with_heartbeats() -> Config {
    let mut cfg = Config::default();
    cfg.runtime.heartbeats = true;
    cfg
}

#[test]
fn with_heartbeats_a_registered_broker_heartbeats_and_keeps_the_timer() {
    let cfg = with_heartbeats();
    let mut broker = boot(&cfg, 2);
    assert_eq!(broker.wanted_timers(ctx(&cfg, 2)), vec![Timer::Crash, Timer::PowerLoss, Timer::Heartbeat]);
    let before = broker.clone();
    let e = tick(&mut broker, &cfg, 2, Timer::Heartbeat);
    assert_eq!(
        e,
        fx(vec![(Address::Controller, Msg::BrokerHeartbeat { broker: b(2), broker_epoch: BrokerEpoch(2) })], false)
    );
    assert_eq!(broker, before);
    // Still wanted: the actor arms it again.
    assert_eq!(broker.wanted_timers(ctx(&cfg, 2)), vec![Timer::Crash, Timer::PowerLoss, Timer::Heartbeat]);

    // Without runtime heartbeats the timer is never wanted.
    let cfg = Config::default();
    assert_eq!(boot(&cfg, 2).wanted_timers(ctx(&cfg, 2)), vec![Timer::Crash, Timer::PowerLoss]);
}

#[test]
fn with_heartbeats_a_shutting_down_broker_asks_again_to_shut_down() {
    let mut cfg = with_heartbeats();
    cfg.budget.shutdowns = 1;
    let mut broker = boot(&cfg, 2);
    let shutdown = Msg::ControlledShutdown { broker: b(2), broker_epoch: BrokerEpoch(2) };
    let e = tick(&mut broker, &cfg, 2, Timer::Shutdown);
    assert_eq!(e, fx(vec![(Address::Controller, shutdown.clone())], false));
    assert_eq!(process(&broker).session, Session::ShuttingDown(BrokerEpoch(2)));
    // No faults while shutting down, but the heartbeat goes on, as a repeated shutdown request.
    assert_eq!(broker.wanted_timers(ctx(&cfg, 2)), vec![Timer::Heartbeat]);
    let before = broker.clone();
    let e = tick(&mut broker, &cfg, 2, Timer::Heartbeat);
    assert_eq!(e, fx(vec![(Address::Controller, shutdown)], false));
    assert_eq!(broker, before);
    assert_eq!(broker.faults.shutdowns, 1, "a repeated request is not another shutdown");
}

#[test]
fn with_heartbeats_a_registering_or_stopped_broker_does_not_heartbeat() {
    let cfg = with_heartbeats();
    let mut broker = boot(&cfg, 2);
    tick(&mut broker, &cfg, 2, Timer::Crash);
    // Down: only the restart.
    assert_eq!(broker.wanted_timers(ctx(&cfg, 2)), vec![Timer::Restart]);
    assert_eq!(tick(&mut broker, &cfg, 2, Timer::Heartbeat), Effects::default());
    tick(&mut broker, &cfg, 2, Timer::Restart);
    // Registering: no broker epoch to heartbeat with yet.
    assert_eq!(process(&broker).session, Session::Registering { previous_epoch: None, incarnation: Incarnation(1) });
    assert_eq!(broker.wanted_timers(ctx(&cfg, 2)), vec![Timer::PowerLoss]);
    let before = broker.clone();
    assert_eq!(tick(&mut broker, &cfg, 2, Timer::Heartbeat), Effects::default());
    assert_eq!(broker, before);
    // Once registered, it heartbeats with the new epoch.
    step(
        &mut broker,
        &cfg,
        2,
        Msg::RegistrationAccepted { broker_epoch: BrokerEpoch(5), partitions: vec![], incarnation: Incarnation(1) },
    );
    assert_eq!(broker.wanted_timers(ctx(&cfg, 2)), vec![Timer::PowerLoss, Timer::Heartbeat]);
    let e = tick(&mut broker, &cfg, 2, Timer::Heartbeat);
    assert_eq!(
        e,
        fx(vec![(Address::Controller, Msg::BrokerHeartbeat { broker: b(2), broker_epoch: BrokerEpoch(5) })], false)
    );
}

// ---------------------------------------------------------------------------------------------
// Log recovery (`Disk::recover`).

fn epochs(entries: &[(u32, u32)]) -> Vec<EpochEntry> {
    entries.iter().map(|(e, s)| EpochEntry { epoch: LeaderEpoch(*e), start_offset: Offset(*s) }).collect()
}

#[test]
fn recovery_drops_epoch_entries_past_the_log_end_and_keeps_the_others() {
    let cfg = Config::default();
    let mut disk = Disk::empty(&cfg);
    let r = &mut disk.replicas[0];
    for (i, e) in [1, 1, 2].iter().enumerate() {
        r.log.append(rec(*e, i as u32));
    }
    // The checkpoint, fsynced, outlived records: epochs 4 and 5 began past the log end.
    r.log.epochs.extend(epochs(&[(4, 4), (5, 6)]));
    r.flushed = Offset(3);
    r.high_watermark = Offset(2);
    disk.clean_shutdown_epoch = Some(BrokerEpoch(7));
    disk.recover();
    let r = &disk.replicas[0];
    assert_eq!(r.log.epochs, epochs(&[(1, 0), (2, 2)]));
    assert_eq!(r.log.records, vec![rec(1, 0), rec(1, 1), rec(2, 2)]);
    assert_eq!(r.flushed, Offset(3));
    assert_eq!(r.high_watermark, Offset(2), "a HW within the log stays");
    assert_eq!(disk.clean_shutdown_epoch, Some(BrokerEpoch(7)), "removed by the start, not by recovery");
}

#[test]
fn recovery_cuts_a_hw_checkpoint_ahead_of_the_log_in_every_partition() {
    let cfg = Config { partitions: 2, ..Config::default() };
    let mut disk = Disk::empty(&cfg);
    disk.replicas[0].log.append(rec(1, 0));
    disk.replicas[0].high_watermark = Offset(4);
    disk.replicas[0].log.epochs.extend(epochs(&[(2, 2)]));
    disk.replicas[1].high_watermark = Offset(1);
    disk.replicas[1].log.epochs = epochs(&[(1, 3)]);
    disk.recover();
    assert_eq!(disk.replicas[0].high_watermark, Offset(1));
    assert_eq!(disk.replicas[0].log.epochs, epochs(&[(1, 0)]));
    assert_eq!(disk.replicas[1].high_watermark, Offset(0));
    assert_eq!(disk.replicas[1].log.epochs, vec![]);

    // A consistent disk is left as it is.
    let mut consistent = Disk::empty(&cfg);
    consistent.replicas[0].log.append(rec(1, 0));
    consistent.replicas[0].high_watermark = Offset(1);
    let before = consistent.clone();
    consistent.recover();
    assert_eq!(consistent, before);
}

/// Kafka's log loading (`LogLoader.load`) calls `LeaderEpochFileCache.truncateFromEnd(nextOffset)`,
/// which removes every entry whose start offset is `>=` the log end: an epoch that began at the
/// log end without a record (KIP-320 assigns it when the broker becomes leader) does not survive
/// a restart: `Disk::recover` drops it, as `ReplicaLog::truncate_to` does.
#[test]
fn recovery_drops_an_epoch_entry_starting_at_the_log_end_as_kafka_does() {
    let cfg = Config::default();
    let mut disk = Disk::empty(&cfg);
    disk.replicas[0].log.append(rec(1, 0));
    disk.replicas[0].log.assign_epoch(LeaderEpoch(2), Offset(1));
    disk.recover();
    assert_eq!(disk.replicas[0].log.epochs, epochs(&[(1, 0)]));

    // The same through a broker: the bootstrap leader (epoch 1 assigned at offset 0 of its empty
    // log) crashes and restarts with an empty epoch cache.
    let mut broker = boot(&cfg, 1);
    assert_eq!(log(&broker).epochs, epochs(&[(1, 0)]));
    tick(&mut broker, &cfg, 1, Timer::Crash);
    tick(&mut broker, &cfg, 1, Timer::Restart);
    assert_eq!(log(&broker).epochs, vec![]);
}
