//! SplitMix64 (Steele, Lea and Flood, 2014): a tiny seeded generator, good enough to pick the next
//! step of a random walk, and the same on every platform and in every process. Also the run seeds:
//! run 0 uses the top-level seed itself, so a run's seed given as `--seed S --runs 1` replays it.

const GAMMA: u64 = 0x9e37_79b9_7f4a_7c15;

/// SplitMix64's output function: a bijective mix of a 64-bit value.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[derive(Clone, Debug)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        SplitMix64 { state: seed }
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(GAMMA);
        mix(self.state)
    }

    /// A number in `0..n` (`n > 0`), by Lemire's multiply-shift: the bias, below n / 2^64, is
    /// immaterial for picking among a few dozen actions.
    pub fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }
}

/// The seed of run `index` of a simulation seeded with `seed`: `seed` itself for run 0, else the
/// `index`-th output of SplitMix64 seeded with `seed`.
pub fn run_seed(seed: u64, index: u64) -> u64 {
    if index == 0 {
        seed
    } else {
        mix(seed.wrapping_add(index.wrapping_mul(GAMMA)))
    }
}

/// A seed for when none is given: the clock's nanoseconds, mixed.
pub fn seed_from_clock() -> u64 {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    mix(now.as_nanos() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sequence_is_splitmix64s() {
        // The reference outputs of SplitMix64 seeded with 1234567 (Vigna's splitmix64.c).
        let mut rng = SplitMix64::new(1234567);
        let first: Vec<u64> = (0..3).map(|_| rng.next_u64()).collect();
        assert_eq!(first, [6457827717110365317, 3203168211198807973, 9817491932198370423]);
    }

    #[test]
    fn the_same_seed_gives_the_same_numbers() {
        let draw = |seed| {
            let mut rng = SplitMix64::new(seed);
            (0..100).map(|_| rng.below(7)).collect::<Vec<_>>()
        };
        assert_eq!(draw(42), draw(42));
        assert_ne!(draw(42), draw(43));
        assert!(draw(42).iter().all(|&n| n < 7));
    }

    #[test]
    fn below_reaches_every_value() {
        let mut rng = SplitMix64::new(7);
        let mut seen = [false; 5];
        (0..200).for_each(|_| seen[rng.below(5)] = true);
        assert_eq!(seen, [true; 5]);
    }

    #[test]
    fn run_0_uses_the_seed_itself_and_run_i_the_generators_ith_output() {
        assert_eq!(run_seed(99, 0), 99);
        let mut rng = SplitMix64::new(99);
        for index in 1..10 {
            assert_eq!(run_seed(99, index), rng.next_u64());
        }
    }

    #[test]
    fn run_seeds_differ() {
        let seeds: std::collections::BTreeSet<u64> = (0..1000).map(|i| run_seed(5, i)).collect();
        assert_eq!(seeds.len(), 1000);
    }
}
