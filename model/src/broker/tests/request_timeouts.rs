//! Requests that go unanswered: fetches, AlterPartition and registrations time out and are sent
//! again (the runtime's request time-outs).

use super::*;

#[test]
fn without_the_fetch_timeout_an_unanswered_fetch_waits_for_good() {
    let cfg = Config::default();
    let follower = boot(&cfg, 2);
    assert_eq!(*role(&follower), Role::Follower(FetchState::Fetching { fetch_offset: Offset(0) }));
    never_armed(&follower, &cfg, 2, Timer::FetchTimeout(P0));
}

#[test]
fn an_unanswered_fetch_times_out_backs_off_and_goes_again() {
    let mut cfg = Config::default();
    cfg.runtime.fetch_timeout = true;
    let partitions = ControllerState::bootstrap(&cfg).partitions;
    let mut effects = Effects::default();
    let mut follower = BrokerState::bootstrap(ctx(&cfg, 2), &partitions, &mut effects);
    // The request's clock starts as it is sent.
    assert_eq!(effects, sent_with_timeout(vec![(to(1), fetch(2, 2, 1, 0, None, 0))]));
    assert!(follower.wanted_timers(ctx(&cfg, 2)).contains(&Timer::FetchTimeout(P0)));

    // No answer (the leader's process was not listening yet): back off, as after an error...
    assert_eq!(tick(&mut follower, &cfg, 2, Timer::FetchTimeout(P0)), Effects::default());
    assert_eq!(*role(&follower), Role::Follower(FetchState::Backoff { truncating: false }));
    let wanted = follower.wanted_timers(ctx(&cfg, 2));
    assert!(wanted.contains(&Timer::FetchBackoff(P0)) && !wanted.contains(&Timer::FetchTimeout(P0)));
    // ...then the same fetch again, on a clock of its own.
    let e = tick(&mut follower, &cfg, 2, Timer::FetchBackoff(P0));
    assert_eq!(e, sent_with_timeout(vec![(to(1), fetch(2, 2, 1, 0, None, 0))]));

    // Each answer's next fetch restarts the clock: a follower in steady contact never times out.
    let e = step(&mut follower, &cfg, 2, fetch_response(1, 0, records(vec![rec(1, 0)], 0)));
    assert_eq!(e, Effects { save_disk: true, ..sent_with_timeout(vec![(to(1), fetch(2, 2, 1, 1, Some(1), 0))]) });

    // A time-out that fires when nothing is in flight changes nothing.
    let mut idle = follower.clone();
    idle.set_fetch_state(P0, FetchState::Idle);
    let before = idle.clone();
    assert_eq!(tick(&mut idle, &cfg, 2, Timer::FetchTimeout(P0)), Effects::default());
    assert_eq!(idle, before);
}

#[test]
fn without_the_controller_request_timeout_an_unanswered_alter_partition_waits_for_good() {
    let cfg = Config::default();
    let leader = expansion_proposed(&cfg);
    never_armed(&leader, &cfg, 1, Timer::ControllerRequestTimeout);
}

#[test]
fn an_unanswered_alter_partition_is_sent_again_unchanged_until_answered() {
    let mut cfg = Config::default();
    cfg.runtime.controller_request_timeout = true;
    let mut leader = boot(&cfg, 1);
    step(&mut leader, &cfg, 1, Msg::PartitionChange(meta(Some(1), 1, 2, &[1, 2])));
    step(&mut leader, &cfg, 1, fetch(2, 2, 1, 0, None, 0));
    // While the request is unanswered the timer is wanted (armed when it is not already).
    let e = step(&mut leader, &cfg, 1, fetch(3, 3, 1, 0, None, 0));
    let sent = fx(vec![(Address::Controller, proposal_of_all_three())], false);
    assert_eq!(e, sent);
    assert!(leader.wanted_timers(ctx(&cfg, 1)).contains(&Timer::ControllerRequestTimeout));

    // Broker 3 restarts and fetches in broker epoch 4; the request sent again is the one first
    // proposed, with broker 3's epoch as it was then (KIP-903: a new incarnation is proposed on
    // its own fetches, once this change is settled).
    step(&mut leader, &cfg, 1, fetch(3, 4, 1, 0, None, 0));
    assert_eq!(tick(&mut leader, &cfg, 1, Timer::ControllerRequestTimeout), sent);

    // A refusal that leaves the change pending is an answer: nothing more is sent.
    let refused = alter_partition_answer(2, Err(AlterPartitionError::InvalidUpdateVersion));
    step(&mut leader, &cfg, 1, refused);
    assert!(!leader.wanted_timers(ctx(&cfg, 1)).contains(&Timer::ControllerRequestTimeout));
    assert_eq!(tick(&mut leader, &cfg, 1, Timer::ControllerRequestTimeout), Effects::default());
}

#[test]
fn without_the_controller_request_timeout_an_unanswered_registration_waits_for_good() {
    let cfg = Config::default();
    let mut broker = boot(&cfg, 2);
    tick(&mut broker, &cfg, 2, Timer::Crash);
    tick(&mut broker, &cfg, 2, Timer::Restart);
    never_armed(&broker, &cfg, 2, Timer::ControllerRequestTimeout);
}

#[test]
fn an_unanswered_registration_is_sent_again_unchanged_until_accepted() {
    let mut cfg = Config { budget: FaultBudget { shutdowns: 1, ..FaultBudget::default() }, ..Config::default() };
    cfg.runtime.controller_request_timeout = true;
    let mut broker = boot(&cfg, 2);
    tick(&mut broker, &cfg, 2, Timer::Shutdown);
    step(&mut broker, &cfg, 2, Msg::ShutdownAccepted { broker_epoch: BrokerEpoch(2) });
    // The clean-shutdown marker is removed at startup; the request keeps its epoch.
    let register =
        Msg::RegisterBroker { broker: b(2), previous_epoch: Some(BrokerEpoch(2)), incarnation: Incarnation(1) };
    let e = tick(&mut broker, &cfg, 2, Timer::Restart);
    let sent = fx(vec![(Address::Controller, register.clone())], false);
    assert_eq!(e, Effects { save_disk: true, ..sent.clone() });
    assert_eq!(broker.disk.clean_shutdown_epoch, None);
    assert!(broker.wanted_timers(ctx(&cfg, 2)).contains(&Timer::ControllerRequestTimeout));
    let e = tick(&mut broker, &cfg, 2, Timer::ControllerRequestTimeout);
    assert_eq!(e, sent);

    // Accepted: registered, and the timer is no longer wanted.
    step(
        &mut broker,
        &cfg,
        2,
        Msg::RegistrationAccepted { broker_epoch: BrokerEpoch(4), partitions: vec![], incarnation: Incarnation(1) },
    );
    assert_eq!(broker.broker_epoch(), Some(BrokerEpoch(4)));
    assert!(!broker.wanted_timers(ctx(&cfg, 2)).contains(&Timer::ControllerRequestTimeout));
    assert_eq!(tick(&mut broker, &cfg, 2, Timer::ControllerRequestTimeout), Effects::default());
}

#[test]
fn a_registering_broker_ignores_the_answer_to_a_process_that_died_before_it() {
    let cfg = Config::default();
    let mut broker = boot(&cfg, 2);
    tick(&mut broker, &cfg, 2, Timer::Crash);
    tick(&mut broker, &cfg, 2, Timer::Restart);
    tick(&mut broker, &cfg, 2, Timer::PowerLoss);
    tick(&mut broker, &cfg, 2, Timer::Restart);
    // Process 1's answer arrives at process 2: not its own.
    let stale =
        Msg::RegistrationAccepted { broker_epoch: BrokerEpoch(4), partitions: vec![], incarnation: Incarnation(1) };
    let before = broker.clone();
    assert_eq!(step(&mut broker, &cfg, 2, stale), Effects::default());
    assert_eq!(broker, before);
    let own =
        Msg::RegistrationAccepted { broker_epoch: BrokerEpoch(5), partitions: vec![], incarnation: Incarnation(2) };
    step(&mut broker, &cfg, 2, own);
    assert_eq!(broker.broker_epoch(), Some(BrokerEpoch(5)));
}
