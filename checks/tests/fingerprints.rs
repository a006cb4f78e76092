//! The incremental fingerprints of `engine::successors::Actors` against the whole-state ones: for
//! every transition of a small kelp configuration the fingerprint predicted from the handler's
//! output equals the one computed from the successor, the successor `Actors` builds (applying the
//! handler's output to the parent itself) equals the one stateright's `next_state` builds, the
//! parent is as it was once its successors are visited, and
//! two states get the same fingerprint exactly when stateright's `Hash` makes them equal (same
//! unique count); for 64- and 128-bit fingerprints alike. `Actors` lists a state's actions itself:
//! they are exactly stateright's actions that have a successor.

mod common;

use kelp_checks::engine::fingerprint::Fingerprint;
use kelp_checks::engine::successors::{Actors, Step, Successors, Whole};
use kelp_model::config::Config;
use kelp_model::config::Retries;
use kelp_model::system::{build, KelpModel};
use stateright::actor::LossyNetwork;
use stateright::Model;
use std::collections::{HashSet, VecDeque};
use std::sync::Arc;

#[test]
fn every_predicted_64_bit_fingerprint_is_the_successors_own() {
    predictions_hold::<u64>();
}

#[test]
fn every_predicted_128_bit_fingerprint_is_the_successors_own() {
    predictions_hold::<u128>();
}

/// A crash-only cluster, and the same with two controller candidates whose first controller's
/// session expires, without epoch fencing (writes, stamped requests, a zombie).
fn configs() -> [Config; 2] {
    let crash = Config { records: 1, retries: Retries::Times(1), budget: common::crashes_only(1), ..Config::default() };
    let mut candidates = Config { controllers: 2, controller_epoch_fencing: false, ..crash.clone() };
    candidates.budget.controller_session_expiries = 1;
    [crash, candidates]
}

fn predictions_hold<F: Fingerprint>() {
    for cfg in configs() {
        predictions_hold_for::<F>(build(cfg));
    }
    // stateright's own faults (kelp models its own): actions `Actors` leaves to stateright.
    let [crash, _] = configs();
    predictions_hold_for::<F>(build(crash).max_crashes(1).lossy_network(LossyNetwork::Yes));
}

fn predictions_hold_for<F: Fingerprint>(model: KelpModel) {
    let actors = Actors::new(&model);
    let whole = Whole(&model);
    let init = model.init_states().remove(0);
    let mut seen_actors: HashSet<F> = HashSet::from([actors.fingerprint(&init)]);
    let mut seen_whole: HashSet<F> = HashSet::from([whole.fingerprint(&init)]);
    let mut queue = VecDeque::from([init]);
    let mut transitions = 0;
    while let Some(mut state) = queue.pop_front() {
        if seen_actors.len() > 30_000 {
            break;
        }
        let fp: F = actors.fingerprint(&state);
        let parent = state.clone();
        let mut listed = Vec::new();
        actors.for_each(&mut state, fp, &|_| false, &mut |action, step, _| {
            let action = action.into_owned();
            listed.push(action.clone());
            let Step::New(predicted, next) = step else { panic!("nothing is seen") };
            assert_eq!(predicted, actors.fingerprint(&next), "after {action:?}");
            let built = model.next_state(&parent, action.clone()).expect("a successor");
            assert!(*next == built, "stateright builds the same successor after {action:?}");
            transitions += 1;
            if !Model::within_boundary(&model, &next) {
                return;
            }
            let new_whole = seen_whole.insert(whole.fingerprint(&next));
            assert_eq!(seen_actors.insert(predicted), new_whole, "both fingerprints tell the same states apart");
            if new_whole {
                queue.push_back(next.into_owned());
            }
        });
        assert!(state == parent, "the parent is put back after its successors are made in it");
        let mut expected = Vec::new();
        model.actions(&state, &mut expected);
        expected.retain(|action| model.next_state(&state, action.clone()).is_some());
        listed.sort();
        expected.sort();
        assert_eq!(listed, expected, "the actions of {state:?}");
    }
    assert!(transitions > 100_000, "{transitions} transitions checked");
}

/// A state one thread made, expanded by another, is adopted there first: the same state, with
/// the same fingerprint and the same successors, holding that thread's copies of its actors'
/// states (found again by address the next time).
#[test]
fn an_adopted_state_is_the_same_state_with_the_adopting_threads_copies() {
    let [crash, _] = configs();
    let model = build(crash);
    let actors = Actors::new(&model);
    let successors = |state: &mut <KelpModel as Model>::State| {
        let mut found = Vec::new();
        let fp: u64 = actors.fingerprint(state);
        actors.for_each(state, fp, &|_| false, &mut |_, step, _| {
            let Step::New(fp, next) = step else { panic!("nothing is seen") };
            found.push((fp, next.into_owned()));
        });
        found
    };
    let mut states = vec![model.init_states().remove(0)];
    while states.len() < 300 {
        let mut parent = states[states.len() / 2].clone();
        states.extend(successors(&mut parent).into_iter().map(|(_, next)| next));
    }
    let made_here: Vec<(u64, Vec<u64>)> = states
        .iter()
        .map(|state| (actors.fingerprint(state), successors(&mut state.clone()).iter().map(|(fp, _)| *fp).collect()))
        .collect();
    std::thread::scope(|scope| {
        scope.spawn(|| {
            for (state, (fp, next)) in states.iter().zip(&made_here) {
                let mut adopted = state.clone();
                actors.adopt(&mut adopted);
                assert!(adopted == *state);
                let copies = adopted.actor_states.iter().zip(&state.actor_states);
                assert!(copies.clone().all(|(mine, theirs)| !Arc::ptr_eq(mine, theirs)), "this thread's copies");
                assert_eq!(actors.fingerprint(&adopted), *fp);
                let mut again = state.clone();
                actors.adopt(&mut again);
                let same = again.actor_states.iter().zip(&adopted.actor_states);
                assert!(same.clone().all(|(a, b)| Arc::ptr_eq(a, b)), "the same copies again");
                let found: Vec<u64> = successors(&mut adopted).iter().map(|(fp, _)| *fp).collect();
                assert_eq!(found, *next, "the same successors, in the same order");
            }
        });
    });
}
