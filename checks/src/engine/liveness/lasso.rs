//! Which cyclic components of failing states hold a fair cycle, and one such cycle. Weak
//! fairness per class: a cycle is fair when every class enabled in all of its states is taken on
//! it. A component holds a fair cycle exactly when every class enabled in all of its states is
//! taken by some edge inside it (a cycle through every node and edge of the component is then
//! fair); a class enabled everywhere but taken only on edges that leave the component forces
//! every path out of it. The cycle built for the trace passes, for each class enabled somewhere
//! in the component, a state where it is disabled or an edge that takes it: it is fair itself.

use super::scc::Adjacency;
use super::{ClassId, Graph};
use crate::engine::fingerprint::Fingerprint;
use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};

fn inside(component: &[u32], node: u32) -> bool {
    component.binary_search(&node).is_ok()
}

/// The edges from `node` that stay in `component`, with their classes.
fn internal_edges<'g, F: Fingerprint>(
    g: &'g Graph<F>,
    component: &'g [u32],
    node: u32,
) -> impl Iterator<Item = (u32, ClassId)> + 'g {
    g.successors(node)
        .iter()
        .copied()
        .zip(g.edge_classes(node).iter().copied())
        .filter(move |(t, _)| *t != super::scc::OUTSIDE && inside(component, *t))
}

pub fn is_fair<F: Fingerprint>(g: &Graph<F>, component: &[u32]) -> bool {
    let mut enabled_in: HashMap<ClassId, usize> = HashMap::new();
    let mut taken: HashSet<ClassId> = HashSet::new();
    for &node in component {
        for &class in g.enabled_at(node) {
            *enabled_in.entry(class).or_default() += 1;
        }
        taken.extend(internal_edges(g, component, node).map(|(_, c)| c).filter(|&c| c != 0));
    }
    enabled_in.iter().all(|(class, &states)| states < component.len() || taken.contains(class))
}

/// What the cycle must pass to be fair.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Waypoint {
    /// A state where some class is disabled.
    Visit(u32),
    /// An edge that takes a class enabled everywhere.
    Take(u32, u32),
}

/// A fair cycle through the component's first node: the nodes after it, ending with it again.
pub fn fair_cycle<F: Fingerprint>(g: &Graph<F>, component: &[u32]) -> Vec<u32> {
    let entry = component[0];
    let classes: BTreeSet<ClassId> = component.iter().flat_map(|&n| g.enabled_at(n).iter().copied()).collect();
    let mut waypoints: Vec<Waypoint> = Vec::new();
    for class in classes {
        let waypoint = match component.iter().find(|&&n| g.enabled_at(n).binary_search(&class).is_err()) {
            Some(&node) => Waypoint::Visit(node),
            None => {
                let (from, to) = component
                    .iter()
                    .find_map(|&n| internal_edges(g, component, n).find(|(_, c)| *c == class).map(|(t, _)| (n, t)))
                    .expect("a fair component takes every class enabled in all its states");
                Waypoint::Take(from, to)
            }
        };
        if !waypoints.contains(&waypoint) {
            waypoints.push(waypoint);
        }
    }
    let mut cycle = Vec::new();
    let mut at = entry;
    for waypoint in waypoints {
        match waypoint {
            Waypoint::Visit(node) => {
                cycle.extend(shortest_path(g, component, at, node));
                at = node;
            }
            Waypoint::Take(from, to) => {
                cycle.extend(shortest_path(g, component, at, from));
                cycle.push(to);
                at = to;
            }
        }
    }
    if cycle.is_empty() {
        // No class to honour: any cycle through the entry will do.
        let (next, _) = internal_edges(g, component, entry).next().expect("a cyclic component has an edge");
        cycle.push(next);
        at = next;
    }
    cycle.extend(shortest_path(g, component, at, entry));
    cycle
}

/// The nodes after `from` on a shortest path to `to` inside the component (empty if they are equal).
fn shortest_path<F: Fingerprint>(g: &Graph<F>, component: &[u32], from: u32, to: u32) -> Vec<u32> {
    if from == to {
        return Vec::new();
    }
    let mut parent: HashMap<u32, u32> = HashMap::from([(from, from)]);
    let mut queue = VecDeque::from([from]);
    while let Some(node) = queue.pop_front() {
        for (next, _) in internal_edges(g, component, node) {
            if parent.contains_key(&next) {
                continue;
            }
            parent.insert(next, node);
            if next == to {
                let mut path = vec![to];
                while let Some(&p) = parent.get(path.last().expect("not empty")) {
                    if p == from {
                        break;
                    }
                    path.push(p);
                }
                path.reverse();
                return path;
            }
            queue.push_back(next);
        }
    }
    unreachable!("a strongly connected component connects every pair of its nodes")
}
