//! Renaming metadata, messages and timers: the ids they name, and ISR lists rebuilt in broker-id
//! order.

use super::*;

impl Rename for PartitionState {
    fn rename(&self, p: &Permutation) -> Self {
        let PartitionState { partition, replicas, leader, leader_epoch, partition_epoch, isr, elr, last_known_elr } =
            self;
        PartitionState {
            partition: *partition,
            // The assignment is an ordered list: renamed element by element (group elements fix it).
            replicas: replicas.rename(p),
            leader: leader.rename(p),
            leader_epoch: *leader_epoch,
            partition_epoch: *partition_epoch,
            isr: isr.rename(p),
            elr: elr.rename(p),
            last_known_elr: last_known_elr.rename(p),
        }
    }
}

impl Rename for IsrMember {
    fn rename(&self, p: &Permutation) -> Self {
        let IsrMember { broker, broker_epoch } = *self;
        IsrMember { broker: broker.rename(p), broker_epoch }
    }
}

impl Rename for AlterPartitionError {
    fn rename(&self, _: &Permutation) -> Self {
        match self {
            AlterPartitionError::StaleBrokerEpoch
            | AlterPartitionError::FencedLeaderEpoch
            | AlterPartitionError::NotLeader
            | AlterPartitionError::InvalidRequest
            | AlterPartitionError::InvalidUpdateVersion
            | AlterPartitionError::IneligibleReplica => *self,
        }
    }
}

impl Rename for FetchError {
    fn rename(&self, _: &Permutation) -> Self {
        match self {
            FetchError::NotLeaderOrFollower
            | FetchError::FencedLeaderEpoch
            | FetchError::UnknownLeaderEpoch
            | FetchError::UnknownTopicOrPartition
            | FetchError::OffsetOutOfRange => *self,
        }
    }
}

impl Rename for ProduceError {
    fn rename(&self, _: &Permutation) -> Self {
        match self {
            ProduceError::NotLeaderOrFollower
            | ProduceError::NotEnoughReplicas
            | ProduceError::NotEnoughReplicasAfterAppend
            | ProduceError::TimedOut => *self,
        }
    }
}

impl Rename for FetchResult {
    fn rename(&self, p: &Permutation) -> Self {
        match self {
            FetchResult::Records { records, high_watermark } => {
                FetchResult::Records { records: records.rename(p), high_watermark: *high_watermark }
            }
            FetchResult::Diverging { end } => FetchResult::Diverging { end: end.rename(p) },
            FetchResult::OffsetOutOfRange { leader_end_offset } => {
                FetchResult::OffsetOutOfRange { leader_end_offset: *leader_end_offset }
            }
            FetchResult::Error(e) => FetchResult::Error(e.rename(p)),
        }
    }
}

impl Rename for FetchRequest {
    fn rename(&self, p: &Permutation) -> Self {
        let FetchRequest {
            partition,
            replica,
            broker_epoch,
            current_leader_epoch,
            fetch_offset,
            last_fetched_epoch,
            known_high_watermark,
        } = *self;
        FetchRequest {
            partition,
            replica: replica.rename(p),
            broker_epoch,
            current_leader_epoch,
            fetch_offset,
            last_fetched_epoch,
            known_high_watermark,
        }
    }
}

impl Rename for Msg {
    fn rename(&self, p: &Permutation) -> Self {
        match self {
            Msg::RegisterBroker { broker, previous_epoch, incarnation } => Msg::RegisterBroker {
                broker: broker.rename(p),
                previous_epoch: *previous_epoch,
                incarnation: *incarnation,
            },
            Msg::BrokerHeartbeat { broker, broker_epoch } => {
                Msg::BrokerHeartbeat { broker: broker.rename(p), broker_epoch: *broker_epoch }
            }
            Msg::FetchMetadata { broker } => Msg::FetchMetadata { broker: broker.rename(p) },
            Msg::HeartbeatsStopped { broker, broker_epoch } => {
                Msg::HeartbeatsStopped { broker: broker.rename(p), broker_epoch: *broker_epoch }
            }
            Msg::ControlledShutdown { broker, broker_epoch } => {
                Msg::ControlledShutdown { broker: broker.rename(p), broker_epoch: *broker_epoch }
            }
            Msg::AlterPartition { partition, leader, broker_epoch, leader_epoch, partition_epoch, isr } => {
                // The leader lists the ISR in broker-id order (it iterates a `BrokerSet`).
                let mut isr = isr.rename(p);
                isr.sort_by_key(|m| m.broker);
                Msg::AlterPartition {
                    partition: *partition,
                    leader: leader.rename(p),
                    broker_epoch: *broker_epoch,
                    leader_epoch: *leader_epoch,
                    partition_epoch: *partition_epoch,
                    isr,
                }
            }
            Msg::RegistrationAccepted { broker_epoch, partitions, incarnation } => Msg::RegistrationAccepted {
                broker_epoch: *broker_epoch,
                partitions: partitions.rename(p),
                incarnation: *incarnation,
            },
            Msg::SessionExpired { broker_epoch } => Msg::SessionExpired { broker_epoch: *broker_epoch },
            Msg::ShutdownAccepted { broker_epoch } => Msg::ShutdownAccepted { broker_epoch: *broker_epoch },
            Msg::AlterPartitionResponse { partition, request_partition_epoch, result } => Msg::AlterPartitionResponse {
                partition: *partition,
                request_partition_epoch: *request_partition_epoch,
                result: result.rename(p),
            },
            Msg::PartitionChange(meta) => Msg::PartitionChange(meta.rename(p)),
            Msg::Fetch(request) => Msg::Fetch(request.rename(p)),
            Msg::FetchResponse { partition, current_leader_epoch, fetch_offset, result } => Msg::FetchResponse {
                partition: *partition,
                current_leader_epoch: *current_leader_epoch,
                fetch_offset: *fetch_offset,
                result: result.rename(p),
            },
            Msg::OffsetsForLeaderEpoch { partition, replica, current_leader_epoch, epoch } => {
                Msg::OffsetsForLeaderEpoch {
                    partition: *partition,
                    replica: replica.rename(p),
                    current_leader_epoch: *current_leader_epoch,
                    epoch: *epoch,
                }
            }
            Msg::OffsetsForLeaderEpochResponse { partition, current_leader_epoch, result } => {
                Msg::OffsetsForLeaderEpochResponse {
                    partition: *partition,
                    current_leader_epoch: *current_leader_epoch,
                    result: result.rename(p),
                }
            }
            Msg::Produce { partition, producer, sequence, acks, idempotent, value } => Msg::Produce {
                partition: *partition,
                producer: producer.rename(p),
                sequence: *sequence,
                acks: *acks,
                idempotent: *idempotent,
                value: value.clone(),
            },
            Msg::ProduceResponse { partition, sequence, result } => {
                Msg::ProduceResponse { partition: *partition, sequence: *sequence, result: result.rename(p) }
            }
            Msg::ProduceStalled { broker } => Msg::ProduceStalled { broker: broker.rename(p) },
            Msg::Request(request) => Msg::Request(request.rename(p)),
            Msg::Response(response) => Msg::Response(response.rename(p)),
            Msg::FromController { epoch, msg } => Msg::FromController { epoch: *epoch, msg: Box::new(msg.rename(p)) },
            Msg::CoordinatorWrite { epoch, changes, then, cause } => Msg::CoordinatorWrite {
                epoch: *epoch,
                changes: Box::new(changes.rename(p)),
                then: rename_held_sends(then, p),
                cause: cause.as_ref().map(|c| Box::new(c.rename(p))),
            },
            Msg::WriteAccepted { then } => Msg::WriteAccepted { then: rename_held_sends(then, p) },
            Msg::WriteApplied { applied, then } => {
                Msg::WriteApplied { applied: *applied, then: rename_held_sends(then, p) }
            }
            Msg::WriteRejected => Msg::WriteRejected,
            Msg::ResignController => Msg::ResignController,
            Msg::WriteOutOfOrder { epoch, follows, applied } => {
                Msg::WriteOutOfOrder { epoch: *epoch, follows: *follows, applied: *applied }
            }
            Msg::ControllerGone => Msg::ControllerGone,
            Msg::ClaimController => Msg::ClaimController,
            Msg::ControllerElected { epoch, image } => {
                Msg::ControllerElected { epoch: *epoch, image: Box::new(image.rename(p)) }
            }
            Msg::ControllerSessionExpired => Msg::ControllerSessionExpired,
            Msg::SessionHeartbeat => Msg::SessionHeartbeat,
            Msg::NotController(request) => Msg::NotController(Box::new(request.rename(p))),
        }
    }
}

impl Rename for ClientRequest {
    fn rename(&self, p: &Permutation) -> Self {
        match self {
            ClientRequest::AlterPartitionReassignments { partition, replicas } => {
                ClientRequest::AlterPartitionReassignments { partition: *partition, replicas: replicas.rename(p) }
            }
            // The other requests name no broker or producer.
            other => other.clone(),
        }
    }
}

impl Rename for ClientResponse {
    fn rename(&self, p: &Permutation) -> Self {
        match self {
            ClientResponse::Partitions(records) => ClientResponse::Partitions(records.rename(p)),
            ClientResponse::LeadersElected(results) => ClientResponse::LeadersElected(results.clone()),
            ClientResponse::ConsumerRecords { partition, fetch_offset, result } => ClientResponse::ConsumerRecords {
                partition: *partition,
                fetch_offset: *fetch_offset,
                result: result.as_ref().map(|(records, hw)| (records.rename(p), *hw)).map_err(|e| *e),
            },
            ClientResponse::PartitionReassigned { .. } => self.clone(),
        }
    }
}

/// `Result<Offset, _>` and `Result<Option<EpochEnd>, _>` in responses: offsets hold no ids.
impl Rename for crate::ids::Offset {
    fn rename(&self, _: &Permutation) -> Self {
        *self
    }
}

impl Rename for Timer {
    fn rename(&self, p: &Permutation) -> Self {
        match *self {
            Timer::Crash => Timer::Crash,
            Timer::PowerLoss => Timer::PowerLoss,
            Timer::Shutdown => Timer::Shutdown,
            Timer::Restart => Timer::Restart,
            Timer::LagTimeout(partition, follower) => Timer::LagTimeout(partition, follower.rename(p)),
            Timer::FetchBackoff(partition) => Timer::FetchBackoff(partition),
            Timer::SessionTimeout(broker) => Timer::SessionTimeout(broker.rename(p)),
            Timer::PreferredElection(partition) => Timer::PreferredElection(partition),
            Timer::RequestTimeout => Timer::RequestTimeout,
            Timer::Heartbeat => Timer::Heartbeat,
            Timer::CutLink(producer) => Timer::CutLink(producer.rename(p)),
            Timer::ControllerSessionExpiry => Timer::ControllerSessionExpiry,
            Timer::FetchMaxWait(partition) => Timer::FetchMaxWait(partition),
            Timer::ControllerRequestTimeout => Timer::ControllerRequestTimeout,
            Timer::CoordinatorWriteTimeout => Timer::CoordinatorWriteTimeout,
            Timer::MetadataFetch => Timer::MetadataFetch,
            Timer::FetchTimeout(partition) => Timer::FetchTimeout(partition),
        }
    }
}

/// The requests a controller holds back until its write is committed: kept in destination order
/// (`ControllerState::commit`), so renamed, then put in that order again.
pub(super) fn rename_held_sends(sends: &[(Address, Msg)], p: &Permutation) -> Vec<(Address, Msg)> {
    let mut renamed: Vec<(Address, Msg)> = sends.iter().map(|(to, msg)| (to.rename(p), msg.rename(p))).collect();
    renamed.sort_by_key(|(to, _)| *to);
    renamed
}
