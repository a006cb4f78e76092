//! A partition's log file, `00000000000000000000.log` (one segment, named by its base offset as
//! Kafka names segments): an append-only sequence of frames, one per record.
//!
//! A frame is `length` (u32 little-endian, the body's length) + `crc` (u32 little-endian, CRC-32
//! (IEEE, `crc32fast`) of the body) + `body` (the record in bincode: varint integers, little
//! endian, no trailing bytes). Record `i` is the `i`-th frame: offsets are implicit, as in a
//! segment that starts at offset 0.
//!
//! Recovery (`LogFile::open`) reads the file frame by frame and keeps the longest prefix of whole,
//! checksummed, decodable frames; anything after it (a torn write, a flipped bit) is cut off the
//! file, never trusted, as Kafka's log recovery truncates at the first invalid batch.

use super::error::StorageError;
use bincode::Options;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The name of the one segment of a partition's log.
pub(crate) const LOG_FILE_NAME: &str = "00000000000000000000.log";

/// Bytes before a frame's body: length and CRC.
pub(crate) const HEADER_LEN: usize = 8;

/// No record body is anywhere near this; a larger length field is corruption.
pub(crate) const MAX_BODY_LEN: u32 = 1 << 20;

fn codec() -> impl Options {
    bincode::DefaultOptions::new()
        .with_varint_encoding()
        .with_little_endian()
        .reject_trailing_bytes()
        .with_limit(u64::from(MAX_BODY_LEN))
}

/// Appends one record's frame to `out`.
pub(crate) fn encode_frame<R: Serialize>(record: &R, out: &mut Vec<u8>) -> Result<(), String> {
    let body = codec().serialize(record).map_err(|e| e.to_string())?;
    let len = u32::try_from(body.len()).ok().filter(|l| *l <= MAX_BODY_LEN).ok_or("record too large for a frame")?;
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&crc32fast::hash(&body).to_le_bytes());
    out.extend_from_slice(&body);
    Ok(())
}

/// Why the frames of a file stop before its end.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Damage {
    /// The file ends inside a frame (a write cut short).
    Torn { have: u64, need: u64 },
    /// A length field no record could have.
    BadLength(u32),
    /// The body does not match its checksum.
    BadCrc { stored: u32, computed: u32 },
    /// The body checksums but is not a record.
    Undecodable(String),
}

impl fmt::Display for Damage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Damage::Torn { have, need } => write!(f, "torn frame: {have} of its {need} bytes present"),
            Damage::BadLength(len) => write!(f, "frame length {len} exceeds {MAX_BODY_LEN}"),
            Damage::BadCrc { stored, computed } => {
                write!(f, "CRC mismatch: stored {stored:#010x}, computed {computed:#010x}")
            }
            Damage::Undecodable(e) => write!(f, "undecodable record: {e}"),
        }
    }
}

/// What a file holds: the records of its valid prefix, where each starts, and why it stops early.
#[derive(Debug)]
pub(crate) struct Scan<R> {
    pub records: Vec<R>,
    /// `positions[i]` is the byte where record `i` starts; the last entry is the valid length.
    pub positions: Vec<u64>,
    pub damage: Option<Damage>,
}

impl<R> Scan<R> {
    pub fn valid_len(&self) -> u64 {
        self.positions.last().copied().unwrap_or(0)
    }
}

/// Reads frames from the start of `bytes` until the end or the first bad frame.
pub(crate) fn scan<R: DeserializeOwned>(bytes: &[u8]) -> Scan<R> {
    let mut records = Vec::new();
    let mut positions = vec![0u64];
    let mut pos = 0usize;
    let damage = loop {
        let rest = &bytes[pos..];
        if rest.is_empty() {
            break None;
        }
        if rest.len() < HEADER_LEN {
            break Some(Damage::Torn { have: rest.len() as u64, need: HEADER_LEN as u64 });
        }
        let len = u32::from_le_bytes([rest[0], rest[1], rest[2], rest[3]]);
        let stored = u32::from_le_bytes([rest[4], rest[5], rest[6], rest[7]]);
        if len > MAX_BODY_LEN {
            break Some(Damage::BadLength(len));
        }
        let frame_len = HEADER_LEN + len as usize;
        if rest.len() < frame_len {
            break Some(Damage::Torn { have: rest.len() as u64, need: frame_len as u64 });
        }
        let body = &rest[HEADER_LEN..frame_len];
        let computed = crc32fast::hash(body);
        if computed != stored {
            break Some(Damage::BadCrc { stored, computed });
        }
        match codec().deserialize(body) {
            Ok(record) => records.push(record),
            Err(e) => break Some(Damage::Undecodable(e.to_string())),
        }
        pos += frame_len;
        positions.push(pos as u64);
    };
    Scan { records, positions, damage }
}

/// An open log file and its in-memory index (record -> byte position).
#[derive(Debug)]
pub(crate) struct LogFile {
    path: PathBuf,
    file: File,
    /// `positions[i]` is where record `i` starts; the last entry is the file's length.
    positions: Vec<u64>,
}

impl LogFile {
    /// Opens (creating it empty if missing) and recovers the log at `path`: a damaged tail is cut
    /// off the file (and the cut fsynced) with a warning. Returns the records that remain.
    pub fn open<R: DeserializeOwned>(path: &Path, partition: usize) -> Result<(LogFile, Vec<R>), StorageError> {
        let file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(path)
            .map_err(StorageError::io(path, "open"))?;
        let bytes = fs::read(path).map_err(StorageError::io(path, "read"))?;
        let scan: Scan<R> = scan(&bytes);
        if let Some(damage) = &scan.damage {
            let cut = bytes.len() as u64 - scan.valid_len();
            tracing::warn!(
                partition,
                offset = scan.records.len(),
                bytes_cut = cut,
                file = %path.display(),
                "log recovery: {damage}; truncating the log at this offset"
            );
            file.set_len(scan.valid_len()).map_err(StorageError::io(path, "truncate"))?;
            file.sync_all().map_err(StorageError::io(path, "fsync"))?;
        }
        Ok((LogFile { path: path.to_path_buf(), file, positions: scan.positions }, scan.records))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// How many records the file holds.
    pub fn records(&self) -> usize {
        self.positions.len() - 1
    }

    /// The file's length in bytes.
    pub fn byte_len(&self) -> u64 {
        self.positions[self.records()]
    }

    /// Where record `index` starts (`index == records()`: the end of the file); `None` past it.
    pub fn position(&self, index: usize) -> Option<u64> {
        self.positions.get(index).copied()
    }

    /// Cuts the file to its first `keep` records (no-op when it has no more).
    pub fn truncate(&mut self, keep: usize) -> Result<(), StorageError> {
        if keep >= self.records() {
            return Ok(());
        }
        self.file.set_len(self.positions[keep]).map_err(StorageError::io(&self.path, "truncate"))?;
        self.positions.truncate(keep + 1);
        Ok(())
    }

    /// Appends one frame per record with a single write (not fsynced: see `sync`).
    pub fn append<'a, R: Serialize + 'a>(
        &mut self,
        records: impl IntoIterator<Item = &'a R>,
    ) -> Result<(), StorageError> {
        let mut buf = Vec::new();
        let mut ends = Vec::new();
        let start = self.byte_len();
        for record in records {
            encode_frame(record, &mut buf).map_err(|e| {
                let offset = self.records() + ends.len();
                StorageError::inconsistent(&self.path, format!("record at offset {offset} does not encode: {e}"))
            })?;
            ends.push(start + buf.len() as u64);
        }
        if buf.is_empty() {
            return Ok(());
        }
        self.file.write_all(&buf).map_err(StorageError::io(&self.path, "append"))?;
        self.positions.extend(ends);
        Ok(())
    }

    /// fsyncs the file's data (what `flush.messages` and a clean shutdown do).
    pub fn sync(&self) -> Result<(), StorageError> {
        self.file.sync_data().map_err(StorageError::io(&self.path, "fsync"))
    }
}

/// What cutting a log file back to a byte length removed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Cut {
    /// Whole valid frames left in the file.
    pub kept: u64,
    /// Whole valid frames removed.
    pub lost: u64,
    pub bytes_cut: u64,
}

/// Cuts the log at `path` back to its first `len` bytes (a power loss dropping the page cache
/// past the last fsync) and fsyncs the cut. A missing file, or one already no longer, is left as is.
pub(crate) fn cut_to<R: DeserializeOwned>(path: &Path, len: u64) -> Result<Cut, StorageError> {
    let bytes = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Cut { kept: 0, lost: 0, bytes_cut: 0 }),
        Err(e) => return Err(StorageError::io(path, "read")(e)),
    };
    let scan: Scan<R> = scan(&bytes);
    let kept = scan.positions[1..].iter().filter(|end| **end <= len).count() as u64;
    let lost = scan.records.len() as u64 - kept;
    let file_len = bytes.len() as u64;
    if file_len <= len {
        return Ok(Cut { kept, lost, bytes_cut: 0 });
    }
    let file = OpenOptions::new().write(true).open(path).map_err(StorageError::io(path, "open"))?;
    file.set_len(len).map_err(StorageError::io(path, "truncate"))?;
    file.sync_all().map_err(StorageError::io(path, "fsync"))?;
    Ok(Cut { kept, lost, bytes_cut: file_len - len })
}
