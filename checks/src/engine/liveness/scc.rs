//! Strongly connected components (Tarjan's algorithm, iterative: the state graphs here have
//! millions of nodes, far past what recursion on the call stack survives) of the subgraph of a
//! graph that a membership test selects.

/// A graph of nodes numbered from 0, each with its successors; a successor of `OUTSIDE` leads
/// out of the graph.
pub trait Adjacency {
    fn nodes(&self) -> usize;
    fn successors(&self, node: u32) -> &[u32];
}

/// A successor that is not a node of the graph.
pub const OUTSIDE: u32 = u32::MAX;

const UNVISITED: u32 = u32::MAX;

/// The components of the subgraph of the nodes `member` accepts that can hold a cycle: more than
/// one node, or one node with an edge to itself. Each component lists its nodes in ascending
/// order; components come in the order Tarjan's algorithm completes them (deterministic).
pub fn cyclic_components(graph: &impl Adjacency, member: impl Fn(u32) -> bool) -> Vec<Vec<u32>> {
    let n = graph.nodes();
    let mut index = vec![UNVISITED; n];
    let mut lowlink = vec![0u32; n];
    let mut on_stack = vec![false; n];
    let mut stack: Vec<u32> = Vec::new();
    // The depth-first search's own stack: a node, its successors (looked up once per node, not
    // once per edge) and how many of them it has tried.
    let mut calls: Vec<(u32, &[u32], usize)> = Vec::new();
    let mut next_index = 0u32;
    let mut components = Vec::new();
    for root in (0..n as u32).filter(|&r| member(r)) {
        if index[root as usize] != UNVISITED {
            continue;
        }
        calls.push((root, graph.successors(root), 0));
        index[root as usize] = next_index;
        lowlink[root as usize] = next_index;
        next_index += 1;
        stack.push(root);
        on_stack[root as usize] = true;
        while let Some(&mut (node, successors, ref mut tried)) = calls.last_mut() {
            if let Some(&next) = successors.get(*tried) {
                *tried += 1;
                if next == OUTSIDE || !member(next) {
                    continue;
                }
                let nx = next as usize;
                if index[nx] == UNVISITED {
                    index[nx] = next_index;
                    lowlink[nx] = next_index;
                    next_index += 1;
                    stack.push(next);
                    on_stack[nx] = true;
                    calls.push((next, graph.successors(next), 0));
                } else if on_stack[nx] {
                    lowlink[node as usize] = lowlink[node as usize].min(index[nx]);
                }
                continue;
            }
            calls.pop();
            if let Some(&(parent, _, _)) = calls.last() {
                lowlink[parent as usize] = lowlink[parent as usize].min(lowlink[node as usize]);
            }
            if lowlink[node as usize] == index[node as usize] {
                let mut component = Vec::new();
                loop {
                    let member = stack.pop().expect("the component's nodes are on the stack");
                    on_stack[member as usize] = false;
                    component.push(member);
                    if member == node {
                        break;
                    }
                }
                let cyclic = component.len() > 1 || successors.contains(&node);
                if cyclic {
                    component.sort_unstable();
                    components.push(component);
                }
            }
        }
    }
    components
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Node `n`'s successors are `edges[n]`.
    struct Lists<'a>(&'a [&'a [u32]]);

    impl Adjacency for Lists<'_> {
        fn nodes(&self) -> usize {
            self.0.len()
        }

        fn successors(&self, node: u32) -> &[u32] {
            self.0[node as usize]
        }
    }

    fn components(edges: &[&[u32]], member: impl Fn(u32) -> bool) -> Vec<Vec<u32>> {
        cyclic_components(&Lists(edges), member)
    }

    #[test]
    fn a_chain_has_no_cycle() {
        assert!(components(&[&[1], &[2], &[]], |_| true).is_empty());
    }

    #[test]
    fn finds_two_cycles_and_a_self_loop() {
        // 0 -> 1 -> 2 -> 0, 2 -> 3, 3 -> 3, 4 -> 5 -> 4, 6 outside.
        let edges: &[&[u32]] = &[&[1], &[2], &[0, 3], &[3, OUTSIDE], &[5], &[4], &[]];
        let mut found = components(edges, |_| true);
        found.sort();
        assert_eq!(found, vec![vec![0, 1, 2], vec![3], vec![4, 5]]);
    }

    #[test]
    fn members_outside_the_subgraph_break_cycles() {
        let edges: &[&[u32]] = &[&[1], &[2], &[0]];
        assert!(components(edges, |n| n != 1).is_empty());
        assert_eq!(components(edges, |_| true), vec![vec![0, 1, 2]]);
    }

    #[test]
    fn a_long_cycle_does_not_overflow_the_stack() {
        let n = 200_000u32;
        let succ: Vec<[u32; 1]> = (0..n).map(|i| [(i + 1) % n]).collect();
        let edges: Vec<&[u32]> = succ.iter().map(|s| &s[..]).collect();
        let found = components(&edges, |_| true);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].len(), n as usize);
    }
}
