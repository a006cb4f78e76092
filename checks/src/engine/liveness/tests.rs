//! The fair-cycle search on small hand-made graphs: node `i` has fingerprint `100 + i`; a target
//! of 999 is a state where the property holds (not recorded).

use super::scc::Adjacency;
use super::*;

const HOLDS: u64 = 999;

fn fp(node: u32) -> u64 {
    100 + u64::from(node)
}

/// A node: its successors (node number or `HOLDS`, class) and the classes of cut successors.
struct N(&'static [(u64, Option<u64>)], &'static [Option<u64>]);

fn record(recorder: &mut Recorder<u64>, fp: u64, failing: u64, edges: Vec<(u64, Option<u64>)>, cut: &[Option<u64>]) {
    let mut batch = Batch::default();
    batch.push(fp, failing, &Transitions { edges, cut: cut.to_vec() });
    recorder.record([batch]);
}

/// Node `node`'s successors, as recorded.
fn edges_of(N(edges, _): &N) -> Vec<(u64, Option<u64>)> {
    edges.iter().map(|&(t, c)| (if t == HOLDS { HOLDS } else { fp(t as u32) }, c)).collect()
}

fn graph(nodes: &[N]) -> Graph<u64> {
    let mut recorder = Recorder::<u64>::default();
    for (i, node) in nodes.iter().enumerate() {
        record(&mut recorder, fp(i as u32), 1, edges_of(node), node.1);
    }
    recorder.finish()
}

const DELIVER: Option<u64> = Some(7);
const RESTART: Option<u64> = Some(8);

#[test]
fn an_unfair_world_loops_forever() {
    // 0 -> 1 -> 2 -> 1: faults only (no class).
    let g = graph(&[N(&[(1, None)], &[]), N(&[(2, None)], &[]), N(&[(1, None)], &[])]);
    assert_eq!(g.violation(g.cycles(0)), Some(Violation { entry: fp(1), cycle: vec![fp(2), fp(1)] }));
}

#[test]
fn a_delivery_enabled_all_along_the_cycle_must_happen() {
    // 0 <-> 1, and from both the delivery leads out to a state where the property holds.
    let g = graph(&[N(&[(1, None), (HOLDS, DELIVER)], &[]), N(&[(0, None), (HOLDS, DELIVER)], &[])]);
    assert_eq!(g.violation(g.cycles(0)), None);
}

#[test]
fn a_delivery_disabled_somewhere_on_the_cycle_need_not_happen() {
    let g = graph(&[N(&[(1, None), (HOLDS, DELIVER)], &[]), N(&[(0, None)], &[])]);
    assert_eq!(g.violation(g.cycles(0)), Some(Violation { entry: fp(0), cycle: vec![fp(1), fp(0)] }));
}

#[test]
fn a_class_taken_inside_the_cycle_is_honoured_by_the_cycle_built() {
    // 0 -> 1 (deliver), 1 -> 0 (restart), 0 -> 2 (fault), 2 -> 0 (restart), 1 -> out (deliver).
    // Deliver and restart are enabled in 0 and 1; 2 has only restart: deliver is disabled there.
    let g = graph(&[
        N(&[(1, DELIVER), (2, None)], &[]),
        N(&[(0, RESTART), (HOLDS, DELIVER)], &[]),
        N(&[(0, RESTART)], &[]),
    ]);
    let found = g.violation(g.cycles(0)).expect("a fair cycle");
    assert_eq!(found.entry, fp(0));
    assert_eq!(found.cycle.last(), Some(&fp(0)));
    // The cycle visits 2 (where delivery is disabled) and takes a restart.
    assert!(found.cycle.contains(&fp(2)), "{:?}", found.cycle);
}

#[test]
fn a_recovery_cut_off_by_a_bound_keeps_the_cycle_unfair() {
    let g = graph(&[N(&[(1, None)], &[RESTART]), N(&[(0, None)], &[RESTART])]);
    assert_eq!(g.violation(g.cycles(0)), None);
}

#[test]
fn a_state_with_nothing_left_to_do_is_a_deadlock() {
    let g = graph(&[N(&[(1, DELIVER)], &[]), N(&[], &[])]);
    assert_eq!(g.violation(g.cycles(0)), Some(Violation { entry: fp(1), cycle: Vec::new() }));
}

#[test]
fn a_state_whose_future_is_cut_off_is_no_deadlock() {
    let g = graph(&[N(&[(1, DELIVER)], &[]), N(&[], &[RESTART])]);
    assert_eq!(g.violation(g.cycles(0)), None);
}

#[test]
fn the_violation_first_in_bfs_order_is_reported() {
    // A deadlock at 3 and a cycle 1 <-> 2: the cycle's entry comes first.
    let g = graph(&[N(&[(1, None), (3, None)], &[]), N(&[(2, None)], &[]), N(&[(1, None)], &[]), N(&[], &[])]);
    assert_eq!(g.violation(g.cycles(0)).map(|v| v.entry), Some(fp(1)));
}

#[test]
fn other_properties_failing_states_are_not_part_of_the_cycle() {
    let mut recorder = Recorder::<u64>::default();
    record(&mut recorder, fp(0), 0b01, vec![(fp(1), None)], &[]);
    record(&mut recorder, fp(1), 0b10, vec![(fp(0), None)], &[]);
    let g = recorder.finish();
    assert_eq!(g.violation(g.cycles(0)), None);
    assert_eq!(g.violation(g.cycles(1)), None);
}

#[test]
fn states_recorded_together_or_one_by_one_make_the_same_graph() {
    // 0 -> 1 -> 2 -> 1; 2 and 3 also lead to states where the property holds; 3 has a cut.
    let nodes = [
        N(&[(1, None)], &[]),
        N(&[(2, DELIVER)], &[]),
        N(&[(1, None), (HOLDS, RESTART)], &[]),
        N(&[(HOLDS, DELIVER)], &[RESTART]),
    ];
    let separate = graph(&nodes);
    let batch = |states: [usize; 2]| {
        let mut batch = Batch::default();
        for i in states {
            batch.push(fp(i as u32), 1, &Transitions { edges: edges_of(&nodes[i]), cut: nodes[i].1.to_vec() });
        }
        batch
    };
    let mut recorder = Recorder::<u64>::default();
    recorder.record([batch([0, 1]), batch([2, 3])]);
    let together = recorder.finish();
    for node in 0..4 {
        assert_eq!(separate.successors(node), together.successors(node));
        assert_eq!(separate.edge_classes(node), together.edge_classes(node));
        assert_eq!(separate.enabled_at(node), together.enabled_at(node));
    }
    assert_eq!(separate.violation(separate.cycles(0)), together.violation(together.cycles(0)));
    assert_eq!(together.violation(together.cycles(0)), Some(Violation { entry: fp(1), cycle: vec![fp(2), fp(1)] }));
}
