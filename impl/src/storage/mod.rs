//! A broker's durable state as files: the model's `Disk` laid out as Kafka lays out a log
//! directory, written incrementally, recovered at startup.
//!
//! # Layout of a data directory `DIR`
//!
//! ```text
//! DIR/
//!   meta.properties                 cluster.id=..., node.id=N, version=1 (Kafka's; checked at open)
//!   .lock                           flock'ed while a Storage (or power_loss) has the directory
//!   replication-offset-checkpoint   every partition's HW: `0`, count, `t <p> <hw>` lines
//!   clean-shutdown                  {"version":0,"brokerEpoch":N}: present iff a clean shutdown
//!   t-<p>/                          partition p of the one topic `t`
//!     00000000000000000000.log      frames: len u32 LE, CRC-32 u32 LE, bincode record
//!     leader-epoch-checkpoint       `0`, count, `epoch startOffset` lines
//!     flushed-checkpoint            `0`, `records bytes`: the fsynced prefix of the log
//! ```
//!
//! Modules, one job each: `log_file` (frames: encode, append, scan and recover, truncate),
//! `checkpoint` (the text files, their formats and atomic replacement), `data_dir`
//! (`meta.properties`, `.lock`, partition directories), `power_loss`, `error`; this file maps the
//! model's `Disk` onto them (`Storage::open`, `Storage::save`). `metadata_file` keeps the sole
//! controller's metadata and ZooKeeper's data (`MetadataFile`) in a data directory of their own.
//!
//! # From the model's `Disk`
//!
//! | `Disk`                                   | file                                         |
//! |------------------------------------------|----------------------------------------------|
//! | `replicas[p].log.records`                | `t-<p>/00000000000000000000.log`             |
//! | `replicas[p].log.epochs`                 | `t-<p>/leader-epoch-checkpoint`              |
//! | `replicas[p].flushed`                    | `t-<p>/flushed-checkpoint` (records, bytes)  |
//! | `replicas[p].high_watermark`             | `replication-offset-checkpoint`, line `t p`  |
//! | `clean_shutdown_epoch`                   | `clean-shutdown` (absent when `None`)        |
//!
//! The model hands over its whole `Disk` at every change; `Storage::save` diffs it against the
//! last one saved and writes only the difference: new records are appended as frames, a log that
//! lost its tail (truncation, or divergence from some offset on) is cut with `set_len` at that
//! offset's byte position (kept in an in-memory index) and the rest appended; an unchanged log
//! costs no I/O. Checkpoints are rewritten (atomically: temp file, fsync, rename, fsync dir) only
//! when they changed.
//!
//! # Flushing and power loss
//!
//! The log is written through the page cache and fsynced only when the model's `flushed`
//! advances: at every append under `FlushPolicy::Always` (`flush.messages=1`), and under `Never`
//! (Kafka's default) only at a clean shutdown's flush. After the fsync, `flushed-checkpoint`
//! records how many records and bytes it covered. A SIGKILL loses nothing written (the page cache
//! survives); `power_loss` plays a power cut afterwards: it cuts each log back to its flushed
//! mark's byte length. Before records are appended over a truncated region, the mark is lowered
//! first, so it never covers bytes that were not fsynced.
//!
//! # Order of writes within a save
//!
//! Per partition: cut the log (lowering the flushed mark if the cut went below it), replace the
//! epoch checkpoint, append, fsync + raise the flushed mark; then the HW checkpoint; last the
//! clean-shutdown marker (so it exists only once the logs it vouches for are flushed). A save is
//! not atomic as a whole (neither is Kafka's state across its files); a crash within one leaves a
//! mix of the two states, each file whole.
//!
//! # Recovery
//!
//! `Storage::open` returns the `Disk` exactly as the files hold it, after cutting damaged log tails
//! (torn or corrupt frames) and deleting leftover `*.tmp` files; the recovered `flushed` is the
//! mark clamped to the recovered log. Clamping the HW and the epoch cache to the log is the
//! model's `Disk::recover`, a protocol rule, not done here. A directory where nothing was ever
//! saved (no partition directory, HW checkpoint or marker yet) opens as `None`: a fresh broker.

mod checkpoint;
mod data_dir;
mod error;
mod log_file;
mod metadata_file;
mod power_loss;
#[cfg(test)]
mod tests;

pub use error::StorageError;
pub use metadata_file::{MetadataFile, METADATA_FILE};
pub use power_loss::{power_loss, PartitionLoss, PowerLossReport};

use checkpoint::FlushedMark;
use data_dir::{check_meta, init_dir, list_partition_dirs, lock_dir};
use kelp_model::broker::{Disk, DiskContents, ReplicaDisk};
use kelp_model::ids::{BrokerId, Offset};
use kelp_model::log::{Record, ReplicaLog};
use log_file::LogFile;
use std::fs::{self, File};
use std::path::{Path, PathBuf};

/// The one modelled topic, as it appears in directory names and the HW checkpoint.
pub const TOPIC: &str = "t";
pub const META_PROPERTIES: &str = "meta.properties";
pub const LOCK_FILE: &str = ".lock";
pub const HW_CHECKPOINT: &str = "replication-offset-checkpoint";
pub const CLEAN_SHUTDOWN: &str = "clean-shutdown";
pub const EPOCH_CHECKPOINT: &str = "leader-epoch-checkpoint";
pub const FLUSHED_CHECKPOINT: &str = "flushed-checkpoint";
pub const LOG_FILE: &str = log_file::LOG_FILE_NAME;

/// `DIR/t-<p>`.
pub fn partition_dir(dir: &Path, partition: usize) -> PathBuf {
    dir.join(format!("{TOPIC}-{partition}"))
}

/// The damaged tail that recovery (`LogFile::open`) would cut off partition `partition`'s log in
/// the data directory `dir`, read without touching anything (a missing log has none): where it
/// starts and why, as a sentence.
pub fn log_damage(dir: &Path, partition: usize) -> Result<Option<String>, StorageError> {
    let path = partition_dir(dir, partition).join(LOG_FILE);
    let bytes = match fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(StorageError::io(&path, "read")(e)),
    };
    let scan = log_file::scan::<Record>(&bytes);
    let (offset, cut) = (scan.records.len(), bytes.len() as u64 - scan.valid_len());
    Ok(scan.damage.map(|damage| format!("{}: {damage} at offset {offset}, {cut} byte(s) from the end", path.display())))
}

/// A broker's open data directory: the last `Disk` saved and the open log files.
#[derive(Debug)]
pub struct Storage {
    dir: PathBuf,
    /// Holds the directory's `.lock` while open.
    _lock: File,
    partitions: usize,
    /// One per partition; empty until the first save of a fresh directory creates them.
    replicas: Vec<ReplicaFiles>,
    /// What the files hold now (the last `Disk` saved or recovered).
    saved: Disk,
    /// A save failed half-way: refuse to go on.
    failed: bool,
}

#[derive(Debug)]
struct ReplicaFiles {
    dir: PathBuf,
    log: LogFile,
    /// Records covered by `flushed-checkpoint`.
    flushed: usize,
}

impl Storage {
    /// Opens the data directory of broker `node_id` of cluster `cluster_id`, holding `partitions`
    /// partitions. A directory without `meta.properties` (or a missing one) is initialised and
    /// opens as `None` (a fresh broker); so does one where nothing was saved yet. Otherwise the
    /// files are recovered into the `Disk` they hold. A `meta.properties` naming another cluster
    /// or node is refused before anything is touched.
    pub fn open(
        dir: &Path,
        cluster_id: &str,
        node_id: BrokerId,
        partitions: usize,
    ) -> Result<(Storage, Option<Disk>), StorageError> {
        if cluster_id.is_empty() || cluster_id.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(StorageError::inconsistent(dir, format!("invalid cluster id {cluster_id:?}")));
        }
        let meta_path = dir.join(META_PROPERTIES);
        let lock = match checkpoint::read(&meta_path)? {
            Some(text) => {
                check_meta(dir, &checkpoint::parse_meta(&meta_path, &text)?, cluster_id, node_id)?;
                lock_dir(dir)?
            }
            None => {
                let lock = init_dir(dir, cluster_id, node_id)?;
                let storage = Storage::fresh(dir, lock, partitions);
                return Ok((storage, None));
            }
        };
        checkpoint::remove_leftover_tmp(dir)?;
        let found = list_partition_dirs(dir)?;
        if let Some(p) = found.iter().find(|p| **p >= partitions) {
            let reason = format!("partition directory {TOPIC}-{p} exists but the topic has {partitions} partition(s)");
            return Err(StorageError::inconsistent(dir, reason));
        }
        let hw_path = dir.join(HW_CHECKPOINT);
        let marker_path = dir.join(CLEAN_SHUTDOWN);
        let hw_text = checkpoint::read(&hw_path)?;
        let marker_text = checkpoint::read(&marker_path)?;
        if found.is_empty() && hw_text.is_none() && marker_text.is_none() {
            return Ok((Storage::fresh(dir, lock, partitions), None));
        }

        let high_watermarks = match &hw_text {
            Some(text) => checkpoint::parse_high_watermarks(&hw_path, text, TOPIC, partitions)?,
            None => vec![Offset::default(); partitions],
        };
        let clean_shutdown_epoch = match &marker_text {
            Some(text) => Some(checkpoint::parse_clean_shutdown(&marker_path, text)?),
            None => None,
        };
        let mut replicas = Vec::with_capacity(partitions);
        let mut disk = DiskContents { replicas: Vec::with_capacity(partitions), clean_shutdown_epoch };
        for (p, high_watermark) in high_watermarks.into_iter().enumerate() {
            let (files, log, flushed) = recover_partition(dir, p)?;
            replicas.push(files);
            disk.replicas.push(ReplicaDisk { log, flushed, high_watermark });
        }
        let disk = Disk::from(disk);
        let storage =
            Storage { dir: dir.to_path_buf(), _lock: lock, partitions, replicas, saved: disk.clone(), failed: false };
        Ok((storage, Some(disk)))
    }

    fn fresh(dir: &Path, lock: File, partitions: usize) -> Storage {
        let saved =
            Disk::from(DiskContents { replicas: vec![ReplicaDisk::default(); partitions], clean_shutdown_epoch: None });
        Storage { dir: dir.to_path_buf(), _lock: lock, partitions, replicas: Vec::new(), saved, failed: false }
    }

    /// The data directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// What the files hold: the last `Disk` saved (or recovered at open).
    pub fn saved(&self) -> &Disk {
        &self.saved
    }

    /// Makes the files hold `disk`, writing only what changed since the last save. After an
    /// error the files may hold a mix of both states and every later save is refused
    /// (`StorageError::Failed`): reopen the directory.
    pub fn save(&mut self, disk: &Disk) -> Result<(), StorageError> {
        if self.failed {
            return Err(StorageError::Failed { dir: self.dir.clone() });
        }
        if disk.replicas.len() != self.partitions {
            let reason =
                format!("asked to save {} partition(s) in a directory of {}", disk.replicas.len(), self.partitions);
            return Err(StorageError::inconsistent(&self.dir, reason));
        }
        self.failed = true;
        self.write_difference(disk)?;
        self.saved = disk.clone();
        self.failed = false;
        Ok(())
    }

    fn write_difference(&mut self, disk: &Disk) -> Result<(), StorageError> {
        if self.replicas.is_empty() {
            self.replicas = create_partitions(&self.dir, self.partitions)?;
        }
        for ((files, old), new) in self.replicas.iter_mut().zip(&self.saved.replicas).zip(&disk.replicas) {
            save_replica(files, old, new)?;
        }
        let high_watermarks: Vec<Offset> = disk.replicas.iter().map(|r| r.high_watermark).collect();
        if self.saved.replicas.iter().map(|r| r.high_watermark).ne(high_watermarks.iter().copied()) {
            let text = checkpoint::format_high_watermarks(TOPIC, &high_watermarks);
            checkpoint::write_atomic(&self.dir.join(HW_CHECKPOINT), &text)?;
        }
        if disk.clean_shutdown_epoch != self.saved.clean_shutdown_epoch {
            let path = self.dir.join(CLEAN_SHUTDOWN);
            match disk.clean_shutdown_epoch {
                Some(epoch) => checkpoint::write_atomic(&path, &checkpoint::format_clean_shutdown(epoch))?,
                None => checkpoint::remove_durably(&path)?,
            }
        }
        Ok(())
    }
}

/// One partition's part of a save: cut, epochs, append, flush.
fn save_replica(files: &mut ReplicaFiles, old: &ReplicaDisk, new: &ReplicaDisk) -> Result<(), StorageError> {
    let (old_records, new_records) = (&old.log.records, &new.log.records);
    let common = old_records.iter().zip(new_records).take_while(|(a, b)| a == b).count();
    if common < files.log.records() {
        files.log.truncate(common)?;
        if files.flushed > common {
            // The mark must not cover what will be appended here without an fsync.
            files.log.sync()?;
            set_flushed(files, common)?;
        }
    }
    if old.log.epochs != new.log.epochs {
        let path = files.dir.join(EPOCH_CHECKPOINT);
        checkpoint::write_atomic(&path, &checkpoint::format_epochs(&new.log.epochs))?;
    }
    files.log.append(&new_records[common..])?;
    let target = new.flushed.index().min(new_records.len());
    if target > files.flushed {
        files.log.sync()?;
        set_flushed(files, target)?;
    } else if target < files.flushed {
        set_flushed(files, target)?;
    }
    Ok(())
}

/// Rewrites `flushed-checkpoint` to cover the log's first `records` records.
fn set_flushed(files: &mut ReplicaFiles, records: usize) -> Result<(), StorageError> {
    let bytes = files.log.position(records).unwrap_or_else(|| files.log.byte_len());
    let mark = FlushedMark { records: records as u64, bytes };
    checkpoint::write_atomic(&files.dir.join(FLUSHED_CHECKPOINT), &checkpoint::format_flushed(mark))?;
    files.flushed = records;
    Ok(())
}

/// The first save of a fresh directory: every partition directory with an empty log.
fn create_partitions(dir: &Path, partitions: usize) -> Result<Vec<ReplicaFiles>, StorageError> {
    let mut replicas = Vec::with_capacity(partitions);
    for p in 0..partitions {
        let pdir = partition_dir(dir, p);
        fs::create_dir_all(&pdir).map_err(StorageError::io(&pdir, "create"))?;
        let (log, records) = LogFile::open::<Record>(&pdir.join(LOG_FILE), p)?;
        if !records.is_empty() {
            return Err(StorageError::inconsistent(log.path(), "a fresh directory already holds records"));
        }
        checkpoint::sync_dir(&pdir)?;
        replicas.push(ReplicaFiles { dir: pdir, log, flushed: 0 });
    }
    checkpoint::sync_dir(dir)?;
    Ok(replicas)
}

/// Recovers one partition directory (creating it if missing): its log, epochs and flushed mark.
fn recover_partition(dir: &Path, p: usize) -> Result<(ReplicaFiles, ReplicaLog, Offset), StorageError> {
    let pdir = partition_dir(dir, p);
    if !pdir.is_dir() {
        fs::create_dir_all(&pdir).map_err(StorageError::io(&pdir, "create"))?;
        checkpoint::sync_dir(dir)?;
    }
    checkpoint::remove_leftover_tmp(&pdir)?;
    let (log, records) = LogFile::open::<Record>(&pdir.join(LOG_FILE), p)?;
    let epoch_path = pdir.join(EPOCH_CHECKPOINT);
    let epochs = match checkpoint::read(&epoch_path)? {
        Some(text) => checkpoint::parse_epochs(&epoch_path, &text)?,
        None => Vec::new(),
    };
    let mark_path = pdir.join(FLUSHED_CHECKPOINT);
    let mark = match checkpoint::read(&mark_path)? {
        Some(text) => checkpoint::parse_flushed(&mark_path, &text)?,
        None => FlushedMark::default(),
    };
    let mut files = ReplicaFiles { dir: pdir, log, flushed: 0 };
    let n = files.log.records();
    let flushed = match usize::try_from(mark.records).ok().filter(|r| *r <= n) {
        Some(r) => {
            let at = files.log.position(r).unwrap_or_default();
            if at != mark.bytes {
                let reason =
                    format!("says {} record(s) are {} bytes, but the log has them in {at}", mark.records, mark.bytes);
                return Err(StorageError::inconsistent(&mark_path, reason));
            }
            files.flushed = r;
            r
        }
        None => {
            // The log lost flushed records (a damaged tail was cut): the mark follows it down.
            tracing::warn!(
                partition = p,
                mark = mark.records,
                records = n,
                "flushed mark beyond the recovered log; lowering it"
            );
            files.log.sync()?;
            set_flushed(&mut files, n)?;
            n
        }
    };
    let count_to_offset = |count: usize, what: &str| {
        checkpoint::from_u64::<Offset>(count as u64).map_err(|e| {
            StorageError::inconsistent(files.log.path(), format!("{what}: {e} (more records than an offset counts)"))
        })
    };
    count_to_offset(n, "log length")?;
    let flushed = count_to_offset(flushed, "flushed mark")?;
    Ok((files, ReplicaLog { records, epochs }, flushed))
}
