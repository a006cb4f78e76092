//! Heartbeats: a heartbeat unfences its broker and may elect it (ISR, ELR, or the last known leader
//! of KIP-966); stale and needless ones are ignored.

use super::*;

#[test]
fn a_heartbeat_unfences_and_elects_an_elr_member_of_a_leaderless_partition() {
    let cfg = Config::default();
    let mut c = ControllerState::bootstrap(&cfg);
    // Every broker lost its session: offline, ISR empty, ELR {2,3}, last known leader 3.
    c.brokers = vec![reg(1, true, false), reg(2, true, false), reg(3, true, false)];
    c.partitions[0] = record(None, 4, 4, &[], &[2, 3], &[3]);
    let fx = step(&mut c, &cfg, Msg::BrokerHeartbeat { broker: b(2), broker_epoch: BrokerEpoch(2) });
    // The ELR member that wins becomes the whole ISR and leaves the ELR.
    let r = record(Some(2), 5, 5, &[2], &[3], &[]);
    assert_eq!(fx, sends(to_everyone(&r)));
    assert_eq!(c.brokers, vec![reg(1, true, false), reg(2, false, false), reg(3, true, false)]);
    assert_eq!(c.partitions, vec![r]);
}

#[test]
fn a_heartbeat_elects_the_last_isr_member_without_elr() {
    let cfg = Config { eligible_leader_replicas: false, ..Config::default() };
    let mut c = ControllerState::bootstrap(&cfg);
    c.brokers = vec![reg(1, true, false), reg(2, true, false), reg(3, true, false)];
    c.partitions[0] = record(None, 2, 3, &[1], &[], &[]);
    let fx = step(&mut c, &cfg, Msg::BrokerHeartbeat { broker: b(1), broker_epoch: BrokerEpoch(1) });
    let r = record(Some(1), 3, 4, &[1], &[], &[]);
    assert_eq!(fx, sends(to_everyone(&r)));
    assert_eq!(c.partitions, vec![r]);
    assert!(!c.registration(b(1)).fenced);
}

/// Every broker fenced, ISR and ELR empty (each left the ELR after an unclean shutdown), and the
/// record remembers broker 3 as its last leader.
fn only_the_last_leader_remembered() -> ControllerState {
    let mut c = ControllerState::bootstrap(&Config::default());
    c.brokers = vec![reg(1, true, false), reg(2, true, false), reg(3, true, false)];
    c.partitions[0] = record(None, 4, 6, &[], &[], &[3]);
    c
}

#[test]
fn a_heartbeat_of_the_last_leader_elects_it_when_isr_and_elr_are_empty() {
    let cfg = Config::default();
    let mut c = only_the_last_leader_remembered();
    let fx = step(&mut c, &cfg, Msg::BrokerHeartbeat { broker: b(3), broker_epoch: BrokerEpoch(3) });
    // KIP-966's last-known-leader election: whatever its log still holds.
    let r = record(Some(3), 5, 7, &[3], &[], &[]);
    assert_eq!(fx, sends(to_everyone(&r)));
    assert_eq!(c.partitions, vec![r]);
}

#[test]
fn a_heartbeat_of_another_broker_does_not_elect_it_in_the_last_leaders_place() {
    let cfg = Config::default();
    let mut c = only_the_last_leader_remembered();
    let before = c.partitions.clone();
    let fx = step(&mut c, &cfg, Msg::BrokerHeartbeat { broker: b(1), broker_epoch: BrokerEpoch(1) });
    assert_eq!(fx, Effects::default());
    assert_eq!(c.partitions, before);
}

#[test]
fn without_last_known_leader_election_the_last_leader_only_unfences() {
    let cfg = Config { last_known_leader_election: false, ..Config::default() };
    let mut c = only_the_last_leader_remembered();
    let before = c.partitions.clone();
    let fx = step(&mut c, &cfg, Msg::BrokerHeartbeat { broker: b(3), broker_epoch: BrokerEpoch(3) });
    assert_eq!(fx, Effects::default());
    assert_eq!(c.partitions, before);
    assert!(!c.registration(b(3)).fenced);
}

#[test]
fn a_heartbeat_of_a_broker_not_in_the_isr_unfences_it_and_changes_no_partition() {
    let cfg = Config::default();
    let mut c = ControllerState::bootstrap(&cfg);
    c.brokers[2] = reg(4, true, false);
    c.partitions[0] = record(Some(1), 1, 2, &[1, 2], &[], &[]);
    let before = c.partitions.clone();
    let fx = step(&mut c, &cfg, Msg::BrokerHeartbeat { broker: b(3), broker_epoch: BrokerEpoch(4) });
    assert_eq!(fx, Effects::default());
    assert_eq!(c.brokers[2], reg(4, false, false));
    assert_eq!(c.partitions, before);
}

#[test]
fn stale_or_needless_heartbeats_are_ignored() {
    let cfg = Config::default();
    let mut c = ControllerState::bootstrap(&cfg);
    c.brokers[2] = reg(4, true, false);
    let before = c.clone();
    // The old incarnation's epoch.
    assert_eq!(
        step(&mut c, &cfg, Msg::BrokerHeartbeat { broker: b(3), broker_epoch: BrokerEpoch(3) }),
        Effects::default()
    );
    assert_eq!(c, before);
    // An unfenced broker.
    assert_eq!(
        step(&mut c, &cfg, Msg::BrokerHeartbeat { broker: b(1), broker_epoch: BrokerEpoch(1) }),
        Effects::default()
    );
    assert_eq!(c, before);
}
