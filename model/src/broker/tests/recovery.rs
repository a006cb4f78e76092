//! Log recovery at restart (`Disk::recover`): epoch entries and HW checkpoints past the log end.

use super::*;

fn epochs(entries: &[(u32, u32)]) -> Vec<EpochEntry> {
    entries.iter().map(|(e, s)| EpochEntry { epoch: LeaderEpoch(*e), start_offset: Offset(*s) }).collect()
}

#[test]
fn recovery_drops_epoch_entries_past_the_log_end_and_keeps_the_others() {
    let cfg = Config::default();
    let mut disk = Disk::empty(&cfg);
    let r = &mut disk.replicas[0];
    for (i, e) in [1, 1, 2].iter().enumerate() {
        r.log.append(rec(*e, i as u32));
    }
    // The checkpoint, fsynced, outlived records: epochs 4 and 5 began past the log end.
    r.log.epochs.extend(epochs(&[(4, 4), (5, 6)]));
    r.flushed = Offset(3);
    r.high_watermark = Offset(2);
    disk.clean_shutdown_epoch = Some(BrokerEpoch(7));
    disk.recover();
    let r = &disk.replicas[0];
    assert_eq!(r.log.epochs, epochs(&[(1, 0), (2, 2)]));
    assert_eq!(r.log.records, vec![rec(1, 0), rec(1, 1), rec(2, 2)]);
    assert_eq!(r.flushed, Offset(3));
    assert_eq!(r.high_watermark, Offset(2), "a HW within the log stays");
    assert_eq!(disk.clean_shutdown_epoch, Some(BrokerEpoch(7)), "removed by the start, not by recovery");
}

#[test]
fn recovery_takes_in_the_epoch_entries_in_turn_so_an_unordered_checkpoint_becomes_monotonic() {
    let cfg = Config::default();
    let mut disk = Disk::empty(&cfg);
    let r = &mut disk.replicas[0];
    for (i, e) in [1, 1, 1, 2, 2].iter().enumerate() {
        r.log.append(rec(*e, i as u32));
    }
    // Edited or damaged: epoch 5 at 3, then epoch 2 at 1. Taking in (2, 1) drops (5, 3), as
    // Kafka's cache load does, where a cache out of order had followers truncate for ever.
    r.log.epochs = epochs(&[(1, 0), (5, 3), (2, 1)]);
    disk.recover();
    assert_eq!(disk.replicas[0].log.epochs, epochs(&[(1, 0), (2, 1)]));
}

#[test]
fn recovery_cuts_a_hw_checkpoint_ahead_of_the_log_in_every_partition() {
    let cfg = Config { partitions: 2, ..Config::default() };
    let mut disk = Disk::empty(&cfg);
    disk.replicas[0].log.append(rec(1, 0));
    disk.replicas[0].high_watermark = Offset(4);
    disk.replicas[0].log.epochs.extend(epochs(&[(2, 2)]));
    disk.replicas[1].high_watermark = Offset(1);
    disk.replicas[1].log.epochs = epochs(&[(1, 3)]);
    disk.recover();
    assert_eq!(disk.replicas[0].high_watermark, Offset(1));
    assert_eq!(disk.replicas[0].log.epochs, epochs(&[(1, 0)]));
    assert_eq!(disk.replicas[1].high_watermark, Offset(0));
    assert_eq!(disk.replicas[1].log.epochs, vec![]);

    // A consistent disk is left as it is.
    let mut consistent = Disk::empty(&cfg);
    consistent.replicas[0].log.append(rec(1, 0));
    consistent.replicas[0].high_watermark = Offset(1);
    let before = consistent.clone();
    consistent.recover();
    assert_eq!(consistent, before);
}

/// Kafka's log loading (`LogLoader.load`) calls `LeaderEpochFileCache.truncateFromEnd(nextOffset)`,
/// which removes every entry whose start offset is `>=` the log end: an epoch that began at the
/// log end without a record (KIP-320 assigns it when the broker becomes leader) does not survive
/// a restart: `Disk::recover` drops it, as `ReplicaLog::truncate_to` does.
#[test]
fn recovery_drops_an_epoch_entry_starting_at_the_log_end_as_kafka_does() {
    let cfg = Config::default();
    let mut disk = Disk::empty(&cfg);
    disk.replicas[0].log.append(rec(1, 0));
    disk.replicas[0].log.assign_epoch(LeaderEpoch(2), Offset(1));
    disk.recover();
    assert_eq!(disk.replicas[0].log.epochs, epochs(&[(1, 0)]));

    // The same through a broker: the bootstrap leader (epoch 1 assigned at offset 0 of its empty
    // log) crashes and restarts with an empty epoch cache.
    let mut broker = boot(&cfg, 1);
    assert_eq!(log(&broker).epochs, epochs(&[(1, 0)]));
    tick(&mut broker, &cfg, 1, Timer::Crash);
    tick(&mut broker, &cfg, 1, Timer::Restart);
    assert_eq!(log(&broker).epochs, vec![]);
}
