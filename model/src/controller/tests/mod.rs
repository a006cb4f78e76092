//! The controller's handlers, message in, exact sends and state out. Default configuration: three
//! brokers, one partition replicated on all three (preferred leader 1), min ISR 2, ELR and broker
//! epoch fencing on, one producer.

mod alter_partition;
mod heartbeats;
mod operators;
mod reassignments;
mod registration;
mod runtime;
mod sessions;
mod timers;

use super::*;
use crate::config::FaultBudget;
use crate::effects::Address;
use crate::ids::{PartitionId, ProducerId};
use crate::metadata::tests::partition_record;
use crate::msg::{
    AlterPartitionError, ClientRequest, ClientResponse, ElectLeadersError, ElectionType, IsrMember, ReassignmentError,
};

const P0: PartitionId = PartitionId(0);

fn b(n: u8) -> BrokerId {
    BrokerId(n)
}

fn set(brokers: &[u8]) -> BrokerSet {
    BrokerSet::of(brokers.iter().copied().map(BrokerId))
}

fn reg(epoch: u32, fenced: bool, in_controlled_shutdown: bool) -> Registration {
    // The bootstrap registrations (epochs 1 to 3) are the bootstrap processes' (incarnation 0); a
    // later one is a restarted process's, incarnation 1 as the tests' registrations carry.
    let incarnation = Incarnation(u64::from(epoch > 3));
    Registration { epoch: BrokerEpoch(epoch), fenced, in_controlled_shutdown, silent: false, incarnation }
}

/// Partition 0's record with the given leader, epochs, ISR and ELR.
fn record(
    leader: Option<u8>,
    leader_epoch: u8,
    partition_epoch: u8,
    isr: &[u8],
    elr: &[u8],
    last_known_elr: &[u8],
) -> PartitionState {
    PartitionState {
        elr: set(elr),
        last_known_elr: set(last_known_elr),
        ..partition_record(leader, u32::from(leader_epoch), u32::from(partition_epoch), isr)
    }
}

/// What `publish` sends: the record to every replica (assignment order), then to every producer.
fn to_everyone(r: &PartitionState) -> Vec<(Address, Msg)> {
    vec![
        (Address::Broker(b(1)), Msg::PartitionChange(r.clone())),
        (Address::Broker(b(2)), Msg::PartitionChange(r.clone())),
        (Address::Broker(b(3)), Msg::PartitionChange(r.clone())),
        (Address::Producer(ProducerId(1)), Msg::PartitionChange(r.clone())),
    ]
}

fn step(c: &mut ControllerState, cfg: &Config, msg: Msg) -> Effects {
    let mut fx = Effects::default();
    c.on_msg(cfg, msg, &mut fx);
    fx
}

fn tick(c: &mut ControllerState, cfg: &Config, timer: Timer) -> Effects {
    let mut fx = Effects::default();
    c.on_timer(cfg, timer, &mut fx);
    fx
}

fn sends(sends: Vec<(Address, Msg)>) -> Effects {
    Effects { sends, ..Effects::default() }
}

fn alter(leader: u8, broker_epoch: u32, leader_epoch: u32, partition_epoch: u32, isr: &[(u8, Option<u8>)]) -> Msg {
    Msg::AlterPartition {
        partition: P0,
        leader: b(leader),
        broker_epoch: BrokerEpoch(broker_epoch),
        leader_epoch: LeaderEpoch(leader_epoch),
        partition_epoch: PartitionEpoch(partition_epoch),
        isr: isr
            .iter()
            .map(|(m, e)| IsrMember { broker: b(*m), broker_epoch: e.map(|e| BrokerEpoch(u32::from(e))) })
            .collect(),
    }
}

fn alter_response(
    to: u8,
    request_partition_epoch: u32,
    result: Result<PartitionState, AlterPartitionError>,
) -> Effects {
    let request_partition_epoch = PartitionEpoch(request_partition_epoch);
    sends(vec![(
        Address::Broker(b(to)),
        Msg::AlterPartitionResponse { partition: P0, request_partition_epoch, result },
    )])
}

/// Brokers 2 then 3 lost their sessions: the ISR is {1} and broker 3, which left it below min ISR,
/// is the one eligible leader replica (broker 2 left while the ISR was still at min ISR).
fn followers_expired(cfg: &Config) -> ControllerState {
    let mut c = ControllerState::bootstrap(cfg);
    let fx = tick(&mut c, cfg, Timer::SessionTimeout(b(2)));
    let r2 = record(Some(1), 1, 2, &[1, 3], &[], &[]);
    assert_eq!(
        fx,
        sends(vec![
            (Address::Broker(b(1)), Msg::PartitionChange(r2)),
            (Address::Broker(b(2)), Msg::SessionExpired { broker_epoch: BrokerEpoch(2) }),
        ])
    );
    let fx = tick(&mut c, cfg, Timer::SessionTimeout(b(3)));
    let r3 = record(Some(1), 1, 3, &[1], &[3], &[]);
    assert_eq!(
        fx,
        sends(vec![
            (Address::Broker(b(1)), Msg::PartitionChange(r3.clone())),
            (Address::Broker(b(3)), Msg::SessionExpired { broker_epoch: BrokerEpoch(3) }),
        ])
    );
    assert_eq!(c.partitions, vec![r3]);
    c
}

fn ask(c: &mut ControllerState, cfg: &Config, request: ClientRequest) -> (Option<ClientResponse>, Effects) {
    let mut fx = Effects::default();
    c.on_client_request(cfg, Address::Operator, request, &mut fx);
    let answer = fx.sends.iter().position(|(to, msg)| *to == Address::Operator && matches!(msg, Msg::Response(_)));
    let response = answer.map(|i| match fx.sends.remove(i) {
        (_, Msg::Response(response)) => response,
        _ => unreachable!("found as a response"),
    });
    (response, fx)
}

/// Asks, and checks that the request sent nothing and changed nothing; returns the answer.
fn ask_idle(c: &mut ControllerState, cfg: &Config, request: ClientRequest) -> Option<ClientResponse> {
    let before = c.clone();
    let (response, fx) = ask(c, cfg, request);
    assert_eq!(fx, Effects::default(), "nothing sent");
    assert_eq!(*c, before, "nothing changed");
    response
}

fn elect(election: ElectionType, partitions: &[u8]) -> ClientRequest {
    ClientRequest::ElectLeaders { election, partitions: partitions.iter().copied().map(PartitionId).collect() }
}

fn elected(results: Vec<(u8, Result<(), ElectLeadersError>)>) -> Option<ClientResponse> {
    Some(ClientResponse::LeadersElected(results.into_iter().map(|(p, r)| (PartitionId(p), r)).collect()))
}
