//! `kelp cluster check-logs` reads the brokers' files as they are: a damaged log is reported, not
//! cut by the recovery that opening it would run, and a broker that never started gets no files.

use kelp_impl::cluster::{self, ClusterError};
use kelp_impl::cluster_file::ClusterFile;
use kelp_impl::storage::{self, Storage};
use kelp_model::config::{Config, FlushPolicy};
use kelp_model::ids::{BrokerId, LeaderEpoch, ProducerId, Sequence};
use kelp_model::log::Record;
use std::fs;

#[test]
fn a_damaged_log_is_reported_and_left_as_it_is() {
    let config =
        Config { brokers: 2, partitions: 1, replication_factor: 2, min_insync_replicas: 1, ..Config::default() };
    let dir = tempfile::tempdir().unwrap();
    let cluster = ClusterFile::on_free_ports(config.clone()).unwrap();
    cluster.write(dir.path()).unwrap();
    // Broker 1 ran and saved one record; broker 2 never started.
    let data = |b: u32| dir.path().join("data").join(format!("broker-{b}"));
    let (mut files, _) = Storage::open(&data(1), &cluster.cluster_id, BrokerId(1), 1).unwrap();
    let mut disk = kelp_model::broker::Disk::empty(&config);
    disk.replicas[0].append(Record::new(LeaderEpoch::default(), ProducerId(1), Sequence(0)), FlushPolicy::Never);
    files.save(&disk).unwrap();
    drop(files);
    assert!(cluster::check_logs(dir.path()).is_ok());
    assert!(!data(2).join(storage::META_PROPERTIES).exists(), "nothing made for a broker that never ran");

    let log = storage::partition_dir(&data(1), 0).join(storage::LOG_FILE);
    let mut bytes = fs::read(&log).unwrap();
    bytes.extend_from_slice(&[0xAB; 100]);
    fs::write(&log, &bytes).unwrap();
    match cluster::check_logs(dir.path()) {
        Err(e @ ClusterError::LogDamaged { broker: 1, .. }) => {
            assert!(e.to_string().contains("at offset 1, 100 byte(s) from the end"), "{e}")
        }
        other => panic!("expected the damage reported, got {other:?}"),
    }
    assert_eq!(fs::read(&log).unwrap(), bytes, "the damaged tail is still there");
}
