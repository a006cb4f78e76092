//! The chance that a search keeping states as fingerprints merged two distinct states, as TLC
//! estimates it ("calculated (optimistic)"): with `n` distinct states hashed uniformly to `b`-bit
//! fingerprints, the probability that at least two share one is the birthday bound
//! `p = 1 - exp(-n(n-1) / 2^(b+1))`. Optimistic because real hashes are not uniform; a collision
//! would silently drop the states reachable only through the second state, never add a false
//! violation.

/// The probability that `unique` distinct states hashed to `bits`-bit fingerprints include at
/// least two with the same fingerprint. Computed as `-expm1(-x)`, so a tiny probability keeps
/// its digits (`1 - exp(-x)` would round anything below about 1e-16 to 0).
pub fn probability(unique: u64, bits: u32) -> f64 {
    if unique < 2 {
        return 0.0;
    }
    let n = unique as f64;
    // n(n-1)/2^(b+1); past 2^-1100 every product underflows to 0 anyway.
    let scale = f64::powi(2.0, -(bits.min(1100) as i32) - 1);
    let x = n * (n - 1.0) * scale;
    -f64::exp_m1(-x)
}

/// `p` as a report prints it: two significant digits, `1.1e-7`; `< 1e-30` below that, `0` for
/// none at all.
pub fn describe(p: f64) -> String {
    if p <= 0.0 {
        "0".to_string()
    } else if p < 1e-30 {
        "< 1e-30".to_string()
    } else {
        format!("{p:.1e}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn two_states_collide_with_probability_two_to_the_minus_bits() {
        assert_eq!(probability(2, 64), f64::powi(2.0, -64));
        // Here x = 2^-32 is big enough for the x^2/2 of 1 - e^-x to show.
        let x = f64::powi(2.0, -32);
        assert!((probability(2, 32) - (x - x * x / 2.0)).abs() < 1e-25);
    }

    #[test]
    fn one_state_or_none_cannot_collide() {
        assert_eq!(probability(1, 64), 0.0);
        assert_eq!(probability(0, 64), 0.0);
        assert_eq!(probability(1, 1), 0.0);
    }

    #[test]
    fn two_to_the_32_states_in_64_bits_collide_about_four_times_in_ten() {
        // x = 2^32 (2^32 - 1) / 2^65 = 1/2 - 2^-33; p = 1 - e^-x.
        let x = 0.5 - f64::powi(2.0, -33);
        let p = probability(1 << 32, 64);
        assert!((p - (1.0 - f64::exp(-x))).abs() < 1e-15, "{p}");
        assert!((p - 0.393_469_340_287_366_6).abs() < 1e-9, "{p}");
    }

    #[test]
    fn a_hundred_and_twenty_eight_bits_leave_a_tiny_probability_with_its_digits() {
        // n = 2^32: x = 2^32 (2^32 - 1) / 2^129, about 2^-65.
        let p = probability(1 << 32, 128);
        let expected = f64::powi(2.0, -65) * (1.0 - f64::powi(2.0, -32));
        assert!((p / expected - 1.0).abs() < 1e-12, "{p} vs {expected}");
        assert!(p > 0.0);
        assert_eq!(probability(2, 128), f64::powi(2.0, -128));
    }

    #[test]
    fn many_states_in_few_bits_all_but_surely_collide() {
        assert_eq!(probability(1 << 20, 16), 1.0);
    }

    #[test]
    fn describe_prints_two_significant_digits() {
        assert_eq!(describe(1.1e-7), "1.1e-7");
        assert_eq!(describe(probability(2, 64)), "5.4e-20");
        assert_eq!(describe(probability(1 << 32, 64)), "3.9e-1");
        assert_eq!(describe(1e-31), "< 1e-30");
        assert_eq!(describe(probability(2, 128)), "< 1e-30");
        assert_eq!(describe(0.0), "0");
    }

    proptest! {
        #[test]
        fn more_states_never_make_a_collision_less_likely(n in 0u64..u64::MAX, more in 1u64..1 << 40, bits in 1u32..200) {
            let m = n.saturating_add(more);
            prop_assert!(probability(m, bits) >= probability(n, bits));
        }

        #[test]
        fn more_bits_never_make_a_collision_more_likely(n in 0u64..u64::MAX, bits in 1u32..200, more in 1u32..64) {
            prop_assert!(probability(n, bits + more) <= probability(n, bits));
        }

        #[test]
        fn it_is_a_probability(n in 0u64..u64::MAX, bits in 0u32..2000) {
            let p = probability(n, bits);
            prop_assert!((0.0..=1.0).contains(&p), "{}", p);
        }
    }
}
