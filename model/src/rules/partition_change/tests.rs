use super::*;
use crate::ids::{LeaderEpoch, PartitionEpoch, PartitionId};
use proptest::prelude::*;

fn set(ids: &[u8]) -> BrokerSet {
    BrokerSet::of(ids.iter().copied().map(BrokerId))
}

/// Partition 0 at leader epoch 5 and partition epoch 7 (distinct, so that a test tells which one
/// was bumped), with an empty last known ELR.
fn partition(replicas: &[u8], leader: Option<u8>, isr: &[u8], elr: &[u8]) -> PartitionState {
    PartitionState {
        partition: PartitionId(0),
        replicas: replicas.iter().copied().map(BrokerId).collect(),
        leader: leader.map(BrokerId),
        leader_epoch: LeaderEpoch(5),
        partition_epoch: PartitionEpoch(7),
        isr: set(isr),
        elr: set(elr),
        last_known_elr: BrokerSet::EMPTY,
    }
}

/// An ONLINE election towards `target_isr` with every broker acceptable, no unclean shutdown and
/// ELR disabled. Tests change single fields with struct update syntax.
fn online(target_isr: &[u8]) -> ChangeRequest {
    ChangeRequest {
        target_isr: set(target_isr),
        election: ElectionKind::Online,
        acceptable: set(&[1, 2, 3]),
        unclean_shutdown: None,
        elr_enabled: false,
        last_known_leader: false,
        min_isr: 2,
    }
}

/// The same request with KIP-966 ELR enabled (and with it, as in Kafka, the last-known-leader
/// election) and min ISR 2.
fn with_elr(req: ChangeRequest) -> ChangeRequest {
    ChangeRequest { elr_enabled: true, last_known_leader: true, min_isr: 2, ..req }
}

/// `current` after a leader change: both epochs bumped.
fn new_leader(current: &PartitionState, leader: Option<u8>, isr: &[u8], elr: &[u8]) -> PartitionState {
    PartitionState {
        leader: leader.map(BrokerId),
        leader_epoch: current.leader_epoch.next(),
        partition_epoch: current.partition_epoch.next(),
        isr: set(isr),
        elr: set(elr),
        ..current.clone()
    }
}

/// `current` after an ISR/ELR change under the same leader: only the partition epoch bumped.
fn same_leader(current: &PartitionState, isr: &[u8], elr: &[u8]) -> PartitionState {
    PartitionState { partition_epoch: current.partition_epoch.next(), isr: set(isr), elr: set(elr), ..current.clone() }
}

fn change(next: PartitionState, outcome: ElectionOutcome) -> Option<Change> {
    Some(Change { next, outcome })
}

// ---- Online election -------------------------------------------------------------------------

#[test]
fn a_still_valid_leader_is_kept_even_when_it_is_not_first_in_the_assignment() {
    let current = partition(&[1, 2, 3], Some(3), &[1, 2, 3], &[]);
    let req = online(&[1, 3]);
    let expected = same_leader(&current, &[1, 3], &[]);
    assert_eq!(partition_change(&current, &req), change(expected, ElectionOutcome::Unchanged));
}

#[test]
fn online_election_picks_the_first_valid_replica_in_assignment_order() {
    // 3 comes first in the assignment but is out of sync; 1 is the first ISR member.
    let current = partition(&[3, 1, 2], None, &[1, 2], &[]);
    let req = online(&[1, 2]);
    let expected = new_leader(&current, Some(1), &[1, 2], &[]);
    assert_eq!(partition_change(&current, &req), change(expected, ElectionOutcome::Clean(BrokerId(1))));
}

#[test]
fn online_election_skips_replicas_that_may_not_lead() {
    let current = partition(&[3, 1, 2], None, &[1, 2], &[]);
    let req = ChangeRequest { acceptable: set(&[2, 3]), ..online(&[1, 2]) };
    let expected = new_leader(&current, Some(2), &[1, 2], &[]);
    assert_eq!(partition_change(&current, &req), change(expected, ElectionOutcome::Clean(BrokerId(2))));
}

// ---- Preferred election ----------------------------------------------------------------------

#[test]
fn preferred_election_moves_leadership_to_a_valid_preferred_replica() {
    let current = partition(&[1, 2, 3], Some(2), &[1, 2, 3], &[]);
    let req = ChangeRequest { election: ElectionKind::Preferred, ..online(&[1, 2, 3]) };
    let expected = new_leader(&current, Some(1), &[1, 2, 3], &[]);
    assert_eq!(partition_change(&current, &req), change(expected, ElectionOutcome::Clean(BrokerId(1))));
}

#[test]
fn preferred_election_keeps_a_valid_current_leader_when_the_preferred_replica_is_invalid() {
    // The preferred replica 1 is out of sync; 2 precedes the leader 3 in the assignment but the
    // leader is valid, so nothing changes.
    let current = partition(&[1, 2, 3], Some(3), &[2, 3], &[]);
    let req = ChangeRequest { election: ElectionKind::Preferred, ..online(&[2, 3]) };
    assert_eq!(partition_change(&current, &req), None);
}

#[test]
fn preferred_election_falls_back_to_the_first_valid_other_replica() {
    let current = partition(&[1, 3, 2], None, &[2, 3], &[]);
    let req = ChangeRequest { election: ElectionKind::Preferred, ..online(&[2, 3]) };
    let expected = new_leader(&current, Some(3), &[2, 3], &[]);
    assert_eq!(partition_change(&current, &req), change(expected, ElectionOutcome::Clean(BrokerId(3))));
}

#[test]
fn preferred_election_does_not_move_to_a_preferred_replica_that_may_not_lead() {
    let current = partition(&[1, 2, 3], Some(2), &[1, 2, 3], &[]);
    let req = ChangeRequest { election: ElectionKind::Preferred, acceptable: set(&[2, 3]), ..online(&[1, 2, 3]) };
    assert_eq!(partition_change(&current, &req), None);
}

// ---- Fencing and ISR changes -----------------------------------------------------------------

#[test]
fn fencing_the_leader_elects_the_next_isr_member_and_bumps_both_epochs() {
    let current = partition(&[1, 2, 3], Some(1), &[1, 2, 3], &[]);
    let req = ChangeRequest { acceptable: set(&[2, 3]), ..online(&[2, 3]) };
    let got = partition_change(&current, &req);
    let expected = new_leader(&current, Some(2), &[2, 3], &[]);
    assert_eq!(got, change(expected, ElectionOutcome::Clean(BrokerId(2))));
    let next = got.unwrap().next;
    assert_eq!((next.leader_epoch, next.partition_epoch), (LeaderEpoch(6), PartitionEpoch(8)));
}

#[test]
fn an_isr_only_change_bumps_only_the_partition_epoch() {
    let current = partition(&[1, 2, 3], Some(1), &[1, 2], &[]);
    let got = partition_change(&current, &online(&[1, 2, 3]));
    let expected = same_leader(&current, &[1, 2, 3], &[]);
    assert_eq!(got, change(expected, ElectionOutcome::Unchanged));
    let next = got.unwrap().next;
    assert_eq!((next.leader_epoch, next.partition_epoch), (LeaderEpoch(5), PartitionEpoch(8)));
}

#[test]
fn without_elr_the_last_isr_member_stays_and_the_partition_goes_offline() {
    let current = partition(&[1, 2, 3], Some(1), &[1], &[]);
    let req = ChangeRequest { acceptable: set(&[2, 3]), ..online(&[]) };
    let expected = new_leader(&current, None, &[1], &[]);
    assert_eq!(partition_change(&current, &req), change(expected, ElectionOutcome::Offline));
}

#[test]
fn without_elr_an_offline_partition_comes_back_when_its_last_isr_member_does() {
    let current = partition(&[1, 2, 3], None, &[1], &[]);
    let expected = new_leader(&current, Some(1), &[1], &[]);
    assert_eq!(partition_change(&current, &online(&[1])), change(expected, ElectionOutcome::Clean(BrokerId(1))));
}

#[test]
fn a_request_that_changes_nothing_returns_none() {
    let current = partition(&[1, 2, 3], Some(1), &[1, 2, 3], &[]);
    assert_eq!(partition_change(&current, &online(&[1, 2, 3])), None);
    assert_eq!(partition_change(&current, &with_elr(online(&[1, 2, 3]))), None);
}

// ---- Eligible leader replicas (KIP-966) ------------------------------------------------------

#[test]
fn with_elr_replicas_leaving_an_isr_below_min_isr_become_eligible() {
    let current = partition(&[1, 2, 3], Some(1), &[1, 2], &[]);
    let req = with_elr(ChangeRequest { acceptable: set(&[1, 3]), ..online(&[1]) });
    let expected = same_leader(&current, &[1], &[2]);
    assert_eq!(partition_change(&current, &req), change(expected, ElectionOutcome::Unchanged));
}

#[test]
fn with_elr_replicas_leaving_an_isr_at_min_isr_do_not_become_eligible() {
    let current = partition(&[1, 2, 3], Some(1), &[1, 2, 3], &[]);
    let req = with_elr(ChangeRequest { acceptable: set(&[1, 2]), ..online(&[1, 2]) });
    let expected = same_leader(&current, &[1, 2], &[]);
    assert_eq!(partition_change(&current, &req), change(expected, ElectionOutcome::Unchanged));
}

#[test]
fn with_elr_an_isr_back_at_min_isr_clears_the_whole_elr() {
    // 3 joins, not the ELR member 2: the ELR is cleared all the same.
    let current = partition(&[1, 2, 3], Some(1), &[1], &[2]);
    let req = with_elr(online(&[1, 3]));
    let expected = same_leader(&current, &[1, 3], &[]);
    assert_eq!(partition_change(&current, &req), change(expected, ElectionOutcome::Unchanged));
}

#[test]
fn with_elr_fencing_the_last_isr_member_empties_the_isr_and_remembers_the_old_leader() {
    let current = partition(&[1, 2, 3], Some(1), &[1], &[2]);
    let req = with_elr(ChangeRequest { acceptable: set(&[3]), ..online(&[]) });
    let expected = PartitionState { last_known_elr: set(&[1]), ..new_leader(&current, None, &[], &[1, 2]) };
    assert_eq!(partition_change(&current, &req), change(expected, ElectionOutcome::Offline));
}

#[test]
fn with_elr_an_empty_isr_elects_an_acceptable_elr_member_as_the_whole_isr() {
    // 1 is first in the assignment but fenced; 3 may lead but is not eligible.
    let current = PartitionState { last_known_elr: set(&[1]), ..partition(&[1, 2, 3], None, &[], &[1, 2]) };
    let req = with_elr(ChangeRequest { acceptable: set(&[2, 3]), ..online(&[]) });
    let expected = PartitionState { last_known_elr: BrokerSet::EMPTY, ..new_leader(&current, Some(2), &[2], &[1]) };
    assert_eq!(partition_change(&current, &req), change(expected, ElectionOutcome::Clean(BrokerId(2))));
}

// ---- Unclean shutdown (KIP-966) --------------------------------------------------------------

#[test]
fn an_unclean_shutdown_leader_leaves_the_isr_stays_out_of_the_elr_and_cannot_lead() {
    // Broker 1 is acceptable and first in the assignment, yet loses leadership.
    let current = partition(&[1, 2, 3], Some(1), &[1, 2], &[]);
    let req = with_elr(ChangeRequest { unclean_shutdown: Some(BrokerId(1)), ..online(&[1, 2]) });
    let expected = new_leader(&current, Some(2), &[2], &[]);
    assert_eq!(partition_change(&current, &req), change(expected, ElectionOutcome::Clean(BrokerId(2))));
}

#[test]
fn an_unclean_shutdown_broker_leaves_the_elr_and_cannot_be_elected_from_it() {
    let current = partition(&[1, 2, 3], None, &[], &[1, 2]);
    let req = with_elr(ChangeRequest { unclean_shutdown: Some(BrokerId(1)), ..online(&[]) });
    let expected = new_leader(&current, Some(2), &[2], &[]);
    assert_eq!(partition_change(&current, &req), change(expected, ElectionOutcome::Clean(BrokerId(2))));
}

#[test]
fn an_unclean_shutdown_broker_leaves_the_elr_even_when_nobody_can_lead() {
    let current = partition(&[1, 2, 3], None, &[], &[1, 2]);
    let req = with_elr(ChangeRequest { unclean_shutdown: Some(BrokerId(1)), acceptable: set(&[1, 3]), ..online(&[]) });
    let expected = same_leader(&current, &[], &[2]);
    assert_eq!(partition_change(&current, &req), change(expected, ElectionOutcome::Unchanged));
}

// ---- Last-known-leader election (KIP-966) ----------------------------------------------------

/// Nobody in ISR or ELR: broker 2, the last leader, shut down uncleanly and left the ELR.
fn only_the_last_leader_is_remembered() -> PartitionState {
    PartitionState { last_known_elr: set(&[2]), ..partition(&[1, 2, 3], None, &[], &[]) }
}

#[test]
fn with_isr_and_elr_empty_every_election_kind_elects_the_returning_last_leader_as_the_whole_isr() {
    // Unclean elections too, before the first acceptable replica in assignment order (1).
    let current = only_the_last_leader_is_remembered();
    for election in [ElectionKind::Online, ElectionKind::Preferred, ElectionKind::Unclean] {
        let req = with_elr(ChangeRequest { election, acceptable: set(&[1, 2]), ..online(&[]) });
        let expected = PartitionState { last_known_elr: BrokerSet::EMPTY, ..new_leader(&current, Some(2), &[2], &[]) };
        let outcome = ElectionOutcome::Unclean(BrokerId(2));
        assert_eq!(partition_change(&current, &req), change(expected, outcome), "{election:?}");
    }
}

#[test]
fn a_fenced_last_leader_is_not_elected() {
    // KAFKA-19522 (Kafka 4.1): 4.0 elected it even while fenced.
    let current = only_the_last_leader_is_remembered();
    let req = with_elr(ChangeRequest { acceptable: set(&[1, 3]), ..online(&[]) });
    assert_eq!(partition_change(&current, &req), None);
}

#[test]
fn the_last_leader_is_not_elected_while_the_elr_has_a_member() {
    // 3 is eligible but fenced: the partition waits for it rather than take the last leader.
    let current = PartitionState { last_known_elr: set(&[2]), ..partition(&[1, 2, 3], None, &[], &[3]) };
    let req = with_elr(ChangeRequest { acceptable: set(&[1, 2]), ..online(&[]) });
    assert_eq!(partition_change(&current, &req), None);
}

#[test]
fn without_the_last_known_leader_election_the_partition_stays_offline() {
    let current = only_the_last_leader_is_remembered();
    let req = ChangeRequest {
        last_known_leader: false,
        ..with_elr(ChangeRequest { acceptable: set(&[1, 2]), ..online(&[]) })
    };
    assert_eq!(partition_change(&current, &req), None);
}

// ---- Unclean election ------------------------------------------------------------------------

#[test]
fn unclean_election_picks_the_first_acceptable_replica_when_nobody_is_valid() {
    // With ELR: the only eligible replica 1 is gone; 2 wins out of sync, becomes the whole ISR,
    // and the ELR and last known ELR are cleared.
    let current = PartitionState { last_known_elr: set(&[1]), ..partition(&[1, 2, 3], None, &[], &[1]) };
    let req = with_elr(ChangeRequest { election: ElectionKind::Unclean, acceptable: set(&[2, 3]), ..online(&[]) });
    let expected = PartitionState { last_known_elr: BrokerSet::EMPTY, ..new_leader(&current, Some(2), &[2], &[]) };
    assert_eq!(partition_change(&current, &req), change(expected, ElectionOutcome::Unclean(BrokerId(2))));
}

#[test]
fn unclean_election_without_elr_replaces_the_stuck_isr_in_assignment_order() {
    let current = partition(&[1, 3, 2], None, &[1], &[]);
    let req = ChangeRequest { election: ElectionKind::Unclean, acceptable: set(&[2, 3]), ..online(&[1]) };
    let expected = new_leader(&current, Some(3), &[3], &[]);
    assert_eq!(partition_change(&current, &req), change(expected, ElectionOutcome::Unclean(BrokerId(3))));
}

#[test]
fn unclean_election_still_elects_a_valid_replica_cleanly_when_there_is_one() {
    let current = partition(&[1, 2, 3], Some(1), &[1, 2, 3], &[]);
    let req = ChangeRequest { election: ElectionKind::Unclean, acceptable: set(&[2, 3]), ..online(&[2, 3]) };
    let expected = new_leader(&current, Some(2), &[2, 3], &[]);
    assert_eq!(partition_change(&current, &req), change(expected, ElectionOutcome::Clean(BrokerId(2))));
}

// ---- Properties over random small partitions -------------------------------------------------

/// A random partition record of brokers 1..=3 and a random change asked of it, restricted to what
/// the controller can produce:
/// - without ELR the ISR is never empty, ELR and last known ELR stay empty, and no unclean
///   shutdown is detected (that is KIP-966 too);
/// - the ELR is disjoint from the ISR, and a leader is an ISR member;
/// - a leader leaving the (effective) target ISR may not lead: Kafka removes a leader from the ISR
///   only when fencing it, shutting it down or after its unclean shutdown, and the leader's own
///   AlterPartition keeps it in the ISR. Without this precondition, `partition_change` (like
///   Kafka's `electAnyLeader`) keeps such a leader, leaving it outside the new ISR.
fn scenario() -> impl Strategy<Value = (PartitionState, ChangeRequest)> {
    let subset =
        || (0u8..8).prop_map(|bits| BrokerSet::of((1..=3).filter(|b| bits & (1 << (b - 1)) != 0).map(BrokerId)));
    let election = prop_oneof![Just(ElectionKind::Online), Just(ElectionKind::Preferred), Just(ElectionKind::Unclean)];
    let record =
        (Just(vec![1u8, 2, 3]).prop_shuffle(), subset(), subset(), any::<prop::sample::Index>(), any::<bool>());
    let epochs = (0u8..4, 0u8..4, subset());
    let request = (subset(), subset(), election, any::<bool>(), any::<bool>(), 1usize..=3, prop::option::of(1u8..=3));
    (record, epochs, request).prop_filter_map(
        "an ISR cannot be empty without ELR",
        |((replicas, isr, elr, leader_pick, has_leader), (leader_epoch, partition_epoch, last_known_elr), request)| {
            let (target_isr, acceptable, election, elr_enabled, last_known_leader, min_isr, unclean_shutdown) = request;
            if !elr_enabled && isr.is_empty() {
                return None;
            }
            let members: Vec<BrokerId> = isr.iter().collect();
            let leader = (has_leader && !members.is_empty()).then(|| *leader_pick.get(&members));
            let current = PartitionState {
                partition: PartitionId(0),
                replicas: replicas.into_iter().map(BrokerId).collect(),
                leader,
                leader_epoch: LeaderEpoch(u32::from(leader_epoch)),
                partition_epoch: PartitionEpoch(u32::from(partition_epoch)),
                isr,
                elr: if elr_enabled { elr.minus(isr) } else { BrokerSet::EMPTY },
                last_known_elr: if elr_enabled { last_known_elr } else { BrokerSet::EMPTY },
            };
            let unclean_shutdown = unclean_shutdown.filter(|_| elr_enabled).map(BrokerId);
            let effective_target = unclean_shutdown.map_or(target_isr, |b| target_isr.without(b));
            let acceptable = match leader {
                Some(l) if !effective_target.contains(l) => acceptable.without(l),
                _ => acceptable,
            };
            let last_known_leader = last_known_leader && elr_enabled;
            let req = ChangeRequest {
                target_isr,
                election,
                acceptable,
                unclean_shutdown,
                elr_enabled,
                last_known_leader,
                min_isr,
            };
            Some((current, req))
        },
    )
}

proptest! {
    #[test]
    fn a_clean_or_unchanged_leader_is_in_the_resulting_isr((current, req) in scenario()) {
        if let Some(Change { next, outcome }) = partition_change(&current, &req) {
            if matches!(outcome, ElectionOutcome::Clean(_) | ElectionOutcome::Unchanged) {
                if let Some(leader) = next.leader {
                    prop_assert!(next.isr.contains(leader), "leader {leader} outside ISR {}: {next}", next.isr);
                }
            }
        }
    }

    #[test]
    fn a_clean_new_leader_was_in_the_target_isr_or_the_elr_and_is_acceptable((current, req) in scenario()) {
        if let Some(Change { outcome: ElectionOutcome::Clean(w), .. }) = partition_change(&current, &req) {
            let target = req.unclean_shutdown.map_or(req.target_isr, |b| req.target_isr.without(b));
            let eligible = current.elr.union(current.isr);
            let from_elr = req.elr_enabled && target.is_empty() && eligible.contains(w);
            prop_assert!(target.contains(w) || from_elr, "{w} neither in target ISR {target} nor eligible");
            prop_assert!(req.acceptable.contains(w));
            prop_assert_ne!(Some(w), req.unclean_shutdown);
        }
    }

    #[test]
    fn without_elr_the_isr_is_never_empty((current, req) in scenario()) {
        if !req.elr_enabled {
            let next = partition_change(&current, &req).map_or(current, |c| c.next);
            prop_assert!(!next.isr.is_empty());
        }
    }

    #[test]
    fn leader_epoch_bumps_iff_the_leader_changes_and_partition_epoch_iff_anything_does(
        (current, req) in scenario()
    ) {
        match partition_change(&current, &req) {
            None => {}
            Some(Change { next, outcome }) => {
                let leader_changed = next.leader != current.leader;
                let expected_leader_epoch =
                    if leader_changed { current.leader_epoch.next() } else { current.leader_epoch };
                prop_assert_eq!(next.leader_epoch, expected_leader_epoch);
                prop_assert_eq!(leader_changed, outcome != ElectionOutcome::Unchanged);
                prop_assert_eq!(next.partition_epoch, current.partition_epoch.next());
                let unbumped = PartitionState { partition_epoch: current.partition_epoch, ..next.clone() };
                prop_assert_ne!(&unbumped, &current, "a record was written that changes nothing");
            }
        }
    }

    #[test]
    fn elr_and_isr_are_disjoint((current, req) in scenario()) {
        if let Some(Change { next, .. }) = partition_change(&current, &req) {
            prop_assert!(next.elr.minus(next.isr) == next.elr, "ISR {} and ELR {} overlap", next.isr, next.elr);
        }
    }

    #[test]
    fn outside_an_unclean_election_only_the_single_remembered_last_leader_wins_uncleanly(
        (current, req) in scenario()
    ) {
        if let Some(Change { next, outcome: ElectionOutcome::Unclean(w) }) = partition_change(&current, &req) {
            if req.election != ElectionKind::Unclean {
                prop_assert!(req.last_known_leader);
                prop_assert_eq!(current.last_known_elr, BrokerSet::of([w]));
                prop_assert!(req.acceptable.contains(w));
                prop_assert_ne!(Some(w), req.unclean_shutdown);
                prop_assert_eq!(next.isr, BrokerSet::of([w]));
                prop_assert_eq!(next.elr, BrokerSet::EMPTY);
            }
        }
    }
}
