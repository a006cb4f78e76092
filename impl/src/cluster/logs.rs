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
use std::io::{Read, Seek, SeekFrom};
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

/// One node's log file, read up to `offset`; `partial` is a last line not yet ended.
struct Followed {
    node: String,
    path: PathBuf,
    offset: u64,
    previous: String,
    partial: String,
}

impl Followed {
    /// The complete lines written since the last read (none if the file is not there yet).
    fn read_new(&mut self) -> Result<Vec<LogLine>, ClusterError> {
        let mut file = match File::open(&self.path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io(format!("reading {}", self.path.display()))(e)),
        };
        let read = |file: &mut File, offset| -> std::io::Result<Vec<u8>> {
            let mut bytes = Vec::new();
            // A log cut shorter than what was read (a node's directory made anew) is read again.
            let length = file.metadata()?.len();
            file.seek(SeekFrom::Start(if length < offset { 0 } else { offset }))?;
            file.read_to_end(&mut bytes)?;
            Ok(bytes)
        };
        let bytes = read(&mut file, self.offset).map_err(io(format!("reading {}", self.path.display())))?;
        self.offset = file.stream_position().map_err(io(format!("reading {}", self.path.display())))?;
        self.partial.push_str(&String::from_utf8_lossy(&bytes));
        let Some(end) = self.partial.rfind('\n') else { return Ok(Vec::new()) };
        let complete: String = self.partial.drain(..=end).collect();
        let mut lines = Vec::new();
        for line in complete.lines() {
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

/// `kelp cluster logs`: hands each batch of merged lines, rendered, to `print` (the lines the
/// logs hold, then with `follow` each later batch until the stop is requested).
pub fn logs(
    dir: &Path,
    request: &LogsRequest<'_>,
    print: &mut dyn FnMut(&[String]) -> Result<(), String>,
) -> Result<(), ClusterError> {
    let cluster = ClusterFile::load(dir)?;
    for &node in request.nodes {
        check_node(&cluster, node)?;
    }
    let layout = Layout::new(dir, &cluster.config);
    let nodes = if request.nodes.is_empty() { node_ids(&cluster) } else { request.nodes.to_vec() };
    let mut files: Vec<Followed> = nodes
        .iter()
        .map(|&node| Followed {
            node: layout.name(node),
            path: layout.log_file(node),
            offset: 0,
            previous: String::new(),
            partial: String::new(),
        })
        .collect();
    if request.follow.is_none() && !files.iter().any(|f| f.path.exists()) {
        return Err(ClusterError::NoLogs { dir: dir.join("logs").display().to_string() });
    }
    let width = files.iter().map(|f| f.node.len()).max().unwrap_or(0);
    let mut batch = read_all(&mut files)?;
    if let Some(tail) = request.tail {
        batch.drain(..batch.len().saturating_sub(tail));
    }
    let render = |lines: &[LogLine]| lines.iter().map(|line| line.render(width)).collect::<Vec<_>>();
    print(&render(&batch)).map_err(ClusterError::Config)?;
    let Some(stop) = request.follow else { return Ok(()) };
    while stop.requests() == 0 {
        std::thread::sleep(FOLLOW_POLL);
        let batch = read_all(&mut files)?;
        if !batch.is_empty() {
            print(&render(&batch)).map_err(ClusterError::Config)?;
        }
    }
    Ok(())
}

/// Every file's new lines, merged.
fn read_all(files: &mut [Followed]) -> Result<Vec<LogLine>, ClusterError> {
    let mut lines = Vec::new();
    for file in files {
        lines.extend(file.read_new()?);
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

    #[test]
    fn only_complete_lines_are_read_and_a_partial_one_waits_for_its_end() {
        let temp = tempfile::tempdir().unwrap();
        let path = temp.path().join("controller.log");
        std::fs::write(&path, format!("{FENCED}\nunfinished")).unwrap();
        let mut file = Followed {
            node: "controller".into(),
            path: path.clone(),
            offset: 0,
            previous: String::new(),
            partial: String::new(),
        };
        assert_eq!(file.read_new().unwrap().len(), 1);
        assert_eq!(file.read_new().unwrap(), vec![]);
        std::fs::write(&path, format!("{FENCED}\nunfinished line\n")).unwrap();
        let lines = file.read_new().unwrap();
        assert_eq!(lines.len(), 1);
        assert_eq!(
            (lines[0].text.as_str(), lines[0].stamp.as_str()),
            ("unfinished line", "2026-12-08T02:31:46.331168Z")
        );
    }
}
