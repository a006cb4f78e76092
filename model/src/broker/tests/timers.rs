//! Which timers a broker wants, by its role and the fault budget.

use super::*;

#[test]
fn wanted_timers_follow_role_and_budget() {
    let cfg = Config::default();
    let mut leader = boot(&cfg, 1);
    assert_eq!(
        leader.wanted_timers(ctx(&cfg, 1)),
        vec![Timer::Crash, Timer::PowerLoss, Timer::LagTimeout(P0, b(2)), Timer::LagTimeout(P0, b(3))]
    );
    step(&mut leader, &cfg, 1, fetch(2, 2, 1, 0, None, 0));
    step(&mut leader, &cfg, 1, fetch(3, 3, 1, 0, None, 0));
    assert_eq!(leader.wanted_timers(ctx(&cfg, 1)), vec![Timer::Crash, Timer::PowerLoss], "both followers caught up");
    step(&mut leader, &cfg, 1, produce(0));
    assert_eq!(
        leader.wanted_timers(ctx(&cfg, 1)),
        vec![Timer::Crash, Timer::PowerLoss, Timer::LagTimeout(P0, b(2)), Timer::LagTimeout(P0, b(3))]
    );
    // A pending ISR change suspends the lag checks; the spent shrink budget ends them.
    tick(&mut leader, &cfg, 1, Timer::LagTimeout(P0, b(3)));
    assert_eq!(leader.wanted_timers(ctx(&cfg, 1)), vec![Timer::Crash, Timer::PowerLoss]);
    step(&mut leader, &cfg, 1, alter_partition_answer(1, Err(AlterPartitionError::IneligibleReplica)));
    assert_eq!(leader.wanted_timers(ctx(&cfg, 1)), vec![Timer::Crash, Timer::PowerLoss]);

    let follower = boot(&cfg, 2);
    assert_eq!(follower.wanted_timers(ctx(&cfg, 2)), vec![Timer::Crash, Timer::PowerLoss]);

    let mut spent = boot(&cfg, 2);
    spent.faults = FaultsSuffered { crashes: 1, power_losses: 1, ..FaultsSuffered::default() };
    assert_eq!(spent.wanted_timers(ctx(&cfg, 2)), vec![]);

    assert_eq!(
        BrokerState::all_timers(ctx(&cfg, 2)),
        vec![
            Timer::Crash,
            Timer::PowerLoss,
            Timer::Shutdown,
            Timer::Restart,
            Timer::Heartbeat,
            Timer::CutLink(ProducerId(1)),
            Timer::FetchBackoff(P0),
            Timer::LagTimeout(P0, b(1)),
            Timer::LagTimeout(P0, b(3)),
        ]
    );
}
