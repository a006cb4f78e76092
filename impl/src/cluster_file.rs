//! The cluster file, `DIR/cluster.toml`: written once by `kelp cluster up`, read by every node and
//! command. It names the cluster (its id tags every datagram), holds the model's `Config`, and
//! lists the nodes with their UDP addresses:
//!
//! ```toml
//! cluster_id = "kelp-3f9c0a7e12d4b865"
//!
//! [config]
//! brokers = 3
//! partitions = 1
//! # ... every field of kelp_model::config::Config
//!
//! [[nodes]]
//! id = 0
//! role = "controller"
//! address = "127.0.0.1:41001"
//!
//! [[nodes]]
//! id = 1
//! role = "broker"
//! address = "127.0.0.1:41002"
//! ```
//!
//! Node ids are actor ids: the controller is node 0, broker N is node N (Kafka's `node.id`); with
//! `controllers` > 1 the other controller candidates and then the coordinator (`role =
//! "zookeeper"`) follow the brokers. Clients (producers, consumers, tools) are not listed: they
//! bind ephemeral ports, take ids past every node, and the nodes answer them where their datagrams
//! came from.

use crate::wire::ClusterTag;
use kelp_model::config::{Config, ConfigError};
use kelp_model::effects::Address;
use serde::{Deserialize, Serialize};
use stateright::actor::Id;
use std::collections::hash_map::RandomState;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::fs;
use std::hash::{BuildHasher, Hasher};
use std::io::{self, Write};
use std::net::{Ipv4Addr, SocketAddr, UdpSocket};
use std::path::{Path, PathBuf};

/// The cluster file's name inside the cluster directory.
pub const FILE_NAME: &str = "cluster.toml";

/// What a node is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Controller,
    Broker,
    /// The coordination service of a cluster with controller candidates.
    Zookeeper,
}

impl Role {
    /// The role node `id` must have in a cluster of `config`.
    pub fn of_id(config: &Config, id: u32) -> Role {
        match Address::of(Id::from(id as usize), config) {
            Address::Broker(_) => Role::Broker,
            Address::Coordinator => Role::Zookeeper,
            _ => Role::Controller,
        }
    }
}

/// The nodes of a cluster of `config`, by id: every controller candidate, broker and the
/// coordinator (clients come and go and are not nodes).
/// The highest node id of the cluster `config` describes (ZooKeeper's with candidates, else the
/// last broker's), for messages about a node that is not there.
pub fn last_node_id(config: &Config) -> u32 {
    node_ids(config).into_iter().max().unwrap_or(0)
}

pub fn node_ids(config: &Config) -> Vec<u32> {
    let mut ids: Vec<u32> = config
        .controller_ids()
        .map(|c| config.controller_actor_index(c))
        .chain(config.broker_ids().map(|b| b.actor_index()))
        .chain(config.coordinator_actor_index())
        .map(|i| i as u32)
        .collect();
    ids.sort_unstable();
    ids
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Role::Controller => "controller",
            Role::Broker => "broker",
            Role::Zookeeper => "zookeeper",
        })
    }
}

/// One server process of the cluster.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Node {
    /// The actor id (0: controller, N: broker N).
    pub id: u32,
    pub role: Role,
    /// Where its UDP socket listens (IPv4 loopback).
    pub address: SocketAddr,
}

/// A validated cluster file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClusterFile {
    pub cluster_id: String,
    pub config: Config,
    /// In id order: the controller, then brokers 1..=config.brokers.
    pub nodes: Vec<Node>,
}

/// Why a cluster file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ClusterFileError {
    #[error("no cluster in {} (run `kelp cluster up` first)", dir.display())]
    Missing { dir: PathBuf },
    #[error("cannot {action} {}: {source}", path.display())]
    Io { action: &'static str, path: PathBuf, source: io::Error },
    #[error("{}: {message}", path.display())]
    Parse {
        path: PathBuf,
        /// 1-based, where the parser could tell.
        line: Option<usize>,
        message: String,
    },
    #[error("{}: {problem}", path.display())]
    Invalid { path: PathBuf, problem: Problem },
}

/// A cluster file that parses but describes no usable cluster.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    #[error("the cluster id is empty")]
    EmptyClusterId,
    #[error("node {id}: unknown role {role:?} (expected \"controller\", \"broker\" or \"zookeeper\")")]
    UnknownRole { id: u32, role: String },
    #[error("node id {id} appears more than once")]
    DuplicateId { id: u32 },
    #[error("node {id}: cannot parse address {address:?} (expected 127.0.0.1:PORT): {reason}")]
    BadAddress { id: u32, address: String, reason: String },
    #[error("node {id}: address {address} is not on the IPv4 loopback (kelp clusters run on 127.0.0.1 only)")]
    NotLoopback { id: u32, address: SocketAddr },
    #[error("nodes {first} and {second} share the address {address}")]
    DuplicateAddress { first: u32, second: u32, address: SocketAddr },
    #[error("node {id} is listed as {found}, but node {id} is the {expected}")]
    WrongRole { id: u32, found: Role, expected: Role },
    #[error("node {id} ({role}) is missing")]
    MissingNode { id: u32, role: Role },
    #[error("node {id} is listed, but the configuration has no such node ({brokers} broker(s))")]
    UnexpectedNode { id: u32, brokers: u8 },
    #[error("{0}")]
    Config(#[from] ConfigError),
}

/// The file as written, before validation (roles and addresses as text, to name what is wrong).
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    cluster_id: String,
    config: Config,
    #[serde(default)]
    nodes: Vec<RawNode>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNode {
    id: u32,
    role: String,
    address: String,
}

impl ClusterFile {
    /// A cluster file from its parts, checked as `load` checks one.
    pub fn new(cluster_id: impl Into<String>, config: Config, nodes: Vec<Node>) -> Result<Self, Problem> {
        let mut file = ClusterFile { cluster_id: cluster_id.into(), config, nodes };
        file.nodes.sort_by_key(|n| n.id);
        file.validate()?;
        Ok(file)
    }

    /// A new cluster (fresh random id) with `config`: the controller and every broker on a port
    /// of 127.0.0.1 that was free a moment ago.
    pub fn on_free_ports(config: Config) -> Result<Self, ClusterFileError> {
        let io = |source| ClusterFileError::Io { action: "find a free port on", path: "127.0.0.1".into(), source };
        // Hold every socket until all ports are chosen, so no port is chosen twice.
        let ids = node_ids(&config);
        let sockets: Vec<UdpSocket> =
            ids.iter().map(|_| UdpSocket::bind((Ipv4Addr::LOCALHOST, 0))).collect::<Result<_, _>>().map_err(io)?;
        let mut nodes = Vec::new();
        for (&id, socket) in ids.iter().zip(&sockets) {
            nodes.push(Node { id, role: Role::of_id(&config, id), address: socket.local_addr().map_err(io)? });
        }
        drop(sockets);
        Self::new(new_cluster_id(), config, nodes)
            .map_err(|problem| ClusterFileError::Invalid { path: FILE_NAME.into(), problem })
    }

    /// `DIR/cluster.toml`.
    pub fn path(dir: &Path) -> PathBuf {
        dir.join(FILE_NAME)
    }

    /// Reads and checks `DIR/cluster.toml`.
    pub fn load(dir: &Path) -> Result<Self, ClusterFileError> {
        let path = Self::path(dir);
        let text = match fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(ClusterFileError::Missing { dir: dir.to_path_buf() })
            }
            Err(source) => return Err(ClusterFileError::Io { action: "read", path, source }),
        };
        Self::parse(&text, &path)
    }

    /// Parses and checks a cluster file's text; `path` only names it in errors.
    pub fn parse(text: &str, path: &Path) -> Result<Self, ClusterFileError> {
        let raw: RawFile = toml::from_str(text).map_err(|e| ClusterFileError::Parse {
            path: path.to_path_buf(),
            line: e.span().map(|span| line_of(text, span.start)),
            message: e.to_string().trim_end().to_string(),
        })?;
        let invalid = |problem| ClusterFileError::Invalid { path: path.to_path_buf(), problem };
        let mut nodes = Vec::new();
        for raw_node in raw.nodes {
            let id = raw_node.id;
            let role = match raw_node.role.as_str() {
                "controller" => Role::Controller,
                "broker" => Role::Broker,
                "zookeeper" => Role::Zookeeper,
                _ => return Err(invalid(Problem::UnknownRole { id, role: raw_node.role })),
            };
            let address = parse_address(id, &raw_node.address).map_err(invalid)?;
            nodes.push(Node { id, role, address });
        }
        Self::new(raw.cluster_id, raw.config, nodes).map_err(invalid)
    }

    /// The file's text.
    pub fn to_toml(&self) -> String {
        let raw = RawFile {
            cluster_id: self.cluster_id.clone(),
            config: self.config.clone(),
            nodes: self
                .nodes
                .iter()
                .map(|n| RawNode { id: n.id, role: n.role.to_string(), address: n.address.to_string() })
                .collect(),
        };
        toml::to_string(&raw).expect("a cluster file always serializes")
    }

    /// Writes `DIR/cluster.toml` atomically (a temporary file, fsynced, renamed over it), creating
    /// `DIR` if needed.
    pub fn write(&self, dir: &Path) -> Result<(), ClusterFileError> {
        let path = Self::path(dir);
        let tmp = dir.join(format!(".{FILE_NAME}.tmp-{}", std::process::id()));
        let dir_error = |action| move |source| ClusterFileError::Io { action, path: dir.to_path_buf(), source };
        fs::create_dir_all(dir).map_err(dir_error("create"))?;
        let result = (|| {
            let mut file = fs::File::create(&tmp)?;
            file.write_all(self.to_toml().as_bytes())?;
            file.sync_all()?;
            fs::rename(&tmp, &path)
        })();
        if let Err(source) = result {
            let _ = fs::remove_file(&tmp);
            return Err(ClusterFileError::Io { action: "write", path, source });
        }
        // The rename is durable once the directory is.
        fs::File::open(dir).and_then(|d| d.sync_all()).map_err(dir_error("sync"))
    }

    /// The node with actor id `id`.
    pub fn node(&self, id: u32) -> Option<&Node> {
        self.nodes.iter().find(|n| n.id == id)
    }

    /// Where node `id` listens; `None` for an id that is not a node (a client).
    pub fn address_of(&self, id: u32) -> Option<SocketAddr> {
        self.node(id).map(|n| n.address)
    }

    /// The cluster's tag on the wire.
    pub fn tag(&self) -> ClusterTag {
        ClusterTag::of(&self.cluster_id)
    }

    fn validate(&self) -> Result<(), Problem> {
        if self.cluster_id.trim().is_empty() {
            return Err(Problem::EmptyClusterId);
        }
        self.config.validate()?;
        let mut ids = BTreeSet::new();
        let mut addresses: BTreeMap<SocketAddr, u32> = BTreeMap::new();
        let brokers = self.config.brokers;
        let expected_ids = node_ids(&self.config);
        for node in &self.nodes {
            if !ids.insert(node.id) {
                return Err(Problem::DuplicateId { id: node.id });
            }
            check_loopback(node.id, node.address)?;
            if node.address.port() == 0 {
                return Err(Problem::BadAddress {
                    id: node.id,
                    address: node.address.to_string(),
                    reason: "port 0 is not a port to listen on".into(),
                });
            }
            if let Some(first) = addresses.insert(node.address, node.id) {
                return Err(Problem::DuplicateAddress { first, second: node.id, address: node.address });
            }
            if !expected_ids.contains(&node.id) {
                return Err(Problem::UnexpectedNode { id: node.id, brokers });
            }
            let expected = Role::of_id(&self.config, node.id);
            if node.role != expected {
                return Err(Problem::WrongRole { id: node.id, found: node.role, expected });
            }
        }
        if let Some(&id) = expected_ids.iter().find(|id| !ids.contains(id)) {
            return Err(Problem::MissingNode { id, role: Role::of_id(&self.config, id) });
        }
        Ok(())
    }
}

fn parse_address(id: u32, text: &str) -> Result<SocketAddr, Problem> {
    let address: SocketAddr = text.parse().map_err(|e: std::net::AddrParseError| Problem::BadAddress {
        id,
        address: text.to_string(),
        reason: e.to_string(),
    })?;
    check_loopback(id, address)?;
    Ok(address)
}

fn check_loopback(id: u32, address: SocketAddr) -> Result<(), Problem> {
    match address {
        SocketAddr::V4(v4) if v4.ip().is_loopback() => Ok(()),
        _ => Err(Problem::NotLoopback { id, address }),
    }
}

/// The 1-based line of byte `offset` in `text`.
fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())].iter().filter(|&&b| b == b'\n').count() + 1
}

/// A fresh cluster id: `kelp-` and 16 random hex digits.
pub fn new_cluster_id() -> String {
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u32(std::process::id());
    if let Ok(elapsed) = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
        hasher.write_u128(elapsed.as_nanos());
    }
    format!("kelp-{:016x}", hasher.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(brokers: u8) -> Config {
        Config { brokers, replication_factor: brokers.min(3), min_insync_replicas: 1, ..Config::default() }
    }

    fn nodes(brokers: u32) -> Vec<Node> {
        (0..=brokers)
            .map(|id| Node {
                id,
                role: Role::of_id(&config(brokers as u8), id),
                address: format!("127.0.0.1:{}", 41000 + id).parse().unwrap(),
            })
            .collect()
    }

    fn sample() -> ClusterFile {
        ClusterFile::new("kelp-0123456789abcdef", config(3), nodes(3)).unwrap()
    }

    /// `sample()`'s text with `from` replaced by `to` (which must occur).
    fn edited(from: &str, to: &str) -> String {
        let text = sample().to_toml();
        assert!(text.contains(from), "{from:?} not in\n{text}");
        text.replacen(from, to, 1)
    }

    fn problem(text: &str) -> Problem {
        match ClusterFile::parse(text, Path::new("c/cluster.toml")) {
            Err(ClusterFileError::Invalid { problem, .. }) => problem,
            other => panic!("expected a problem, got {other:?}"),
        }
    }

    #[test]
    fn writes_and_loads_back() {
        let dir = tempfile::tempdir().unwrap();
        let file = sample();
        file.write(dir.path()).unwrap();
        assert_eq!(ClusterFile::load(dir.path()).unwrap(), file);
        assert_eq!(file.address_of(2), Some("127.0.0.1:41002".parse().unwrap()));
        assert_eq!(file.address_of(4), None, "clients are not in the file");
        assert_eq!(file.node(0).unwrap().role, Role::Controller);
        let leftovers: Vec<_> = fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(leftovers, vec![std::ffi::OsString::from(FILE_NAME)], "no temporary file left behind");
    }

    #[test]
    fn the_text_is_what_operators_expect() {
        let text = sample().to_toml();
        assert!(text.starts_with("cluster_id = \"kelp-0123456789abcdef\"\n"), "{text}");
        assert!(text.contains("[config]\nbrokers = 3\n"), "{text}");
        assert!(text.contains("[[nodes]]\nid = 0\nrole = \"controller\"\naddress = \"127.0.0.1:41000\"\n"), "{text}");
        assert!(text.contains("[[nodes]]\nid = 2\nrole = \"broker\"\naddress = \"127.0.0.1:41002\"\n"), "{text}");
    }

    #[test]
    fn a_missing_file_says_how_to_make_one() {
        let dir = tempfile::tempdir().unwrap();
        let err = ClusterFile::load(dir.path()).unwrap_err();
        assert_eq!(err.to_string(), format!("no cluster in {} (run `kelp cluster up` first)", dir.path().display()));
    }

    #[test]
    fn a_parse_error_names_the_line() {
        let text = edited("brokers = 3", "brokers = three");
        match ClusterFile::parse(&text, Path::new("c/cluster.toml")) {
            Err(err @ ClusterFileError::Parse { line: Some(4), .. }) => {
                let message = err.to_string();
                assert!(message.starts_with("c/cluster.toml: TOML parse error at line 4"), "{message}");
            }
            other => panic!("{other:?}"),
        }
        let text = edited("brokers = 3", "brokers = 3\nbrokerz = 1");
        assert!(matches!(
            ClusterFile::parse(&text, Path::new("x")),
            Err(ClusterFileError::Parse { line: Some(5), .. })
        ));
    }

    #[test]
    fn an_unknown_role_is_named() {
        let text = edited("role = \"broker\"", "role = \"kraft\"");
        assert_eq!(problem(&text), Problem::UnknownRole { id: 1, role: "kraft".into() });
        assert_eq!(
            problem(&text).to_string(),
            "node 1: unknown role \"kraft\" (expected \"controller\", \"broker\" or \"zookeeper\")"
        );
        // A known role in the wrong place is named as such.
        let text = edited("role = \"broker\"", "role = \"zookeeper\"");
        assert_eq!(problem(&text), Problem::WrongRole { id: 1, found: Role::Zookeeper, expected: Role::Broker });
    }

    #[test]
    fn a_duplicate_id_is_refused() {
        let text = edited("id = 2", "id = 1");
        assert_eq!(problem(&text), Problem::DuplicateId { id: 1 });
    }

    #[test]
    fn addresses_must_parse_and_be_loopback() {
        let text = edited("127.0.0.1:41002", "localhost:41002");
        assert!(matches!(problem(&text), Problem::BadAddress { id: 2, .. }));
        let text = edited("127.0.0.1:41002", "10.0.0.7:41002");
        assert_eq!(problem(&text), Problem::NotLoopback { id: 2, address: "10.0.0.7:41002".parse().unwrap() });
        let text = edited("127.0.0.1:41002", "[::1]:41002");
        assert!(matches!(problem(&text), Problem::NotLoopback { id: 2, .. }));
        let text = edited("127.0.0.1:41002", "127.0.0.1:0");
        assert!(matches!(problem(&text), Problem::BadAddress { id: 2, .. }));
        let text = edited("127.0.0.1:41002", "127.0.0.1:41001");
        assert_eq!(
            problem(&text),
            Problem::DuplicateAddress { first: 1, second: 2, address: "127.0.0.1:41001".parse().unwrap() }
        );
    }

    #[test]
    fn the_nodes_must_match_the_configuration() {
        let text = edited("brokers = 3", "brokers = 2").replacen("replication_factor = 3", "replication_factor = 2", 1);
        assert_eq!(problem(&text), Problem::UnexpectedNode { id: 3, brokers: 2 });
        let text = edited("brokers = 3", "brokers = 4");
        assert_eq!(problem(&text), Problem::MissingNode { id: 4, role: Role::Broker });
        let text = edited("role = \"controller\"", "role = \"broker\"");
        assert_eq!(problem(&text), Problem::WrongRole { id: 0, found: Role::Broker, expected: Role::Controller });
    }

    #[test]
    fn the_configuration_is_validated() {
        let text = edited("min_insync_replicas = 1", "min_insync_replicas = 5");
        assert!(matches!(problem(&text), Problem::Config(e) if e.field == "min-insync-replicas"));
        let text = edited("cluster_id = \"kelp-0123456789abcdef\"", "cluster_id = \" \"");
        assert_eq!(problem(&text), Problem::EmptyClusterId);
    }

    #[test]
    fn free_ports_make_a_valid_cluster() {
        let file = ClusterFile::on_free_ports(config(2)).unwrap();
        assert!(file.cluster_id.starts_with("kelp-") && file.cluster_id.len() == 21, "{}", file.cluster_id);
        assert_eq!(file.nodes.len(), 3);
        let ports: BTreeSet<u16> = file.nodes.iter().map(|n| n.address.port()).collect();
        assert_eq!(ports.len(), 3);
        assert_ne!(ClusterFile::on_free_ports(config(1)).unwrap().cluster_id, file.cluster_id);
    }
}
