//! A producer client: learns each partition's leader from metadata, sends its records one at a
//! time (`max.in.flight.requests.per.connection=1`), retries on errors and time-outs while
//! `retries` allow, and remembers what it was told about each record: the properties judge the
//! cluster against these outcomes.

use crate::config::{Acks, Config};
use crate::effects::{Address, Effects};
use crate::ids::{BrokerId, LeaderEpoch, Offset, PartitionEpoch, PartitionId, ProducerId, Sequence};
use crate::metadata::PartitionState;
use crate::msg::{Msg, ProduceError};
use crate::timer::Timer;
use serde::{Deserialize, Serialize};

/// What the producer knows of a partition's leader.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct LeaderInfo {
    pub leader: Option<BrokerId>,
    pub leader_epoch: LeaderEpoch,
    pub partition_epoch: PartitionEpoch,
}

/// The record being sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct InFlight {
    pub sequence: Sequence,
    pub partition: PartitionId,
    /// The broker the last attempt went to; `None` while waiting for a leader.
    pub sent_to: Option<BrokerId>,
    pub attempts: u8,
}

/// What the application was told about a record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Outcome {
    /// Acknowledged at this offset (acks=1 or all).
    Acked { partition: PartitionId, offset: Offset },
    /// Failed with this error after the retries ran out.
    Failed { partition: PartitionId, error: ProduceError },
    /// acks=0: sent, never confirmed.
    Sent { partition: PartitionId },
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ProducerState {
    /// Indexed by partition id.
    pub leaders: Vec<LeaderInfo>,
    pub in_flight: Option<InFlight>,
    /// Indexed by sequence: one per record finished.
    pub outcomes: Vec<Outcome>,
}

impl ProducerState {
    /// A producer that fetched the bootstrap metadata, sending its first record.
    pub fn bootstrap(cfg: &Config, me: ProducerId, records: &[PartitionState], fx: &mut Effects) -> Self {
        let mut producer =
            ProducerState { leaders: vec![LeaderInfo::default(); usize::from(cfg.partitions)], in_flight: None, outcomes: Vec::new() };
        for record in records {
            producer.on_metadata(cfg, me, record.clone(), fx);
        }
        producer
    }

    /// Sequence numbers are global to the producer; record `s` goes to partition `s % partitions`.
    fn partition_of(cfg: &Config, sequence: Sequence) -> PartitionId {
        PartitionId(sequence.0 % cfg.partitions)
    }

    pub fn on_msg(&mut self, cfg: &Config, me: ProducerId, src: Address, msg: Msg, fx: &mut Effects) {
        match msg {
            Msg::PartitionChange(meta) => self.on_metadata(cfg, me, meta, fx),
            Msg::ProduceResponse { sequence, result, .. } => self.on_response(cfg, me, src, sequence, result, fx),
            _ => {}
        }
    }

    /// A metadata refresh: newer records only (partition epoch). A record waiting for a leader
    /// is sent once one is known.
    fn on_metadata(&mut self, cfg: &Config, me: ProducerId, meta: PartitionState, fx: &mut Effects) {
        let info = &mut self.leaders[usize::from(meta.partition.0)];
        if meta.partition_epoch > info.partition_epoch {
            *info = LeaderInfo { leader: meta.leader, leader_epoch: meta.leader_epoch, partition_epoch: meta.partition_epoch };
        }
        self.send_next(cfg, me, fx);
    }

    fn on_response(&mut self, cfg: &Config, me: ProducerId, src: Address, sequence: Sequence, result: Result<Offset, ProduceError>, fx: &mut Effects) {
        let Some(in_flight) = self.in_flight.filter(|f| f.sequence == sequence && f.sent_to.map(Address::Broker) == Some(src)) else {
            return;
        };
        match result {
            Ok(offset) => self.finish(Outcome::Acked { partition: in_flight.partition, offset }),
            Err(error) => self.retry_or_fail(cfg, error),
        }
        self.send_next(cfg, me, fx);
    }

    /// `request.timeout.ms`: the request may or may not have been written; retry or give up.
    pub fn on_timer(&mut self, cfg: &Config, me: ProducerId, timer: Timer, fx: &mut Effects) {
        if timer == Timer::RequestTimeout && self.in_flight.is_some_and(|f| f.sent_to.is_some()) {
            self.retry_or_fail(cfg, ProduceError::TimedOut);
            self.send_next(cfg, me, fx);
        }
    }

    /// Retriable errors are retried (to the leader known now) while `retries` allow.
    fn retry_or_fail(&mut self, cfg: &Config, error: ProduceError) {
        let in_flight = self.in_flight.as_mut().expect("a record is in flight");
        if in_flight.attempts <= cfg.retries {
            in_flight.sent_to = None;
        } else {
            let partition = in_flight.partition;
            self.finish(Outcome::Failed { partition, error });
        }
    }

    fn finish(&mut self, outcome: Outcome) {
        self.in_flight = None;
        self.outcomes.push(outcome);
    }

    /// Send the record in flight if it waits for a leader, else start the next record.
    fn send_next(&mut self, cfg: &Config, me: ProducerId, fx: &mut Effects) {
        if self.in_flight.is_none() {
            let next = Sequence(self.outcomes.len() as u8);
            if next.0 >= cfg.records {
                return;
            }
            self.in_flight = Some(InFlight { sequence: next, partition: Self::partition_of(cfg, next), sent_to: None, attempts: 0 });
        }
        let in_flight = self.in_flight.as_mut().expect("just set");
        if in_flight.sent_to.is_some() {
            return;
        }
        let Some(leader) = self.leaders[usize::from(in_flight.partition.0)].leader else { return };
        in_flight.sent_to = Some(leader);
        in_flight.attempts += 1;
        let (partition, sequence) = (in_flight.partition, in_flight.sequence);
        fx.send(Address::Broker(leader), Msg::Produce { partition, producer: me, sequence });
        if cfg.acks == Acks::Zero {
            self.finish(Outcome::Sent { partition });
            self.send_next(cfg, me, fx);
        }
    }

    pub fn wanted_timers(&self, cfg: &Config) -> Vec<Timer> {
        match self.in_flight {
            Some(f) if f.sent_to.is_some() && cfg.acks != Acks::Zero => vec![Timer::RequestTimeout],
            _ => vec![],
        }
    }

    /// The records acknowledged to this producer: (sequence, partition, offset).
    pub fn acked(&self) -> impl Iterator<Item = (Sequence, PartitionId, Offset)> + '_ {
        self.outcomes.iter().enumerate().filter_map(|(s, o)| match o {
            Outcome::Acked { partition, offset } => Some((Sequence(s as u8), *partition, *offset)),
            _ => None,
        })
    }
}
