//! A growing array kept in segments of fixed size, for the liveness graph: growing never moves
//! what is stored (regrowing one array copied all of it, again and again, in the sequential part
//! of the search), and nothing is written twice (no zeroing ahead).

use rayon::prelude::*;

/// Entries per segment (a range longer than that gets a segment of its own).
const SEGMENT: usize = 1 << 20;

/// Where a range starts: its segment in the high 32 bits, its offset in the segment in the low.
pub type Position = u64;

/// Where the entry appended `n`-th is, when every range appended was one entry long.
pub fn nth(n: usize) -> Position {
    ((n / SEGMENT) as u64) << 32 | (n % SEGMENT) as u64
}

pub struct Segments<T> {
    segments: Vec<Vec<T>>,
}

impl<T> Default for Segments<T> {
    fn default() -> Self {
        Segments { segments: Vec::new() }
    }
}

impl<T: Send + Sync> Segments<T> {
    /// Appends the `len` entries `items` (all in one segment) and tells where they start.
    pub fn extend(&mut self, len: usize, items: impl IntoIterator<Item = T>) -> Position {
        let room = self.segments.last().map(|last| last.capacity() - last.len());
        if room.is_none_or(|room| len > room) {
            self.segments.push(Vec::with_capacity(len.max(SEGMENT)));
        }
        let segment = self.segments.len() - 1;
        let last = &mut self.segments[segment];
        let at = (segment as u64) << 32 | last.len() as u64;
        last.extend(items.into_iter().take(len));
        debug_assert_eq!((last.len() as u64) - (at & u64::from(u32::MAX)), len as u64, "as many items as said");
        at
    }

    /// The `len` entries from `at`.
    pub fn get(&self, at: Position, len: usize) -> &[T] {
        let offset = (at & u64::from(u32::MAX)) as usize;
        &self.segments[(at >> 32) as usize][offset..offset + len]
    }

    /// Every entry mapped by `f`, at the same positions, in parallel (within segments too: a
    /// graph has fewer segments than a machine may have threads), each segment freed once mapped.
    pub fn map<U: Send>(self, f: impl Fn(T) -> U + Sync) -> Segments<U> {
        Segments { segments: self.segments.into_par_iter().map(|s| s.into_par_iter().map(&f).collect()).collect() }
    }

    /// Every entry mapped by `f`, in order, in parallel.
    pub fn par_map<U: Send>(&self, f: impl Fn(&T) -> U + Sync) -> Vec<U> {
        self.segments.par_iter().flat_map_iter(|s| s.iter().map(&f)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_range_has_a_place_too() {
        let mut segments = Segments::<u64>::default();
        let at = segments.extend(0, []);
        assert!(segments.get(at, 0).is_empty());
    }

    #[test]
    fn ranges_keep_their_entries_through_growth_and_mapping() {
        let mut segments = Segments::<u64>::default();
        let lens = [3, SEGMENT - 2, 5, 2 * SEGMENT, 1];
        let ranges: Vec<(Position, usize)> = lens
            .iter()
            .enumerate()
            .map(|(i, &len)| (segments.extend(len, std::iter::repeat(i as u64 + 1)), len))
            .collect();
        // Each range here is too long for the room left beside the one before: it starts a segment.
        assert_eq!(ranges.iter().map(|&(at, _)| at >> 32).collect::<Vec<_>>(), [0, 1, 2, 3, 4]);
        let doubled = segments.map(|x| x * 2);
        for (i, &(at, len)) in ranges.iter().enumerate() {
            assert!(doubled.get(at, len).iter().all(|&x| x == 2 * (i as u64 + 1)), "range {i}");
        }
    }

    #[test]
    fn single_entries_are_found_by_their_number() {
        let mut segments = Segments::<u32>::default();
        for n in 0..SEGMENT as u32 + 10 {
            assert_eq!(segments.extend(1, [n]), nth(n as usize));
        }
        assert_eq!(segments.get(nth(SEGMENT + 3), 1), [SEGMENT as u32 + 3]);
        assert_eq!(segments.par_map(|&n| n), (0..SEGMENT as u32 + 10).collect::<Vec<_>>());
    }
}
