//! A broker's life: crash, power loss, restarts and their budget, controlled shutdown,
//! registration, and an expired session.

use super::*;

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
