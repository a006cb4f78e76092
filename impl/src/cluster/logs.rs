//! `kelp cluster logs`: the nodes' logs merged into one timeline, so that an election reads as
//! the story it is across processes: the controller fences a broker and publishes the new
//! record, the new leader takes its leader epoch, the followers truncate and fetch from it.
//!
//! Each node logs one line per event (`node::init_logging`), stamped in UTC to the microsecond
//! (`2026-12-08T02:31:46.331168Z`); lines are merged by that stamp, whose text sorts as its time
//! does. One node's lines keep their order, and a line without a stamp (what a node printed as it
//! died) stays after the line before it. With `--follow`, the lines the nodes write from then on
//! are printed as they come, each batch merged alike.

use super::process::Layout;
use super::{check_node, io, node_ids, ClusterError};
use crate::cluster_file::ClusterFile;
use crate::node::Stop;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How often `--follow` looks for new lines.
const FOLLOW_POLL: Duration = Duration::from_millis(200);

/// One line of a node's log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogLine {
    /// Its UTC stamp, or the stamp of the line before it in its file (empty: none before).
    pub stamp: String,
    pub node: String,
    /// Its level, unless `INFO` (most lines are).
    pub level: Option<String>,
    pub text: String,
}

impl LogLine {
    /// The line of `node`'s log `line` (without its newline); `previous`: the stamp of the line
    /// before it in the same file. The span every node line opens with (`node{name=...}: `) is
    /// dropped: the node's name is printed in its own column.
    pub fn parse(node: &str, line: &str, previous: &str) -> LogLine {
        let unstamped =
            || LogLine { stamp: previous.to_string(), node: node.to_string(), level: None, text: line.into() };
        let Some((stamp, rest)) = line.split_once(' ') else { return unstamped() };
        if !is_stamp(stamp) {
            return unstamped();
        }
        let rest = rest.trim_start();
        let (level, text) = rest.split_once(' ').unwrap_or((rest, ""));
        if !["TRACE", "DEBUG", "INFO", "WARN", "ERROR"].contains(&level) {
            return unstamped();
        }
        let text = text.trim_start();
        let text = match text.strip_prefix("node{") {
            Some(span) => span.split_once("}: ").map_or(text, |(_, message)| message),
            None => text,
        };
        let level = (level != "INFO").then(|| level.to_string());
        LogLine { stamp: stamp.to_string(), node: node.to_string(), level, text: text.to_string() }
    }

    /// `02:31:46.331  controller  broker 1 session expired ...`, the name padded to `width`.
    pub fn render(&self, width: usize) -> String {
        let time = if is_stamp(&self.stamp) { &self.stamp[11..23] } else { "            " };
        let level = self.level.as_ref().map_or(String::new(), |level| format!("{level} "));
        format!("{time}  {:width$}  {level}{}", self.node, self.text)
    }
}

/// Whether `text` is a stamp as the nodes write it: `YYYY-MM-DDTHH:MM:SS.ffffffZ`.
fn is_stamp(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() >= 24
        && bytes[4] == b'-'
        && bytes[10] == b'T'
        && bytes[13] == b':'
        && bytes[19] == b'.'
        && text.ends_with('Z')
        && text.is_char_boundary(23)
}

/// Sorts `lines` by stamp, keeping the order of lines with equal stamps (one node's, in a row).
pub fn merge(lines: &mut [LogLine]) {
    lines.sort_by(|a, b| a.stamp.cmp(&b.stamp));
}

/// One node's log file, read up to `offset`; `partial` holds the bytes of a last line not yet
/// ended (bytes, so that a character split between two reads is decoded whole).
struct Followed {
    node: String,
    path: PathBuf,
    offset: u64,
    previous: String,
    partial: Vec<u8>,
}

impl Followed {
    fn new(node: String, path: PathBuf) -> Self {
        Followed { node, path, offset: 0, previous: String::new(), partial: Vec::new() }
    }

    /// Starts the reading near the end: at the start of the file's last `lines` lines.
    fn skip_to_last(&mut self, lines: usize) -> Result<(), ClusterError> {
        let Some(mut file) = self.open()? else { return Ok(()) };
        let failed = io(format!("reading {}", self.path.display()));
        let length = file.metadata().map_err(failed)?.len();
        if lines == 0 {
            self.offset = length;
            return Ok(());
        }
        let mut start = length;
        let mut newlines = 0;
        let mut chunk = vec![0; 64 * 1024];
        // Back from the end, chunk by chunk, to the newline before the last `lines` lines (the
        // file's last byte is a line's end, not one more line).
        while start > 0 {
            let size = chunk.len().min(usize::try_from(start).unwrap_or(usize::MAX));
            start -= size as u64;
            let read = |file: &mut File, chunk: &mut [u8]| -> std::io::Result<()> {
                file.seek(SeekFrom::Start(start))?;
                file.read_exact(chunk)
            };
            read(&mut file, &mut chunk[..size]).map_err(io(format!("reading {}", self.path.display())))?;
            for (i, byte) in chunk[..size].iter().enumerate().rev() {
                let at = start + i as u64;
                if *byte == b'\n' && at + 1 < length {
                    newlines += 1;
                    if newlines == lines {
                        self.offset = at + 1;
                        return Ok(());
                    }
                }
            }
        }
        self.offset = 0;
        Ok(())
    }

    /// The file, if it is there yet.
    fn open(&self) -> Result<Option<File>, ClusterError> {
        match File::open(&self.path) {
            Ok(file) => Ok(Some(file)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io(format!("reading {}", self.path.display()))(e)),
        }
    }

    /// The lines written since the last read: the complete ones, and with `finished` (nothing
    /// more will be read) a last one without its newline too.
    fn read_new(&mut self, finished: bool) -> Result<Vec<LogLine>, ClusterError> {
        let Some(mut file) = self.open()? else { return Ok(Vec::new()) };
        // A log cut shorter than what was read (a node's directory made anew) is read afresh.
        let read = |file: &mut File, offset: u64, partial: &mut Vec<u8>| -> std::io::Result<(u64, bool)> {
            let afresh = file.metadata()?.len() < offset;
            if afresh {
                partial.clear();
            }
            file.seek(SeekFrom::Start(if afresh { 0 } else { offset }))?;
            file.read_to_end(partial)?;
            Ok((file.stream_position()?, afresh))
        };
        let (offset, afresh) =
            read(&mut file, self.offset, &mut self.partial).map_err(io(format!("reading {}", self.path.display())))?;
        if afresh {
            self.previous.clear();
        }
        self.offset = offset;
        let end = match self.partial.iter().rposition(|b| *b == b'\n') {
            Some(end) => end + 1,
            None if finished => self.partial.len(),
            None => return Ok(Vec::new()),
        };
        let rest = self.partial.split_off(if finished { self.partial.len() } else { end });
        let complete = std::mem::replace(&mut self.partial, rest);
        let mut lines = Vec::new();
        for line in String::from_utf8_lossy(&complete).lines() {
            let parsed = LogLine::parse(&self.node, line, &self.previous);
            self.previous.clone_from(&parsed.stamp);
            lines.push(parsed);
        }
        Ok(lines)
    }
}

/// What `kelp cluster logs` is asked for.
pub struct LogsRequest<'a> {
    /// The nodes whose logs to merge (empty: every node).
    pub nodes: &'a [u32],
    /// Only the last this many lines of what the logs hold now.
    pub tail: Option<usize>,
    /// Go on printing new lines until this stop is requested.
    pub follow: Option<&'a Stop>,
}

/// `kelp cluster logs`: writes the merged lines to `out` (the lines the logs hold, then with
/// `follow` each later batch until the stop is requested). A reader that went away (`| head`)
/// ends it as it ends a Kafka tool: done, not failed.
pub fn logs(dir: &Path, request: &LogsRequest<'_>, out: &mut dyn Write) -> Result<(), ClusterError> {
    let cluster = ClusterFile::load(dir)?;
    for &node in request.nodes {
        check_node(&cluster, node)?;
    }
    let layout = Layout::new(dir, &cluster.config);
    let mut nodes = if request.nodes.is_empty() { node_ids(&cluster) } else { request.nodes.to_vec() };
    nodes.sort_unstable();
    nodes.dedup();
    let mut files: Vec<Followed> =
        nodes.iter().map(|&node| Followed::new(layout.name(node), layout.log_file(node))).collect();
    if request.follow.is_none() && !files.iter().any(|f| f.path.exists()) {
        return Err(ClusterError::NoLogs { dir: dir.join("logs").display().to_string() });
    }
    if let Some(tail) = request.tail {
        for file in &mut files {
            file.skip_to_last(tail)?;
        }
    }
    let width = files.iter().map(|f| f.node.len()).max().unwrap_or(0);
    let mut batch = read_all(&mut files, request.follow.is_none())?;
    if let Some(tail) = request.tail {
        batch.drain(..batch.len().saturating_sub(tail));
    }
    if !write_lines(out, &batch, width)? {
        return Ok(());
    }
    let Some(stop) = request.follow else { return Ok(()) };
    while stop.requests() == 0 {
        std::thread::sleep(FOLLOW_POLL);
        if !write_lines(out, &read_all(&mut files, false)?, width)? {
            break;
        }
    }
    Ok(())
}

/// Writes `lines`, rendered; false if the reader went away.
fn write_lines(out: &mut dyn Write, lines: &[LogLine], width: usize) -> Result<bool, ClusterError> {
    let text: String = lines.iter().map(|line| line.render(width) + "\n").collect();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(false),
        Err(e) => Err(io("writing standard output")(e)),
    }
}

/// Every file's new lines, merged (`finished`: and each file's unended last line).
fn read_all(files: &mut [Followed], finished: bool) -> Result<Vec<LogLine>, ClusterError> {
    let mut lines = Vec::new();
    for file in files {
        lines.extend(file.read_new(finished)?);
    }
    merge(&mut lines);
    Ok(lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FENCED: &str = "2026-12-08T02:31:46.331168Z  INFO node{name=controller}: broker 1 session expired: fenced";

    #[test]
    fn a_node_line_is_parsed_into_its_stamp_level_and_message() {
        let line = LogLine::parse("controller", FENCED, "");
        assert_eq!(line.stamp, "2026-12-08T02:31:46.331168Z");
        assert_eq!((line.level, line.text.as_str()), (None, "broker 1 session expired: fenced"));
        let warned = "2026-12-08T02:31:47.000001Z  WARN node{name=broker-2}: dropped a 3-byte datagram";
        let line = LogLine::parse("broker-2", warned, "");
        assert_eq!((line.level.as_deref(), line.text.as_str()), (Some("WARN"), "dropped a 3-byte datagram"));
        assert_eq!(line.render(10), "02:31:47.000  broker-2    WARN dropped a 3-byte datagram");
    }

    #[test]
    fn a_line_without_a_stamp_keeps_the_stamp_before_it() {
        let line = LogLine::parse("broker-1", "error: data directory failure", "2026-12-08T02:31:46.331168Z");
        assert_eq!(line.stamp, "2026-12-08T02:31:46.331168Z");
        assert_eq!(line.text, "error: data directory failure");
        let first = LogLine::parse("broker-1", "thread 'main' panicked", "");
        assert_eq!(first.render(8), "              broker-1  thread 'main' panicked");
        assert_eq!(LogLine::parse("x", "2026-12-08 not a stamp", "").text, "2026-12-08 not a stamp");
        assert_eq!(LogLine::parse("x", "2026-12-08T02:31:46.331168Z  LOUD odd", "").level, None);
    }

    #[test]
    fn lines_merge_by_stamp_and_equal_stamps_keep_their_order() {
        let at = |node: &str, stamp: &str, text: &str| LogLine {
            stamp: format!("2026-12-08T02:31:{stamp}Z"),
            node: node.to_string(),
            level: None,
            text: text.to_string(),
        };
        let mut lines = vec![
            at("controller", "46.000002", "fenced broker 1"),
            at("controller", "46.000009", "Leader: 2"),
            at("broker-2", "46.000001", "fetching"),
            at("broker-2", "46.000009", "leader in leader epoch 2"),
        ];
        merge(&mut lines);
        let texts: Vec<&str> = lines.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(texts, vec!["fetching", "fenced broker 1", "Leader: 2", "leader in leader epoch 2"]);
    }

    /// A log file in a temporary directory, written with `text`, and its reader.
    fn log_file(text: &[u8]) -> (tempfile::TempDir, PathBuf, Followed) {
        let temp = tempfile::tempdir().unwrap();
        let path = temp.path().join("controller.log");
        std::fs::write(&path, text).unwrap();
        let file = Followed::new("controller".into(), path.clone());
        (temp, path, file)
    }

    #[test]
    fn only_complete_lines_are_read_and_a_partial_one_waits_for_its_end() {
        let (_temp, path, mut file) = log_file(format!("{FENCED}\nunfinished").as_bytes());
        assert_eq!(file.read_new(false).unwrap().len(), 1);
        assert_eq!(file.read_new(false).unwrap(), vec![]);
        std::fs::write(&path, format!("{FENCED}\nunfinished line\n")).unwrap();
        let lines = file.read_new(false).unwrap();
        assert_eq!(lines.len(), 1);
        assert_eq!(
            (lines[0].text.as_str(), lines[0].stamp.as_str()),
            ("unfinished line", "2026-12-08T02:31:46.331168Z")
        );
    }

    #[test]
    fn a_last_line_without_its_end_is_read_when_nothing_more_will_be() {
        let (_temp, _path, mut file) = log_file(format!("{FENCED}\nkilled mid-wri").as_bytes());
        let texts: Vec<String> = file.read_new(true).unwrap().into_iter().map(|l| l.text).collect();
        assert_eq!(texts, vec!["broker 1 session expired: fenced".to_string(), "killed mid-wri".to_string()]);
    }

    #[test]
    fn a_character_split_between_two_reads_is_decoded_whole() {
        let line = format!("{FENCED} \u{e9}t\u{e9}\n");
        let bytes = line.as_bytes();
        let split = bytes.len() - 3; // inside the last two-byte character
        let (_temp, path, mut file) = log_file(&bytes[..split]);
        assert_eq!(file.read_new(false).unwrap(), vec![]);
        std::fs::write(&path, bytes).unwrap();
        assert_eq!(file.read_new(false).unwrap()[0].text, "broker 1 session expired: fenced \u{e9}t\u{e9}");
    }

    #[test]
    fn a_log_cut_shorter_is_read_afresh() {
        let (_temp, path, mut file) = log_file(format!("{FENCED}\n{FENCED}\nhalf").as_bytes());
        assert_eq!(file.read_new(false).unwrap().len(), 2);
        std::fs::write(&path, "new start\n").unwrap();
        let lines = file.read_new(false).unwrap();
        assert_eq!((lines.len(), lines[0].text.as_str(), lines[0].stamp.as_str()), (1, "new start", ""));
    }

    #[test]
    fn the_tail_starts_at_the_last_lines_and_a_short_file_at_its_start() {
        let text: String = (0..10).map(|i| format!("line {i}\n")).collect();
        let (_temp, _path, mut file) = log_file(text.as_bytes());
        file.skip_to_last(3).unwrap();
        let texts: Vec<String> = file.read_new(true).unwrap().into_iter().map(|l| l.text).collect();
        assert_eq!(texts, vec!["line 7", "line 8", "line 9"]);
        let (_temp, _path, mut file) = log_file(text.as_bytes());
        file.skip_to_last(50).unwrap();
        assert_eq!(file.read_new(true).unwrap().len(), 10);
    }
}
