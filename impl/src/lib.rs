//! kelp's reference cluster: the model's own actors (`kelp_model::actor::KelpActor`) driven by real
//! UDP datagrams, real timers and real files. No protocol rule lives here: elections, truncation and
//! the high watermark are the model's; this crate only carries messages, fires timers and writes
//! what the model saves.
//!
//! - `storage`: a broker's durable state as files (append-only logs, checkpoints, recovery).
//! - `wire`: the datagram format (checksummed frames) and its errors.
//! - `cluster_file`: the cluster's TOML file (configuration, addresses) and its errors.
//! - `hostile`: datagrams every node must refuse, for the robustness tests.
//! - `node`: the event loop that runs one actor in one process.
//! - `throttle`: how often a node logs what it drops.
//! - `cluster`: `kelp cluster ...`, the processes and their files.
//! - `client`: the Kafka tools (`topics`, `leader-election`, `produce`, `consume`) as clients.

pub mod client;
pub mod cluster;
pub mod cluster_file;
pub mod commands;
pub mod hostile;
pub mod node;
pub mod storage;
pub mod throttle;
pub mod wire;
