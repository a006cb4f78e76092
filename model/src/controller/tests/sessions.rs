//! Controlled shutdowns (leadership moved away first) and session expiries (the broker fenced, its
//! leadership and ISR places given up).

use super::*;

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
