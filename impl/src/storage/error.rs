//! Everything that can go wrong with a data directory. Every message names the file or directory
//! it is about; nothing in `storage` panics on a bad file.

use std::io;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The operating system refused an operation (`action` says which: "open", "fsync", ...).
    #[error("{path}: {action} failed: {source}")]
    Io {
        path: PathBuf,
        action: &'static str,
        #[source]
        source: io::Error,
    },
    /// `meta.properties` names another cluster: this directory is not ours to touch.
    #[error("data directory {dir} belongs to cluster {found}, not {expected}")]
    WrongCluster { dir: PathBuf, found: String, expected: String },
    /// `meta.properties` names another node: this directory is not ours to touch.
    #[error("data directory {dir} belongs to node {found}, not {expected}")]
    WrongNode { dir: PathBuf, found: String, expected: String },
    /// Another live process holds the directory's `.lock` (Kafka's log dir lock).
    #[error("data directory {dir} is in use by another process (it holds {dir}/.lock)")]
    Locked { dir: PathBuf },
    /// A text file (checkpoint, `meta.properties`, clean-shutdown marker) that does not parse.
    /// `line` is 1-based.
    #[error("{path}:{line}: {reason}")]
    Malformed { path: PathBuf, line: usize, reason: String },
    /// Files that parse but do not fit together (or with the caller's arguments).
    #[error("{path}: {reason}")]
    Inconsistent { path: PathBuf, reason: String },
    /// An earlier `save` failed half-way: what is on disk is no longer what this `Storage`
    /// believes, so it refuses to go on (Kafka takes a failed log dir offline). Reopen to recover.
    #[error("data directory {dir}: an earlier save failed; reopen the directory to recover")]
    Failed { dir: PathBuf },
}

impl StorageError {
    /// `map_err` helper: `file.sync_data().map_err(io(&path, "fsync"))`.
    pub(crate) fn io(path: &Path, action: &'static str) -> impl FnOnce(io::Error) -> StorageError {
        let path = path.to_path_buf();
        move |source| StorageError::Io { path, action, source }
    }

    pub(crate) fn malformed(path: &Path, line: usize, reason: impl Into<String>) -> StorageError {
        StorageError::Malformed { path: path.to_path_buf(), line, reason: reason.into() }
    }

    pub(crate) fn inconsistent(path: &Path, reason: impl Into<String>) -> StorageError {
        StorageError::Inconsistent { path: path.to_path_buf(), reason: reason.into() }
    }
}
