//! `kelp topics --describe`: the controller's partition records in `kafka-topics --describe`
//! form, optionally only those under-replicated, unavailable, or under min ISR.

use super::{Client, ClientError};
use kelp_model::metadata::PartitionState;
use std::path::Path;

/// `--under-replicated-partitions`, `--unavailable-partitions`, `--under-min-isr-partitions`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TopicsFilter {
    #[default]
    All,
    UnderReplicated,
    Unavailable,
    UnderMinIsr,
}

impl TopicsFilter {
    fn keeps(self, record: &PartitionState, min_isr: usize) -> bool {
        match self {
            TopicsFilter::All => true,
            TopicsFilter::UnderReplicated => record.isr.len() < record.replicas.len(),
            TopicsFilter::Unavailable => record.leader.is_none(),
            TopicsFilter::UnderMinIsr => record.isr.len() < min_isr,
        }
    }
}

/// The lines `kafka-topics --describe` prints: a topic line (unfiltered only), then one line per
/// partition kept.
pub fn describe(dir: &Path, filter: TopicsFilter) -> Result<Vec<String>, ClientError> {
    let mut client = Client::connect(dir)?;
    let (controller, records) = client.partitions()?;
    let cfg = &client.cluster().config;
    let mut lines = Vec::new();
    if filter == TopicsFilter::All {
        // With candidates, which one answered as the active controller (what Kafka's
        // `kafka-metadata-quorum describe` or the ZooKeeper-era `/controller` znode tell).
        if cfg.has_coordinator() {
            lines.push(format!("Controller: {}", crate::node::node_name(cfg, controller)));
        }
        lines.push(format!(
            "Topic: t\tPartitionCount: {}\tReplicationFactor: {}\tConfigs: min.insync.replicas={},unclean.leader.election.enable={}",
            cfg.partitions, cfg.replication_factor, cfg.min_insync_replicas, cfg.unclean_leader_election
        ));
    }
    let min_isr = usize::from(cfg.min_insync_replicas);
    lines.extend(records.iter().filter(|r| filter.keeps(r, min_isr)).map(|r| r.to_string()));
    Ok(lines)
}
