//! Operators' requests to the controller: DescribeTopicPartitions (what `kafka-topics --describe`
//! prints), ElectLeaders (KIP-460, `kafka-leader-election`) and AlterPartitionReassignments
//! (KIP-455) restricted to reordering a partition's replicas, which is how an operator sets the
//! leadership priority (Cruise Control's `demote_broker` moves a broker to the end of each list,
//! then asks for a preferred election). The elections run through the same `PartitionChangeBuilder`
//! change as every other election.

use super::changes::Ask;
use super::ControllerState;
use crate::config::Config;
use crate::effects::{Address, Effects};
use crate::ids::BrokerId;
use crate::ids::PartitionId;
use crate::msg::{ClientRequest, ClientResponse, ElectLeadersError, ElectionType, Msg, ReassignmentError};
use crate::rules::partition_change::ElectionKind;

impl ControllerState {
    /// Answers `client`'s request (Kafka answers on the connection it came in on); requests meant
    /// for a broker go unanswered. With candidates only an acting controller answers (a
    /// standby's silence makes the client time out and look again), and the answer waits, with
    /// the changes it reports, behind the conditional write of this candidate's state: a zombie's
    /// answer then dies with its refused write (Kafka's ZooKeeper-era controller answers
    /// ElectLeaders from the callback of its ZooKeeper writes).
    pub fn on_client_request(&mut self, cfg: &Config, client: Address, request: ClientRequest, fx: &mut Effects) {
        if cfg.has_coordinator() && !self.acts() {
            return;
        }
        let before = cfg.has_coordinator().then(|| self.clone());
        if let Some(response) = self.answer(cfg, request, fx) {
            fx.send(client, Msg::Response(response));
        }
        if let Some(before) = before {
            self.commit(cfg, &before, None, fx);
        }
    }

    fn answer(&mut self, cfg: &Config, request: ClientRequest, fx: &mut Effects) -> Option<ClientResponse> {
        match request {
            ClientRequest::DescribePartitions => Some(ClientResponse::Partitions(self.partitions.clone())),
            ClientRequest::ElectLeaders { election, partitions } => {
                let results = partitions.into_iter().map(|p| (p, self.elect_leader(cfg, election, p, fx))).collect();
                Some(ClientResponse::LeadersElected(results))
            }
            ClientRequest::AlterPartitionReassignments { partition, replicas } => {
                let result = self.reorder_replicas(partition, replicas, fx);
                Some(ClientResponse::PartitionReassigned { partition, result })
            }
            ClientRequest::ConsumerFetch { .. } => None,
        }
    }

    /// A reassignment to the same replicas in another order completes at once
    /// (`ReplicationControlManager.changePartitionReassignment`: no replica to add or remove): the
    /// record takes the new order in a new partition epoch (KIP-497), and the leader stays. Only
    /// the leader is told, as for every change within a leader epoch (`publish_to_leader`).
    fn reorder_replicas(
        &mut self,
        partition: PartitionId,
        replicas: Vec<BrokerId>,
        fx: &mut Effects,
    ) -> Result<(), ReassignmentError> {
        let record =
            self.partitions.get_mut(usize::from(partition.0)).ok_or(ReassignmentError::UnknownTopicOrPartition)?;
        // The same replicas, each once: equal once sorted.
        let (mut wanted, mut current) = (replicas.clone(), record.replicas.clone());
        wanted.sort_unstable();
        current.sort_unstable();
        if wanted != current {
            return Err(ReassignmentError::InvalidReplicaAssignment);
        }
        if replicas != record.replicas {
            record.replicas = replicas;
            record.partition_epoch = record.partition_epoch.next();
            self.publish_to_leader(partition, fx);
        }
        Ok(())
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
