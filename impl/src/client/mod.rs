//! The Kafka tools as clients of the reference cluster: `topics --describe`, `leader-election`,
//! `demote-broker`, `produce` and `consume`. Each is a client process with an actor id of its own that speaks the
//! model's messages over the cluster's wire: requests (`ClientRequest`) to the controller or a
//! leader, whose answers come from the model's own handlers, and, for `produce`, the model's own
//! producer actor. Nothing here decides anything about the protocol.

mod consume;
mod demote;
mod leader_election;
mod produce;
mod topics;

pub use consume::{consume, ConsumeOptions};
pub use demote::demote_broker;
pub use leader_election::{leader_election, ElectionTarget};
pub use produce::{produce, ProduceOptions, ProduceSummary};
pub use topics::{describe, TopicsFilter};

use crate::cluster_file::{ClusterFile, ClusterFileError};
use crate::node::{Endpoint, NodeError};
use kelp_model::metadata::PartitionState;
use kelp_model::msg::{ClientRequest, ClientResponse, Msg};
use stateright::actor::Id;
use std::path::Path;
use std::time::{Duration, Instant};

/// How long a client waits for one answer before asking again, and how often it asks.
const ANSWER_WAIT: Duration = Duration::from_millis(1_000);
const ATTEMPTS: u32 = 5;

/// Why a client command failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error(transparent)]
    ClusterFile(#[from] ClusterFileError),
    #[error(transparent)]
    Node(#[from] NodeError),
    #[error("no answer from {whom} after {ATTEMPTS} attempts ({ANSWER_WAIT:?} each): is the cluster up? (`kelp cluster status`)")]
    NoAnswer { whom: String },
    #[error("writing standard output: {0}")]
    Output(#[source] std::io::Error),
    #[error("{0}")]
    Usage(String),
}

/// A client of the cluster in `dir`: its endpoint, with a fresh actor id.
pub struct Client {
    endpoint: Endpoint,
}

impl Client {
    pub fn connect(dir: &Path) -> Result<Self, ClientError> {
        let cluster = ClusterFile::load(dir)?;
        let id = Endpoint::fresh_client_id(&cluster);
        Ok(Client { endpoint: Endpoint::client(cluster, id)? })
    }

    pub fn cluster(&self) -> &ClusterFile {
        self.endpoint.cluster()
    }

    pub fn into_endpoint(self) -> Endpoint {
        self.endpoint
    }

    /// Sends `request` to node `to` and waits for its answer, asking again a few times (a lost
    /// datagram, a node restarting).
    pub fn ask(&mut self, to: u32, request: &ClientRequest) -> Result<ClientResponse, ClientError> {
        let whom = crate::node::node_name(&self.cluster().config, to);
        self.ask_any(&[to], request, whom).map(|(_, response)| response)
    }

    /// Sends `request` to the controller and waits for its answer. With controller candidates
    /// every candidate is asked (a client finds the active controller the way Kafka's admin
    /// client does, by asking around): only the acting one answers. Returns who answered.
    pub fn ask_controller(&mut self, request: &ClientRequest) -> Result<(u32, ClientResponse), ClientError> {
        let cfg = &self.cluster().config;
        let candidates: Vec<u32> = cfg.controller_ids().map(|c| cfg.controller_actor_index(c) as u32).collect();
        self.ask_any(&candidates, request, "the controller".to_string())
    }

    /// Sends `request` to every node of `nodes` and waits for the first answer, asking again a few
    /// times.
    fn ask_any(
        &mut self,
        nodes: &[u32],
        request: &ClientRequest,
        whom: String,
    ) -> Result<(u32, ClientResponse), ClientError> {
        for _ in 0..ATTEMPTS {
            for &to in nodes {
                if let Err(e) = self.endpoint.send(Id::from(to as usize), &Msg::Request(request.clone())) {
                    tracing::debug!("request to node {to} not sent: {e}");
                }
            }
            let deadline = Instant::now() + ANSWER_WAIT;
            while let Some(left) = deadline.checked_duration_since(Instant::now()) {
                match self.endpoint.recv(left) {
                    Some((from, Msg::Response(response))) if answers(request, &response) => {
                        let from = usize::from(from) as u32;
                        if nodes.contains(&from) {
                            return Ok((from, response));
                        }
                    }
                    Some(_) => continue,
                    None => break,
                }
            }
        }
        Err(ClientError::NoAnswer { whom })
    }

    /// The controller's record of every partition, and which node answered.
    pub fn partitions(&mut self) -> Result<(u32, Vec<PartitionState>), ClientError> {
        match self.ask_controller(&ClientRequest::DescribePartitions)? {
            (from, ClientResponse::Partitions(records)) => Ok((from, records)),
            _ => unreachable!("`answers` admits only a Partitions response"),
        }
    }
}

/// Whether `response` is the kind of answer `request` gets (an old answer of another kind, e.g.
/// after a retry, is skipped).
fn answers(request: &ClientRequest, response: &ClientResponse) -> bool {
    matches!(
        (request, response),
        (ClientRequest::DescribePartitions, ClientResponse::Partitions(_))
            | (ClientRequest::ElectLeaders { .. }, ClientResponse::LeadersElected(_))
            | (ClientRequest::AlterPartitionReassignments { .. }, ClientResponse::PartitionReassigned { .. })
            | (ClientRequest::ConsumerFetch { .. }, ClientResponse::ConsumerRecords { .. })
    )
}
