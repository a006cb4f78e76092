//! The controller's handlers, message in, exact sends and state out. Default configuration: three
//! brokers, one partition replicated on all three (preferred leader 1), min ISR 2, ELR and broker
//! epoch fencing on, one producer.

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

#[test]
fn bootstrap_registers_every_broker_and_elects_the_preferred_leaders() {
    let cfg = Config::default();
    let c = ControllerState::bootstrap(&cfg);
    assert_eq!(
        c,
        ControllerState {
            brokers: vec![reg(1, false, false), reg(2, false, false), reg(3, false, false)],
            next_broker_epoch: BrokerEpoch(4),
            partitions: vec![record(Some(1), 1, 1, &[1, 2, 3], &[], &[])],
            session_expiries: 0,
            role: ControllerRole::Sole,
            writes: Writes::default(),
        }
    );
    assert_eq!(c.active_brokers(), set(&[1, 2, 3]));

    let cfg = Config { partitions: 2, ..Config::default() };
    let c = ControllerState::bootstrap(&cfg);
    assert_eq!(c.partitions[1].replicas, vec![b(2), b(3), b(1)]);
    assert_eq!(c.partitions[1].leader, Some(b(2)));
}

#[test]
fn registering_a_live_leader_fences_the_old_incarnation_and_moves_leadership() {
    let cfg = Config::default();
    let mut c = ControllerState::bootstrap(&cfg);
    let fx =
        step(&mut c, &cfg, Msg::RegisterBroker { broker: b(1), previous_epoch: None, incarnation: Incarnation(1) });
    // Broker 1 left the ISR (still at min ISR: no ELR) and broker 2 leads in epoch 2.
    let r = record(Some(2), 2, 2, &[2, 3], &[], &[]);
    // The new record reaches brokers 2 and 3 and the producer, not the registering broker 1, which
    // gets every record in RegistrationAccepted instead.
    assert_eq!(
        fx,
        sends(vec![
            (Address::Broker(b(2)), Msg::PartitionChange(r.clone())),
            (Address::Broker(b(3)), Msg::PartitionChange(r.clone())),
            (Address::Producer(ProducerId(1)), Msg::PartitionChange(r.clone())),
            (
                Address::Broker(b(1)),
                Msg::RegistrationAccepted {
                    broker_epoch: BrokerEpoch(4),
                    partitions: vec![r.clone()],
                    incarnation: Incarnation(1)
                }
            ),
        ])
    );
    assert_eq!(c.brokers, vec![reg(4, true, false), reg(2, false, false), reg(3, false, false)]);
    assert_eq!(c.next_broker_epoch, BrokerEpoch(5));
    assert_eq!(c.partitions, vec![r]);
    assert_eq!(c.session_expiries, 0, "a re-registration is not a session expiry");
}

#[test]
fn registering_a_live_follower_tells_only_the_leader_about_the_isr_shrink() {
    let cfg = Config::default();
    let mut c = ControllerState::bootstrap(&cfg);
    // A clean shutdown epoch matching the old registration: fenced, but no unclean-shutdown removal.
    let fx = step(
        &mut c,
        &cfg,
        Msg::RegisterBroker { broker: b(3), previous_epoch: Some(BrokerEpoch(3)), incarnation: Incarnation(1) },
    );
    let r = record(Some(1), 1, 2, &[1, 2], &[], &[]);
    assert_eq!(
        fx,
        sends(vec![
            (Address::Broker(b(1)), Msg::PartitionChange(r.clone())),
            (
                Address::Broker(b(3)),
                Msg::RegistrationAccepted {
                    broker_epoch: BrokerEpoch(4),
                    partitions: vec![r.clone()],
                    incarnation: Incarnation(1)
                }
            ),
        ])
    );
    assert_eq!(c.brokers[2], reg(4, true, false));
    assert_eq!(c.partitions, vec![r]);
}

#[test]
fn a_registration_sent_again_by_the_same_incarnation_amends_it_and_changes_nothing() {
    let cfg = Config { eligible_leader_replicas: true, ..Config::default() };
    let mut c = ControllerState::bootstrap(&cfg);
    let register = |incarnation| Msg::RegisterBroker { broker: b(3), previous_epoch: None, incarnation };
    step(&mut c, &cfg, register(Incarnation(1)));
    step(&mut c, &cfg, Msg::BrokerHeartbeat { broker: b(3), broker_epoch: BrokerEpoch(4) });
    assert_eq!(c.brokers[2], reg(4, false, false));
    // Its answer was lost: the same process asks again, unchanged. The same broker epoch, still
    // unfenced; no unclean-shutdown handling, no record changed.
    let before = c.clone();
    let fx = step(&mut c, &cfg, register(Incarnation(1)));
    let accepted = Msg::RegistrationAccepted {
        broker_epoch: BrokerEpoch(4),
        partitions: before.partitions.clone(),
        incarnation: Incarnation(1),
    };
    assert_eq!(fx, sends(vec![(Address::Broker(b(3)), accepted)]));
    assert_eq!(c, before);
    // Another process of broker 3 is a restart: fenced, a new broker epoch.
    step(&mut c, &cfg, register(Incarnation(2)));
    assert_eq!(
        (c.brokers[2].epoch, c.brokers[2].fenced, c.brokers[2].incarnation),
        (BrokerEpoch(5), true, Incarnation(2))
    );
}

#[test]
fn an_unclean_restart_takes_the_broker_out_of_the_elr() {
    let cfg = Config::default();
    let mut c = followers_expired(&cfg);
    // No previous epoch: the broker did not shut down cleanly (KIP-966) and may have lost data.
    let fx =
        step(&mut c, &cfg, Msg::RegisterBroker { broker: b(3), previous_epoch: None, incarnation: Incarnation(1) });
    let r = record(Some(1), 1, 4, &[1], &[], &[]);
    assert_eq!(
        fx,
        sends(vec![
            (Address::Broker(b(1)), Msg::PartitionChange(r.clone())),
            (
                Address::Broker(b(3)),
                Msg::RegistrationAccepted {
                    broker_epoch: BrokerEpoch(4),
                    partitions: vec![r.clone()],
                    incarnation: Incarnation(1)
                }
            ),
        ])
    );
    assert_eq!(c.partitions, vec![r]);
    assert_eq!(c.brokers, vec![reg(1, false, false), reg(2, true, false), reg(4, true, false)]);
    assert_eq!(c.next_broker_epoch, BrokerEpoch(5));
}

#[test]
fn a_previous_epoch_of_another_incarnation_is_an_unclean_restart_too() {
    let cfg = Config::default();
    let mut c = followers_expired(&cfg);
    step(
        &mut c,
        &cfg,
        Msg::RegisterBroker { broker: b(3), previous_epoch: Some(BrokerEpoch(2)), incarnation: Incarnation(1) },
    );
    assert_eq!(c.partitions[0].elr, BrokerSet::EMPTY);
}

#[test]
fn a_clean_restart_keeps_the_broker_in_the_elr() {
    let cfg = Config::default();
    let mut c = followers_expired(&cfg);
    let before = c.partitions.clone();
    let fx = step(
        &mut c,
        &cfg,
        Msg::RegisterBroker { broker: b(3), previous_epoch: Some(BrokerEpoch(3)), incarnation: Incarnation(1) },
    );
    assert_eq!(
        fx,
        sends(vec![(
            Address::Broker(b(3)),
            Msg::RegistrationAccepted {
                broker_epoch: BrokerEpoch(4),
                partitions: before.clone(),
                incarnation: Incarnation(1)
            }
        )])
    );
    assert_eq!(c.partitions, before);
    assert_eq!(c.partitions[0].elr, set(&[3]));
    assert_eq!(c.brokers[2], reg(4, true, false));
}

#[test]
fn without_elr_an_unclean_restart_changes_nothing_but_the_registration() {
    let cfg = Config { eligible_leader_replicas: false, ..Config::default() };
    let mut c = ControllerState::bootstrap(&cfg);
    c.brokers[2] = reg(3, true, false);
    c.partitions[0] = record(Some(1), 1, 2, &[1, 2], &[], &[]);
    let before = c.partitions.clone();
    let fx =
        step(&mut c, &cfg, Msg::RegisterBroker { broker: b(3), previous_epoch: None, incarnation: Incarnation(1) });
    assert_eq!(
        fx,
        sends(vec![(
            Address::Broker(b(3)),
            Msg::RegistrationAccepted {
                broker_epoch: BrokerEpoch(4),
                partitions: before.clone(),
                incarnation: Incarnation(1)
            }
        )])
    );
    assert_eq!(c.partitions, before);
}

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

#[test]
fn controlled_shutdown_moves_leadership_away_and_accepts() {
    let cfg = Config::default();
    let mut c = ControllerState::bootstrap(&cfg);
    let fx = step(&mut c, &cfg, Msg::ControlledShutdown { broker: b(1), broker_epoch: BrokerEpoch(1) });
    let r = record(Some(2), 2, 2, &[2, 3], &[], &[]);
    let mut expected = to_everyone(&r);
    expected.push((Address::Broker(b(1)), Msg::ShutdownAccepted { broker_epoch: BrokerEpoch(1) }));
    assert_eq!(fx, sends(expected));
    assert_eq!(c.brokers[0], reg(1, false, true));
    assert_eq!(c.active_brokers(), set(&[2, 3]));
    assert_eq!(c.partitions, vec![r]);
}

#[test]
fn controlled_shutdown_of_a_follower_tells_the_leader_and_accepts() {
    let cfg = Config::default();
    let mut c = ControllerState::bootstrap(&cfg);
    let fx = step(&mut c, &cfg, Msg::ControlledShutdown { broker: b(2), broker_epoch: BrokerEpoch(2) });
    let r = record(Some(1), 1, 2, &[1, 3], &[], &[]);
    assert_eq!(
        fx,
        sends(vec![
            (Address::Broker(b(1)), Msg::PartitionChange(r.clone())),
            (Address::Broker(b(2)), Msg::ShutdownAccepted { broker_epoch: BrokerEpoch(2) }),
        ])
    );
    assert_eq!(c.brokers[1], reg(2, false, true));
}

#[test]
fn a_stale_controlled_shutdown_is_ignored() {
    let cfg = Config::default();
    let mut c = ControllerState::bootstrap(&cfg);
    let before = c.clone();
    let fx = step(&mut c, &cfg, Msg::ControlledShutdown { broker: b(1), broker_epoch: BrokerEpoch(7) });
    assert_eq!(fx, Effects::default());
    assert_eq!(c, before);
}

#[test]
fn session_timeout_of_a_follower_fences_it_counts_and_tells_it() {
    let cfg = Config::default();
    let mut c = ControllerState::bootstrap(&cfg);
    let fx = tick(&mut c, &cfg, Timer::SessionTimeout(b(2)));
    let r = record(Some(1), 1, 2, &[1, 3], &[], &[]);
    assert_eq!(
        fx,
        sends(vec![
            (Address::Broker(b(1)), Msg::PartitionChange(r.clone())),
            (Address::Broker(b(2)), Msg::SessionExpired { broker_epoch: BrokerEpoch(2) }),
        ])
    );
    assert_eq!(c.brokers[1], reg(2, true, false));
    assert_eq!(c.session_expiries, 1);
    assert_eq!(c.partitions, vec![r]);

    // Already fenced: nothing more happens, and the expiry is not counted twice.
    let before = c.clone();
    assert_eq!(tick(&mut c, &cfg, Timer::SessionTimeout(b(2))), Effects::default());
    assert_eq!(c, before);
}

#[test]
fn a_dead_brokers_session_always_expires_and_is_not_a_fault() {
    let cfg = Config { budget: FaultBudget { session_expiries: 0, ..FaultBudget::default() }, ..Config::default() };
    let mut c = ControllerState::bootstrap(&cfg);
    // No live broker's session may expire in this budget.
    assert!(!c.wanted_timers(&cfg).contains(&Timer::SessionTimeout(b(1))));
    // A stale note from an older incarnation changes nothing.
    assert_eq!(
        step(&mut c, &cfg, Msg::HeartbeatsStopped { broker: b(1), broker_epoch: BrokerEpoch(9) }),
        Effects::default()
    );
    assert!(!c.brokers[0].silent);

    let fx = step(&mut c, &cfg, Msg::HeartbeatsStopped { broker: b(1), broker_epoch: BrokerEpoch(1) });
    assert_eq!(fx, Effects::default());
    assert_eq!(c.brokers[0], Registration { silent: true, ..reg(1, false, false) });
    assert_eq!(c.wanted_timers(&cfg), vec![Timer::SessionTimeout(b(1))]);

    let fx = tick(&mut c, &cfg, Timer::SessionTimeout(b(1)));
    let r = record(Some(2), 2, 2, &[2, 3], &[], &[]);
    let mut expected = to_everyone(&r);
    expected.push((Address::Broker(b(1)), Msg::SessionExpired { broker_epoch: BrokerEpoch(1) }));
    assert_eq!(fx, sends(expected));
    assert_eq!(c.session_expiries, 0, "recovery, not a fault");
    assert!(c.wanted_timers(&cfg).is_empty());
}

#[test]
fn session_timeout_of_the_leader_elects_a_new_one() {
    let cfg = Config::default();
    let mut c = ControllerState::bootstrap(&cfg);
    let fx = tick(&mut c, &cfg, Timer::SessionTimeout(b(1)));
    let r = record(Some(2), 2, 2, &[2, 3], &[], &[]);
    let mut expected = to_everyone(&r);
    expected.push((Address::Broker(b(1)), Msg::SessionExpired { broker_epoch: BrokerEpoch(1) }));
    assert_eq!(fx, sends(expected));
    assert_eq!(c.partitions, vec![r]);
    assert_eq!(c.session_expiries, 1);
}

#[test]
fn losing_every_isr_member_leaves_the_partition_offline_with_its_elr() {
    let cfg = Config { budget: FaultBudget { session_expiries: 3, ..FaultBudget::default() }, ..Config::default() };
    let mut c = ControllerState::bootstrap(&cfg);
    tick(&mut c, &cfg, Timer::SessionTimeout(b(1)));
    let fx = tick(&mut c, &cfg, Timer::SessionTimeout(b(2)));
    // Broker 2 left an ISR of two: below min ISR, it becomes an eligible leader replica.
    let r2 = record(Some(3), 3, 3, &[3], &[2], &[]);
    let mut expected = to_everyone(&r2);
    expected.push((Address::Broker(b(2)), Msg::SessionExpired { broker_epoch: BrokerEpoch(2) }));
    assert_eq!(fx, sends(expected));
    let fx = tick(&mut c, &cfg, Timer::SessionTimeout(b(3)));
    let r3 = record(None, 4, 4, &[], &[2, 3], &[3]);
    let mut expected = to_everyone(&r3);
    expected.push((Address::Broker(b(3)), Msg::SessionExpired { broker_epoch: BrokerEpoch(3) }));
    assert_eq!(fx, sends(expected));
    assert_eq!(c.session_expiries, 3);
    assert_eq!(c.active_brokers(), BrokerSet::EMPTY);
}

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

#[test]
fn wanted_timers_follow_the_session_budget() {
    let cfg = Config::default();
    let mut c = ControllerState::bootstrap(&cfg);
    assert_eq!(
        c.wanted_timers(&cfg),
        vec![Timer::SessionTimeout(b(1)), Timer::SessionTimeout(b(2)), Timer::SessionTimeout(b(3))]
    );
    tick(&mut c, &cfg, Timer::SessionTimeout(b(2)));
    assert_eq!(c.wanted_timers(&cfg), vec![], "the one session expiry of the budget is spent");

    let cfg = Config { budget: FaultBudget { session_expiries: 2, ..FaultBudget::default() }, ..Config::default() };
    let mut c = ControllerState::bootstrap(&cfg);
    tick(&mut c, &cfg, Timer::SessionTimeout(b(2)));
    assert_eq!(c.wanted_timers(&cfg), vec![Timer::SessionTimeout(b(1)), Timer::SessionTimeout(b(3))]);

    assert_eq!(
        ControllerState::all_timers(&cfg),
        vec![
            Timer::SessionTimeout(b(1)),
            Timer::SessionTimeout(b(2)),
            Timer::SessionTimeout(b(3)),
            Timer::PreferredElection(P0),
        ]
    );
}

#[test]
fn auto_rebalance_wants_and_runs_a_preferred_election() {
    let cfg = Config { auto_leader_rebalance: true, ..Config::default() };
    let mut c = ControllerState::bootstrap(&cfg);
    assert!(!c.wanted_timers(&cfg).contains(&Timer::PreferredElection(P0)), "the preferred replica leads");

    c.partitions[0] = record(Some(2), 2, 2, &[1, 2, 3], &[], &[]);
    assert_eq!(
        c.wanted_timers(&cfg),
        vec![
            Timer::SessionTimeout(b(1)),
            Timer::SessionTimeout(b(2)),
            Timer::SessionTimeout(b(3)),
            Timer::PreferredElection(P0),
        ]
    );
    let fx = tick(&mut c, &cfg, Timer::PreferredElection(P0));
    let r = record(Some(1), 3, 3, &[1, 2, 3], &[], &[]);
    assert_eq!(fx, sends(to_everyone(&r)));
    assert_eq!(c.partitions, vec![r]);

    // The preferred replica out of the ISR, or fenced, is not a candidate.
    c.partitions[0] = record(Some(2), 4, 4, &[2, 3], &[], &[]);
    assert!(!c.wanted_timers(&cfg).contains(&Timer::PreferredElection(P0)));
    c.partitions[0] = record(Some(2), 4, 4, &[1, 2, 3], &[], &[]);
    c.brokers[0].fenced = true;
    assert!(!c.wanted_timers(&cfg).contains(&Timer::PreferredElection(P0)));
}

// ---------------------------------------------------------------------------------------------
// Operators' requests (DescribeTopicPartitions, ElectLeaders).

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

#[test]
fn describe_partitions_returns_every_partition_record_and_changes_nothing() {
    let cfg = Config { partitions: 2, ..Config::default() };
    let mut c = ControllerState::bootstrap(&cfg);
    c.partitions[0] = record(Some(2), 2, 3, &[2, 3], &[], &[]);
    let before = c.clone();
    let (response, fx) = ask(&mut c, &cfg, ClientRequest::DescribePartitions);
    let mut p1 = partition_record(Some(2), 1, 1, &[1, 2, 3]);
    p1.partition = PartitionId(1);
    p1.replicas = vec![b(2), b(3), b(1)];
    assert_eq!(response, Some(ClientResponse::Partitions(vec![record(Some(2), 2, 3, &[2, 3], &[], &[]), p1])));
    assert_eq!(fx, Effects::default());
    assert_eq!(c, before);
}

#[test]
fn a_preferred_election_when_the_preferred_replica_leads_is_not_needed() {
    let cfg = Config::default();
    let mut c = ControllerState::bootstrap(&cfg);
    assert_eq!(
        ask_idle(&mut c, &cfg, elect(ElectionType::Preferred, &[0])),
        elected(vec![(0, Err(ElectLeadersError::ElectionNotNeeded))])
    );
}

#[test]
fn a_preferred_election_moves_leadership_back_to_the_preferred_replica_and_publishes_it() {
    let cfg = Config::default();
    let mut c = ControllerState::bootstrap(&cfg);
    c.partitions[0] = record(Some(2), 2, 2, &[1, 2, 3], &[], &[]);
    let (response, fx) = ask(&mut c, &cfg, elect(ElectionType::Preferred, &[0]));
    assert_eq!(response, elected(vec![(0, Ok(()))]));
    // A new leader epoch: the record goes to every replica and every producer.
    let r = record(Some(1), 3, 3, &[1, 2, 3], &[], &[]);
    assert_eq!(fx, sends(to_everyone(&r)));
    assert_eq!(c.partitions, vec![r]);
    assert_eq!(c.brokers, ControllerState::bootstrap(&cfg).brokers);
}

#[test]
fn a_preferred_election_without_the_preferred_replica_in_the_isr_is_refused() {
    let cfg = Config::default();
    let mut c = ControllerState::bootstrap(&cfg);
    c.partitions[0] = record(Some(2), 2, 2, &[2, 3], &[], &[]);
    assert_eq!(
        ask_idle(&mut c, &cfg, elect(ElectionType::Preferred, &[0])),
        elected(vec![(0, Err(ElectLeadersError::PreferredLeaderNotAvailable))])
    );
}

#[test]
fn a_preferred_election_with_the_preferred_replica_fenced_or_shutting_down_is_refused() {
    let cfg = Config::default();
    for preferred in [reg(1, true, false), reg(1, false, true)] {
        let mut c = ControllerState::bootstrap(&cfg);
        c.brokers[0] = preferred;
        c.partitions[0] = record(Some(2), 2, 2, &[1, 2, 3], &[], &[]);
        assert_eq!(
            ask_idle(&mut c, &cfg, elect(ElectionType::Preferred, &[0])),
            elected(vec![(0, Err(ElectLeadersError::PreferredLeaderNotAvailable))])
        );
    }
}

#[test]
fn a_preferred_election_on_a_leaderless_partition_elects_the_next_valid_replica() {
    // PartitionChangeBuilder.electPreferredLeader: the preferred replica (fenced) cannot lead,
    // there is no current leader, so the first valid other replica wins.
    let cfg = Config::default();
    let mut c = ControllerState::bootstrap(&cfg);
    c.brokers[0] = reg(1, true, false);
    c.partitions[0] = record(None, 2, 3, &[1, 3], &[], &[]);
    let (response, fx) = ask(&mut c, &cfg, elect(ElectionType::Preferred, &[0]));
    assert_eq!(response, elected(vec![(0, Ok(()))]));
    let r = record(Some(3), 3, 4, &[1, 3], &[], &[]);
    assert_eq!(fx, sends(to_everyone(&r)));
    assert_eq!(c.partitions, vec![r]);
}

#[test]
fn an_unclean_election_when_a_leader_exists_is_not_needed() {
    let cfg = Config::default();
    let mut c = ControllerState::bootstrap(&cfg);
    c.partitions[0] = record(Some(2), 2, 2, &[2], &[3], &[]);
    assert_eq!(
        ask_idle(&mut c, &cfg, elect(ElectionType::Unclean, &[0])),
        elected(vec![(0, Err(ElectLeadersError::ElectionNotNeeded))])
    );
}

#[test]
fn an_unclean_election_elects_an_out_of_sync_replica_whatever_the_topic_config() {
    // The operator's unclean election runs even with `unclean.leader.election.enable=false`: the
    // topic config only decides the controller's own elections.
    for unclean_leader_election in [false, true] {
        let cfg = Config { unclean_leader_election, ..Config::default() };
        let mut c = ControllerState::bootstrap(&cfg);
        // Offline: ISR empty, ELR {2,3} both fenced; broker 1 (out of sync) is active again.
        c.brokers = vec![reg(5, false, false), reg(2, true, false), reg(3, true, false)];
        c.partitions[0] = record(None, 4, 4, &[], &[2, 3], &[3]);
        let (response, fx) = ask(&mut c, &cfg, elect(ElectionType::Unclean, &[0]));
        assert_eq!(response, elected(vec![(0, Ok(()))]));
        // The unclean leader is the whole ISR, and the ELR and last known ELR are cleared.
        let r = record(Some(1), 5, 5, &[1], &[], &[]);
        assert_eq!(fx, sends(to_everyone(&r)), "unclean_leader_election = {unclean_leader_election}");
        assert_eq!(c.partitions, vec![r]);
    }
}

#[test]
fn an_unclean_election_prefers_an_eligible_leader_replica() {
    let cfg = Config::default();
    let mut c = ControllerState::bootstrap(&cfg);
    // Broker 3 of the ELR is active: it wins cleanly, before the out-of-sync broker 1.
    c.brokers = vec![reg(5, false, false), reg(2, true, false), reg(3, false, false)];
    c.partitions[0] = record(None, 4, 4, &[], &[2, 3], &[3]);
    let (response, fx) = ask(&mut c, &cfg, elect(ElectionType::Unclean, &[0]));
    assert_eq!(response, elected(vec![(0, Ok(()))]));
    let r = record(Some(3), 5, 5, &[3], &[2], &[]);
    assert_eq!(fx, sends(to_everyone(&r)));
    assert_eq!(c.partitions, vec![r]);
}

#[test]
fn an_unclean_election_without_any_active_replica_is_refused() {
    let cfg = Config::default();
    let mut c = ControllerState::bootstrap(&cfg);
    c.brokers = vec![reg(1, true, false), reg(2, true, false), reg(3, true, false)];
    c.partitions[0] = record(None, 4, 4, &[], &[2, 3], &[3]);
    assert_eq!(
        ask_idle(&mut c, &cfg, elect(ElectionType::Unclean, &[0])),
        elected(vec![(0, Err(ElectLeadersError::EligibleLeadersNotAvailable))])
    );
}

#[test]
fn an_election_of_an_unknown_partition_is_refused_and_the_others_still_run() {
    let cfg = Config { partitions: 2, ..Config::default() };
    let mut c = ControllerState::bootstrap(&cfg);
    c.partitions[0] = record(Some(3), 2, 2, &[1, 2, 3], &[], &[]);
    let (response, fx) = ask(&mut c, &cfg, elect(ElectionType::Preferred, &[2, 0, 1]));
    assert_eq!(
        response,
        elected(vec![
            (2, Err(ElectLeadersError::UnknownTopicOrPartition)),
            (0, Ok(())),
            (1, Err(ElectLeadersError::ElectionNotNeeded)),
        ])
    );
    let r = record(Some(1), 3, 3, &[1, 2, 3], &[], &[]);
    assert_eq!(
        fx,
        sends(vec![
            (Address::Broker(b(1)), Msg::PartitionChange(r.clone())),
            (Address::Broker(b(2)), Msg::PartitionChange(r.clone())),
            (Address::Broker(b(3)), Msg::PartitionChange(r.clone())),
            (Address::Producer(ProducerId(1)), Msg::PartitionChange(r.clone())),
        ])
    );
    assert_eq!(c.partitions[0], r);

    assert_eq!(
        ask_idle(&mut c, &cfg, elect(ElectionType::Unclean, &[7])),
        elected(vec![(7, Err(ElectLeadersError::UnknownTopicOrPartition))])
    );
}

#[test]
fn an_election_of_no_partitions_answers_an_empty_list() {
    let cfg = Config::default();
    let mut c = ControllerState::bootstrap(&cfg);
    let (response, fx) = ask(&mut c, &cfg, elect(ElectionType::Preferred, &[]));
    assert_eq!(response, elected(vec![]));
    assert_eq!(fx, Effects::default());
}

#[test]
fn a_consumer_fetch_to_the_controller_is_not_answered() {
    let cfg = Config::default();
    let mut c = ControllerState::bootstrap(&cfg);
    let before = c.clone();
    let (response, fx) =
        ask(&mut c, &cfg, ClientRequest::ConsumerFetch { partition: P0, fetch_offset: crate::ids::Offset(0) });
    assert_eq!(response, None);
    assert_eq!(fx, Effects::default());
    assert_eq!(c, before);
}

// ---------------------------------------------------------------------------------------------
// Runtime heartbeats (`RuntimeSettings::heartbeats`).

fn with_heartbeats() -> Config {
    let mut cfg = Config::default();
    cfg.runtime.heartbeats = true;
    cfg
}

fn restart(timers: Vec<Timer>) -> Effects {
    Effects { restart_timers: timers, ..Effects::default() }
}

#[test]
fn with_heartbeats_a_live_brokers_heartbeat_restarts_its_session_timer() {
    let cfg = with_heartbeats();
    let mut c = ControllerState::bootstrap(&cfg);
    let before = c.clone();
    let fx = step(&mut c, &cfg, Msg::BrokerHeartbeat { broker: b(2), broker_epoch: BrokerEpoch(2) });
    assert_eq!(fx, restart(vec![Timer::SessionTimeout(b(2))]));
    assert_eq!(c, before);
    // Another incarnation's heartbeat restarts nothing.
    let fx = step(&mut c, &cfg, Msg::BrokerHeartbeat { broker: b(2), broker_epoch: BrokerEpoch(7) });
    assert_eq!(fx, Effects::default());
    assert_eq!(c, before);
}

#[test]
fn with_heartbeats_a_fenced_brokers_heartbeat_unfences_it_without_a_restart() {
    let cfg = with_heartbeats();
    let mut c = ControllerState::bootstrap(&cfg);
    c.brokers[2] = reg(4, true, false);
    c.partitions[0] = record(Some(1), 1, 2, &[1, 2], &[], &[]);
    assert!(!c.wanted_timers(&cfg).contains(&Timer::SessionTimeout(b(3))), "a fenced broker has no session");
    let fx = step(&mut c, &cfg, Msg::BrokerHeartbeat { broker: b(3), broker_epoch: BrokerEpoch(4) });
    // The timer is newly wanted (so armed afresh by the actor), not restarted.
    assert_eq!(fx, Effects::default());
    assert_eq!(c.brokers[2], reg(4, false, false));
    assert_eq!(
        c.wanted_timers(&cfg),
        vec![Timer::SessionTimeout(b(1)), Timer::SessionTimeout(b(2)), Timer::SessionTimeout(b(3))]
    );
}

#[test]
fn with_heartbeats_a_controlled_shutdown_restarts_the_session_timer_too() {
    let cfg = with_heartbeats();
    let mut c = ControllerState::bootstrap(&cfg);
    let fx = step(&mut c, &cfg, Msg::ControlledShutdown { broker: b(2), broker_epoch: BrokerEpoch(2) });
    let r = record(Some(1), 1, 2, &[1, 3], &[], &[]);
    assert_eq!(
        fx,
        Effects {
            sends: vec![
                (Address::Broker(b(1)), Msg::PartitionChange(r.clone())),
                (Address::Broker(b(2)), Msg::ShutdownAccepted { broker_epoch: BrokerEpoch(2) }),
            ],
            restart_timers: vec![Timer::SessionTimeout(b(2))],
            ..Effects::default()
        }
    );
    assert_eq!(c.brokers[1], reg(2, false, true));

    // Without heartbeats, the same request restarts no timer.
    let cfg = Config::default();
    let mut c = ControllerState::bootstrap(&cfg);
    let fx = step(&mut c, &cfg, Msg::ControlledShutdown { broker: b(2), broker_epoch: BrokerEpoch(2) });
    assert_eq!(fx.restart_timers, vec![]);
}

#[test]
fn with_heartbeats_sessions_expire_as_often_as_they_time_out() {
    let cfg = with_heartbeats();
    assert_eq!(cfg.budget.session_expiries, 1);
    let mut c = ControllerState::bootstrap(&cfg);
    let all = vec![Timer::SessionTimeout(b(1)), Timer::SessionTimeout(b(2)), Timer::SessionTimeout(b(3))];
    for round in 1..=3u8 {
        let fx = tick(&mut c, &cfg, Timer::SessionTimeout(b(2)));
        let r = record(Some(1), 1, 2 * round, &[1, 3], &[], &[]);
        assert_eq!(
            fx,
            sends(vec![
                (Address::Broker(b(1)), Msg::PartitionChange(r.clone())),
                (Address::Broker(b(2)), Msg::SessionExpired { broker_epoch: BrokerEpoch(2) }),
            ]),
            "round {round}"
        );
        assert_eq!(c.brokers[1], reg(2, true, false));
        assert_eq!(c.session_expiries, round, "still counted, but no longer a limit");
        // The other live sessions can still expire although the budget of one is spent.
        assert_eq!(c.wanted_timers(&cfg), vec![Timer::SessionTimeout(b(1)), Timer::SessionTimeout(b(3))]);

        // The broker heartbeats, is unfenced, and its session can expire again.
        let fx = step(&mut c, &cfg, Msg::BrokerHeartbeat { broker: b(2), broker_epoch: BrokerEpoch(2) });
        assert_eq!(fx, Effects::default());
        assert_eq!(c.wanted_timers(&cfg), all);
        // The leader takes broker 2 back into the ISR.
        let isr = [(1, Some(1)), (2, Some(2)), (3, Some(3))];
        let fx = step(&mut c, &cfg, alter(1, 1, 1, 2 * u32::from(round), &isr));
        let back = record(Some(1), 1, 2 * round + 1, &[1, 2, 3], &[], &[]);
        assert_eq!(fx, alter_response(1, 2 * u32::from(round), Ok(back)));
    }
}

// ---------------------------------------------------------------------------------------------
// AlterPartitionReassignments: a new order of the same replicas (leadership priority).

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

#[test]
fn a_metadata_fetch_is_answered_with_the_records_of_the_brokers_partitions_and_changes_nothing() {
    let cfg = Config { partitions: 3, replication_factor: 2, min_insync_replicas: 1, ..Config::default() };
    let mut c = ControllerState::bootstrap(&cfg);
    let before = c.clone();
    let fx = step(&mut c, &cfg, Msg::FetchMetadata { broker: b(1) });
    // Broker 1 is a replica of p0 (1,2) and p2 (3,1), not of p1 (2,3).
    assert_eq!(
        fx,
        sends(vec![
            (Address::Broker(b(1)), Msg::PartitionChange(before.partitions[0].clone())),
            (Address::Broker(b(1)), Msg::PartitionChange(before.partitions[2].clone())),
        ])
    );
    assert_eq!(c, before);
}
