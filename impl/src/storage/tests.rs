use super::checkpoint::from_u64;
use super::log_file::encode_frame;
use super::*;
use kelp_model::config::FlushPolicy;
use kelp_model::ids::{BrokerEpoch, LeaderEpoch};
use proptest::prelude::*;
use std::os::unix::fs::MetadataExt;

const CLUSTER: &str = "kelp-test-cluster";
const PARTITIONS: usize = 2;

/// A record, built through serde so that these tests survive the model's records growing a
/// `value` field (of whatever plausible type) and its ids widening.
fn rec(epoch: u64, sequence: u64) -> Record {
    let base = serde_json::json!({ "epoch": epoch, "producer": 1, "sequence": sequence });
    let values = [
        None,
        Some(serde_json::json!(sequence)),
        Some(serde_json::json!(format!("v{sequence}"))),
        Some(serde_json::json!([sequence])),
        Some(serde_json::Value::Null),
    ];
    for value in values {
        let mut json = base.clone();
        if let Some(v) = value {
            json["value"] = v;
        }
        if let Ok(record) = serde_json::from_value(json) {
            return record;
        }
    }
    panic!("cannot build a Record from {base}")
}

fn epoch(n: u64) -> LeaderEpoch {
    from_u64(n).unwrap()
}

fn offset(n: usize) -> Offset {
    Offset::of_len(n)
}

fn open_dir(dir: &Path) -> (Storage, Option<Disk>) {
    Storage::open(dir, CLUSTER, BrokerId(1), PARTITIONS).unwrap()
}

fn reopen(storage: Storage) -> Disk {
    let dir = storage.dir().to_path_buf();
    drop(storage);
    open_dir(&dir).1.expect("a saved directory reopens with a disk")
}

fn empty_disk() -> Disk {
    Disk::from(DiskContents { replicas: vec![ReplicaDisk::default(); PARTITIONS], clean_shutdown_epoch: None })
}

/// Appends records `(epoch, sequence)` to partition `p`.
fn append(disk: &mut Disk, p: usize, records: &[(u64, u64)], flush: FlushPolicy) {
    for (e, s) in records {
        disk.replicas[p].append(rec(*e, *s), flush);
    }
}

fn log_path(dir: &Path, p: usize) -> PathBuf {
    partition_dir(dir, p).join(LOG_FILE)
}

fn file_len(path: &Path) -> u64 {
    fs::metadata(path).unwrap().len()
}

fn frame_len(record: &Record) -> u64 {
    let mut buf = Vec::new();
    encode_frame(record, &mut buf).unwrap();
    buf.len() as u64
}

/// Every file under `dir` with its content, to show that nothing was touched.
fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push((path.clone(), fs::read(&path).unwrap()));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn a_fresh_directory_opens_as_none_until_the_first_save() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("broker-1");
    let (storage, disk) = open_dir(&dir);
    assert_eq!(disk, None);
    let meta = fs::read_to_string(dir.join(META_PROPERTIES)).unwrap();
    assert!(meta.contains("cluster.id=kelp-test-cluster\n"), "{meta}");
    assert!(meta.contains("node.id=1\n"), "{meta}");
    assert!(meta.contains("version=1\n"), "{meta}");
    drop(storage);

    let (mut storage, disk) = open_dir(&dir);
    assert_eq!(disk, None, "nothing was saved yet");
    storage.save(&empty_disk()).unwrap();
    assert_eq!(reopen(storage), empty_disk());
}

#[test]
fn save_then_open_round_trips_and_writes_kafka_formats() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut storage, _) = open_dir(tmp.path());
    let mut disk = empty_disk();
    append(&mut disk, 0, &[(1, 0), (1, 1), (3, 2)], FlushPolicy::Never);
    disk.replicas[0].flushed = offset(2);
    disk.replicas[0].high_watermark = offset(1);
    append(&mut disk, 1, &[(2, 3)], FlushPolicy::Always);
    disk.replicas[1].log.assign_epoch(epoch(4), offset(1));
    disk.clean_shutdown_epoch = Some(BrokerEpoch(7));
    storage.save(&disk).unwrap();

    let dir = tmp.path();
    let text = |path: PathBuf| fs::read_to_string(path).unwrap();
    assert_eq!(text(partition_dir(dir, 0).join(EPOCH_CHECKPOINT)), "0\n2\n1 0\n3 2\n");
    assert_eq!(text(partition_dir(dir, 1).join(EPOCH_CHECKPOINT)), "0\n2\n2 0\n4 1\n");
    assert_eq!(text(dir.join(HW_CHECKPOINT)), "0\n2\nt 0 1\nt 1 0\n");
    assert_eq!(text(dir.join(CLEAN_SHUTDOWN)), "{\"version\":0,\"brokerEpoch\":7}\n");
    let frames: u64 = disk.replicas[0].log.records[..2].iter().map(frame_len).sum();
    assert_eq!(text(partition_dir(dir, 0).join(FLUSHED_CHECKPOINT)), format!("0\n2 {frames}\n"));

    assert_eq!(reopen(storage), disk);
}

#[test]
fn appends_write_only_the_new_frames_and_an_unchanged_disk_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut storage, _) = open_dir(tmp.path());
    let mut disk = empty_disk();
    append(&mut disk, 0, &[(1, 0), (1, 1)], FlushPolicy::Never);
    storage.save(&disk).unwrap();
    let log = log_path(tmp.path(), 0);
    let before = fs::read(&log).unwrap();

    append(&mut disk, 0, &[(1, 2)], FlushPolicy::Never);
    storage.save(&disk).unwrap();
    let after = fs::read(&log).unwrap();
    assert_eq!(after.len() as u64, before.len() as u64 + frame_len(&rec(1, 2)));
    assert_eq!(&after[..before.len()], &before[..], "earlier frames are not rewritten");

    let epochs = partition_dir(tmp.path(), 0).join(EPOCH_CHECKPOINT);
    let inode = fs::metadata(&epochs).unwrap().ino();
    let all = snapshot(tmp.path());
    storage.save(&disk.clone()).unwrap();
    assert_eq!(fs::metadata(&epochs).unwrap().ino(), inode, "an unchanged checkpoint is not replaced");
    assert_eq!(snapshot(tmp.path()), all);
    assert_eq!(reopen(storage), disk);
}

#[test]
fn a_divergent_log_is_cut_at_the_divergence_and_round_trips() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut storage, _) = open_dir(tmp.path());
    let mut disk = empty_disk();
    append(&mut disk, 0, &[(1, 0), (1, 1), (1, 2)], FlushPolicy::Always);
    storage.save(&disk).unwrap();
    let log = log_path(tmp.path(), 0);
    let prefix = fs::read(&log).unwrap()[..frame_len(&rec(1, 0)) as usize].to_vec();

    disk.replicas[0].truncate_to(offset(1));
    append(&mut disk, 0, &[(2, 5), (2, 6)], FlushPolicy::Never);
    storage.save(&disk).unwrap();
    let bytes = fs::read(&log).unwrap();
    assert_eq!(bytes.len() as u64, prefix.len() as u64 + frame_len(&rec(2, 5)) + frame_len(&rec(2, 6)));
    assert_eq!(&bytes[..prefix.len()], &prefix[..]);
    assert_eq!(disk.replicas[0].flushed, offset(1));
    assert_eq!(reopen(storage), disk);
}

#[test]
fn a_torn_last_frame_is_cut_and_earlier_records_kept() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut storage, _) = open_dir(tmp.path());
    let mut disk = empty_disk();
    append(&mut disk, 0, &[(1, 0), (1, 1), (1, 2)], FlushPolicy::Never);
    storage.save(&disk).unwrap();
    drop(storage);
    let log = log_path(tmp.path(), 0);
    let len = file_len(&log);
    fs::OpenOptions::new().write(true).open(&log).unwrap().set_len(len - 3).unwrap();

    let (_storage, recovered) = open_dir(tmp.path());
    let recovered = recovered.unwrap();
    assert_eq!(recovered.replicas[0].log.records, disk.replicas[0].log.records[..2]);
    assert_eq!(file_len(&log), len - frame_len(&rec(1, 2)), "the torn frame is cut off the file");
}

#[test]
fn log_damage_tells_what_recovery_would_cut_and_touches_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    assert_eq!(log_damage(tmp.path(), 0).unwrap(), None, "no log, no damage");
    let (mut storage, _) = open_dir(tmp.path());
    let mut disk = empty_disk();
    append(&mut disk, 0, &[(1, 0), (1, 1), (1, 2)], FlushPolicy::Never);
    storage.save(&disk).unwrap();
    drop(storage);
    assert_eq!(log_damage(tmp.path(), 0).unwrap(), None, "a sound log");
    let log = log_path(tmp.path(), 0);
    let len = file_len(&log);
    fs::OpenOptions::new().write(true).open(&log).unwrap().set_len(len - 3).unwrap();
    let before = snapshot(tmp.path());

    let damage = log_damage(tmp.path(), 0).unwrap().expect("a torn frame");
    let torn = frame_len(&rec(1, 2)) - 3;
    assert!(damage.ends_with(&format!("at offset 2, {torn} byte(s) from the end")), "{damage}");
    assert!(damage.starts_with(&log.display().to_string()) && damage.contains("torn frame"), "{damage}");
    assert_eq!(snapshot(tmp.path()), before, "nothing written, nothing cut");
}

#[test]
fn a_flipped_byte_in_the_last_frame_is_detected_and_cut() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut storage, _) = open_dir(tmp.path());
    let mut disk = empty_disk();
    append(&mut disk, 1, &[(1, 0), (1, 1), (1, 2)], FlushPolicy::Never);
    storage.save(&disk).unwrap();
    drop(storage);
    let log = log_path(tmp.path(), 1);
    let mut bytes = fs::read(&log).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x01;
    fs::write(&log, &bytes).unwrap();

    let (mut storage, recovered) = open_dir(tmp.path());
    let mut recovered = recovered.unwrap();
    assert_eq!(recovered.replicas[1].log.records, disk.replicas[1].log.records[..2]);
    assert_eq!(file_len(&log), bytes.len() as u64 - frame_len(&rec(1, 2)));
    // The recovered storage goes on appending after the good prefix.
    recovered.replicas[1].append(rec(1, 9), FlushPolicy::Never);
    storage.save(&recovered).unwrap();
    assert_eq!(reopen(storage), recovered);
}

#[test]
fn damage_below_the_flushed_mark_lowers_the_mark() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut storage, _) = open_dir(tmp.path());
    let mut disk = empty_disk();
    append(&mut disk, 0, &[(1, 0), (1, 1), (1, 2)], FlushPolicy::Always);
    storage.save(&disk).unwrap();
    drop(storage);
    let log = log_path(tmp.path(), 0);
    let mut bytes = fs::read(&log).unwrap();
    let second = frame_len(&rec(1, 0)) as usize + 8; // the body of record 1
    bytes[second] ^= 0xff;
    fs::write(&log, &bytes).unwrap();

    let (storage, recovered) = open_dir(tmp.path());
    let recovered = recovered.unwrap();
    assert_eq!(recovered.replicas[0].log.records.len(), 1);
    assert_eq!(recovered.replicas[0].flushed, offset(1));
    assert_eq!(reopen(storage), recovered, "the lowered mark was written back");
}

#[test]
fn power_loss_cuts_each_log_to_its_flushed_mark() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut storage, _) = open_dir(tmp.path());
    let mut disk = empty_disk();
    append(&mut disk, 0, &[(1, 0), (1, 1), (1, 2)], FlushPolicy::Never);
    disk.flush_all();
    append(&mut disk, 0, &[(1, 3), (1, 4)], FlushPolicy::Never);
    append(&mut disk, 1, &[(1, 5), (1, 6)], FlushPolicy::Always);
    disk.replicas[0].high_watermark = offset(5);
    storage.save(&disk).unwrap();

    assert!(matches!(power_loss(tmp.path()), Err(StorageError::Locked { .. })), "refused while the broker runs");
    drop(storage); // SIGKILL
    let report = power_loss(tmp.path()).unwrap();
    let cut = frame_len(&rec(1, 3)) + frame_len(&rec(1, 4));
    assert_eq!(
        report.partitions,
        vec![
            PartitionLoss { partition: 0, kept: 3, lost: 2, bytes_cut: cut },
            PartitionLoss { partition: 1, kept: 2, lost: 0, bytes_cut: 0 },
        ]
    );
    assert_eq!(report.records_lost(), 2);

    let (_storage, recovered) = open_dir(tmp.path());
    let mut expected = disk.clone();
    expected.lose_unflushed();
    expected.replicas[0].log.epochs = disk.replicas[0].log.epochs.clone();
    expected.replicas[0].high_watermark = offset(5); // as on disk: `Disk::recover` clamps it
    assert_eq!(recovered.unwrap(), expected);
}

#[test]
fn power_loss_after_a_truncation_below_the_mark_keeps_only_the_fsynced_prefix() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut storage, _) = open_dir(tmp.path());
    let mut disk = empty_disk();
    append(&mut disk, 0, &[(1, 0), (1, 1), (1, 2)], FlushPolicy::Always);
    storage.save(&disk).unwrap();
    disk.replicas[0].truncate_to(offset(1));
    append(&mut disk, 0, &[(2, 7), (2, 8), (2, 9)], FlushPolicy::Never);
    storage.save(&disk).unwrap();
    drop(storage);

    let report = power_loss(tmp.path()).unwrap();
    assert_eq!((report.partitions[0].kept, report.partitions[0].lost), (1, 3));
    let recovered = open_dir(tmp.path()).1.unwrap();
    assert_eq!(recovered.replicas[0].log.records, vec![rec(1, 0)]);
    assert_eq!(recovered.replicas[0].flushed, offset(1));
}

#[test]
fn another_clusters_directory_is_refused_and_left_untouched() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut storage, _) = open_dir(tmp.path());
    let mut disk = empty_disk();
    append(&mut disk, 0, &[(1, 0)], FlushPolicy::Never);
    storage.save(&disk).unwrap();
    drop(storage);
    fs::write(partition_dir(tmp.path(), 0).join("leader-epoch-checkpoint.tmp"), "junk").unwrap();
    let before = snapshot(tmp.path());

    let err = Storage::open(tmp.path(), "other-cluster", BrokerId(1), PARTITIONS).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, StorageError::WrongCluster { .. }), "{msg}");
    let expected = format!("data directory {} belongs to cluster {CLUSTER}, not other-cluster", tmp.path().display());
    assert_eq!(msg, expected);
    let err = Storage::open(tmp.path(), CLUSTER, BrokerId(2), PARTITIONS).unwrap_err();
    assert!(err.to_string().ends_with("belongs to node 1, not 2"), "{err}");
    assert_eq!(snapshot(tmp.path()), before, "nothing was touched");
}

#[test]
fn a_garbage_checkpoint_is_an_error_naming_file_and_line() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut storage, _) = open_dir(tmp.path());
    let mut disk = empty_disk();
    append(&mut disk, 0, &[(1, 0)], FlushPolicy::Never);
    storage.save(&disk).unwrap();
    drop(storage);

    let epochs = partition_dir(tmp.path(), 0).join(EPOCH_CHECKPOINT);
    fs::write(&epochs, "0\n1\n1 zero\n").unwrap();
    let err = Storage::open(tmp.path(), CLUSTER, BrokerId(1), PARTITIONS).unwrap_err();
    assert!(matches!(&err, StorageError::Malformed { line: 3, .. }), "{err}");
    assert!(err.to_string().starts_with(&format!("{}:3: ", epochs.display())), "{err}");
    fs::write(&epochs, "0\n1\n1 0\n").unwrap();

    let hw = tmp.path().join(HW_CHECKPOINT);
    for garbage in ["0\n2\nt 0 1\n", "0\n1\nt 9 1\n", "7\n", "\u{0}\u{1}", "0\n1\nt 0 99999999999999999999\n"] {
        fs::write(&hw, garbage).unwrap();
        let err = Storage::open(tmp.path(), CLUSTER, BrokerId(1), PARTITIONS).unwrap_err();
        assert!(matches!(err, StorageError::Malformed { .. }), "{garbage:?}: {err}");
        assert!(err.to_string().contains(HW_CHECKPOINT), "{err}");
    }
    fs::write(&hw, [0xff, 0xfe]).unwrap();
    let err = Storage::open(tmp.path(), CLUSTER, BrokerId(1), PARTITIONS).unwrap_err();
    assert!(err.to_string().contains("not UTF-8"), "{err}");

    fs::remove_file(&hw).unwrap();
    let marker = tmp.path().join(CLEAN_SHUTDOWN);
    fs::write(&marker, "{\"version\":0}").unwrap();
    let err = Storage::open(tmp.path(), CLUSTER, BrokerId(1), PARTITIONS).unwrap_err();
    assert!(err.to_string().contains(CLEAN_SHUTDOWN), "{err}");
    fs::remove_file(&marker).unwrap();

    fs::write(tmp.path().join(META_PROPERTIES), "cluster.id=x\nversion=1\n").unwrap();
    let err = Storage::open(tmp.path(), "x", BrokerId(1), PARTITIONS).unwrap_err();
    assert!(err.to_string().contains("meta.properties:3: missing `node.id`"), "{err}");
}

#[test]
fn leftover_temp_files_are_removed_not_read() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut storage, _) = open_dir(tmp.path());
    let mut disk = empty_disk();
    append(&mut disk, 1, &[(1, 0)], FlushPolicy::Always);
    disk.replicas[1].high_watermark = offset(1);
    storage.save(&disk).unwrap();
    drop(storage);
    let leftovers = [
        tmp.path().join("replication-offset-checkpoint.tmp"),
        partition_dir(tmp.path(), 1).join("leader-epoch-checkpoint.tmp"),
        partition_dir(tmp.path(), 1).join("flushed-checkpoint.tmp"),
    ];
    for path in &leftovers {
        fs::write(path, "0\n1\ngarbage from an interrupted write").unwrap();
    }
    let (_storage, recovered) = open_dir(tmp.path());
    assert_eq!(recovered.unwrap(), disk);
    for path in &leftovers {
        assert!(!path.exists(), "{} removed", path.display());
    }
}

#[test]
fn a_second_open_is_refused_while_the_first_holds_the_lock() {
    let tmp = tempfile::tempdir().unwrap();
    let (_storage, _) = open_dir(tmp.path());
    let err = Storage::open(tmp.path(), CLUSTER, BrokerId(1), PARTITIONS).unwrap_err();
    assert!(matches!(err, StorageError::Locked { .. }), "{err}");
}

#[test]
fn the_clean_shutdown_marker_exists_iff_the_disk_has_an_epoch() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut storage, _) = open_dir(tmp.path());
    let mut disk = empty_disk();
    disk.clean_shutdown_epoch = Some(BrokerEpoch(3));
    storage.save(&disk).unwrap();
    assert!(tmp.path().join(CLEAN_SHUTDOWN).exists());
    let mut recovered = reopen(storage);
    assert_eq!(recovered.clean_shutdown_epoch, Some(BrokerEpoch(3)));

    let (mut storage, _) = open_dir(tmp.path());
    recovered.clean_shutdown_epoch = None;
    storage.save(&recovered).unwrap();
    assert!(!tmp.path().join(CLEAN_SHUTDOWN).exists());
    assert_eq!(reopen(storage).clean_shutdown_epoch, None);
}

#[test]
fn saving_the_wrong_number_of_partitions_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut storage, _) = open_dir(tmp.path());
    let disk = Disk::from(DiskContents { replicas: vec![ReplicaDisk::default(); 3], clean_shutdown_epoch: None });
    let err = storage.save(&disk).unwrap_err();
    assert!(err.to_string().contains("asked to save 3 partition(s) in a directory of 2"), "{err}");
    storage.save(&empty_disk()).unwrap();
    drop(storage);
    let err = Storage::open(tmp.path(), CLUSTER, BrokerId(1), 1).unwrap_err();
    assert!(err.to_string().contains("t-1 exists but the topic has 1 partition(s)"), "{err}");
}

/// One step of a broker's life, as the model changes its `Disk`.
#[derive(Clone, Debug)]
enum Op {
    Append { p: usize, new_epoch: bool, n: usize },
    Truncate { p: usize, to: usize },
    NewEpoch { p: usize },
    FlushAll,
    SetHw { p: usize, hw: usize },
    CleanShutdown(Option<u64>),
    Reopen,
}

fn op() -> impl Strategy<Value = Op> {
    let p = 0..PARTITIONS;
    prop_oneof![
        4 => (p.clone(), any::<bool>(), 1..4usize).prop_map(|(p, new_epoch, n)| Op::Append { p, new_epoch, n }),
        2 => (p.clone(), 0..8usize).prop_map(|(p, to)| Op::Truncate { p, to }),
        1 => p.clone().prop_map(|p| Op::NewEpoch { p }),
        1 => Just(Op::FlushAll),
        1 => (p, 0..10usize).prop_map(|(p, hw)| Op::SetHw { p, hw }),
        1 => proptest::option::of(1..5u64).prop_map(Op::CleanShutdown),
        1 => Just(Op::Reopen),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Any sequence of appends, truncations, epoch changes and flushes, saved incrementally,
    /// reopens as the same `Disk`; a power loss then leaves exactly the flushed records.
    #[test]
    fn incremental_saves_reopen_as_the_same_disk(
        ops in proptest::collection::vec(op(), 1..30),
        always in any::<bool>(),
    ) {
        let flush = if always { FlushPolicy::Always } else { FlushPolicy::Never };
        let tmp = tempfile::tempdir().unwrap();
        let (mut storage, _) = open_dir(tmp.path());
        let mut disk = empty_disk();
        storage.save(&disk).unwrap();
        let mut epochs = [1u64; PARTITIONS];
        let mut sequence = 0u64;
        for op in ops {
            match op {
                Op::Append { p, new_epoch, n } => {
                    epochs[p] += u64::from(new_epoch);
                    for _ in 0..n {
                        disk.replicas[p].append(rec(epochs[p], sequence), flush);
                        sequence += 1;
                    }
                }
                Op::Truncate { p, to } => {
                    let to = offset(to.min(disk.replicas[p].log.records.len()));
                    disk.replicas[p].truncate_to(to);
                }
                Op::NewEpoch { p } => {
                    epochs[p] += 1;
                    let end = disk.replicas[p].log.end_offset();
                    disk.replicas[p].log.assign_epoch(epoch(epochs[p]), end);
                }
                Op::FlushAll => disk.flush_all(),
                Op::SetHw { p, hw } => {
                    disk.replicas[p].high_watermark = offset(hw.min(disk.replicas[p].log.records.len()));
                }
                Op::CleanShutdown(e) => disk.clean_shutdown_epoch = e.map(|e| from_u64(e).unwrap()),
                Op::Reopen => {
                    let recovered = reopen(storage);
                    prop_assert_eq!(&recovered, &disk);
                    storage = open_dir(tmp.path()).0;
                    continue;
                }
            }
            storage.save(&disk).unwrap();
            prop_assert_eq!(storage.saved(), &disk);
        }
        prop_assert_eq!(&reopen(storage), &disk);

        let report = power_loss(tmp.path()).unwrap();
        let (_storage, recovered) = open_dir(tmp.path());
        let recovered = recovered.unwrap();
        let mut expected = disk.clone();
        expected.lose_unflushed();
        for (p, (got, want)) in recovered.replicas.iter().zip(&expected.replicas).enumerate() {
            prop_assert_eq!(&got.log.records, &want.log.records);
            prop_assert_eq!(got.flushed, want.flushed);
            let lost = disk.replicas[p].log.records.len() - want.log.records.len();
            prop_assert_eq!(report.partitions[p].lost, lost as u64);
            // Checkpoints survive a power loss as they were; clamping them is `Disk::recover`'s.
            prop_assert_eq!(&got.log.epochs, &disk.replicas[p].log.epochs);
            prop_assert_eq!(got.high_watermark, disk.replicas[p].high_watermark);
        }
    }
}
