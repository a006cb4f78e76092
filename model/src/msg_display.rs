//! Compact, readable forms of messages for counterexample traces:
//! `Fetch{p0 from 2(be 2) epoch 1 offset 1 last-epoch 1 hw 0}` (broker 2, broker epoch 2).

use crate::log::Record;
use crate::msg::{ClientRequest, ClientResponse, FetchResult, IsrMember, Msg};
use std::fmt;

fn records(rs: &[Record]) -> String {
    let parts: Vec<String> = rs.iter().map(|r| r.to_string()).collect();
    format!("[{}]", parts.join(" "))
}

fn isr(members: &[IsrMember]) -> String {
    let parts: Vec<String> = members
        .iter()
        .map(|m| match m.broker_epoch {
            Some(e) => format!("{}(be {e})", m.broker),
            None => m.broker.to_string(),
        })
        .collect();
    parts.join(",")
}

fn opt<T: fmt::Display>(v: &Option<T>) -> String {
    v.as_ref().map_or_else(|| "none".to_string(), |v| v.to_string())
}

impl fmt::Display for FetchResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FetchResult::Records { records: rs, high_watermark } => {
                write!(f, "records {} hw {high_watermark}", records(rs))
            }
            FetchResult::Diverging { end } => write!(f, "diverging epoch {} ends at {}", end.epoch, end.end_offset),
            FetchResult::OffsetOutOfRange { leader_end_offset } => {
                write!(f, "OFFSET_OUT_OF_RANGE leader end {leader_end_offset}")
            }
            FetchResult::Error(e) => write!(f, "{e:?}"),
        }
    }
}

impl fmt::Display for Msg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Msg::RegisterBroker { broker, previous_epoch, .. } => {
                write!(f, "BrokerRegistration{{broker {broker}, clean-shutdown epoch {}}}", opt(previous_epoch))
            }
            Msg::BrokerHeartbeat { broker, broker_epoch } => write!(f, "BrokerHeartbeat{{broker {broker} broker-epoch {broker_epoch}}}"),
            Msg::HeartbeatsStopped { broker, broker_epoch } => {
                write!(f, "(heartbeats stop){{broker {broker} broker-epoch {broker_epoch}}}")
            }
            Msg::ControlledShutdown { broker, broker_epoch } => {
                write!(f, "ControlledShutdown{{broker {broker} broker-epoch {broker_epoch}}}")
            }
            Msg::FetchMetadata { broker } => write!(f, "FetchMetadata{{broker {broker}}}"),
            Msg::AlterPartition { partition, leader, broker_epoch, leader_epoch, partition_epoch, isr: members } => write!(
                f,
                "AlterPartition{{p{partition} leader {leader}(be {broker_epoch}) leader-epoch {leader_epoch} partition-epoch {partition_epoch} isr {}}}",
                isr(members)
            ),
            Msg::RegistrationAccepted { broker_epoch, .. } => write!(f, "RegistrationAccepted{{broker epoch {broker_epoch}}}"),
            Msg::SessionExpired { broker_epoch } => write!(f, "SessionExpired{{broker epoch {broker_epoch}}}"),
            Msg::ShutdownAccepted { broker_epoch } => write!(f, "ShutdownAccepted{{broker epoch {broker_epoch}}}"),
            Msg::AlterPartitionResponse { partition, result, .. } => match result {
                Ok(s) => write!(f, "AlterPartitionResponse{{p{partition} ok isr [{}] partition-epoch {}}}", s.isr, s.partition_epoch),
                Err(e) => write!(f, "AlterPartitionResponse{{p{partition} {e:?}}}"),
            },
            Msg::PartitionChange(s) => write!(
                f,
                // Sets in brackets, as the actors' fields show them: an empty ELR read `elr }`.
                "PartitionChange{{p{} leader {} leader-epoch {} partition-epoch {} isr [{}] elr [{}]}}",
                s.partition,
                opt(&s.leader),
                s.leader_epoch,
                s.partition_epoch,
                s.isr,
                s.elr
            ),
            Msg::Fetch(r) => write!(
                f,
                "Fetch{{p{} from {}(be {}) leader-epoch {} offset {} last-epoch {} hw {}}}",
                r.partition,
                r.replica,
                r.broker_epoch,
                r.current_leader_epoch,
                r.fetch_offset,
                opt(&r.last_fetched_epoch),
                r.known_high_watermark
            ),
            Msg::FetchResponse { partition, current_leader_epoch, fetch_offset, result } => {
                write!(f, "FetchResponse{{p{partition} epoch {current_leader_epoch} offset {fetch_offset}: {result}}}")
            }
            Msg::OffsetsForLeaderEpoch { partition, replica, current_leader_epoch, epoch } => write!(
                f,
                "OffsetsForLeaderEpoch{{p{partition} from {replica} current-epoch {current_leader_epoch} epoch {epoch}}}"
            ),
            Msg::OffsetsForLeaderEpochResponse { partition, current_leader_epoch, result } => match result {
                Ok(Some(end)) => write!(
                    f,
                    "OffsetsForLeaderEpochResponse{{p{partition} current-epoch {current_leader_epoch}: epoch {} ends at {}}}",
                    end.epoch, end.end_offset
                ),
                Ok(None) => write!(f, "OffsetsForLeaderEpochResponse{{p{partition} current-epoch {current_leader_epoch}: UNDEFINED}}"),
                Err(e) => write!(f, "OffsetsForLeaderEpochResponse{{p{partition} current-epoch {current_leader_epoch}: {e:?}}}"),
            },
            Msg::Produce { partition, producer, sequence, .. } => write!(f, "Produce{{p{partition} {producer}#{sequence}}}"),
            Msg::ProduceResponse { partition, sequence, result } => match result {
                Ok(offset) => write!(f, "ProduceResponse{{p{partition} #{sequence} ok offset {offset}}}"),
                Err(e) => write!(f, "ProduceResponse{{p{partition} #{sequence} {e:?}}}"),
            },
            Msg::ProduceStalled { broker } => write!(f, "ProduceStalled{{broker {broker}}}"),
            Msg::Request(ClientRequest::DescribePartitions) => write!(f, "DescribePartitions"),
            Msg::Request(ClientRequest::AlterPartitionReassignments { partition, replicas }) => {
                let replicas: Vec<String> = replicas.iter().map(ToString::to_string).collect();
                write!(f, "AlterPartitionReassignments{{p{partition} replicas {}}}", replicas.join(","))
            }
            Msg::Request(ClientRequest::ElectLeaders { election, partitions }) => {
                let partitions: Vec<String> = partitions.iter().map(|p| format!("p{p}")).collect();
                write!(f, "ElectLeaders{{{election:?} {}}}", partitions.join(","))
            }
            Msg::Request(ClientRequest::ConsumerFetch { partition, fetch_offset }) => {
                write!(f, "ConsumerFetch{{p{partition} offset {fetch_offset}}}")
            }
            Msg::Response(ClientResponse::Partitions(records)) => write!(f, "Partitions{{{} records}}", records.len()),
            Msg::Response(ClientResponse::LeadersElected(results)) => {
                let results: Vec<String> = results
                    .iter()
                    .map(|(p, r)| match r {
                        Ok(()) => format!("p{p} ok"),
                        Err(e) => format!("p{p} {e:?}"),
                    })
                    .collect();
                write!(f, "LeadersElected{{{}}}", results.join(", "))
            }
            Msg::Response(ClientResponse::ConsumerRecords { partition, fetch_offset, result }) => match result {
                Ok((records, hw)) => {
                    write!(f, "ConsumerRecords{{p{partition} from {fetch_offset}: {} records, HW {hw}}}", records.len())
                }
                Err(e) => write!(f, "ConsumerRecords{{p{partition} from {fetch_offset}: {e:?}}}"),
            },
            Msg::Response(ClientResponse::PartitionReassigned { partition, result }) => match result {
                Ok(()) => write!(f, "PartitionReassigned{{p{partition} ok}}"),
                Err(e) => write!(f, "PartitionReassigned{{p{partition} {e:?}}}"),
            },
            Msg::FromController { epoch, msg } => write!(f, "{msg} (controller epoch {epoch})"),
            Msg::CoordinatorWrite { epoch, changes, then, .. } => {
                let brokers = changes.brokers.iter().map(|(id, registration)| format!("broker {id} ({registration})"));
                let partitions = changes
                    .partitions
                    .iter()
                    .map(|p| format!("p{} leader {} epoch {}", p.partition, opt(&p.leader), p.leader_epoch));
                let pieces: Vec<String> = brokers.chain(partitions).collect();
                let written = match (changes.is_empty(), pieces.is_empty()) {
                    (true, _) => "check only".to_string(),
                    // Only the next broker epoch or the session expiry count.
                    (false, true) => "counters".to_string(),
                    (false, false) => pieces.join(", "),
                };
                // The runtime's count (0, so left out, in the checker).
                let after = match changes.follows.0 {
                    0 => String::new(),
                    n => format!(" after write {n}"),
                };
                write!(f, "Write{{controller epoch {epoch}{after}: {written}; then {} request(s)}}", then.len())
            }
            Msg::WriteAccepted { then } => write!(f, "WriteAccepted{{then {} request(s)}}", then.len()),
            Msg::WriteApplied { applied, then } => {
                write!(f, "WriteApplied{{write {applied}; then {} request(s)}}", then.len())
            }
            Msg::WriteRejected => write!(f, "WriteRejected{{BADVERSION: controller moved}}"),
            Msg::ControllerGone => write!(f, "ControllerGone{{/controller deleted}}"),
            Msg::ClaimController => write!(f, "ClaimController{{create /controller}}"),
            Msg::ControllerElected { epoch, .. } => write!(f, "ControllerElected{{controller epoch {epoch}}}"),
            Msg::ControllerSessionExpired => write!(f, "ControllerSessionExpired"),
            Msg::SessionHeartbeat => write!(f, "SessionHeartbeat"),
            Msg::NotController(request) => write!(f, "NotController{{{request}}}"),
            Msg::ResignController => write!(f, "ResignController{{delete /controller}}"),
            Msg::WriteOutOfOrder { epoch, follows, applied } => write!(
                f,
                "WriteOutOfOrder{{controller epoch {epoch}: follows write {follows}, ZooKeeper applied {applied}}}"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::controller::{CommittedChanges, ControllerState};
    use crate::ids::{BrokerEpoch, BrokerId, ControllerEpoch};

    fn write(changes: CommittedChanges) -> String {
        Msg::CoordinatorWrite { epoch: ControllerEpoch(2), changes: Box::new(changes), then: vec![], cause: None }
            .to_string()
    }

    #[test]
    fn a_write_names_the_pieces_it_changes_or_that_it_only_checks_the_epoch() {
        let image = ControllerState::bootstrap(&Config::default());
        let pieces = CommittedChanges {
            brokers: vec![(BrokerId(2), image.brokers[1])],
            partitions: image.partitions.clone(),
            ..Default::default()
        };
        assert_eq!(
            write(pieces),
            "Write{controller epoch 2: broker 2 (broker epoch 2, active), p0 leader 1 epoch 1; then 0 request(s)}"
        );
        assert_eq!(write(CommittedChanges::default()), "Write{controller epoch 2: check only; then 0 request(s)}");
        let counters = CommittedChanges { next_broker_epoch: Some(BrokerEpoch(5)), ..Default::default() };
        assert_eq!(write(counters), "Write{controller epoch 2: counters; then 0 request(s)}");
    }
}
