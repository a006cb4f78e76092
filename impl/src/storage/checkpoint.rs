//! Small text files, each replaced atomically as Kafka replaces its checkpoint files: write
//! `NAME.tmp`, fsync it, rename it over `NAME`, fsync the directory. A crash leaves either the old
//! or the new file, plus at worst a leftover `NAME.tmp`, which `remove_leftover_tmp` deletes at the
//! next open (it is never read).
//!
//! The formats (every line ends with `\n`; numbers are decimal):
//!
//! - `leader-epoch-checkpoint` (Kafka's `LeaderEpochCheckpointFile`): a version line `0`, a count
//!   line, then one `epoch startOffset` line per epoch cache entry.
//! - `replication-offset-checkpoint` (Kafka's HW checkpoint, one per data directory): a version
//!   line `0`, a count line, then one `t partition highWatermark` line per partition (`t` is the
//!   one modelled topic).
//! - `flushed-checkpoint` (kelp's own, one per partition directory; Kafka keeps the same fact as
//!   its recovery point, `recovery-point-offset-checkpoint`): a version line `0`, then one line
//!   `records bytes`: the log's first `records` records, its first `bytes` bytes, were fsynced.
//! - `meta.properties` (Kafka's): `key=value` lines, `#` comments; kelp writes and checks
//!   `cluster.id`, `node.id` and `version=1`, and ignores other keys.
//! - `clean-shutdown` (Kafka's `.kafka_cleanshutdown` marker, KIP-966 content): one JSON line
//!   `{"version":0,"brokerEpoch":N}`.
//!
//! Numbers go through serde (`number` / `parse_number`), so the id newtypes of the model may
//! widen without touching this file; a number too large for its type is a parse error, not a panic.

use super::error::StorageError;
use kelp_model::ids::{BrokerEpoch, BrokerId, Offset};
use kelp_model::log::EpochEntry;
use serde::de::{value::U64Deserializer, DeserializeOwned};
use serde::{Deserialize, Serialize};
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// The suffix of the temporary file of an atomic replace.
pub(crate) const TMP_SUFFIX: &str = ".tmp";

/// Version line of Kafka's checkpoint files (and of kelp's flushed mark).
const CHECKPOINT_VERSION: &str = "0";

// ---------------------------------------------------------------------------------------------
// Atomic replace, reading, leftovers
// ---------------------------------------------------------------------------------------------

/// `path` + `.tmp`.
pub(crate) fn tmp_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(TMP_SUFFIX);
    path.with_file_name(name)
}

/// Replaces `path` with `text` atomically and durably (temp file, fsync, rename, fsync dir).
pub(crate) fn write_atomic(path: &Path, text: &str) -> Result<(), StorageError> {
    let tmp = tmp_path(path);
    let mut file = File::create(&tmp).map_err(StorageError::io(&tmp, "create"))?;
    file.write_all(text.as_bytes()).map_err(StorageError::io(&tmp, "write"))?;
    file.sync_all().map_err(StorageError::io(&tmp, "fsync"))?;
    drop(file);
    fs::rename(&tmp, path).map_err(StorageError::io(path, "rename the temp file over"))?;
    sync_parent(path)
}

/// Removes `path` durably; a missing file is fine.
pub(crate) fn remove_durably(path: &Path) -> Result<(), StorageError> {
    match fs::remove_file(path) {
        Ok(()) => sync_parent(path),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(StorageError::io(path, "remove")(e)),
    }
}

/// fsyncs a directory, making the creations, renames and removals in it durable.
pub(crate) fn sync_dir(dir: &Path) -> Result<(), StorageError> {
    File::open(dir).and_then(|d| d.sync_all()).map_err(StorageError::io(dir, "fsync the directory"))
}

fn sync_parent(path: &Path) -> Result<(), StorageError> {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => sync_dir(dir),
        _ => sync_dir(Path::new(".")),
    }
}

/// The file's text, or `None` when it does not exist.
pub(crate) fn read(path: &Path) -> Result<Option<String>, StorageError> {
    match fs::read(path) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(text) => Ok(Some(text)),
            Err(e) => {
                let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
                let line = 1 + valid.iter().filter(|b| **b == b'\n').count();
                Err(StorageError::malformed(path, line, "not UTF-8 text"))
            }
        },
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(StorageError::io(path, "read")(e)),
    }
}

/// Deletes the `*.tmp` files an interrupted atomic replace left in `dir` (they are never read:
/// the rename had not happened, so the old file is the valid one). Returns what it removed.
pub(crate) fn remove_leftover_tmp(dir: &Path) -> Result<Vec<PathBuf>, StorageError> {
    let mut removed = Vec::new();
    for entry in fs::read_dir(dir).map_err(StorageError::io(dir, "list"))? {
        let entry = entry.map_err(StorageError::io(dir, "list"))?;
        let path = entry.path();
        let is_tmp = entry.file_name().to_str().is_some_and(|n| n.ends_with(TMP_SUFFIX));
        let is_file = entry.file_type().map_err(StorageError::io(&path, "stat"))?.is_file();
        if is_tmp && is_file {
            tracing::warn!(file = %path.display(), "removing the leftover of an interrupted checkpoint write");
            fs::remove_file(&path).map_err(StorageError::io(&path, "remove"))?;
            removed.push(path);
        }
    }
    if !removed.is_empty() {
        sync_dir(dir)?;
    }
    Ok(removed)
}

// ---------------------------------------------------------------------------------------------
// Numbers
// ---------------------------------------------------------------------------------------------

/// A model number (an id newtype, serde-transparent over an unsigned integer) as decimal text.
pub(crate) fn number<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|e| format!("<unserializable: {e}>"))
}

/// Parses decimal text into a model number; too large for its type is an error.
pub(crate) fn parse_number<T: DeserializeOwned>(text: &str) -> Result<T, String> {
    let n: u64 = text.parse().map_err(|_| format!("`{text}` is not a non-negative integer"))?;
    from_u64(n)
}

/// A count or offset as a model number; too large for its type is an error.
pub(crate) fn from_u64<T: DeserializeOwned>(n: u64) -> Result<T, String> {
    T::deserialize(U64Deserializer::<serde::de::value::Error>::new(n)).map_err(|e| format!("{n} is out of range: {e}"))
}

// ---------------------------------------------------------------------------------------------
// Line-oriented parsing
// ---------------------------------------------------------------------------------------------

/// The lines of a file, numbered from 1, for parsers that name the line of every error.
struct Lines<'a> {
    path: &'a Path,
    lines: std::iter::Enumerate<std::str::Lines<'a>>,
    last: usize,
}

impl<'a> Lines<'a> {
    fn new(path: &'a Path, text: &'a str) -> Self {
        Lines { path, lines: text.lines().enumerate(), last: 0 }
    }

    /// The next line (1-based number, text), or an error saying what was expected there.
    fn next(&mut self, expected: &str) -> Result<(usize, &'a str), StorageError> {
        match self.lines.next() {
            Some((i, line)) => {
                self.last = i + 1;
                Ok((i + 1, line))
            }
            None => Err(StorageError::malformed(self.path, self.last + 1, format!("missing {expected}"))),
        }
    }

    /// Nothing may follow but blank lines.
    fn end(&mut self) -> Result<(), StorageError> {
        for (i, line) in self.lines.by_ref() {
            if !line.trim().is_empty() {
                return Err(StorageError::malformed(self.path, i + 1, format!("unexpected line `{line}`")));
            }
        }
        Ok(())
    }

    fn err(&self, line: usize, reason: impl Into<String>) -> StorageError {
        StorageError::malformed(self.path, line, reason)
    }

    /// Kafka's checkpoint header: version `0`, then the entry count.
    fn header(&mut self) -> Result<usize, StorageError> {
        let (n, version) = self.next("the version line")?;
        if version.trim() != CHECKPOINT_VERSION {
            return Err(self.err(n, format!("unsupported version `{version}`, expected `{CHECKPOINT_VERSION}`")));
        }
        let (n, count) = self.next("the entry count line")?;
        count.trim().parse().map_err(|_| self.err(n, format!("bad entry count `{count}`")))
    }

    /// A line of exactly `N` whitespace-separated fields.
    fn fields<const N: usize>(&mut self, expected: &str) -> Result<(usize, [&'a str; N]), StorageError> {
        let (n, line) = self.next(expected)?;
        let mut out = [""; N];
        let mut words = line.split_whitespace();
        for slot in &mut out {
            *slot = words.next().ok_or_else(|| self.err(n, format!("expected `{expected}`, found `{line}`")))?;
        }
        if words.next().is_some() {
            return Err(self.err(n, format!("expected `{expected}`, found `{line}`")));
        }
        Ok((n, out))
    }

    fn number<T: DeserializeOwned>(&self, line: usize, text: &str, what: &str) -> Result<T, StorageError> {
        parse_number(text).map_err(|e| self.err(line, format!("bad {what}: {e}")))
    }
}

// ---------------------------------------------------------------------------------------------
// leader-epoch-checkpoint
// ---------------------------------------------------------------------------------------------

pub(crate) fn format_epochs(entries: &[EpochEntry]) -> String {
    let mut text = format!("{CHECKPOINT_VERSION}\n{}\n", entries.len());
    for e in entries {
        text += &format!("{} {}\n", number(&e.epoch), e.start_offset.index());
    }
    text
}

pub(crate) fn parse_epochs(path: &Path, text: &str) -> Result<Vec<EpochEntry>, StorageError> {
    let mut lines = Lines::new(path, text);
    let count = lines.header()?;
    let mut entries = Vec::new();
    for _ in 0..count {
        let (n, [epoch, start]) = lines.fields::<2>("epoch startOffset")?;
        let epoch = lines.number(n, epoch, "epoch")?;
        let start_offset: Offset = lines.number(n, start, "start offset")?;
        entries.push(EpochEntry { epoch, start_offset });
    }
    lines.end()?;
    Ok(entries)
}

// ---------------------------------------------------------------------------------------------
// replication-offset-checkpoint
// ---------------------------------------------------------------------------------------------

/// `high_watermarks[p]` is partition `p`'s HW.
pub(crate) fn format_high_watermarks(topic: &str, high_watermarks: &[Offset]) -> String {
    let mut text = format!("{CHECKPOINT_VERSION}\n{}\n", high_watermarks.len());
    for (p, hw) in high_watermarks.iter().enumerate() {
        text += &format!("{topic} {p} {}\n", hw.index());
    }
    text
}

/// One HW per partition `0..partitions`; a partition the file does not list has HW 0.
pub(crate) fn parse_high_watermarks(
    path: &Path,
    text: &str,
    topic: &str,
    partitions: usize,
) -> Result<Vec<Offset>, StorageError> {
    let mut lines = Lines::new(path, text);
    let count = lines.header()?;
    let mut hws = vec![None; partitions];
    for _ in 0..count {
        let (n, [t, p, hw]) = lines.fields::<3>("topic partition offset")?;
        if t != topic {
            return Err(lines.err(n, format!("unknown topic `{t}` (the one topic is `{topic}`)")));
        }
        let p: usize = p.parse().map_err(|_| lines.err(n, format!("bad partition `{p}`")))?;
        let slot = hws
            .get_mut(p)
            .ok_or_else(|| lines.err(n, format!("partition {p} does not exist (the topic has {partitions})")))?;
        if slot.is_some() {
            return Err(lines.err(n, format!("partition {p} is listed twice")));
        }
        *slot = Some(lines.number(n, hw, "offset")?);
    }
    lines.end()?;
    Ok(hws.into_iter().map(Option::unwrap_or_default).collect())
}

// ---------------------------------------------------------------------------------------------
// flushed-checkpoint
// ---------------------------------------------------------------------------------------------

/// The fsynced prefix of a log file: its first `records` frames, its first `bytes` bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct FlushedMark {
    pub records: u64,
    pub bytes: u64,
}

pub(crate) fn format_flushed(mark: FlushedMark) -> String {
    format!("{CHECKPOINT_VERSION}\n{} {}\n", mark.records, mark.bytes)
}

pub(crate) fn parse_flushed(path: &Path, text: &str) -> Result<FlushedMark, StorageError> {
    let mut lines = Lines::new(path, text);
    let (n, version) = lines.next("the version line")?;
    if version.trim() != CHECKPOINT_VERSION {
        return Err(lines.err(n, format!("unsupported version `{version}`, expected `{CHECKPOINT_VERSION}`")));
    }
    let (n, [records, bytes]) = lines.fields::<2>("records bytes")?;
    let records = records.parse().map_err(|_| lines.err(n, format!("bad record count `{records}`")))?;
    let bytes = bytes.parse().map_err(|_| lines.err(n, format!("bad byte length `{bytes}`")))?;
    lines.end()?;
    Ok(FlushedMark { records, bytes })
}

// ---------------------------------------------------------------------------------------------
// meta.properties
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct MetaProperties {
    pub cluster_id: String,
    pub node_id: BrokerId,
}

pub(crate) fn format_meta(meta: &MetaProperties) -> String {
    format!(
        "#\n# kelp broker data directory (Kafka's meta.properties)\ncluster.id={}\nnode.id={}\nversion=1\n",
        meta.cluster_id,
        number(&meta.node_id)
    )
}

pub(crate) fn parse_meta(path: &Path, text: &str) -> Result<MetaProperties, StorageError> {
    let (mut cluster_id, mut node_id, mut version) = (None, None, None);
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with('!') {
            continue;
        }
        let (key, value) = line
            .split_once('=')
            .ok_or_else(|| StorageError::malformed(path, n, format!("expected `key=value`, found `{line}`")))?;
        let value = value.trim();
        match key.trim() {
            "cluster.id" => cluster_id = Some(value.to_string()),
            "node.id" => {
                let id =
                    parse_number(value).map_err(|e| StorageError::malformed(path, n, format!("bad node.id: {e}")))?;
                node_id = Some(id);
            }
            "version" => version = Some((n, value.to_string())),
            _ => {}
        }
    }
    let end = text.lines().count() + 1;
    match version {
        Some((_, v)) if v == "1" => {}
        Some((n, v)) => {
            return Err(StorageError::malformed(path, n, format!("unsupported version `{v}`, expected `1`")))
        }
        None => return Err(StorageError::malformed(path, end, "missing `version`")),
    }
    let cluster_id = cluster_id.ok_or_else(|| StorageError::malformed(path, end, "missing `cluster.id`"))?;
    let node_id = node_id.ok_or_else(|| StorageError::malformed(path, end, "missing `node.id`"))?;
    Ok(MetaProperties { cluster_id, node_id })
}

// ---------------------------------------------------------------------------------------------
// clean-shutdown
// ---------------------------------------------------------------------------------------------

/// Kafka's clean-shutdown file content since KIP-966.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CleanShutdown {
    version: u32,
    #[serde(rename = "brokerEpoch")]
    broker_epoch: BrokerEpoch,
}

pub(crate) fn format_clean_shutdown(epoch: BrokerEpoch) -> String {
    let content = CleanShutdown { version: 0, broker_epoch: epoch };
    serde_json::to_string(&content).unwrap_or_default() + "\n"
}

pub(crate) fn parse_clean_shutdown(path: &Path, text: &str) -> Result<BrokerEpoch, StorageError> {
    let content: CleanShutdown = serde_json::from_str(text).map_err(|e| {
        StorageError::malformed(path, e.line().max(1), format!("expected {{\"version\":0,\"brokerEpoch\":N}}: {e}"))
    })?;
    if content.version != 0 {
        return Err(StorageError::malformed(path, 1, format!("unsupported version {}, expected 0", content.version)));
    }
    Ok(content.broker_epoch)
}
