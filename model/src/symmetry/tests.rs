//! The symmetry groups of known configurations, and the laws a sound reduction needs, checked on
//! states the model reaches (a BFS prefix plus seeded random walks deep enough for crashes,
//! restarts and re-elections): renaming is invertible and composes, the model's steps, boundary
//! and property verdicts commute with renaming, `representative` picks one state per orbit, and a
//! search that deduplicates by representative reaches exactly the orbits of the full search.

use super::{stable_key, Permutation, Rename, Symmetry};
use crate::actor::KelpState;
use crate::config::{Acks, Config, FaultBudget, Retries, TruncationRule};
use crate::ids::{BrokerId, ProducerId};
use crate::properties;
use crate::system::{build, KelpModel, SystemState};
use proptest::prelude::*;
use stateright::Model;
use std::collections::{HashSet, VecDeque};

fn b(ids: &[u8]) -> Vec<BrokerId> {
    ids.iter().copied().map(BrokerId).collect()
}

fn p(ids: &[u8]) -> Vec<ProducerId> {
    ids.iter().map(|&p| ProducerId(u32::from(p))).collect()
}

fn perm(brokers: &[u8], producers: &[u8]) -> Permutation {
    Permutation::new(b(brokers), p(producers)).expect("a bijection")
}

/// Two producers, every fault kind in the budget (a cut link to one producer too).
fn two_producers() -> Config {
    Config {
        producers: 2,
        budget: FaultBudget { shutdowns: 1, link_cuts: 1, ..FaultBudget::default() },
        ..Config::default()
    }
}

/// Brokers 3 and 4 assigned nowhere (one partition, RF 2), two producers, and two controller
/// candidates without epoch fencing (writes, stamped requests and a zombie's, a coordinator).
fn spare_brokers() -> Config {
    let mut cfg = Config {
        brokers: 4,
        replication_factor: 2,
        min_insync_replicas: 1,
        controllers: 2,
        controller_epoch_fencing: false,
        ..two_producers()
    };
    cfg.budget.controller_session_expiries = 1;
    cfg
}

/// Two partitions, KIP-279 truncation (OffsetsForLeaderEpoch messages), auto rebalance
/// (preferred elections), acks=1, producers that retry for ever and an operator who demotes.
fn two_partitions() -> Config {
    Config {
        partitions: 2,
        truncation: TruncationRule::Kip279,
        auto_leader_rebalance: true,
        acks: Acks::One,
        retries: Retries::Forever,
        operator_demotes: true,
        ..two_producers()
    }
}

fn successors(model: &KelpModel, state: &SystemState) -> Vec<SystemState> {
    let mut actions = Vec::new();
    model.actions(state, &mut actions);
    actions
        .into_iter()
        .filter_map(|a| model.next_state(state, a))
        .filter(|s| Model::within_boundary(model, s))
        .collect()
}

/// The first `limit` states of a BFS, then the states of seeded random walks `depth` steps deep.
fn sample(cfg: &Config, limit: usize, walks: usize, depth: usize) -> Vec<SystemState> {
    let model = build(cfg.clone());
    let init = model.init_states().remove(0);
    let mut seen = HashSet::from([init.clone()]);
    let mut queue = VecDeque::from([init.clone()]);
    let mut out = Vec::new();
    while let Some(s) = queue.pop_front() {
        if out.len() >= limit {
            break;
        }
        for t in successors(&model, &s) {
            if seen.insert(t.clone()) {
                queue.push_back(t);
            }
        }
        out.push(s);
    }
    let mut rng: u64 = 0x6b656c70;
    for _ in 0..walks {
        let mut s = init.clone();
        for _ in 0..depth {
            let next = successors(&model, &s);
            if next.is_empty() {
                break;
            }
            rng = rng.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            s = next[(rng >> 33) as usize % next.len()].clone();
            if seen.insert(s.clone()) {
                out.push(s.clone());
            }
        }
    }
    out
}

// ---- The groups.

#[test]
fn the_default_configuration_has_no_symmetry() {
    let g = Symmetry::of(&Config::default());
    assert!(g.is_trivial());
    assert_eq!(g.order(), 1);
    assert_eq!(g.elements(), &[Permutation::identity(3, 1)]);
    assert_eq!(g.to_string(), "none");
}

#[test]
fn producers_configured_alike_are_interchangeable() {
    let g = Symmetry::of(&two_producers());
    assert_eq!(g.elements(), &[perm(&[1, 2, 3], &[1, 2]), perm(&[1, 2, 3], &[2, 1])]);
    assert_eq!(g.broker_classes(), &[] as &[Vec<BrokerId>]);
    assert_eq!(g.producer_classes(), &[p(&[1, 2])]);
    assert_eq!(g.to_string(), "producers {1,2} interchangeable");
    assert_eq!(g.elements()[1].to_string(), "(p1 p2)");

    // Whatever acks: with acks=0 every record goes at once.
    let acks0 = Symmetry::of(&Config { producers: 3, acks: Acks::Zero, ..Config::default() });
    assert_eq!(acks0.order(), 6);
    assert_eq!(acks0.to_string(), "producers {1,2,3} interchangeable");
}

#[test]
fn only_brokers_outside_every_assignment_are_interchangeable() {
    let g = Symmetry::of(&spare_brokers());
    assert_eq!(
        g.elements(),
        &[
            perm(&[1, 2, 3, 4], &[1, 2]),
            perm(&[1, 2, 3, 4], &[2, 1]),
            perm(&[1, 2, 4, 3], &[1, 2]),
            perm(&[1, 2, 4, 3], &[2, 1]),
        ]
    );
    assert_eq!(g.broker_classes(), &[b(&[3, 4])]);
    assert_eq!(g.to_string(), "brokers {3,4} interchangeable, producers {1,2} interchangeable");
    assert_eq!(g.elements()[3].to_string(), "(b3 b4)(p1 p2)");

    // One spare broker is no symmetry.
    let one_spare = Config { brokers: 4, ..Config::default() };
    assert!(Symmetry::of(&one_spare).is_trivial());
    // Every broker assigned somewhere, each at its own position: none.
    let rotated = Config { brokers: 3, replication_factor: 2, partitions: 3, ..Config::default() };
    assert!(Symmetry::of(&rotated).is_trivial());
    // Partitions 0 [1,2] and 1 [2,3]: brokers 4 and 5 are spare.
    let two_spares = Config { brokers: 5, replication_factor: 2, partitions: 2, ..Config::default() };
    let g = Symmetry::of(&two_spares);
    assert_eq!(g.elements(), &[perm(&[1, 2, 3, 4, 5], &[1]), perm(&[1, 2, 3, 5, 4], &[1])]);
    assert_eq!(g.to_string(), "brokers {4,5} interchangeable");
}

// ---- Permutations.

fn arb_permutation(n: usize) -> impl Strategy<Value = Vec<u8>> {
    Just((1..=n as u8).collect::<Vec<u8>>()).prop_shuffle()
}

fn arb_one(nb: usize, np: usize) -> impl Strategy<Value = Permutation> {
    (arb_permutation(nb), arb_permutation(np)).prop_map(|(bs, ps)| {
        Permutation::new(
            bs.into_iter().map(BrokerId).collect(),
            ps.into_iter().map(|p| ProducerId(u32::from(p))).collect(),
        )
        .expect("shuffles are bijections")
    })
}

fn arb_triple() -> impl Strategy<Value = (Permutation, Permutation, Permutation)> {
    (1usize..=6, 0usize..=4).prop_flat_map(|(nb, np)| (arb_one(nb, np), arb_one(nb, np), arb_one(nb, np)))
}

proptest! {
    #[test]
    fn permutations_form_a_group((x, y, z) in arb_triple()) {
        let id = Permutation::identity(x.broker_count(), x.producer_count());
        prop_assert_eq!(x.then(&x.inverse()), id.clone());
        prop_assert_eq!(x.inverse().then(&x), id.clone());
        prop_assert_eq!(x.then(&id), x.clone());
        prop_assert_eq!(x.then(&y).then(&z), x.then(&y.then(&z)));
        prop_assert_eq!(x.then(&y).inverse(), y.inverse().then(&x.inverse()));
        // `then` applies the left one first.
        for i in 1..=x.broker_count() {
            prop_assert_eq!(x.then(&y).broker(BrokerId(i)), y.broker(x.broker(BrokerId(i))));
        }
        // On actor indices: a bijection that keeps the controller, brokers and producers apart.
        let n = 1 + usize::from(x.broker_count()) + usize::from(x.producer_count());
        let images: HashSet<usize> = (0..n).map(|i| x.actor_index(i)).collect();
        prop_assert_eq!(images.len(), n);
        prop_assert_eq!(x.actor_index(0), 0);
        for i in 1..n {
            let is_broker = |j: usize| j <= usize::from(x.broker_count());
            prop_assert_eq!(is_broker(i), is_broker(x.actor_index(i)));
        }
    }
}

#[test]
fn only_bijections_are_permutations() {
    assert!(Permutation::new(b(&[1, 1]), p(&[])).is_none());
    assert!(Permutation::new(b(&[1, 3]), p(&[])).is_none());
    assert!(Permutation::new(b(&[2, 1]), p(&[0])).is_none());
    assert!(Permutation::new(b(&[2, 1]), p(&[1])).is_some());
    assert!(Permutation::identity(3, 2).is_identity());
    assert_eq!(Permutation::identity(3, 2).to_string(), "identity");
}

// ---- Renaming states.

/// Every configuration with a non-trivial group, with the states sampled from its model.
fn samples() -> Vec<(Config, Vec<SystemState>)> {
    [two_producers(), spare_brokers(), two_partitions()]
        .into_iter()
        .map(|cfg| {
            let states = sample(&cfg, 300, 12, 60);
            (cfg, states)
        })
        .collect()
}

#[test]
fn renaming_is_invertible_and_composes() {
    for (cfg, states) in samples() {
        let g = Symmetry::of(&cfg);
        assert!(!g.is_trivial());
        for s in &states {
            assert_eq!(&s.rename(&g.elements()[0]), s, "the identity renames nothing");
            for x in g.elements() {
                let renamed = s.rename(x);
                assert_eq!(&renamed.rename(&x.inverse()), s, "{x} then its inverse");
                for y in g.elements() {
                    assert_eq!(renamed.rename(y), s.rename(&x.then(y)), "{x} then {y}");
                }
            }
        }
    }
}

/// The law soundness rests on: g(s) steps to exactly the renamed successors of s, and the boundary
/// agrees.
#[test]
fn the_model_commutes_with_every_group_element() {
    for (cfg, states) in samples() {
        let model = build(cfg.clone());
        let g = Symmetry::of(&cfg);
        for s in &states {
            let next = successors(&model, s);
            for x in &g.elements()[1..] {
                let renamed = s.rename(x);
                assert_eq!(Model::within_boundary(&model, &renamed), Model::within_boundary(&model, s));
                let from_renamed: HashSet<SystemState> = successors(&model, &renamed).into_iter().collect();
                let renamed_next: HashSet<SystemState> = next.iter().map(|t| t.rename(x)).collect();
                assert!(from_renamed == renamed_next, "{x} does not commute with the steps of {s:#?}");
            }
        }
    }
}

#[test]
fn representative_is_one_per_orbit_and_idempotent() {
    for (cfg, states) in samples() {
        let g = Symmetry::of(&cfg);
        let mut orbits = HashSet::new();
        for s in &states {
            let rep = g.representative(s).into_owned();
            assert_eq!(g.representative(&rep).as_ref(), &rep, "idempotent");
            assert!(g.elements().iter().any(|x| s.rename(x) == rep), "in the orbit");
            for x in g.elements() {
                assert_eq!(g.representative(&s.rename(x)).as_ref(), &rep, "the same for {x}");
            }
            orbits.insert(rep);
        }
        assert!(orbits.len() < states.len(), "the group merges some sampled states");
    }
}

#[test]
fn a_trivial_group_borrows_the_state() {
    let cfg = Config::default();
    let state = build(cfg.clone()).init_states().remove(0);
    assert!(matches!(Symmetry::of(&cfg).representative(&state), std::borrow::Cow::Borrowed(_)));
}

#[test]
fn symmetry_keeps_every_verdict() {
    for (cfg, states) in samples() {
        let model = build(cfg.clone());
        let g = Symmetry::of(&cfg);
        for s in &states {
            let rep = g.representative(s);
            for prop in properties::ALL {
                let verdict = (prop.condition)(&model, s);
                assert_eq!((prop.condition)(&model, &rep), verdict, "{} on the representative", prop.name);
                for x in g.elements() {
                    assert_eq!((prop.condition)(&model, &s.rename(x)), verdict, "{} under {x}", prop.name);
                }
            }
        }
    }
}

/// Records in every broker's log written by `producer`.
fn records_of(state: &SystemState, producer: ProducerId) -> usize {
    state
        .actor_states
        .iter()
        .filter_map(|a| match &**a {
            KelpState::Broker(broker) => Some(broker),
            _ => None,
        })
        .flat_map(|broker| broker.disk.replicas.iter())
        .flat_map(|replica| replica.log.records.iter())
        .filter(|r| r.producer == producer)
        .count()
}

#[test]
fn renaming_producers_renames_the_records_in_the_logs() {
    let cfg = two_producers();
    let states = sample(&cfg, 300, 12, 60);
    let swap = perm(&[1, 2, 3], &[2, 1]);
    let uneven = states
        .iter()
        .find(|s| records_of(s, ProducerId(1)) != records_of(s, ProducerId(2)))
        .expect("a state where one producer wrote more than the other");
    let swapped = uneven.rename(&swap);
    assert_ne!(&swapped, uneven);
    assert_eq!(records_of(&swapped, ProducerId(1)), records_of(uneven, ProducerId(2)));
    assert_eq!(records_of(&swapped, ProducerId(2)), records_of(uneven, ProducerId(1)));
    assert_ne!(stable_key(&swapped), stable_key(uneven));
}

#[test]
fn renaming_spare_brokers_moves_their_registrations_and_timers() {
    let cfg = spare_brokers();
    let init = build(cfg.clone()).init_states().remove(0);
    let swapped = init.rename(&perm(&[1, 2, 4, 3], &[1, 2]));
    let controller = |s: &SystemState| s.actor_states[0].as_controller().expect("controller").clone();
    // Bootstrap broker epochs equal broker ids: broker 4 now holds broker 3's registration.
    assert_eq!(controller(&swapped).brokers[3], controller(&init).brokers[2]);
    assert_eq!(controller(&swapped).brokers[2], controller(&init).brokers[3]);
    assert_eq!(swapped.actor_states[4], init.actor_states[3]);
    assert_eq!(swapped.timers_set[0], init.timers_set[0].rename(&perm(&[1, 2, 4, 3], &[1, 2])));
    assert_ne!(swapped, init);
}

// ---- The reduced search.

/// Every reachable state, by plain BFS.
fn full_search(model: &KelpModel) -> HashSet<SystemState> {
    let mut seen: HashSet<SystemState> = model.init_states().into_iter().collect();
    let mut queue: VecDeque<SystemState> = seen.iter().cloned().collect();
    while let Some(s) = queue.pop_front() {
        for t in successors(model, &s) {
            if seen.insert(t.clone()) {
                queue.push_back(t);
            }
        }
    }
    seen
}

/// BFS keeping one state per representative, expanding the states as found.
fn reduced_search(model: &KelpModel, g: &Symmetry) -> HashSet<SystemState> {
    let mut reps = HashSet::new();
    let mut queue = VecDeque::new();
    for s in model.init_states() {
        if reps.insert(g.representative(&s).into_owned()) {
            queue.push_back(s);
        }
    }
    while let Some(s) = queue.pop_front() {
        for t in successors(model, &s) {
            if reps.insert(g.representative(&t).into_owned()) {
                queue.push_back(t);
            }
        }
    }
    reps
}

#[test]
fn the_reduced_search_reaches_exactly_the_orbits_of_the_full_search() {
    // Broker 1 holds the only replica; 2 and 3 are spare and can crash and come back.
    let cfg = Config {
        brokers: 3,
        replication_factor: 1,
        min_insync_replicas: 1,
        producers: 2,
        records: 1,
        retries: Retries::Times(0),
        budget: FaultBudget { crashes: 1, leader_epochs: 2, restarts: Some(1), ..FaultBudget::none() },
        ..Config::default()
    };
    let model = build(cfg.clone());
    let g = Symmetry::of(&cfg);
    assert_eq!(g.order(), 4);
    let full = full_search(&model);
    let orbits: HashSet<SystemState> = full.iter().map(|s| g.representative(s).into_owned()).collect();
    let reduced = reduced_search(&model, &g);
    assert_eq!(reduced, orbits);
    assert!(orbits.len() < full.len(), "{} orbits of {} states", orbits.len(), full.len());
}

/// Why the group leaves assigned brokers alone. The assignment travels in the state (every
/// partition record carries `replicas`), so renaming an assigned broker renames the assignment
/// too: the result commutes with the model's steps, but is a state of another assignment, never
/// one the configuration reaches. Such an element would merge no reachable states, only cost time.
#[test]
fn moving_an_assigned_broker_merges_no_reachable_states() {
    let cfg = two_producers();
    let states = sample(&cfg, 300, 12, 60);
    let sampled: HashSet<&SystemState> = states.iter().collect();
    let swap = perm(&[1, 3, 2], &[1, 2]);
    for s in &states {
        let renamed = s.rename(&swap);
        let controller = renamed.actor_states[0].as_controller().expect("controller");
        assert_eq!(controller.partitions[0].replicas, b(&[1, 3, 2]));
        assert!(!sampled.contains(&renamed));
    }
    let wider = Symmetry::from_classes(&cfg, vec![b(&[2, 3])], vec![p(&[1, 2])]);
    assert_eq!(wider.order(), 4);
    let orbits = |g: &Symmetry| states.iter().map(|s| g.representative(s).into_owned()).collect::<HashSet<_>>().len();
    assert_eq!(orbits(&wider), orbits(&Symmetry::of(&cfg)));
}
