//! The runtime's settings: heartbeats (`RuntimeSettings::heartbeats`) that keep sessions alive,
//! and the brokers' fetch of the metadata log.

use super::*;

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
