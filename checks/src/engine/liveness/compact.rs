//! One property's subgraph (the states where it fails), renumbered from 0 and packed into two
//! arrays (each node's successors side by side), built in parallel: what Tarjan's search reads.
//! That search is the one step of the liveness check that runs on one thread; on the whole
//! graph it followed every node's record to its successors and tested each successor's
//! membership (`healthy`: 0.14 s and 0.22 s for its two properties).

use super::scc::{Adjacency, OUTSIDE};
use rayon::prelude::*;

/// Nodes renumbered in one go by one thread.
const BLOCK: usize = 1 << 14;

pub struct Compact {
    /// `members[c]`: the original number of node `c`.
    pub members: Vec<u32>,
    /// Node `c`'s successors are `targets[offsets[c]..offsets[c + 1]]`.
    offsets: Vec<usize>,
    targets: Vec<u32>,
}

impl Adjacency for Compact {
    fn nodes(&self) -> usize {
        self.members.len()
    }

    fn successors(&self, node: u32) -> &[u32] {
        &self.targets[self.offsets[node as usize]..self.offsets[node as usize + 1]]
    }
}

impl Compact {
    /// The subgraph of `graph` on the nodes `member` marks (one entry per node), keeping the
    /// nodes' order and each node's successors' order.
    pub fn new(graph: &(impl Adjacency + Sync), member: &[bool]) -> Self {
        // Each node's new number: members counted block by block, then the blocks' counts summed.
        let counts: Vec<u32> = member.par_chunks(BLOCK).map(|b| b.iter().filter(|&&m| m).count() as u32).collect();
        let block_starts = running_sums(&counts);
        let mut renumbered = vec![OUTSIDE; member.len()];
        renumbered.par_chunks_mut(BLOCK).zip(member.par_chunks(BLOCK)).zip(&block_starts).for_each(
            |((renumbered, member), &start)| {
                for (number, (new, _)) in (start..).zip(renumbered.iter_mut().zip(member).filter(|(_, &m)| m)) {
                    *new = number;
                }
            },
        );
        let members: Vec<u32> = (0..member.len() as u32).into_par_iter().filter(|&n| member[n as usize]).collect();
        let inside = |n: u32| n != OUTSIDE && member[n as usize];
        let degrees: Vec<usize> =
            members.par_iter().map(|&n| graph.successors(n).iter().filter(|&&t| inside(t)).count()).collect();
        let offsets = running_sums(&degrees);
        let mut targets = vec![0u32; offsets[members.len()]];
        // Each block of nodes fills its own stretch of `targets`.
        let mut stretches = Vec::with_capacity(members.len().div_ceil(BLOCK));
        let mut rest = &mut targets[..];
        for first in (0..members.len()).step_by(BLOCK) {
            let end = (first + BLOCK).min(members.len());
            let (stretch, after) = std::mem::take(&mut rest).split_at_mut(offsets[end] - offsets[first]);
            stretches.push(stretch);
            rest = after;
        }
        members.par_chunks(BLOCK).zip(stretches).for_each(|(nodes, stretch)| {
            let mut at = 0;
            for &n in nodes {
                for &t in graph.successors(n).iter().filter(|&&t| inside(t)) {
                    stretch[at] = renumbered[t as usize];
                    at += 1;
                }
            }
        });
        Compact { members, offsets, targets }
    }
}

/// `values`' running sums from 0: one more entry than `values`, the last their total.
fn running_sums<T: Copy + Default + std::ops::Add<Output = T>>(values: &[T]) -> Vec<T> {
    let mut sum = T::default();
    let mut sums = Vec::with_capacity(values.len() + 1);
    sums.push(sum);
    for &v in values {
        sum = sum + v;
        sums.push(sum);
    }
    sums
}

#[cfg(test)]
mod tests {
    use super::super::scc::{cyclic_components, Lists};
    use super::*;

    fn successors_of(compact: &Compact) -> Vec<Vec<u32>> {
        (0..compact.nodes() as u32).map(|c| compact.successors(c).to_vec()).collect()
    }

    #[test]
    fn keeps_the_members_in_order_and_only_their_edges() {
        // 0 -> 1, 2, OUTSIDE; 1 -> 3, 0; 2 -> 2; 3 -> 1, 2. Node 2 is not a member.
        let graph = Lists(vec![vec![1, 2, OUTSIDE], vec![3, 0], vec![2], vec![1, 2]]);
        let compact = Compact::new(&graph, &[true, true, false, true]);
        assert_eq!(compact.members, [0, 1, 3]);
        assert_eq!(successors_of(&compact), [vec![1], vec![2, 0], vec![1]]);
    }

    #[test]
    fn renumbers_across_many_blocks() {
        // A ring of 50,000 nodes with a chord from each node to the one 3 ahead; every fifth node
        // is left out.
        let n = 50_000u32;
        let graph = Lists((0..n).map(|i| vec![(i + 1) % n, (i + 3) % n]).collect());
        let member: Vec<bool> = (0..n).map(|i| i % 5 != 0).collect();
        let compact = Compact::new(&graph, &member);
        let expected_members: Vec<u32> = (0..n).filter(|i| i % 5 != 0).collect();
        assert_eq!(compact.members, expected_members);
        let new_number = |old: u32| expected_members.binary_search(&old).ok().map(|c| c as u32);
        for (c, &old) in expected_members.iter().enumerate() {
            let expected: Vec<u32> = graph.0[old as usize].iter().filter_map(|&t| new_number(t)).collect();
            assert_eq!(compact.successors(c as u32), expected, "node {old}");
        }
    }

    #[test]
    fn members_outside_the_subgraph_break_cycles() {
        let graph = Lists(vec![vec![1], vec![2], vec![0]]);
        assert!(cyclic_components(&Compact::new(&graph, &[true, false, true])).is_empty());
        assert_eq!(cyclic_components(&Compact::new(&graph, &[true; 3])), vec![vec![0, 1, 2]]);
    }

    #[test]
    fn an_empty_subgraph_has_no_nodes() {
        let graph = Lists(vec![vec![1], vec![0]]);
        let compact = Compact::new(&graph, &[false, false]);
        assert_eq!(compact.nodes(), 0);
    }
}
