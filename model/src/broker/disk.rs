//! What a broker has on disk: per partition the log (as the OS holds it: `flushed` says how much
//! of it is really on the platter), the leader-epoch checkpoint (inside the log's epoch cache,
//! fsynced on every change as Kafka's checkpoint files are) and the HW checkpoint; plus the
//! clean-shutdown marker. This is the broker's stateright `Storage`.
//!
//! A `Disk` is shared, copied on write: the broker's state, the storage it saved, and every
//! explored state in which the broker has not written since hold one copy between them.

use crate::config::{Config, FlushPolicy};
use crate::ids::{BrokerEpoch, Offset, PartitionId};
use crate::log::{Record, ReplicaLog};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ReplicaDisk {
    pub log: ReplicaLog,
    /// Records below this offset were fsynced and survive a power loss.
    pub flushed: Offset,
    /// The HW checkpoint (`replication-offset-checkpoint`). Kafka writes it every few seconds;
    /// the model writes it at every change, which only makes the HW on restart higher, never lower.
    pub high_watermark: Offset,
}

/// A broker's disk (hashed, compared and serialized as its contents).
#[derive(Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Disk(Arc<DiskContents>);

#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DiskContents {
    /// Indexed by partition id.
    pub replicas: Vec<ReplicaDisk>,
    /// Kafka's clean-shutdown file, holding the broker epoch it stopped in (KIP-966 sends it as
    /// `previousBrokerEpoch` at the next registration). Removed at startup.
    pub clean_shutdown_epoch: Option<BrokerEpoch>,
}

impl From<DiskContents> for Disk {
    fn from(contents: DiskContents) -> Self {
        Disk(Arc::new(contents))
    }
}

impl Deref for Disk {
    type Target = DiskContents;
    fn deref(&self) -> &DiskContents {
        &self.0
    }
}

/// Writing to a disk that is shared copies it first.
impl DerefMut for Disk {
    fn deref_mut(&mut self) -> &mut DiskContents {
        Arc::make_mut(&mut self.0)
    }
}

/// As its contents, under its own name.
impl fmt::Debug for Disk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let DiskContents { replicas, clean_shutdown_epoch } = &*self.0;
        f.debug_struct("Disk").field("replicas", replicas).field("clean_shutdown_epoch", clean_shutdown_epoch).finish()
    }
}

impl Disk {
    pub fn empty(cfg: &Config) -> Self {
        Disk::from(DiskContents {
            replicas: vec![ReplicaDisk::default(); usize::from(cfg.partitions)],
            clean_shutdown_epoch: None,
        })
    }

    pub fn replica(&self, p: PartitionId) -> &ReplicaDisk {
        &self.replicas[usize::from(p.0)]
    }

    pub fn replica_mut(&mut self, p: PartitionId) -> &mut ReplicaDisk {
        &mut self.replicas[usize::from(p.0)]
    }

    /// A power loss: the page cache is gone, so is every record not flushed.
    pub fn lose_unflushed(&mut self) {
        for r in &mut self.replicas {
            r.log.truncate_to(r.flushed);
        }
    }

    /// Flush every log (a clean shutdown closes its segments, which flushes them).
    pub fn flush_all(&mut self) {
        for r in &mut self.replicas {
            r.flushed = r.log.end_offset();
        }
    }

    /// Log recovery at startup: the HW checkpoint can be ahead of a log cut by a power loss, and
    /// so can the leader-epoch checkpoint. `LogLoader.load` calls
    /// `LeaderEpochFileCache.truncateFromEnd(logEndOffset)`, which drops every entry starting at
    /// or past the log end: an epoch that began but holds no record is forgotten too (the broker
    /// learns its epoch again from the controller). The entries are taken in as
    /// `LeaderEpochFileCache` loads its checkpoint, each `assign`ed in turn: an entry whose epoch or
    /// start is not above the ones before it (a file edited or damaged) drops those
    /// (`maybeTruncateNonMonotonicEntries`), so the cache a broker starts with is monotonic. The
    /// model's own caches always are, so in the checker this changes nothing.
    pub fn recover(&mut self) {
        for r in &mut self.replicas {
            let end = r.log.end_offset();
            r.high_watermark = r.high_watermark.min(end);
            for entry in std::mem::take(&mut r.log.epochs).into_iter().filter(|e| e.start_offset < end) {
                r.log.assign_epoch(entry.epoch, entry.start_offset);
            }
        }
    }
}

impl ReplicaDisk {
    /// Appends one record; with `flush.messages=1` it is fsynced at once.
    pub fn append(&mut self, record: Record, flush: FlushPolicy) {
        self.log.append(record);
        if flush == FlushPolicy::Always {
            self.flushed = self.log.end_offset();
        }
    }

    /// Truncates the log (and the flushed mark and HW with it). Returns whether records were removed.
    pub fn truncate_to(&mut self, end: Offset) -> bool {
        let removed = end < self.log.end_offset();
        self.log.truncate_to(end);
        self.flushed = self.flushed.min(self.log.end_offset());
        self.high_watermark = self.high_watermark.min(self.log.end_offset());
        removed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_copy_shares_the_disk_until_either_writes() {
        let cfg = Config::default();
        let original = Disk::empty(&cfg);
        let mut copy = original.clone();
        assert!(Arc::ptr_eq(&original.0, &copy.0));
        copy.replica_mut(PartitionId(0)).high_watermark = Offset(1);
        assert!(!Arc::ptr_eq(&original.0, &copy.0));
        assert_eq!(original.replica(PartitionId(0)).high_watermark, Offset(0), "the original is as it was");
        assert_eq!(copy.replica(PartitionId(0)).high_watermark, Offset(1));
    }

    #[test]
    fn a_disk_reads_as_its_contents() {
        let disk = Disk::empty(&Config::default());
        let contents: &DiskContents = &disk;
        assert_eq!(hash_of(&disk), hash_of(contents), "hashed as its contents");
        assert_eq!(format!("{disk:?}"), format!("{contents:?}").replacen("DiskContents", "Disk", 1));
    }

    fn hash_of<T: std::hash::Hash + ?Sized>(value: &T) -> u64 {
        use std::hash::{BuildHasher, BuildHasherDefault};
        BuildHasherDefault::<std::collections::hash_map::DefaultHasher>::default().hash_one(value)
    }
}
