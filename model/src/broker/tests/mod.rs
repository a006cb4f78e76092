//! The broker's handlers, message or timer in, exact sends and state out. Default configuration:
//! three brokers, one partition on all three with broker 1 leading epoch 1, min ISR 2, acks=all,
//! KIP-320 truncation and fencing, flush never, one producer.

mod alter_partition;
mod bootstrap;
mod consumers;
mod epoch_requests;
mod fetch_max_records;
mod follower;
mod heartbeats;
mod leader;
mod lifecycle;
mod metadata;
mod produce;
mod recovery;
mod request_timeouts;
mod timers;

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

/// `fx(sends, false)` with the fetch timeout restarted: a request to the leader went out.
fn sent_with_timeout(sends: Vec<(Address, Msg)>) -> Effects {
    Effects { restart_timers: vec![Timer::FetchTimeout(P0)], ..fx(sends, false) }
}

/// Asserts that broker `me` neither wants `timer` now nor could ever arm it: a runtime-only timer
/// with its runtime setting off.
fn never_armed(broker: &BrokerState, cfg: &Config, me: u8, timer: Timer) {
    assert!(!broker.wanted_timers(ctx(cfg, me)).contains(&timer), "{timer:?} wanted");
    assert!(!BrokerState::all_timers(ctx(cfg, me)).contains(&timer), "{timer:?} among all timers");
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

/// The controller's answer to the AlterPartition for partition 0 made in partition epoch
/// `request_partition_epoch`.
fn alter_partition_answer(request_partition_epoch: u32, result: Result<PartitionState, AlterPartitionError>) -> Msg {
    Msg::AlterPartitionResponse {
        partition: P0,
        request_partition_epoch: PartitionEpoch(request_partition_epoch),
        result,
    }
}
