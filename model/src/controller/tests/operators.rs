//! Operators' requests: DescribeTopicPartitions and ElectLeaders (preferred and unclean,
//! KIP-460).

use super::*;

#[test]
fn describe_partitions_returns_every_partition_record_and_changes_nothing() {
    let cfg = Config { partitions: 2, ..Config::default() };
    let mut c = ControllerState::bootstrap(&cfg);
    c.partitions[0] = record(Some(2), 2, 3, &[2, 3], &[], &[]);
    let before = c.clone();
    let (response, fx) = ask(&mut c, &cfg, ClientRequest::DescribePartitions);
    let mut p1 = partition_record(Some(2), 1, 1, &[1, 2, 3]);
    p1.partition = PartitionId(1);
    p1.replicas = vec![b(2), b(3), b(1)];
    assert_eq!(response, Some(ClientResponse::Partitions(vec![record(Some(2), 2, 3, &[2, 3], &[], &[]), p1])));
    assert_eq!(fx, Effects::default());
    assert_eq!(c, before);
}

#[test]
fn a_preferred_election_when_the_preferred_replica_leads_is_not_needed() {
    let cfg = Config::default();
    let mut c = ControllerState::bootstrap(&cfg);
    assert_eq!(
        ask_idle(&mut c, &cfg, elect(ElectionType::Preferred, &[0])),
        elected(vec![(0, Err(ElectLeadersError::ElectionNotNeeded))])
    );
}

#[test]
fn a_preferred_election_moves_leadership_back_to_the_preferred_replica_and_publishes_it() {
    let cfg = Config::default();
    let mut c = ControllerState::bootstrap(&cfg);
    c.partitions[0] = record(Some(2), 2, 2, &[1, 2, 3], &[], &[]);
    let (response, fx) = ask(&mut c, &cfg, elect(ElectionType::Preferred, &[0]));
    assert_eq!(response, elected(vec![(0, Ok(()))]));
    // A new leader epoch: the record goes to every replica and every producer.
    let r = record(Some(1), 3, 3, &[1, 2, 3], &[], &[]);
    assert_eq!(fx, sends(to_everyone(&r)));
    assert_eq!(c.partitions, vec![r]);
    assert_eq!(c.brokers, ControllerState::bootstrap(&cfg).brokers);
}

#[test]
fn a_preferred_election_without_the_preferred_replica_in_the_isr_is_refused() {
    let cfg = Config::default();
    let mut c = ControllerState::bootstrap(&cfg);
    c.partitions[0] = record(Some(2), 2, 2, &[2, 3], &[], &[]);
    assert_eq!(
        ask_idle(&mut c, &cfg, elect(ElectionType::Preferred, &[0])),
        elected(vec![(0, Err(ElectLeadersError::PreferredLeaderNotAvailable))])
    );
}

#[test]
fn a_preferred_election_with_the_preferred_replica_fenced_or_shutting_down_is_refused() {
    let cfg = Config::default();
    for preferred in [reg(1, true, false), reg(1, false, true)] {
        let mut c = ControllerState::bootstrap(&cfg);
        c.brokers[0] = preferred;
        c.partitions[0] = record(Some(2), 2, 2, &[1, 2, 3], &[], &[]);
        assert_eq!(
            ask_idle(&mut c, &cfg, elect(ElectionType::Preferred, &[0])),
            elected(vec![(0, Err(ElectLeadersError::PreferredLeaderNotAvailable))])
        );
    }
}

#[test]
fn a_preferred_election_on_a_leaderless_partition_elects_the_next_valid_replica() {
    // PartitionChangeBuilder.electPreferredLeader: the preferred replica (fenced) cannot lead,
    // there is no current leader, so the first valid other replica wins.
    let cfg = Config::default();
    let mut c = ControllerState::bootstrap(&cfg);
    c.brokers[0] = reg(1, true, false);
    c.partitions[0] = record(None, 2, 3, &[1, 3], &[], &[]);
    let (response, fx) = ask(&mut c, &cfg, elect(ElectionType::Preferred, &[0]));
    assert_eq!(response, elected(vec![(0, Ok(()))]));
    let r = record(Some(3), 3, 4, &[1, 3], &[], &[]);
    assert_eq!(fx, sends(to_everyone(&r)));
    assert_eq!(c.partitions, vec![r]);
}

#[test]
fn an_unclean_election_when_a_leader_exists_is_not_needed() {
    let cfg = Config::default();
    let mut c = ControllerState::bootstrap(&cfg);
    c.partitions[0] = record(Some(2), 2, 2, &[2], &[3], &[]);
    assert_eq!(
        ask_idle(&mut c, &cfg, elect(ElectionType::Unclean, &[0])),
        elected(vec![(0, Err(ElectLeadersError::ElectionNotNeeded))])
    );
}

#[test]
fn an_unclean_election_elects_an_out_of_sync_replica_whatever_the_topic_config() {
    // The operator's unclean election runs even with `unclean.leader.election.enable=false`: the
    // topic config only decides the controller's own elections.
    for unclean_leader_election in [false, true] {
        let cfg = Config { unclean_leader_election, ..Config::default() };
        let mut c = ControllerState::bootstrap(&cfg);
        // Offline: ISR empty, ELR {2,3} both fenced; broker 1 (out of sync) is active again.
        c.brokers = vec![reg(5, false, false), reg(2, true, false), reg(3, true, false)];
        c.partitions[0] = record(None, 4, 4, &[], &[2, 3], &[3]);
        let (response, fx) = ask(&mut c, &cfg, elect(ElectionType::Unclean, &[0]));
        assert_eq!(response, elected(vec![(0, Ok(()))]));
        // The unclean leader is the whole ISR, and the ELR and last known ELR are cleared.
        let r = record(Some(1), 5, 5, &[1], &[], &[]);
        assert_eq!(fx, sends(to_everyone(&r)), "unclean_leader_election = {unclean_leader_election}");
        assert_eq!(c.partitions, vec![r]);
    }
}

#[test]
fn an_unclean_election_prefers_an_eligible_leader_replica() {
    let cfg = Config::default();
    let mut c = ControllerState::bootstrap(&cfg);
    // Broker 3 of the ELR is active: it wins cleanly, before the out-of-sync broker 1.
    c.brokers = vec![reg(5, false, false), reg(2, true, false), reg(3, false, false)];
    c.partitions[0] = record(None, 4, 4, &[], &[2, 3], &[3]);
    let (response, fx) = ask(&mut c, &cfg, elect(ElectionType::Unclean, &[0]));
    assert_eq!(response, elected(vec![(0, Ok(()))]));
    let r = record(Some(3), 5, 5, &[3], &[2], &[]);
    assert_eq!(fx, sends(to_everyone(&r)));
    assert_eq!(c.partitions, vec![r]);
}

#[test]
fn an_unclean_election_without_any_active_replica_is_refused() {
    let cfg = Config::default();
    let mut c = ControllerState::bootstrap(&cfg);
    c.brokers = vec![reg(1, true, false), reg(2, true, false), reg(3, true, false)];
    c.partitions[0] = record(None, 4, 4, &[], &[2, 3], &[3]);
    assert_eq!(
        ask_idle(&mut c, &cfg, elect(ElectionType::Unclean, &[0])),
        elected(vec![(0, Err(ElectLeadersError::EligibleLeadersNotAvailable))])
    );
}

#[test]
fn an_election_of_an_unknown_partition_is_refused_and_the_others_still_run() {
    let cfg = Config { partitions: 2, ..Config::default() };
    let mut c = ControllerState::bootstrap(&cfg);
    c.partitions[0] = record(Some(3), 2, 2, &[1, 2, 3], &[], &[]);
    let (response, fx) = ask(&mut c, &cfg, elect(ElectionType::Preferred, &[2, 0, 1]));
    assert_eq!(
        response,
        elected(vec![
            (2, Err(ElectLeadersError::UnknownTopicOrPartition)),
            (0, Ok(())),
            (1, Err(ElectLeadersError::ElectionNotNeeded)),
        ])
    );
    let r = record(Some(1), 3, 3, &[1, 2, 3], &[], &[]);
    assert_eq!(
        fx,
        sends(vec![
            (Address::Broker(b(1)), Msg::PartitionChange(r.clone())),
            (Address::Broker(b(2)), Msg::PartitionChange(r.clone())),
            (Address::Broker(b(3)), Msg::PartitionChange(r.clone())),
            (Address::Producer(ProducerId(1)), Msg::PartitionChange(r.clone())),
        ])
    );
    assert_eq!(c.partitions[0], r);

    assert_eq!(
        ask_idle(&mut c, &cfg, elect(ElectionType::Unclean, &[7])),
        elected(vec![(7, Err(ElectLeadersError::UnknownTopicOrPartition))])
    );
}

#[test]
fn an_election_of_no_partitions_answers_an_empty_list() {
    let cfg = Config::default();
    let mut c = ControllerState::bootstrap(&cfg);
    let (response, fx) = ask(&mut c, &cfg, elect(ElectionType::Preferred, &[]));
    assert_eq!(response, elected(vec![]));
    assert_eq!(fx, Effects::default());
}

#[test]
fn a_consumer_fetch_to_the_controller_is_not_answered() {
    let cfg = Config::default();
    let mut c = ControllerState::bootstrap(&cfg);
    let before = c.clone();
    let (response, fx) =
        ask(&mut c, &cfg, ClientRequest::ConsumerFetch { partition: P0, fetch_offset: crate::ids::Offset(0) });
    assert_eq!(response, None);
    assert_eq!(fx, Effects::default());
    assert_eq!(c, before);
}
