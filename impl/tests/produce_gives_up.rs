//! `kelp produce` ends when the cluster cannot take its records: with no controller answering it
//! is an error at once (after the client's few attempts), and with a controller but no leader
//! each record waiting fails once `delivery.timeout.ms` passes. Nodes run as threads on loopback.

mod common;

use common::{join_within, spawn_node};
use kelp_impl::client::{self, ClientError, ProduceOptions};
use kelp_impl::cluster_file::ClusterFile;
use kelp_model::config::{Acks, Config};
use kelp_model::log::Value;
use std::time::{Duration, Instant};

fn options(delivery_timeout: Duration) -> ProduceOptions {
    ProduceOptions {
        acks: Acks::All,
        idempotence: true,
        request_timeout: Duration::from_millis(200),
        retries: 16,
        delivery_timeout,
    }
}

/// A cluster of one broker, its file written in a fresh directory; no node is started.
fn cluster() -> tempfile::TempDir {
    let config =
        Config { brokers: 1, partitions: 1, replication_factor: 1, min_insync_replicas: 1, ..Config::default() };
    let dir = tempfile::tempdir().unwrap();
    ClusterFile::on_free_ports(config).unwrap().write(dir.path()).unwrap();
    dir
}

#[test]
fn with_no_controller_answering_produce_is_an_error_and_sends_nothing() {
    let dir = cluster();
    let mut out = Vec::new();
    let started = Instant::now();
    let result = client::produce(dir.path(), vec![Value::from("a")], &options(Duration::from_secs(60)), &mut out);
    assert!(matches!(result, Err(ClientError::NoAnswer { .. })), "{result:?}");
    assert!(started.elapsed() < Duration::from_secs(30), "gave up after {:?}", started.elapsed());
    assert_eq!(String::from_utf8(out).unwrap(), "");
}

#[test]
fn with_no_leader_every_record_fails_once_the_delivery_timeout_passes() {
    // The controller answers, but no broker ever registers: the partition has no leader.
    let dir = cluster();
    let (stop, controller) = spawn_node(dir.path(), 0);
    let mut out = Vec::new();
    let values = vec![Value::from("a"), Value::from("b")];
    let started = Instant::now();
    let summary = client::produce(dir.path(), values, &options(Duration::from_millis(1_500)), &mut out).unwrap();
    let took = started.elapsed();
    stop.request();
    join_within(controller, Duration::from_secs(10), "the controller").unwrap();
    assert_eq!((summary.acked, summary.failed, summary.sent), (0, 2, 0));
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "record 0: t-0 error DELIVERY_TIMEOUT\nrecord 1: t-0 error DELIVERY_TIMEOUT\n"
    );
    assert!(took >= Duration::from_millis(1_500) && took < Duration::from_secs(30), "took {took:?}");
}
