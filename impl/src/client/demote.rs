//! `kelp demote-broker`: Cruise Control's `demote_broker` on the reference cluster. The broker
//! moves to the end of every replica list it is not last in (AlterPartitionReassignments,
//! KIP-455: the same replicas in a new order, so the first, the preferred leader, changes), then a
//! preferred election (KIP-460) moves leadership off it wherever the new preferred replica may
//! lead. The controller's own rules decide who may lead: a replica out of the ISR never does.

use super::leader_election::report;
use super::{Client, ClientError};
use kelp_model::ids::BrokerId;
use kelp_model::msg::{ClientRequest, ClientResponse, ElectionType, ReassignmentError};
use kelp_model::operator::demoted_last;
use std::path::Path;

/// Demotes `broker`; returns the lines to print and whether every step succeeded.
pub fn demote_broker(dir: &Path, broker: BrokerId) -> Result<(Vec<String>, bool), ClientError> {
    let mut client = Client::connect(dir)?;
    let brokers = client.cluster().config.brokers;
    if !client.cluster().config.broker_ids().any(|b| b == broker) {
        return Err(ClientError::Usage(format!("no broker {} in this cluster (brokers 1 to {brokers})", broker.0)));
    }
    let mut lines = Vec::new();
    let mut ok = true;
    let mut reordered = Vec::new();
    for record in client.partitions()?.1 {
        let order = demoted_last(&record.replicas, Some(broker));
        if order == record.replicas {
            continue;
        }
        let request =
            ClientRequest::AlterPartitionReassignments { partition: record.partition, replicas: order.clone() };
        let ClientResponse::PartitionReassigned { result, .. } = client.ask_controller(&request)?.1 else {
            unreachable!("`answers` admits only a PartitionReassigned response")
        };
        match result {
            Ok(()) => {
                lines.push(format!("Reordered the replicas of t-{}: {}", record.partition, list(&order)));
                reordered.push(record.partition);
            }
            Err(error) => {
                ok = false;
                lines.push(format!("Error reordering the replicas of t-{}: {}", record.partition, message(error)));
            }
        }
    }
    if reordered.is_empty() {
        lines.push(format!("Broker {} is already last in every replica list", broker.0));
        return Ok((lines, ok));
    }
    let request = ClientRequest::ElectLeaders { election: ElectionType::Preferred, partitions: reordered };
    let ClientResponse::LeadersElected(results) = client.ask_controller(&request)?.1 else {
        unreachable!("`answers` admits only a LeadersElected response")
    };
    let (elected, all_elected) = report(ElectionType::Preferred, &results);
    lines.extend(elected);
    Ok((lines, ok && all_elected))
}

/// `2,3,1`, as Kafka lists replicas.
fn list(replicas: &[BrokerId]) -> String {
    replicas.iter().map(|b| b.0.to_string()).collect::<Vec<_>>().join(",")
}

/// Kafka's error codes and messages for AlterPartitionReassignments.
fn message(error: ReassignmentError) -> &'static str {
    match error {
        ReassignmentError::UnknownTopicOrPartition => {
            "UNKNOWN_TOPIC_OR_PARTITION: This server does not host this topic-partition."
        }
        ReassignmentError::InvalidReplicaAssignment => "INVALID_REPLICA_ASSIGNMENT: The replica assignment is invalid.",
    }
}
