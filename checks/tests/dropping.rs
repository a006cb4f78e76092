//! `Actors::dropping` with kelp's `step_leaves_budget`: the successors a step's new actor state
//! shows to be past the fault budget are dropped before they are made; every other successor is
//! visited as without it, in the same order, with the same fingerprint and the same state. Over
//! the first states of a crash-only cluster (a second crash is past its budget), of one with two
//! controller candidates (a second session expiry is), and of one with one fault in all (a crash
//! or a power loss), each with two leader epochs: some successors lie past that exploration
//! bound, which the liveness check must see, and are never dropped, even where they are past the
//! fault budget too.

mod common;

use kelp_checks::engine::successors::{Actors, Step, Successors};
use kelp_model::actor::KelpState;
use kelp_model::config::{Config, FaultBudget, Retries};
use kelp_model::system::{self, build, KelpModel, SystemState};
use kelp_model::view::View;
use stateright::Model;
use std::collections::{HashSet, VecDeque};

/// A successor as a visit sees it: its action (as text), fingerprint and state.
type Visited = (String, u64, SystemState);

fn visit_all(
    actors: &Actors<'_, kelp_model::actor::KelpActor, Config, (), u64>,
    state: &mut SystemState,
) -> Vec<Visited> {
    let fp = actors.fingerprint(state);
    let mut found = Vec::new();
    actors.for_each(state, fp, &|_| false, &mut |action, step, _| {
        let Step::New(fp, next) = step else { panic!("nothing is seen") };
        found.push((format!("{:?}", action.into_owned()), fp, next.into_owned()));
    });
    found
}

fn drops_exactly_the_successors_past_the_budget(model: &KelpModel) -> usize {
    let leaves = |state: &SystemState, index: usize, next: &KelpState| {
        system::step_leaves_budget(&model.cfg, state, index, next)
    };
    let plain = Actors::new(model);
    let dropping = Actors::new(model).dropping(&leaves);
    let init = model.init_states().remove(0);
    let mut seen = HashSet::from([plain.fingerprint(&init)]);
    let mut queue = VecDeque::from([init]);
    let mut dropped = 0;
    while let Some(mut state) = queue.pop_front().filter(|_| seen.len() < 5_000) {
        let all = visit_all(&plain, &mut state);
        let kept = visit_all(&dropping, &mut state);
        let (within, past): (Vec<Visited>, Vec<Visited>) = all.into_iter().partition(|(_, _, next)| {
            Model::within_boundary(model, next) || system::beyond_exploration_bound(&View::new(&model.cfg, next))
        });
        dropped += past.len();
        assert!(kept == within, "after {state:?}: the successors within the boundary or past the bound");
        for (_, fp, next) in within {
            if Model::within_boundary(model, &next) && seen.insert(fp) {
                queue.push_back(next);
            }
        }
    }
    dropped
}

#[test]
fn dropping_leaves_out_exactly_the_successors_past_the_fault_budget() {
    let crash = Config { records: 1, retries: Retries::Times(1), budget: common::crashes_only(1), ..Config::default() };
    let mut candidates = Config { controllers: 2, ..crash.clone() };
    candidates.budget.controller_session_expiries = 1;
    // One fault in all, a crash or a power loss, with Kafka's defaults otherwise.
    let budget =
        FaultBudget { crashes: 1, power_losses: 1, faults: Some(1), leader_epochs: 2, ..FaultBudget::default() };
    let one_fault = Config { budget, ..Config::default() };
    for cfg in [crash, candidates, one_fault] {
        let dropped = drops_exactly_the_successors_past_the_budget(&build(cfg));
        assert!(dropped > 100, "{dropped} successors dropped");
    }
}
