//! `kelp leader-election`: KIP-460's ElectLeaders to the controller, with the messages of
//! Kafka's `kafka-leader-election` tool.

use super::{Client, ClientError};
use kelp_model::ids::PartitionId;
use kelp_model::msg::{ClientRequest, ClientResponse, ElectLeadersError, ElectionType};
use std::path::Path;

/// `--partition P` or `--all-topic-partitions`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ElectionTarget {
    Partition(u8),
    AllTopicPartitions,
}

/// Runs the election; returns the tool's lines and whether every partition succeeded (or needed
/// no election).
pub fn leader_election(
    dir: &Path,
    election: ElectionType,
    target: ElectionTarget,
) -> Result<(Vec<String>, bool), ClientError> {
    let mut client = Client::connect(dir)?;
    let all: Vec<PartitionId> = client.cluster().config.partition_ids().collect();
    let partitions = match target {
        // Kafka's tool would send it and print the controller's UNKNOWN_TOPIC_OR_PARTITION; the
        // cluster file already says it is not there, as a node that is not there (exit 2).
        ElectionTarget::Partition(p) if !all.contains(&PartitionId(p)) => {
            return Err(ClientError::Usage(format!(
                "no partition t-{p} in this cluster (partitions 0 to {})",
                all.len() - 1
            )));
        }
        ElectionTarget::Partition(p) => vec![PartitionId(p)],
        ElectionTarget::AllTopicPartitions => all,
    };
    let request = ClientRequest::ElectLeaders { election, partitions };
    let ClientResponse::LeadersElected(results) = client.ask_controller(&request)?.1 else {
        unreachable!("`answers` admits only a LeadersElected response")
    };
    Ok(report(election, &results))
}

/// Kafka's wording: successes together, partitions that needed nothing together, then one line
/// per failure.
pub(super) fn report(
    election: ElectionType,
    results: &[(PartitionId, Result<(), ElectLeadersError>)],
) -> (Vec<String>, bool) {
    let kind = match election {
        ElectionType::Preferred => "PREFERRED",
        ElectionType::Unclean => "UNCLEAN",
    };
    let names = |want: fn(&Result<(), ElectLeadersError>) -> bool| -> Vec<String> {
        results.iter().filter(|(_, r)| want(r)).map(|(p, _)| format!("t-{p}")).collect()
    };
    let mut lines = Vec::new();
    let done = names(|r| r.is_ok());
    if !done.is_empty() {
        lines.push(format!("Successfully completed leader election ({kind}) for partitions {}", done.join(", ")));
    }
    let not_needed = names(|r| *r == Err(ElectLeadersError::ElectionNotNeeded));
    if !not_needed.is_empty() {
        lines.push(format!("Valid replica already elected for partitions {}", not_needed.join(", ")));
    }
    let mut ok = true;
    for (p, result) in results {
        let Err(error) = result else { continue };
        let message = match error {
            ElectLeadersError::ElectionNotNeeded => continue,
            ElectLeadersError::PreferredLeaderNotAvailable => {
                "PREFERRED_LEADER_NOT_AVAILABLE: The preferred leader was not available."
            }
            ElectLeadersError::EligibleLeadersNotAvailable => {
                "ELIGIBLE_LEADERS_NOT_AVAILABLE: Eligible topic partition leaders are not available."
            }
            ElectLeadersError::UnknownTopicOrPartition => {
                "UNKNOWN_TOPIC_OR_PARTITION: This server does not host this topic-partition."
            }
        };
        ok = false;
        lines.push(format!("Error completing leader election ({kind}) for partition: t-{p}: {message}"));
    }
    (lines, ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kafka_s_messages_for_each_outcome() {
        let results = vec![
            (PartitionId(0), Ok(())),
            (PartitionId(1), Err(ElectLeadersError::ElectionNotNeeded)),
            (PartitionId(2), Ok(())),
            (PartitionId(3), Err(ElectLeadersError::PreferredLeaderNotAvailable)),
        ];
        let (lines, ok) = report(ElectionType::Preferred, &results);
        assert_eq!(
            lines,
            vec![
                "Successfully completed leader election (PREFERRED) for partitions t-0, t-2",
                "Valid replica already elected for partitions t-1",
                "Error completing leader election (PREFERRED) for partition: t-3: PREFERRED_LEADER_NOT_AVAILABLE: The preferred leader was not available.",
            ]
        );
        assert!(!ok);
        let (lines, ok) = report(ElectionType::Unclean, &[(PartitionId(0), Err(ElectLeadersError::ElectionNotNeeded))]);
        assert_eq!(lines, vec!["Valid replica already elected for partitions t-0"]);
        assert!(ok);
    }
}
