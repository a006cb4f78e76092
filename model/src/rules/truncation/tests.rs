use super::*;
use crate::ids::{ProducerId, Sequence};
use crate::log::{EpochEntry, Record};
use proptest::prelude::*;

const ALL_RULES: [TruncationRule; 5] = TruncationRule::ALL;

/// The rules that truncate by the leader's epoch lookup (KIP-279 onwards).
const EPOCH_LOOKUP_RULES: [TruncationRule; 3] =
    [TruncationRule::Kip279, TruncationRule::Kip320Kafka21, TruncationRule::Kip320];

/// The rules with KAFKA-7415's lookup of an epoch older than every known one (Kafka 2.1 onwards).
const KAFKA_7415_RULES: [TruncationRule; 2] = [TruncationRule::Kip320Kafka21, TruncationRule::Kip320];

fn rec(epoch: u32, producer: u8, sequence: u32) -> Record {
    Record::new(LeaderEpoch(epoch), ProducerId(u32::from(producer)), Sequence(sequence))
}

/// A log of producer 1's records, the one at offset i written in epoch `epochs[i]`.
fn log_of(epochs: &[u32]) -> ReplicaLog {
    let mut log = ReplicaLog::default();
    for (i, e) in epochs.iter().enumerate() {
        log.append(rec(*e, 1, i as u32));
    }
    log
}

fn end(epoch: u32, end_offset: u32) -> EpochEnd {
    EpochEnd { epoch: LeaderEpoch(epoch), end_offset: Offset(end_offset) }
}

fn done(offset: u32) -> TruncationPoint {
    TruncationPoint { offset: Offset(offset), complete: true }
}

/// The leader of the lookup tests: epoch 1 at offsets 0..2, epoch 3 at 2..4 (log end 4).
fn leader() -> ReplicaLog {
    log_of(&[1, 1, 3, 3])
}

/// The follower's whole truncation under `rule`: ask with the latest epoch, truncate, and ask
/// again while the point is not complete (KIP-279's iteration). Returns the truncated log and the
/// last point.
fn truncate_follower(
    rule: TruncationRule,
    leader: &ReplicaLog,
    mut follower: ReplicaLog,
    hw: Offset,
) -> (ReplicaLog, TruncationPoint) {
    for _ in 0..=follower.epochs.len() {
        let answer = follower.latest_epoch().and_then(|latest| leader_epoch_end(rule, leader, latest));
        let point = follower_truncation(rule, &follower, hw, answer);
        follower.truncate_to(point.offset);
        if point.complete {
            return (follower, point);
        }
    }
    panic!("truncation did not complete: each round must drop an epoch");
}

// ---- leader_epoch_end ------------------------------------------------------------------------

#[test]
fn high_watermark_rule_never_asks_the_leader() {
    for epoch in 0..6 {
        assert_eq!(leader_epoch_end(TruncationRule::HighWatermark, &leader(), LeaderEpoch(epoch)), None);
    }
}

#[test]
fn kip101_answers_the_log_end_for_the_latest_epoch_and_the_next_larger_epoch_start_otherwise() {
    let ask = |epoch| leader_epoch_end(TruncationRule::Kip101, &leader(), LeaderEpoch(epoch));
    assert_eq!(ask(3), Some(end(3, 4)));
    assert_eq!(ask(1), Some(end(1, 2)));
    // Epochs the leader never had are answered as if they were known (KAFKA-6361).
    assert_eq!(ask(2), Some(end(2, 2)));
    // Older than every known epoch, or newer than the latest: UNDEFINED (`endOffsetFor` in 0.11).
    assert_eq!(ask(0), None);
    assert_eq!(ask(4), None);
}

#[test]
fn kip279_answers_the_largest_epoch_not_above_the_request_and_its_end() {
    let ask = |epoch| leader_epoch_end(TruncationRule::Kip279, &leader(), LeaderEpoch(epoch));
    assert_eq!(ask(1), Some(end(1, 2)));
    assert_eq!(ask(2), Some(end(1, 2)));
    assert_eq!(ask(3), Some(end(3, 4)));
    assert_eq!(ask(4), None, "newer than the latest epoch");
    assert_eq!(ask(0), None, "older than every known epoch");
    assert_eq!(leader_epoch_end(TruncationRule::Kip279, &ReplicaLog::default(), LeaderEpoch(1)), None);
}

#[test]
fn from_kafka_2_1_the_leader_answers_the_first_epoch_start_for_a_request_older_than_every_known_epoch() {
    for rule in KAFKA_7415_RULES {
        let ask = |epoch| leader_epoch_end(rule, &leader(), LeaderEpoch(epoch));
        assert_eq!(ask(0), Some(end(0, 0)), "{rule}");
        assert_eq!(ask(1), Some(end(1, 2)), "{rule}");
        assert_eq!(ask(2), Some(end(1, 2)), "{rule}");
        assert_eq!(ask(3), Some(end(3, 4)), "{rule}");
        assert_eq!(leader_epoch_end(rule, &ReplicaLog::default(), LeaderEpoch(1)), None, "{rule}");
    }
}

// ---- follower_truncation ---------------------------------------------------------------------

#[test]
fn an_undefined_answer_truncates_to_the_high_watermark() {
    let follower = log_of(&[1, 1, 2]);
    for rule in ALL_RULES {
        assert_eq!(follower_truncation(rule, &follower, Offset(2), None), done(2), "{rule:?}");
    }
}

#[test]
fn kip101_truncates_to_the_answer_capped_at_the_own_log_end() {
    let follower = log_of(&[1, 1, 2]);
    let truncate = |answer| follower_truncation(TruncationRule::Kip101, &follower, Offset(0), Some(answer));
    assert_eq!(truncate(end(2, 1)), done(1));
    assert_eq!(truncate(end(2, 5)), done(3));
}

#[test]
fn epoch_lookup_rules_truncate_a_shared_epoch_to_the_smaller_of_both_ends() {
    // The follower's epoch 1 ends at 2, epoch 2 at its log end 4.
    let follower = log_of(&[1, 1, 2, 2]);
    for rule in EPOCH_LOOKUP_RULES {
        let truncate = |answer| follower_truncation(rule, &follower, Offset(0), Some(answer));
        assert_eq!(truncate(end(1, 3)), done(2), "{rule:?}: the follower's epoch 1 ends first");
        assert_eq!(truncate(end(1, 1)), done(1), "{rule:?}: the leader's epoch 1 ends first");
        assert_eq!(truncate(end(2, 3)), done(3), "{rule:?}: the leader's epoch 2 ends first");
        assert_eq!(truncate(end(2, 6)), done(4), "{rule:?}: capped at the own log end");
    }
}

#[test]
fn epoch_lookup_rules_step_back_to_the_largest_smaller_epoch_when_the_follower_lacks_the_answer_epoch() {
    // The leader answers epoch 2, which the follower (epochs 1 and 3) never had: it truncates to
    // the end of its epoch 1 and must ask again.
    let follower = log_of(&[1, 1, 3, 3]);
    for rule in EPOCH_LOOKUP_RULES {
        let point = follower_truncation(rule, &follower, Offset(0), Some(end(2, 5)));
        assert_eq!(point, TruncationPoint { offset: Offset(2), complete: false }, "{rule:?}");
    }
}

#[test]
fn kip279_follower_without_any_epoch_up_to_the_answer_truncates_to_the_leaders_end() {
    // Kafka 2.0: the follower's own lookup is UNDEFINED and the leader's offset is used as is.
    let follower = log_of(&[2, 2]);
    assert_eq!(follower_truncation(TruncationRule::Kip279, &follower, Offset(0), Some(end(1, 1))), done(1));
}

/// Leader L wrote offsets 0 and 1 in epoch 1 that follower F never fetched; F then led epoch 2
/// and wrote its own offset 0; L leads again in epoch 3 (reachable with KIP-966 ELR, or an unclean
/// election). F asks about epoch 2 and L answers "epoch 1 ends at 2". Since Kafka 2.1 (KAFKA-7415)
/// F's own lookup of epoch 1, older than all its epochs, answers (1, start of its first epoch = 0),
/// so F truncates to 0. `follower_truncation` looks F's end up with the KIP-279 lookup, gets
/// UNDEFINED and truncates to L's offset instead, keeping its divergent record at offset 0.
#[test]
fn from_kafka_2_1_a_follower_without_any_epoch_up_to_the_answer_truncates_to_its_first_epoch_start() {
    let mut leader = log_of(&[1, 1]);
    leader.assign_epoch(LeaderEpoch(3), Offset(2));
    let mut follower = ReplicaLog::default();
    follower.append(rec(2, 2, 0));
    for rule in KAFKA_7415_RULES {
        let answer = leader_epoch_end(rule, &leader, LeaderEpoch(2));
        assert_eq!(answer, Some(end(1, 2)), "{rule}");
        assert_eq!(follower_truncation(rule, &follower, Offset(0), answer), done(0), "{rule}");
    }
}

// ---- diverging_epoch -------------------------------------------------------------------------

#[test]
fn a_fetch_within_the_leaders_log_does_not_diverge() {
    let leader = leader();
    assert_eq!(diverging_epoch(&leader, LeaderEpoch(3), Offset(4)), None);
    assert_eq!(diverging_epoch(&leader, LeaderEpoch(3), Offset(3)), None);
    assert_eq!(diverging_epoch(&leader, LeaderEpoch(1), Offset(2)), None, "at the end of epoch 1");
}

#[test]
fn a_fetch_past_the_end_of_its_epoch_diverges_at_that_end() {
    assert_eq!(diverging_epoch(&leader(), LeaderEpoch(1), Offset(3)), Some(end(1, 2)));
}

#[test]
fn a_fetch_in_an_epoch_unknown_to_the_leader_diverges_at_the_previous_epochs_end() {
    assert_eq!(diverging_epoch(&leader(), LeaderEpoch(2), Offset(2)), Some(end(1, 2)));
}

// ---- KAFKA-6361: the divergence KIP-101 missed and KIP-279 fixed -----------------------------

/// Leader A has offsets 0..=2 from epoch 1 and leads again in epoch 3 (cache e1@0, e3@3).
/// Follower B has offset 0 from epoch 1 and wrote offsets 1..=2 itself as leader of epoch 2.
fn kafka_6361() -> (ReplicaLog, ReplicaLog) {
    let mut a = ReplicaLog::default();
    for sequence in 0..3 {
        a.append(rec(1, 1, sequence));
    }
    a.assign_epoch(LeaderEpoch(3), Offset(3));
    let mut b = ReplicaLog::default();
    b.append(rec(1, 1, 0));
    b.append(rec(2, 2, 0));
    b.append(rec(2, 2, 1));
    (a, b)
}

#[test]
fn kafka_6361_logs_are_as_described() {
    let (a, b) = kafka_6361();
    assert_eq!(a.epochs, vec![entry(1, 0), entry(3, 3)]);
    assert_eq!(b.epochs, vec![entry(1, 0), entry(2, 1)]);
    assert_eq!(b.common_prefix(&a), Offset(1));
}

fn entry(epoch: u32, start: u32) -> EpochEntry {
    EpochEntry { epoch: LeaderEpoch(epoch), start_offset: Offset(start) }
}

#[test]
fn kafka_6361_under_kip101_the_follower_keeps_its_divergent_records() {
    let (a, b) = kafka_6361();
    // A never had epoch 2; it answers the start of its next epoch, 3, which is B's log end.
    assert_eq!(leader_epoch_end(TruncationRule::Kip101, &a, LeaderEpoch(2)), Some(end(2, 3)));
    let (b, point) = truncate_follower(TruncationRule::Kip101, &a, b, Offset(1));
    assert_eq!(point, done(3));
    assert_eq!(b.end_offset(), Offset(3));
    assert_ne!(b.get(Offset(1)), a.get(Offset(1)), "B's epoch-2 records survive next to A's epoch-1 ones");
}

#[test]
fn kafka_6361_under_the_epoch_lookup_rules_the_follower_truncates_to_the_divergence() {
    for rule in EPOCH_LOOKUP_RULES {
        let (a, b) = kafka_6361();
        assert_eq!(leader_epoch_end(rule, &a, LeaderEpoch(2)), Some(end(1, 3)), "{rule:?}");
        // B's epoch 1 ends where its epoch 2 starts.
        assert_eq!(follower_truncation(rule, &b, Offset(1), Some(end(1, 3))), done(1), "{rule:?}");
        let (b, point) = truncate_follower(rule, &a, b, Offset(1));
        assert_eq!(point, done(1), "{rule:?}");
        assert_eq!(b.records, a.records[..1], "{rule:?}");
    }
}

#[test]
fn kafka_6361_a_kip320_fetch_reports_the_divergence_itself() {
    let (a, _) = kafka_6361();
    assert_eq!(diverging_epoch(&a, LeaderEpoch(2), Offset(3)), Some(end(1, 3)));
}

// ---- Properties ------------------------------------------------------------------------------

fn rule() -> impl Strategy<Value = TruncationRule> {
    prop::sample::select(ALL_RULES.to_vec())
}

/// A log of up to 6 records whose epochs start at 1 and never decrease.
fn any_log() -> impl Strategy<Value = ReplicaLog> {
    prop::collection::vec(0u32..3, 0..6).prop_map(|steps| {
        let epochs: Vec<u32> = steps.iter().scan(1, |e, step| Some(std::mem::replace(e, *e + step))).collect();
        log_of(&epochs)
    })
}

/// A leader's and a follower's log as elections leave them: a common prefix (producer 1), then
/// divergent suffixes, the leader's written by producer 2, the follower's by producer 3, and the
/// leader's current epoch, larger than every other, open at its log end with 0 to 2 records.
/// The divergent suffixes use disjoint epochs, increasing along each log and interleaved at will
/// (each was written by that epoch's leader), and at most one of them continues the prefix's last
/// epoch; so the logs agree at an offset exactly when they hold a record of the same epoch there
/// (Kafka's log matching). The follower's high watermark is within the common prefix.
#[derive(Clone, Debug)]
struct Diverged {
    leader: ReplicaLog,
    follower: ReplicaLog,
    follower_hw: Offset,
    prefix_len: usize,
}

fn diverged(prefix_len: std::ops::Range<usize>) -> impl Strategy<Value = Diverged> {
    let prefix_steps = prop::collection::vec(0u8..2, prefix_len);
    // Per divergent epoch: the gap above the previous epoch, whether the leader (else the
    // follower) wrote it, and how many records.
    let divergent = prop::collection::vec((0u8..2, any::<bool>(), 1u8..3), 0..4);
    (prefix_steps, divergent, 0u8..3, any::<prop::sample::Index>()).prop_map(
        |(prefix_steps, divergent, current_records, hw_pick)| {
            let mut leader = ReplicaLog::default();
            let mut follower = ReplicaLog::default();
            let mut epoch = 1;
            for (i, step) in prefix_steps.iter().enumerate() {
                epoch += if i == 0 { 0 } else { *step };
                let record = rec(u32::from(epoch), 1, i as u32);
                leader.append(record.clone());
                follower.append(record);
            }
            let prefix_len = leader.records.len();
            // The first divergent epoch may continue the prefix's last one; later ones may not.
            let mut previous = if prefix_len == 0 { 0 } else { epoch - 1 };
            for (gap, by_leader, count) in divergent {
                let e = previous + 1 + gap;
                previous = e;
                let (log, producer) = if by_leader { (&mut leader, 2) } else { (&mut follower, 3) };
                for _ in 0..count {
                    let at = log.records.len() as u8;
                    log.append(rec(u32::from(e), producer, u32::from(at)));
                }
            }
            let current = previous.max(epoch) + 1;
            let at = leader.end_offset();
            leader.assign_epoch(LeaderEpoch(u32::from(current)), at);
            for _ in 0..current_records {
                let at = leader.records.len() as u8;
                leader.append(rec(u32::from(current), 2, u32::from(at)));
            }
            let follower_hw = Offset(hw_pick.index(prefix_len + 1) as u32);
            Diverged { leader, follower, follower_hw, prefix_len }
        },
    )
}

/// Runs the whole truncation and checks that it cuts the follower exactly at the first offset
/// where the two logs disagree: everything below agrees, and nothing of the common part is lost.
fn truncates_exactly_at_the_divergence(rule: TruncationRule, case: &Diverged) -> Result<(), TestCaseError> {
    let divergence = case.follower.common_prefix(&case.leader);
    prop_assert!(divergence.index() >= case.prefix_len);
    let (follower, point) = truncate_follower(rule, &case.leader, case.follower.clone(), case.follower_hw);
    prop_assert!(point.complete);
    for offset in 0..point.offset.0 {
        prop_assert_eq!(
            follower.get(Offset(offset)),
            case.leader.get(Offset(offset)),
            "disagree at {} below the truncation point {}",
            offset,
            point.offset
        );
    }
    prop_assert_eq!(point.offset, divergence, "truncated below the divergence point");
    Ok(())
}

proptest! {
    #[test]
    fn truncation_point_never_exceeds_the_follower_log_end(
        rule in rule(),
        follower in any_log(),
        hw in 0u8..8,
        answer in prop::option::of((0u8..6, 0u8..8)),
    ) {
        let answer = answer.map(|(epoch, end_offset)| end(u32::from(epoch), u32::from(end_offset)));
        let point = follower_truncation(rule, &follower, Offset(u32::from(hw)), answer);
        prop_assert!(point.offset <= follower.end_offset());
    }

    #[test]
    fn epoch_lookup_truncation_leaves_the_logs_agreeing_below_the_point(
        rule in prop::sample::select(EPOCH_LOOKUP_RULES.to_vec()),
        case in diverged(1..5),
    ) {
        truncates_exactly_at_the_divergence(rule, &case)?;
    }

    /// The same with no common prefix at all, from Kafka 2.1: KIP-279 alone fails on the case of
    /// `from_kafka_2_1_a_follower_without_any_epoch_up_to_the_answer_truncates_to_its_first_epoch_start`.
    #[test]
    fn from_kafka_2_1_truncation_leaves_the_logs_agreeing_below_the_point_even_without_a_common_prefix(
        rule in prop::sample::select(KAFKA_7415_RULES.to_vec()),
        case in diverged(0..5),
    ) {
        truncates_exactly_at_the_divergence(rule, &case)?;
    }
}
