//! The high watermark: where the leader puts it, and what a follower takes from a fetch response.

use crate::ids::Offset;

/// What the leader knows when it recomputes its HW (`Partition.maybeIncrementLeaderHW`).
#[derive(Clone, Copy, Debug)]
pub struct LeaderHwInput<'a> {
    pub current_hw: Offset,
    pub leader_end_offset: Offset,
    /// The log end offsets of the followers in the maximal ISR (current ISR plus a pending
    /// addition); `None` for a follower that has not fetched in this leader epoch yet.
    pub maximal_isr_follower_ends: &'a [Option<Offset>],
    /// The size of the committed ISR (leader included).
    pub committed_isr_size: usize,
    pub min_isr: usize,
    /// KIP-966 "strict min ISR" (KAFKA-15583, Kafka 3.7: `maybeIncrementLeaderHW` returns while
    /// the partition is under min ISR): the HW is frozen while the committed ISR is below min ISR.
    pub strict_min_isr: bool,
}

/// The leader's new HW: the smallest log end offset over the maximal ISR, never moving backwards
/// (`LeaderLog.maybeIncrementHighWatermark`). A follower whose end is unknown holds it where it is.
pub fn leader_high_watermark(input: LeaderHwInput<'_>) -> Offset {
    if input.strict_min_isr && input.committed_isr_size < input.min_isr {
        return input.current_hw;
    }
    let mut hw = input.leader_end_offset;
    for end in input.maximal_isr_follower_ends {
        match end {
            Some(end) => hw = hw.min(*end),
            None => return input.current_hw,
        }
    }
    hw.max(input.current_hw)
}

/// A follower's HW after a fetch response: the leader's HW, capped by its own log end.
pub fn follower_high_watermark(leader_hw: Offset, own_end_offset: Offset) -> Offset {
    leader_hw.min(own_end_offset)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn input(current: u8, leader_end: u8, followers: &[Option<Offset>], isr: usize, strict: bool) -> LeaderHwInput<'_> {
        LeaderHwInput {
            current_hw: Offset(u32::from(current)),
            leader_end_offset: Offset(u32::from(leader_end)),
            maximal_isr_follower_ends: followers,
            committed_isr_size: isr,
            min_isr: 2,
            strict_min_isr: strict,
        }
    }

    #[test]
    fn hw_is_the_smallest_end_in_the_isr() {
        let f = [Some(Offset(2)), Some(Offset(3))];
        assert_eq!(leader_high_watermark(input(0, 4, &f, 3, true)), Offset(2));
    }

    #[test]
    fn strict_min_isr_freezes_the_hw() {
        let f: [Option<Offset>; 0] = [];
        assert_eq!(leader_high_watermark(input(1, 4, &f, 1, true)), Offset(1));
        assert_eq!(leader_high_watermark(input(1, 4, &f, 1, false)), Offset(4));
    }

    #[test]
    fn an_unknown_follower_end_holds_the_hw() {
        let f = [None, Some(Offset(4))];
        assert_eq!(leader_high_watermark(input(1, 4, &f, 3, true)), Offset(1));
    }

    proptest! {
        #[test]
        fn hw_never_decreases_and_never_passes_any_isr_end(
            current in 0u8..8, leader_end in 0u8..8,
            ends in proptest::collection::vec(proptest::option::of(0u8..8), 0..4),
            isr in 1usize..4, strict: bool,
        ) {
            let ends: Vec<Option<Offset>> = ends.into_iter().map(|e| e.map(|e| Offset(u32::from(e)))).collect();
            let hw = leader_high_watermark(input(current, leader_end, &ends, isr, strict));
            prop_assert!(hw >= Offset(u32::from(current)));
            if hw > Offset(u32::from(current)) {
                prop_assert!(hw <= Offset(u32::from(leader_end)));
                for end in &ends {
                    prop_assert!(end.is_some_and(|e| hw <= e));
                }
            }
        }

        #[test]
        fn follower_hw_never_passes_its_own_log(leader_hw in 0u8..10, end in 0u8..10) {
            let hw = follower_high_watermark(Offset(u32::from(leader_hw)), Offset(u32::from(end)));
            prop_assert!(hw <= Offset(u32::from(end)) && hw <= Offset(u32::from(leader_hw)));
        }
    }
}
