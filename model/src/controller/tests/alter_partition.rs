//! AlterPartition (KIP-497): the checks in Kafka's order (broker epoch, leader epoch, leader,
//! partition epoch, members: KIP-903), and what an accepted change answers and publishes.

use super::*;

#[test]
fn alter_partition_checks_the_requester_broker_epoch_first() {
    let cfg = Config::default();
    let mut c = ControllerState::bootstrap(&cfg);
    let before = c.clone();
    // Everything is wrong; the broker epoch is checked first.
    let fx = step(&mut c, &cfg, alter(1, 9, 0, 0, &[(1, Some(1))]));
    assert_eq!(fx, alter_response(1, 0, Err(AlterPartitionError::StaleBrokerEpoch)));
    assert_eq!(c, before);
}

#[test]
fn alter_partition_checks_the_leader_epoch_before_the_leader() {
    let cfg = Config::default();
    let mut c = ControllerState::bootstrap(&cfg);
    let before = c.clone();
    // Broker 2 is not the leader, but its leader epoch is checked first.
    let fx = step(&mut c, &cfg, alter(2, 2, 0, 0, &[(2, Some(2))]));
    assert_eq!(fx, alter_response(2, 0, Err(AlterPartitionError::FencedLeaderEpoch)));
    let fx = step(&mut c, &cfg, alter(2, 2, 1, 0, &[(2, Some(2))]));
    assert_eq!(fx, alter_response(2, 0, Err(AlterPartitionError::NotLeader)));
    assert_eq!(c, before);
}

#[test]
fn alter_partition_checks_the_partition_epoch_after_the_leader() {
    let cfg = Config::default();
    let mut c = ControllerState::bootstrap(&cfg);
    c.partitions[0] = record(Some(1), 1, 2, &[1, 2], &[], &[]);
    let before = c.clone();
    let fx = step(&mut c, &cfg, alter(1, 1, 1, 1, &[(1, Some(1)), (2, Some(2)), (3, Some(3))]));
    assert_eq!(fx, alter_response(1, 1, Err(AlterPartitionError::InvalidUpdateVersion)));
    assert_eq!(c, before);
}

#[test]
fn alter_partition_refuses_fenced_or_shutting_down_members() {
    let cfg = Config::default();
    let mut c = ControllerState::bootstrap(&cfg);
    c.brokers[2] = reg(3, true, false);
    let before = c.clone();
    let fx = step(&mut c, &cfg, alter(1, 1, 1, 1, &[(1, Some(1)), (2, Some(2)), (3, Some(3))]));
    assert_eq!(fx, alter_response(1, 1, Err(AlterPartitionError::IneligibleReplica)));
    // The same without broker epochs: a fenced member is ineligible whatever its epoch.
    let fx = step(&mut c, &cfg, alter(1, 1, 1, 1, &[(1, None), (2, None), (3, None)]));
    assert_eq!(fx, alter_response(1, 1, Err(AlterPartitionError::IneligibleReplica)));
    assert_eq!(c, before);

    let mut c = ControllerState::bootstrap(&cfg);
    c.brokers[1] = reg(2, false, true);
    let fx = step(&mut c, &cfg, alter(1, 1, 1, 1, &[(1, Some(1)), (2, Some(2))]));
    assert_eq!(fx, alter_response(1, 1, Err(AlterPartitionError::IneligibleReplica)));
}

#[test]
fn alter_partition_refuses_a_member_with_a_stale_broker_epoch_under_kip903() {
    let cfg = Config::default();
    let mut c = ControllerState::bootstrap(&cfg);
    let before = c.clone();
    // Broker 2 is registered with epoch 2; the leader saw epoch 1.
    let fx = step(&mut c, &cfg, alter(1, 1, 1, 1, &[(1, Some(1)), (2, Some(1))]));
    assert_eq!(fx, alter_response(1, 1, Err(AlterPartitionError::IneligibleReplica)));
    assert_eq!(c, before);
}

#[test]
fn alter_partition_accepts_a_stale_member_epoch_without_kip903() {
    let cfg = Config { broker_epoch_fencing: false, ..Config::default() };
    let mut c = ControllerState::bootstrap(&cfg);
    let fx = step(&mut c, &cfg, alter(1, 1, 1, 1, &[(1, Some(1)), (2, Some(1))]));
    let r = record(Some(1), 1, 2, &[1, 2], &[], &[]);
    assert_eq!(fx, alter_response(1, 1, Ok(r.clone())));
    assert_eq!(c.partitions, vec![r]);
}

#[test]
fn an_unknown_member_epoch_is_not_checked() {
    let cfg = Config::default();
    let mut c = ControllerState::bootstrap(&cfg);
    let fx = step(&mut c, &cfg, alter(1, 1, 1, 1, &[(1, Some(1)), (2, None)]));
    assert_eq!(fx, alter_response(1, 1, Ok(record(Some(1), 1, 2, &[1, 2], &[], &[]))));
}

#[test]
fn an_accepted_shrink_answers_the_leader_only() {
    let cfg = Config::default();
    let mut c = ControllerState::bootstrap(&cfg);
    let fx = step(&mut c, &cfg, alter(1, 1, 1, 1, &[(1, Some(1)), (2, Some(2))]));
    let r = record(Some(1), 1, 2, &[1, 2], &[], &[]);
    // No PartitionChange to anyone: the leader learns the record from the response.
    assert_eq!(fx, alter_response(1, 1, Ok(r.clone())));
    assert_eq!(c.partitions, vec![r]);
    assert_eq!(c.brokers, ControllerState::bootstrap(&cfg).brokers);
}

#[test]
fn an_accepted_expansion_answers_the_leader_only() {
    let cfg = Config::default();
    let mut c = ControllerState::bootstrap(&cfg);
    c.partitions[0] = record(Some(1), 1, 2, &[1, 2], &[], &[]);
    let fx = step(&mut c, &cfg, alter(1, 1, 1, 2, &[(1, Some(1)), (2, Some(2)), (3, Some(3))]));
    let r = record(Some(1), 1, 3, &[1, 2, 3], &[], &[]);
    assert_eq!(fx, alter_response(1, 2, Ok(r.clone())));
    assert_eq!(c.partitions, vec![r]);
}

#[test]
fn an_alter_partition_that_changes_nothing_answers_the_current_record() {
    let cfg = Config::default();
    let mut c = ControllerState::bootstrap(&cfg);
    let before = c.clone();
    let fx = step(&mut c, &cfg, alter(1, 1, 1, 1, &[(1, Some(1)), (2, Some(2)), (3, Some(3))]));
    assert_eq!(fx, alter_response(1, 1, Ok(before.partitions[0].clone())));
    assert_eq!(c, before);
}

#[test]
fn a_shrink_below_min_isr_moves_the_removed_member_to_the_elr() {
    let cfg = Config::default();
    let mut c = ControllerState::bootstrap(&cfg);
    c.partitions[0] = record(Some(1), 1, 2, &[1, 2], &[], &[]);
    let fx = step(&mut c, &cfg, alter(1, 1, 1, 2, &[(1, Some(1))]));
    let r = record(Some(1), 1, 3, &[1], &[2], &[]);
    assert_eq!(fx, alter_response(1, 2, Ok(r.clone())));
    assert_eq!(c.partitions, vec![r]);
}

#[test]
fn other_messages_are_ignored() {
    let cfg = Config::default();
    let mut c = ControllerState::bootstrap(&cfg);
    let before = c.clone();
    let fx = step(
        &mut c,
        &cfg,
        Msg::Produce {
            partition: P0,
            producer: ProducerId(1),
            sequence: crate::ids::Sequence(0),
            acks: crate::config::Acks::All,
            idempotent: true,
            value: Default::default(),
        },
    );
    assert_eq!(fx, Effects::default());
    assert_eq!(tick(&mut c, &cfg, Timer::Crash), Effects::default());
    assert_eq!(c, before);
}
