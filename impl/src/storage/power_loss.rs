//! A power loss played on the data directory of a dead broker: what only the page cache held
//! (every log byte past its flushed mark) is gone.

use super::checkpoint::{self, FlushedMark};
use super::data_dir::{list_partition_dirs, lock_dir};
use super::log_file;
use super::{partition_dir, StorageError, FLUSHED_CHECKPOINT, LOG_FILE, META_PROPERTIES};
use kelp_model::log::Record;
use std::fmt;
use std::path::{Path, PathBuf};

/// What `power_loss` cut from one partition's log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PartitionLoss {
    pub partition: usize,
    /// Records that were fsynced, and stay.
    pub kept: u64,
    /// Records written since the last fsync, now gone.
    pub lost: u64,
    pub bytes_cut: u64,
}

/// What a power loss did to a data directory.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PowerLossReport {
    pub dir: PathBuf,
    /// One entry per partition directory, by partition.
    pub partitions: Vec<PartitionLoss>,
}

impl PowerLossReport {
    pub fn records_lost(&self) -> u64 {
        self.partitions.iter().map(|p| p.lost).sum()
    }
}

impl fmt::Display for PowerLossReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "power loss in {}: ", self.dir.display())?;
        let partitions: Vec<String> = self
            .partitions
            .iter()
            .map(|p| {
                format!("partition {}: kept {}, lost {} record(s) ({} bytes)", p.partition, p.kept, p.lost, p.bytes_cut)
            })
            .collect();
        match partitions.is_empty() {
            true => write!(f, "no partition data"),
            false => write!(f, "{}", partitions.join("; ")),
        }
    }
}

/// Plays a power loss on the data directory of a dead broker (after SIGKILL): every log is cut
/// back to its flushed mark, dropping what only the page cache held. Checkpoints are fsynced at
/// every write and survive as they are. Refused while a live process holds the directory.
pub fn power_loss(dir: &Path) -> Result<PowerLossReport, StorageError> {
    if !dir.join(META_PROPERTIES).is_file() {
        return Err(StorageError::inconsistent(dir, format!("not a broker data directory (no {META_PROPERTIES})")));
    }
    let _lock = lock_dir(dir)?;
    let mut report = PowerLossReport { dir: dir.to_path_buf(), partitions: Vec::new() };
    for partition in list_partition_dirs(dir)? {
        let pdir = partition_dir(dir, partition);
        let mark_path = pdir.join(FLUSHED_CHECKPOINT);
        let mark = match checkpoint::read(&mark_path)? {
            Some(text) => checkpoint::parse_flushed(&mark_path, &text)?,
            None => FlushedMark::default(),
        };
        let cut = log_file::cut_to::<Record>(&pdir.join(LOG_FILE), mark.bytes)?;
        report.partitions.push(PartitionLoss { partition, kept: cut.kept, lost: cut.lost, bytes_cut: cut.bytes_cut });
    }
    Ok(report)
}
