//! Operators' requests to the controller: DescribeTopicPartitions (what `kafka-topics --describe`
//! prints) and ElectLeaders (KIP-460, `kafka-leader-election`). The elections run through the same
//! `PartitionChangeBuilder` change as every other election.

use super::changes::Ask;
use super::ControllerState;
use crate::config::Config;
use crate::effects::Effects;
use crate::ids::PartitionId;
use crate::msg::{ClientRequest, ClientResponse, ElectLeadersError, ElectionType};
use crate::rules::partition_change::ElectionKind;

impl ControllerState {
    /// Answers a client's request; `None` for requests meant for a broker.
    pub fn on_client_request(
        &mut self,
        cfg: &Config,
        request: ClientRequest,
        fx: &mut Effects,
    ) -> Option<ClientResponse> {
        match request {
            ClientRequest::DescribePartitions => Some(ClientResponse::Partitions(self.partitions.clone())),
            ClientRequest::ElectLeaders { election, partitions } => {
                let results = partitions.into_iter().map(|p| (p, self.elect_leader(cfg, election, p, fx))).collect();
                Some(ClientResponse::LeadersElected(results))
            }
            ClientRequest::ConsumerFetch { .. } => None,
        }
    }

    /// `ReplicationControlManager.electLeader`: nothing to do when the preferred replica already
    /// leads (PREFERRED) or the partition has a leader (UNCLEAN); otherwise the election runs on
    /// the current ISR, and an election that changes nothing is refused.
    fn elect_leader(
        &mut self,
        cfg: &Config,
        election: ElectionType,
        partition: PartitionId,
        fx: &mut Effects,
    ) -> Result<(), ElectLeadersError> {
        let record = self.partitions.get(usize::from(partition.0)).ok_or(ElectLeadersError::UnknownTopicOrPartition)?;
        let (not_needed, kind, refused) = match election {
            ElectionType::Preferred => (
                record.is_leader(record.preferred_leader()),
                ElectionKind::Preferred,
                ElectLeadersError::PreferredLeaderNotAvailable,
            ),
            ElectionType::Unclean => {
                (record.leader.is_some(), ElectionKind::Unclean, ElectLeadersError::EligibleLeadersNotAvailable)
            }
        };
        if not_needed {
            return Err(ElectLeadersError::ElectionNotNeeded);
        }
        let isr = record.isr;
        match self.change_partition(cfg, Ask::controller(partition, isr, kind), fx) {
            Some(_) if self.partitions[usize::from(partition.0)].leader.is_some() => Ok(()),
            _ => Err(refused),
        }
    }
}
