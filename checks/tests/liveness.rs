//! The native checker's liveness search: cycles that stateright's checker cannot see, weak
//! fairness that rules out the cycles a fair scheduler never takes, and the kelp model under both.

use kelp_checks::engine::bfs::{check, check_with, Observers, Options};
use kelp_checks::engine::liveness::Fairness;
use stateright::{Checker, Model, Property};

/// A client that sends a request and waits; the request may be lost and resent (a retry loop), or
/// answered. `Done` must come, again and again: `eventually` done.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Client {
    Idle,
    Waiting,
    Done,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Step {
    Send,
    Lose,
    Answer,
}

/// `answer_while_idle`: whether the server may answer from `Idle` too (so that answering is enabled
/// all along the retry loop, and weak fairness forces it).
struct RetryLoop {
    answer_while_idle: bool,
}

impl Model for RetryLoop {
    type State = Client;
    type Action = Step;

    fn init_states(&self) -> Vec<Client> {
        vec![Client::Idle]
    }

    fn actions(&self, state: &Client, actions: &mut Vec<Step>) {
        match state {
            Client::Idle => {
                actions.push(Step::Send);
                if self.answer_while_idle {
                    actions.push(Step::Answer);
                }
            }
            Client::Waiting => actions.extend([Step::Lose, Step::Answer]),
            Client::Done => {}
        }
    }

    fn next_state(&self, state: &Client, action: Step) -> Option<Client> {
        Some(match (state, action) {
            (Client::Idle, Step::Send) => Client::Waiting,
            (Client::Waiting, Step::Lose) => Client::Idle,
            (_, Step::Answer) => Client::Done,
            _ => return None,
        })
    }

    fn properties(&self) -> Vec<Property<Self>> {
        vec![Property::<Self>::eventually("done", |_, s| *s == Client::Done)]
    }
}

/// Weak fairness on answering; sending and losing are the environment's (no fairness).
fn answering_is_fair<R>(body: impl FnOnce(Fairness<'_, Client, Step>) -> R) -> R {
    let class = |_: &Client, a: &Step| (*a == Step::Answer).then_some(1);
    let beyond_bound = |_: &Client| false;
    body(Fairness { class: &class, beyond_bound: &beyond_bound })
}

#[test]
fn a_retry_loop_that_never_ends_is_a_lasso_that_stateright_misses() {
    let model = RetryLoop { answer_while_idle: false };
    let outcome = check(&model, 1);
    let path = outcome.discoveries.get("done").expect("the loop breaks `done`");
    assert_eq!(path.clone().into_actions(), vec![Step::Send, Step::Lose]);
    assert_eq!(outcome.loops.get("done"), Some(&0), "the cycle starts at the initial state");
    // stateright judges `eventually` only where a path ends: its only end is `Done`.
    let stateright = RetryLoop { answer_while_idle: false }.checker().spawn_bfs().join();
    assert!(stateright.discovery("done").is_none());
}

#[test]
fn weak_fairness_does_not_force_an_answer_that_comes_and_goes() {
    let model = RetryLoop { answer_while_idle: false };
    let outcome = answering_is_fair(|fairness| {
        check_with::<_, u64>(
            &model,
            Options { threads: 2, fairness: Some(fairness), successors: None },
            Observers::default(),
        )
    });
    assert!(outcome.discoveries.contains_key("done"), "answering is disabled in Idle: the loop is fair");
}

#[test]
fn weak_fairness_forces_an_answer_enabled_all_along_the_loop() {
    let model = RetryLoop { answer_while_idle: true };
    assert!(check(&model, 1).discoveries.contains_key("done"), "without fairness the loop breaks `done`");
    let outcome = answering_is_fair(|fairness| {
        check_with::<_, u64>(
            &model,
            Options { threads: 2, fairness: Some(fairness), successors: None },
            Observers::default(),
        )
    });
    assert!(!outcome.discoveries.contains_key("done"), "a fair run answers");
}

mod common;

/// One record and one crash of the 3-broker cluster: after the crash the controller must fence the
/// dead leader (its session times out) for a new one to be elected.
fn one_crash() -> kelp_model::system::KelpModel {
    use kelp_model::config::Config;
    use kelp_model::config::Retries;
    kelp_model::system::build(Config {
        records: 1,
        retries: Retries::Times(0),
        budget: common::crashes_only(1),
        ..Config::default()
    })
}

#[test]
fn without_fairness_the_controller_may_never_notice_a_dead_leader() {
    let model = one_crash();
    let outcome = check(&model, 2);
    let path = outcome.discoveries.get("eventually-leader").expect("an unfair cycle without a leader");
    assert!(outcome.loops.contains_key("eventually-leader"), "a cycle, not a dead end");
    let actions = format!("{:?}", path.clone().into_actions());
    assert!(actions.contains("Crash"), "the leader crashed on the way: {actions}");
}

#[test]
fn under_fairness_a_new_leader_is_always_elected_after_a_crash() {
    let model = one_crash();
    let cfg = model.cfg.clone();
    let outcome = kelp_checks::fairness::with(&cfg, |fairness| {
        check_with::<_, u64>(
            &model,
            Options { threads: 2, fairness: Some(fairness), successors: None },
            Observers::default(),
        )
    });
    assert!(!outcome.discoveries.contains_key("eventually-leader"));
    assert!(!outcome.discoveries.contains_key("eventually-write-completes"));
}

/// The cycle above, as a trace file: broker 2 fetches from the restarted broker 1 for ever while the
/// controller never reads broker 1's registration. `kelp trace replay` names what fairness forces.
#[test]
fn a_replayed_unfair_cycle_is_refused_by_name() {
    use kelp_checks::trace_file::record::{record, Origin};
    let model = one_crash();
    let outcome = check(&model, 2);
    let property = kelp_model::properties::by_name("eventually-leader").expect("a property");
    let path = outcome.discoveries["eventually-leader"].clone();
    let origin = Origin { scenario: "one-crash", description: "one crash", config: &model.cfg };
    let file = record(origin, property, path, outcome.loops.get("eventually-leader").copied());
    let why = kelp_checks::replay::replay(&file).expect_err("the cycle is unfair");
    assert!(why.starts_with("the cycle is not fair in today's model: "), "{why}");
}
