//! The data directory itself: its `meta.properties` (created at first start, checked at every
//! later one), its `.lock`, and the partition directories in it.

use super::checkpoint::{self, MetaProperties};
use super::{StorageError, CLEAN_SHUTDOWN, HW_CHECKPOINT, LOCK_FILE, META_PROPERTIES, TOPIC};
use kelp_model::ids::BrokerId;
use std::fs::{self, File, OpenOptions};
use std::os::unix::io::AsRawFd;
use std::path::Path;

/// Refuses a `meta.properties` of another cluster or node.
pub(super) fn check_meta(
    dir: &Path,
    meta: &MetaProperties,
    cluster_id: &str,
    node_id: BrokerId,
) -> Result<(), StorageError> {
    if meta.cluster_id != cluster_id {
        return Err(StorageError::WrongCluster {
            dir: dir.to_path_buf(),
            found: meta.cluster_id.clone(),
            expected: cluster_id.to_string(),
        });
    }
    if meta.node_id != node_id {
        return Err(StorageError::WrongNode {
            dir: dir.to_path_buf(),
            found: checkpoint::number(&meta.node_id),
            expected: checkpoint::number(&node_id),
        });
    }
    Ok(())
}

/// First start: creates the directory (refusing one that holds kelp data without a
/// `meta.properties`), locks it and writes `meta.properties`.
pub(super) fn init_dir(dir: &Path, cluster_id: &str, node_id: BrokerId) -> Result<File, StorageError> {
    if dir.is_dir() {
        let has_data = !list_partition_dirs(dir)?.is_empty()
            || dir.join(HW_CHECKPOINT).exists()
            || dir.join(CLEAN_SHUTDOWN).exists();
        if has_data {
            return Err(StorageError::inconsistent(dir, format!("holds broker data but no {META_PROPERTIES}")));
        }
    } else {
        fs::create_dir_all(dir).map_err(StorageError::io(dir, "create"))?;
        if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
            checkpoint::sync_dir(parent)?;
        }
    }
    let lock = lock_dir(dir)?;
    let meta = MetaProperties { cluster_id: cluster_id.to_string(), node_id };
    checkpoint::write_atomic(&dir.join(META_PROPERTIES), &checkpoint::format_meta(&meta))?;
    Ok(lock)
}

/// Takes the directory's `.lock` (Kafka's log dir lock), or says who has it.
pub(super) fn lock_dir(dir: &Path) -> Result<File, StorageError> {
    let path = dir.join(LOCK_FILE);
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(StorageError::io(&path, "open"))?;
    // SAFETY: flock on a file descriptor this function owns; no memory is involved.
    let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if rc != 0 {
        let e = std::io::Error::last_os_error();
        if e.kind() == std::io::ErrorKind::WouldBlock {
            return Err(StorageError::Locked { dir: dir.to_path_buf() });
        }
        return Err(StorageError::io(&path, "lock")(e));
    }
    Ok(file)
}

/// The partitions `p` with a `t-<p>` directory, sorted.
pub(super) fn list_partition_dirs(dir: &Path) -> Result<Vec<usize>, StorageError> {
    let mut found = Vec::new();
    for entry in fs::read_dir(dir).map_err(StorageError::io(dir, "list"))? {
        let entry = entry.map_err(StorageError::io(dir, "list"))?;
        let name = entry.file_name();
        let partition = name.to_str().and_then(|n| n.strip_prefix(TOPIC)?.strip_prefix('-')?.parse::<usize>().ok());
        if let Some(p) = partition {
            if entry.file_type().map_err(StorageError::io(&entry.path(), "stat"))?.is_dir() {
                found.push(p);
            }
        }
    }
    found.sort_unstable();
    Ok(found)
}
