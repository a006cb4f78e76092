//! Strongly connected components (Tarjan's algorithm, iterative: the state graphs here have
//! millions of nodes, far past what recursion on the call stack survives) of a graph (for the
//! liveness check, one property's packed subgraph: `compact`).

/// A graph of nodes numbered from 0, each with its successors; a successor of `OUTSIDE` leads
/// out of the graph.
pub trait Adjacency {
    fn nodes(&self) -> usize;
    fn successors(&self, node: u32) -> &[u32];
}

/// A successor that is not a node of the graph.
pub const OUTSIDE: u32 = u32::MAX;

const UNVISITED: u32 = u32::MAX;

/// The components of `graph` that can hold a cycle: more than one node, or one node with an edge
/// to itself. Each component lists its nodes in ascending order; components come in the order
/// Tarjan's algorithm completes them (deterministic).
pub fn cyclic_components(graph: &impl Adjacency) -> Vec<Vec<u32>> {
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
    for root in 0..n as u32 {
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
                if next == OUTSIDE {
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

/// A graph given as lists, for tests: node `n`'s successors are `self.0[n]`.
#[cfg(test)]
pub struct Lists(pub Vec<Vec<u32>>);

#[cfg(test)]
impl Adjacency for Lists {
    fn nodes(&self) -> usize {
        self.0.len()
    }

    fn successors(&self, node: u32) -> &[u32] {
        &self.0[node as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn components(edges: &[&[u32]]) -> Vec<Vec<u32>> {
        cyclic_components(&Lists(edges.iter().map(|e| e.to_vec()).collect()))
    }

    #[test]
    fn a_chain_has_no_cycle() {
        assert!(components(&[&[1], &[2], &[]]).is_empty());
    }

    #[test]
    fn finds_two_cycles_and_a_self_loop() {
        // 0 -> 1 -> 2 -> 0, 2 -> 3, 3 -> 3, 4 -> 5 -> 4, 6 outside.
        let edges: &[&[u32]] = &[&[1], &[2], &[0, 3], &[3, OUTSIDE], &[5], &[4], &[]];
        let mut found = components(edges);
        found.sort();
        assert_eq!(found, vec![vec![0, 1, 2], vec![3], vec![4, 5]]);
    }

    #[test]
    fn a_long_cycle_does_not_overflow_the_stack() {
        let n = 200_000u32;
        let succ: Vec<[u32; 1]> = (0..n).map(|i| [(i + 1) % n]).collect();
        let edges: Vec<&[u32]> = succ.iter().map(|s| &s[..]).collect();
        let found = components(&edges);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].len(), n as usize);
    }
}
