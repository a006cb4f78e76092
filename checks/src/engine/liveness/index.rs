//! The recorded graph's node numbers by fingerprint, built in parallel once the search is over:
//! the fingerprints sorted (by their uniformly distributed bits), and a table of where each range
//! of those bits starts, about one node per range. A lookup reads one table entry and one short
//! run of the sorted array. A hash map built one insert at a time was the longest sequential
//! step after the search (0.4 s of 28 s on `healthy` at one thread).

use super::super::fingerprint::Fingerprint;
use rayon::prelude::*;

/// Ranges whose starts one thread finds in one go.
const RANGES_PER_BLOCK: usize = 1 << 14;

pub struct NodeIndex<F> {
    /// Every node's fingerprint and number, sorted by `low64` of the fingerprint.
    sorted: Vec<(F, u32)>,
    /// `starts[b]`: the first position in `sorted` whose range is `b` or more (one extra entry
    /// at the end, `sorted.len()`).
    starts: Vec<u32>,
    /// A fingerprint's range: its `low64` shifted right by this.
    shift: u32,
}

impl<F: Fingerprint> NodeIndex<F> {
    /// Indexes the fingerprints `fps`, node `i` having `fps[i]` (no two alike).
    pub fn new(fps: &[F]) -> Self {
        let mut sorted: Vec<(F, u32)> = fps.par_iter().enumerate().map(|(i, &fp)| (fp, i as u32)).collect();
        sorted.par_sort_unstable_by_key(|&(fp, _)| fp.low64());
        let bits = usize::BITS - fps.len().leading_zeros();
        let shift = 64 - bits.max(1);
        let range = |fp: F| (fp.low64() >> shift) as usize;
        // Each block of ranges is filled by one thread, from one binary search on: a scan of the
        // whole array on one thread took 10 ms of `healthy`.
        let mut starts = vec![0u32; (1 << (64 - shift)) + 1];
        starts.par_chunks_mut(RANGES_PER_BLOCK).enumerate().for_each(|(block, starts)| {
            let first = block * RANGES_PER_BLOCK;
            let mut position = sorted.partition_point(|&(fp, _)| range(fp) < first);
            for (b, start) in (first..).zip(starts) {
                while position < sorted.len() && range(sorted[position].0) < b {
                    position += 1;
                }
                *start = position as u32;
            }
        });
        NodeIndex { sorted, starts, shift }
    }

    /// The number of the node with fingerprint `fp`, if one has it.
    pub fn get(&self, fp: F) -> Option<u32> {
        let range = (fp.low64() >> self.shift) as usize;
        let run = &self.sorted[self.starts[range] as usize..self.starts[range + 1] as usize];
        run.iter().find(|&&(f, _)| f == fp).map(|&(_, node)| node)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn an_empty_index_finds_nothing() {
        assert_eq!(NodeIndex::<u64>::new(&[]).get(5), None);
    }

    #[test]
    fn finds_every_node_when_the_ranges_span_many_blocks() {
        // 50,000 fingerprints make 65,536 ranges: four blocks, the last ranges empty.
        let fps: Vec<u64> = (0..50_000u64).map(|i| i.wrapping_mul(0x9e37_79b9_7f4a_7c15)).collect();
        let index = NodeIndex::new(&fps);
        assert_eq!(index.starts.len(), 65_537);
        for (node, &fp) in fps.iter().enumerate() {
            assert_eq!(index.get(fp), Some(node as u32));
        }
        assert_eq!(index.get(1), None);
    }

    proptest! {
        #[test]
        fn finds_every_node_and_nothing_else(fps in proptest::collection::hash_set(any::<u64>(), 0..300),
                                             shared_bits in 0u32..64, absent in any::<u64>()) {
            // Fingerprints alike in their high bits crowd into one range.
            let fps: Vec<u64> = fps.into_iter().map(|fp| fp >> shared_bits).collect::<std::collections::HashSet<_>>().into_iter().collect();
            let index = NodeIndex::new(&fps);
            for (node, &fp) in fps.iter().enumerate() {
                prop_assert_eq!(index.get(fp), Some(node as u32));
            }
            prop_assert_eq!(index.get(absent), fps.iter().position(|&fp| fp == absent).map(|n| n as u32));
        }
    }
}
