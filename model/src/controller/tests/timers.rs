//! Which timers the controller wants (sessions, by the budget; the auto-rebalance check), and the
//! preferred election it runs.

use super::*;

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
