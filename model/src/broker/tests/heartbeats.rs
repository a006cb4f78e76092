//! Runtime heartbeats (`RuntimeSettings::heartbeats`, KRaft's `broker.heartbeat.interval.ms`).

use super::*;

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
