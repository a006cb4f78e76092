//! Consumers' fetches: only committed records (below the HW), at most `fetch_max_records`, and
//! only from the leader.

use super::*;

/// Broker 1 leading partition 0 in epoch 2 with four records of epoch 1, HW 2.
fn leader_with_committed(cfg: &Config) -> BrokerState {
    let mut leader = with_log(cfg, 1, &[1, 1, 1, 1], 2);
    step(&mut leader, cfg, 1, Msg::PartitionChange(meta(Some(1), 2, 2, &[1, 2, 3])));
    assert_eq!(hw(&leader), Offset(2));
    leader
}

fn consumer_fetch(partition: u8, fetch_offset: u32) -> ClientRequest {
    ClientRequest::ConsumerFetch { partition: PartitionId(partition), fetch_offset: Offset(fetch_offset) }
}

fn consumer_records(
    partition: u8,
    fetch_offset: u32,
    result: Result<(Vec<Record>, u32), FetchError>,
) -> Option<ClientResponse> {
    Some(ClientResponse::ConsumerRecords {
        partition: PartitionId(partition),
        fetch_offset: Offset(fetch_offset),
        result: result.map(|(records, hw)| (records, Offset(hw))),
    })
}

#[test]
fn a_consumer_fetch_returns_only_committed_records_from_its_offset_and_the_hw() {
    let cfg = Config::default();
    let leader = leader_with_committed(&cfg);
    let before = leader.clone();
    let c = ctx(&cfg, 1);
    assert_eq!(
        leader.on_client_request(c, consumer_fetch(0, 0)),
        consumer_records(0, 0, Ok((vec![rec(1, 0), rec(1, 1)], 2)))
    );
    assert_eq!(leader.on_client_request(c, consumer_fetch(0, 1)), consumer_records(0, 1, Ok((vec![rec(1, 1)], 2))));
    // At the HW, or past it up to the log end (4): nothing yet, and the HW.
    assert_eq!(leader.on_client_request(c, consumer_fetch(0, 2)), consumer_records(0, 2, Ok((vec![], 2))));
    assert_eq!(leader.on_client_request(c, consumer_fetch(0, 3)), consumer_records(0, 3, Ok((vec![], 2))));
    assert_eq!(leader.on_client_request(c, consumer_fetch(0, 4)), consumer_records(0, 4, Ok((vec![], 2))));
    // Past the log end: OFFSET_OUT_OF_RANGE, as Kafka's `LocalLog.read` throws.
    assert_eq!(
        leader.on_client_request(c, consumer_fetch(0, 5)),
        consumer_records(0, 5, Err(FetchError::OffsetOutOfRange))
    );
    assert_eq!(
        leader.on_client_request(c, consumer_fetch(0, 9)),
        consumer_records(0, 9, Err(FetchError::OffsetOutOfRange))
    );
    assert_eq!(leader, before);
}

#[test]
fn a_consumer_fetch_returns_at_most_fetch_max_records() {
    let mut cfg = Config::default();
    cfg.runtime.fetch_max_records = Some(1);
    let leader = leader_with_committed(&cfg);
    let c = ctx(&cfg, 1);
    assert_eq!(leader.on_client_request(c, consumer_fetch(0, 0)), consumer_records(0, 0, Ok((vec![rec(1, 0)], 2))));
    assert_eq!(leader.on_client_request(c, consumer_fetch(0, 1)), consumer_records(0, 1, Ok((vec![rec(1, 1)], 2))));
    cfg.runtime.fetch_max_records = Some(5);
    let c = ctx(&cfg, 1);
    assert_eq!(
        leader.on_client_request(c, consumer_fetch(0, 0)),
        consumer_records(0, 0, Ok((vec![rec(1, 0), rec(1, 1)], 2))),
        "a limit above the committed records changes nothing"
    );
}

#[test]
fn a_broker_that_does_not_lead_refuses_a_consumer_fetch() {
    let cfg = Config::default();
    let follower = boot(&cfg, 2);
    assert_eq!(
        follower.on_client_request(ctx(&cfg, 2), consumer_fetch(0, 0)),
        consumer_records(0, 0, Err(FetchError::NotLeaderOrFollower))
    );
    // A broker with no replica of the partition (no metadata applied) refuses it the same way.
    let cfg = Config { partitions: 2, replication_factor: 1, min_insync_replicas: 1, ..Config::default() };
    let broker = boot(&cfg, 3);
    assert_eq!(
        broker.on_client_request(ctx(&cfg, 3), consumer_fetch(1, 0)),
        consumer_records(1, 0, Err(FetchError::NotLeaderOrFollower))
    );
}

#[test]
fn a_consumer_fetch_of_an_unknown_partition_is_refused() {
    let cfg = Config::default();
    let leader = leader_with_committed(&cfg);
    assert_eq!(
        leader.on_client_request(ctx(&cfg, 1), consumer_fetch(1, 0)),
        consumer_records(1, 0, Err(FetchError::UnknownTopicOrPartition))
    );
    assert_eq!(
        leader.on_client_request(ctx(&cfg, 1), consumer_fetch(200, 0)),
        consumer_records(200, 0, Err(FetchError::UnknownTopicOrPartition))
    );
}

#[test]
fn a_broker_answers_no_controller_request_and_nothing_while_down() {
    let cfg = Config::default();
    let mut leader = leader_with_committed(&cfg);
    let c = ctx(&cfg, 1);
    assert_eq!(leader.on_client_request(c, ClientRequest::DescribePartitions), None);
    let elect = ClientRequest::ElectLeaders { election: ElectionType::Preferred, partitions: vec![P0] };
    assert_eq!(leader.on_client_request(c, elect), None);
    tick(&mut leader, &cfg, 1, Timer::Crash);
    assert_eq!(leader.on_client_request(c, consumer_fetch(0, 0)), None);
}
