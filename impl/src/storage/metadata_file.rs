//! The durable state of the sole controller, of ZooKeeper and of a controller candidate in the
//! reference cluster (`RuntimeSettings::durable_metadata`): what the model saves
//! (`Saved::Controller`, the image KRaft's `__cluster_metadata` log replays to;
//! `Saved::Coordinator`, ZooKeeper's data; `Saved::Candidate`, a candidate's mark that it started)
//! as one JSON file in the node's data directory, readable by people:
//!
//! ```text
//! DIR/
//!   meta.properties   cluster.id=..., node.id=N, version=1 (as a broker's; checked at open)
//!   .lock             flock'ed while the node runs
//!   metadata.json     {"version": 1, "saved": {"Controller": {...}}} (or "Coordinator", "Candidate")
//! ```
//!
//! Each save replaces `metadata.json` atomically (temp file, fsync, rename, fsync dir) before the
//! node sends anything the change allows, so a restart finds the last state it acted on. A file
//! that does not parse, of another version or of another role's kind is an error naming the file.

use super::checkpoint;
use super::data_dir::{check_meta, init_dir, lock_dir};
use super::{StorageError, META_PROPERTIES};
use kelp_model::ids::BrokerId;
use kelp_model::saved::Saved;
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::path::{Path, PathBuf};

pub const METADATA_FILE: &str = "metadata.json";
/// The layout of `metadata.json`; the model's own fields inside follow the model's serde names.
const VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Envelope {
    version: u32,
    saved: Saved,
}

/// An open metadata directory.
#[derive(Debug)]
pub struct MetadataFile {
    path: PathBuf,
    /// Holds the directory's `.lock` while open.
    _lock: File,
}

impl MetadataFile {
    /// Opens the metadata directory `dir` of node `node_id` of cluster `cluster_id`, which keeps
    /// `kind` (`Saved::kind`). A directory without `meta.properties` (nor `metadata.json`), or
    /// one where nothing was saved yet, opens as `None`: the node starts from the freshly
    /// formatted cluster.
    pub fn open(
        dir: &Path,
        cluster_id: &str,
        node_id: BrokerId,
        kind: &str,
    ) -> Result<(MetadataFile, Option<Saved>), StorageError> {
        let path = dir.join(METADATA_FILE);
        let meta_path = dir.join(META_PROPERTIES);
        let lock = match checkpoint::read(&meta_path)? {
            Some(text) => {
                check_meta(dir, &checkpoint::parse_meta(&meta_path, &text)?, cluster_id, node_id)?;
                lock_dir(dir)?
            }
            // Metadata without the directory's identity could be anyone's: refused, as a broker's
            // data without `meta.properties` is, rather than started over and overwritten.
            None if path.exists() => {
                return Err(StorageError::inconsistent(dir, format!("holds {METADATA_FILE} but no {META_PROPERTIES}")))
            }
            None => return Ok((MetadataFile { path, _lock: init_dir(dir, cluster_id, node_id)? }, None)),
        };
        checkpoint::remove_leftover_tmp(dir)?;
        let saved = match checkpoint::read(&path)? {
            Some(text) => Some(parse(&path, &text, kind)?),
            None => None,
        };
        Ok((MetadataFile { path, _lock: lock }, saved))
    }

    /// Replaces what the file holds with `saved`, durably.
    pub fn save(&mut self, saved: &Saved) -> Result<(), StorageError> {
        let envelope = Envelope { version: VERSION, saved: saved.clone() };
        let mut text = serde_json::to_string_pretty(&envelope)
            .map_err(|e| StorageError::inconsistent(&self.path, format!("cannot be written: {e}")))?;
        text.push('\n');
        checkpoint::write_atomic(&self.path, &text)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

fn parse(path: &Path, text: &str, kind: &str) -> Result<Saved, StorageError> {
    let envelope: Envelope = serde_json::from_str(text)
        .map_err(|e| StorageError::malformed(path, e.line(), format!("not kelp metadata: {e}")))?;
    if envelope.version != VERSION {
        let reason = format!("metadata version {} (this build reads version {VERSION})", envelope.version);
        return Err(StorageError::inconsistent(path, reason));
    }
    if envelope.saved.kind() != kind {
        return Err(StorageError::inconsistent(path, format!("holds {}, not {kind}", envelope.saved.kind())));
    }
    Ok(envelope.saved)
}

#[cfg(test)]
mod tests {
    use super::*;
    use kelp_model::config::Config;
    use kelp_model::controller::ControllerState;
    use kelp_model::coordinator::CoordinatorState;
    use kelp_model::ids::LeaderEpoch;

    const CONTROLLER: &str = kelp_model::saved::CONTROLLER_METADATA;

    fn controller_metadata() -> Saved {
        let mut state = ControllerState::bootstrap(&Config::default());
        state.partitions[0].leader_epoch = LeaderEpoch(7);
        state.brokers[2].fenced = true;
        Saved::Controller(state)
    }

    fn open(dir: &Path) -> Result<(MetadataFile, Option<Saved>), StorageError> {
        MetadataFile::open(dir, "kelp-test", BrokerId(0), CONTROLLER)
    }

    #[test]
    fn a_fresh_directory_opens_empty_and_what_is_saved_opens_again() {
        let temp = tempfile::tempdir().unwrap();
        let dir = temp.path().join("controller");
        let (mut file, saved) = open(&dir).unwrap();
        assert_eq!(saved, None);
        // Opened, nothing saved yet: still empty.
        drop(file);
        let (again, saved) = open(&dir).unwrap();
        assert_eq!(saved, None);
        file = again;
        file.save(&controller_metadata()).unwrap();
        drop(file);
        let (_, saved) = open(&dir).unwrap();
        assert_eq!(saved, Some(controller_metadata()));
    }

    #[test]
    fn zookeeper_s_data_round_trips_with_its_committed_count_of_writes() {
        let temp = tempfile::tempdir().unwrap();
        let cfg = Config { controllers: 2, ..Config::default() };
        let mut state = CoordinatorState::start(&cfg);
        state.committed.writes.count = kelp_model::ids::WriteCount(12);
        let kind = kelp_model::saved::COORDINATOR_DATA;
        let (mut file, _) = MetadataFile::open(temp.path(), "kelp-test", BrokerId(5), kind).unwrap();
        file.save(&Saved::Coordinator(state.clone())).unwrap();
        drop(file);
        let (_, saved) = MetadataFile::open(temp.path(), "kelp-test", BrokerId(5), kind).unwrap();
        assert_eq!(saved, Some(Saved::Coordinator(state)));
    }

    #[test]
    fn a_damaged_file_another_version_or_another_role_s_data_is_an_error_naming_the_file() {
        let temp = tempfile::tempdir().unwrap();
        let (mut file, _) = open(temp.path()).unwrap();
        file.save(&controller_metadata()).unwrap();
        let path = file.path().to_path_buf();
        drop(file);
        let good = std::fs::read_to_string(&path).unwrap();
        let cases = [
            (good[..good.len() / 2].to_string(), "not kelp metadata: EOF while parsing"),
            (good.replacen("\"version\": 1", "\"version\": 9", 1), "metadata version 9 (this build reads version 1)"),
            (good.replacen("\"Controller\"", "\"Coordinator\"", 1), "not kelp metadata: missing field"),
        ];
        for (text, want) in cases {
            std::fs::write(&path, text).unwrap();
            let err = open(temp.path()).unwrap_err().to_string();
            assert!(err.starts_with(&path.display().to_string()) && err.contains(want), "{err}");
        }
        std::fs::write(&path, &good).unwrap();
        let err =
            MetadataFile::open(temp.path(), "kelp-test", BrokerId(0), kelp_model::saved::COORDINATOR_DATA).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("{}: holds the controller's metadata, not ZooKeeper's data", path.display())
        );
    }

    #[test]
    fn metadata_without_meta_properties_is_refused_not_started_over() {
        let temp = tempfile::tempdir().unwrap();
        let (mut file, _) = open(temp.path()).unwrap();
        file.save(&controller_metadata()).unwrap();
        drop(file);
        std::fs::remove_file(temp.path().join(META_PROPERTIES)).unwrap();
        let err = open(temp.path()).unwrap_err().to_string();
        assert_eq!(err, format!("{}: holds metadata.json but no meta.properties", temp.path().display()));
    }

    #[test]
    fn another_cluster_s_directory_is_refused() {
        let temp = tempfile::tempdir().unwrap();
        drop(open(temp.path()).unwrap());
        let err = MetadataFile::open(temp.path(), "other", BrokerId(0), CONTROLLER).unwrap_err();
        assert!(matches!(err, StorageError::WrongCluster { .. }), "{err}");
    }
}
