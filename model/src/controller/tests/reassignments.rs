//! AlterPartitionReassignments: a new order of the same replicas (leadership priority).

use super::*;

fn reassign(replicas: &[u8]) -> ClientRequest {
    ClientRequest::AlterPartitionReassignments { partition: P0, replicas: replicas.iter().copied().map(b).collect() }
}

fn reassigned(result: Result<(), ReassignmentError>) -> Option<ClientResponse> {
    Some(ClientResponse::PartitionReassigned { partition: P0, result })
}

#[test]
fn a_new_order_of_the_same_replicas_takes_a_partition_epoch_and_keeps_the_leader() {
    let cfg = Config::default();
    let mut c = ControllerState::bootstrap(&cfg);
    let (response, fx) = ask(&mut c, &cfg, reassign(&[2, 3, 1]));
    assert_eq!(response, reassigned(Ok(())));
    let r = PartitionState { replicas: vec![b(2), b(3), b(1)], ..record(Some(1), 1, 2, &[1, 2, 3], &[], &[]) };
    // Within the leader epoch: only the leader hears of it.
    assert_eq!(fx, sends(vec![(Address::Broker(b(1)), Msg::PartitionChange(r.clone()))]));
    assert_eq!(c.partitions, vec![r]);
    // The preferred replica is now broker 2: a preferred election moves leadership there.
    let (response, fx) = ask(&mut c, &cfg, elect(ElectionType::Preferred, &[0]));
    assert_eq!(response, elected(vec![(0, Ok(()))]));
    let moved = PartitionState { replicas: vec![b(2), b(3), b(1)], ..record(Some(2), 2, 3, &[1, 2, 3], &[], &[]) };
    assert_eq!(c.partitions, vec![moved.clone()]);
    assert!(fx.sends.contains(&(Address::Broker(b(2)), Msg::PartitionChange(moved))));
}

#[test]
fn the_same_order_again_changes_nothing() {
    let cfg = Config::default();
    let mut c = ControllerState::bootstrap(&cfg);
    assert_eq!(ask_idle(&mut c, &cfg, reassign(&[1, 2, 3])), reassigned(Ok(())));
}

#[test]
fn a_reassignment_that_adds_drops_or_repeats_a_replica_is_refused() {
    let cfg = Config { brokers: 4, ..Config::default() };
    for replicas in [&[1, 2][..], &[1, 2, 4], &[1, 2, 3, 4], &[1, 1, 2, 3], &[2, 2, 3]] {
        let mut c = ControllerState::bootstrap(&cfg);
        assert_eq!(
            ask_idle(&mut c, &cfg, reassign(replicas)),
            reassigned(Err(ReassignmentError::InvalidReplicaAssignment)),
            "{replicas:?}"
        );
    }
}

#[test]
fn a_reassignment_of_an_unknown_partition_is_refused() {
    let cfg = Config::default();
    let mut c = ControllerState::bootstrap(&cfg);
    let request = ClientRequest::AlterPartitionReassignments { partition: PartitionId(5), replicas: vec![b(1)] };
    let (response, fx) = ask(&mut c, &cfg, request);
    assert_eq!(
        response,
        Some(ClientResponse::PartitionReassigned {
            partition: PartitionId(5),
            result: Err(ReassignmentError::UnknownTopicOrPartition)
        })
    );
    assert_eq!(fx, Effects::default());
}
