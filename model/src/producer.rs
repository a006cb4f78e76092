//! A producer client: learns each partition's leader from metadata, sends its records one at a
//! time (`max.in.flight.requests.per.connection=1`), retries on errors and time-outs while
//! `retries` allow, and remembers what it was told about each record: the properties judge the
//! cluster against these outcomes.

use crate::config::{Acks, Config};
use crate::effects::{Address, Effects};
use crate::ids::{BrokerId, LeaderEpoch, Offset, PartitionEpoch, PartitionId, ProducerId, Sequence};
use crate::log::Value;
use crate::metadata::PartitionState;
use crate::msg::{ClientRequest, ClientResponse, Msg, ProduceError};
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
        let mut producer = ProducerState {
            leaders: vec![LeaderInfo::default(); usize::from(cfg.partitions)],
            in_flight: None,
            outcomes: Vec::new(),
        };
        if cfg.runtime.metadata_refresh {
            // A client that starts later than the cluster asks for current metadata first.
            producer.send_next(cfg, me, fx);
            Self::request_metadata(cfg, fx);
        } else {
            for record in records {
                producer.on_metadata(cfg, me, record.clone(), fx);
            }
        }
        producer
    }

    /// `Metadata.requestUpdate`: ask for every partition's current record (runtime only). With
    /// controller candidates every one is asked: only the acting controller answers.
    fn request_metadata(cfg: &Config, fx: &mut Effects) {
        for candidate in cfg.controller_ids() {
            fx.send(Address::controller(candidate), Msg::Request(ClientRequest::DescribePartitions));
        }
    }

    /// Sequence numbers are global to the producer; record `s` goes to partition `s % partitions`
    /// (Kafka's `RoundRobinPartitioner`, one record at a time).
    pub fn partition_of(cfg: &Config, sequence: Sequence) -> PartitionId {
        PartitionId((sequence.0 % u32::from(cfg.partitions)) as u8)
    }

    pub fn on_msg(&mut self, cfg: &Config, me: ProducerId, src: Address, msg: Msg, fx: &mut Effects) {
        match msg {
            Msg::PartitionChange(meta) => self.on_metadata(cfg, me, meta, fx),
            Msg::ProduceResponse { sequence, result, .. } => self.on_response(cfg, me, src, sequence, result, fx),
            Msg::Response(ClientResponse::Partitions(records)) => {
                for record in records {
                    self.on_metadata(cfg, me, record, fx);
                }
            }
            _ => {}
        }
    }

    /// A metadata refresh: newer records only, or the same record again for a leader marked stale.
    /// A record waiting for a leader is sent once one is known. Kafka's client refuses metadata
    /// with an older leader epoch than it has (`Metadata.updateLatestMetadata`, KIP-320); the
    /// model's records carry the partition epoch, which orders every change of a record, leader
    /// changes included.
    fn on_metadata(&mut self, cfg: &Config, me: ProducerId, meta: PartitionState, fx: &mut Effects) {
        let Some(info) = self.leaders.get_mut(usize::from(meta.partition.0)) else { return };
        let stale_refreshed = info.leader.is_none() && meta.partition_epoch == info.partition_epoch;
        if meta.partition_epoch > info.partition_epoch || stale_refreshed {
            *info = LeaderInfo {
                leader: meta.leader,
                leader_epoch: meta.leader_epoch,
                partition_epoch: meta.partition_epoch,
            };
        }
        self.send_next(cfg, me, fx);
    }

    fn on_response(
        &mut self,
        cfg: &Config,
        me: ProducerId,
        src: Address,
        sequence: Sequence,
        result: Result<Offset, ProduceError>,
        fx: &mut Effects,
    ) {
        let Some(in_flight) =
            self.in_flight.filter(|f| f.sequence == sequence && f.sent_to.map(Address::Broker) == Some(src))
        else {
            return;
        };
        match result {
            Ok(offset) => self.finish(Outcome::Acked { partition: in_flight.partition, offset }),
            Err(error) => self.retry_or_fail(cfg, error, fx),
        }
        self.send_next(cfg, me, fx);
    }

    /// `request.timeout.ms`: the request may or may not have been written; retry or give up.
    pub fn on_timer(&mut self, cfg: &Config, me: ProducerId, timer: Timer, fx: &mut Effects) {
        if timer != Timer::RequestTimeout {
            return;
        }
        match self.in_flight {
            Some(InFlight { sent_to: Some(broker), attempts, .. }) => {
                // The alert an operator watches (`Config::operator_demotes`): a record whose retry
                // timed out too, a stall rather than one slow answer.
                if cfg.operator_demotes && attempts >= 2 {
                    fx.send(Address::Operator, Msg::ProduceStalled { broker });
                }
                self.retry_or_fail(cfg, ProduceError::TimedOut, fx);
                self.send_next(cfg, me, fx);
            }
            // Still no leader known: ask again (the last answer or request may be lost).
            Some(_) if cfg.runtime.metadata_refresh => Self::request_metadata(cfg, fx),
            _ => {}
        }
    }

    /// Retriable errors are retried (to the leader known now) while `retries` allow. With metadata
    /// refresh, the leader it went to is marked stale and the retry waits for fresh metadata.
    fn retry_or_fail(&mut self, cfg: &Config, error: ProduceError, fx: &mut Effects) {
        let in_flight = self.in_flight.as_mut().expect("a record is in flight");
        if cfg.retries.allow(in_flight.attempts) {
            in_flight.sent_to = None;
            if cfg.runtime.metadata_refresh {
                self.leaders[usize::from(in_flight.partition.0)].leader = None;
                Self::request_metadata(cfg, fx);
            }
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
            let next = Sequence(self.outcomes.len() as u32);
            if next.0 >= cfg.records {
                return;
            }
            self.in_flight =
                Some(InFlight { sequence: next, partition: Self::partition_of(cfg, next), sent_to: None, attempts: 0 });
        }
        let in_flight = self.in_flight.as_mut().expect("just set");
        if in_flight.sent_to.is_some() {
            return;
        }
        let Some(leader) = self.leaders[usize::from(in_flight.partition.0)].leader else { return };
        in_flight.sent_to = Some(leader);
        in_flight.attempts = cfg.retries.count_attempt(in_flight.attempts);
        let (partition, sequence) = (in_flight.partition, in_flight.sequence);
        let (acks, idempotent, value) = (cfg.acks, cfg.idempotence, Value::default());
        fx.send(Address::Broker(leader), Msg::Produce { partition, producer: me, sequence, acks, idempotent, value });
        if cfg.acks == Acks::Zero {
            self.finish(Outcome::Sent { partition });
            self.send_next(cfg, me, fx);
        }
    }

    pub fn wanted_timers(&self, cfg: &Config) -> Vec<Timer> {
        match self.in_flight {
            Some(f) if f.sent_to.is_some() && cfg.acks != Acks::Zero => vec![Timer::RequestTimeout],
            // Waiting for metadata: ask again if no answer comes.
            Some(f) if f.sent_to.is_none() && cfg.runtime.metadata_refresh => vec![Timer::RequestTimeout],
            _ => vec![],
        }
    }

    /// The records acknowledged to this producer: (sequence, partition, offset).
    pub fn acked(&self) -> impl Iterator<Item = (Sequence, PartitionId, Offset)> + '_ {
        self.outcomes.iter().enumerate().filter_map(|(s, o)| match o {
            Outcome::Acked { partition, offset } => Some((Sequence(s as u32), *partition, *offset)),
            _ => None,
        })
    }
}

#[cfg(test)]
mod tests {
    //! The producer's handlers, message or timer in, exact sends and state out. Default
    //! configuration: one partition led by broker 1 in epoch 1, two records, acks=all, one retry.

    use super::*;
    use crate::config::Retries;

    const P0: PartitionId = PartitionId(0);
    const ME: ProducerId = ProducerId(1);

    fn b(n: u8) -> BrokerId {
        BrokerId(n)
    }

    fn record(partition: u8, leader: Option<u8>, leader_epoch: u32, partition_epoch: u32) -> PartitionState {
        let replicas = vec![b(1), b(2), b(3)];
        PartitionState {
            partition: PartitionId(partition),
            leader: leader.map(BrokerId),
            leader_epoch: LeaderEpoch(leader_epoch),
            partition_epoch: PartitionEpoch(partition_epoch),
            isr: crate::broker_set::BrokerSet::of(replicas.iter().copied()),
            elr: crate::broker_set::BrokerSet::EMPTY,
            last_known_elr: crate::broker_set::BrokerSet::EMPTY,
            replicas,
        }
    }

    fn boot(cfg: &Config) -> (ProducerState, Effects) {
        let records = crate::controller::ControllerState::bootstrap(cfg).partitions;
        let mut fx = Effects::default();
        let producer = ProducerState::bootstrap(cfg, ME, &records, &mut fx);
        (producer, fx)
    }

    fn step(p: &mut ProducerState, cfg: &Config, from: u8, msg: Msg) -> Effects {
        let mut fx = Effects::default();
        p.on_msg(cfg, ME, Address::Broker(b(from)), msg, &mut fx);
        fx
    }

    fn metadata(p: &mut ProducerState, cfg: &Config, record: PartitionState) -> Effects {
        let mut fx = Effects::default();
        p.on_msg(cfg, ME, Address::Controller, Msg::PartitionChange(record), &mut fx);
        fx
    }

    fn tick(p: &mut ProducerState, cfg: &Config, timer: Timer) -> Effects {
        let mut fx = Effects::default();
        p.on_timer(cfg, ME, timer, &mut fx);
        fx
    }

    fn response(partition: u8, sequence: u32, result: Result<u32, ProduceError>) -> Msg {
        Msg::ProduceResponse {
            partition: PartitionId(partition),
            sequence: Sequence(sequence),
            result: result.map(Offset),
        }
    }

    /// The Produce of `sequence` to `leader`, as the only effect.
    fn produce_to(leader: u8, partition: u8, sequence: u32) -> Effects {
        Effects {
            sends: vec![(
                Address::Broker(b(leader)),
                Msg::Produce {
                    partition: PartitionId(partition),
                    producer: ME,
                    sequence: Sequence(sequence),
                    acks: Acks::All,
                    idempotent: true,
                    value: Default::default(),
                },
            )],
            ..Effects::default()
        }
    }

    fn in_flight(sequence: u32, sent_to: Option<u8>, attempts: u8) -> Option<InFlight> {
        Some(InFlight { sequence: Sequence(sequence), partition: P0, sent_to: sent_to.map(BrokerId), attempts })
    }

    #[test]
    fn bootstrap_sends_sequence_0_to_the_leader() {
        let cfg = Config::default();
        let (p, fx) = boot(&cfg);
        assert_eq!(fx, produce_to(1, 0, 0));
        assert_eq!(
            p,
            ProducerState {
                leaders: vec![LeaderInfo {
                    leader: Some(b(1)),
                    leader_epoch: LeaderEpoch(1),
                    partition_epoch: PartitionEpoch(1)
                }],
                in_flight: in_flight(0, Some(1), 1),
                outcomes: vec![],
            }
        );
        assert_eq!(p.wanted_timers(&cfg), vec![Timer::RequestTimeout]);
    }

    #[test]
    fn an_ack_is_recorded_and_the_next_record_sent() {
        let cfg = Config::default();
        let (mut p, _) = boot(&cfg);
        let fx = step(&mut p, &cfg, 1, response(0, 0, Ok(0)));
        assert_eq!(fx, produce_to(1, 0, 1));
        assert_eq!(p.outcomes, vec![Outcome::Acked { partition: P0, offset: Offset(0) }]);
        assert_eq!(p.in_flight, in_flight(1, Some(1), 1));

        // The last record: nothing more to send, no timer.
        let fx = step(&mut p, &cfg, 1, response(0, 1, Ok(1)));
        assert_eq!(fx, Effects::default());
        assert_eq!(p.in_flight, None);
        assert_eq!(
            p.outcomes,
            vec![
                Outcome::Acked { partition: P0, offset: Offset(0) },
                Outcome::Acked { partition: P0, offset: Offset(1) }
            ]
        );
        assert_eq!(p.acked().collect::<Vec<_>>(), vec![(Sequence(0), P0, Offset(0)), (Sequence(1), P0, Offset(1))]);
        assert_eq!(p.wanted_timers(&cfg), vec![]);
    }

    #[test]
    fn records_go_round_robin_over_partitions() {
        let cfg = Config { partitions: 2, ..Config::default() };
        let (mut p, fx) = boot(&cfg);
        assert_eq!(fx, produce_to(1, 0, 0));
        // Sequence 1 goes to partition 1, led by its preferred replica 2.
        let fx = step(&mut p, &cfg, 1, response(0, 0, Ok(0)));
        assert_eq!(fx, produce_to(2, 1, 1));
        assert_eq!(
            p.in_flight,
            Some(InFlight { sequence: Sequence(1), partition: PartitionId(1), sent_to: Some(b(2)), attempts: 1 })
        );
    }

    #[test]
    fn an_error_with_retries_left_resends_then_fails() {
        let cfg = Config::default();
        let (mut p, _) = boot(&cfg);
        let fx = step(&mut p, &cfg, 1, response(0, 0, Err(ProduceError::NotEnoughReplicas)));
        assert_eq!(fx, produce_to(1, 0, 0));
        assert_eq!(p.in_flight, in_flight(0, Some(1), 2));
        assert_eq!(p.outcomes, vec![]);

        // The one retry is spent: the record fails with the last error and the next one goes.
        let fx = step(&mut p, &cfg, 1, response(0, 0, Err(ProduceError::NotLeaderOrFollower)));
        assert_eq!(fx, produce_to(1, 0, 1));
        assert_eq!(p.outcomes, vec![Outcome::Failed { partition: P0, error: ProduceError::NotLeaderOrFollower }]);
        assert_eq!(p.in_flight, in_flight(1, Some(1), 1));
    }

    #[test]
    fn without_retries_the_first_error_fails_the_record() {
        let cfg = Config { retries: crate::config::Retries::Times(0), ..Config::default() };
        let (mut p, _) = boot(&cfg);
        let fx = step(&mut p, &cfg, 1, response(0, 0, Err(ProduceError::NotLeaderOrFollower)));
        assert_eq!(fx, produce_to(1, 0, 1));
        assert_eq!(p.outcomes, vec![Outcome::Failed { partition: P0, error: ProduceError::NotLeaderOrFollower }]);
    }

    #[test]
    fn retrying_for_ever_never_fails_and_the_attempts_stop_counting_at_two() {
        let cfg = Config { retries: Retries::Forever, ..Config::default() };
        let (mut p, _) = boot(&cfg);
        for _ in 0..5 {
            let fx = tick(&mut p, &cfg, Timer::RequestTimeout);
            assert_eq!(fx, produce_to(1, 0, 0));
            assert_eq!(p.in_flight, in_flight(0, Some(1), 2));
        }
        assert_eq!(p.outcomes, vec![]);
    }

    #[test]
    fn with_an_operator_a_retry_that_times_out_too_raises_a_stall_alert() {
        let cfg = Config { retries: Retries::Forever, operator_demotes: true, ..Config::default() };
        let (mut p, _) = boot(&cfg);
        // The first time-out may be one slow answer: just a retry.
        assert_eq!(tick(&mut p, &cfg, Timer::RequestTimeout), produce_to(1, 0, 0));
        // The retry timed out too: the operator hears of broker 1, and the record goes again.
        let mut expected = Effects::default();
        expected.send(Address::Operator, Msg::ProduceStalled { broker: BrokerId(1) });
        expected.sends.extend(produce_to(1, 0, 0).sends);
        assert_eq!(tick(&mut p, &cfg, Timer::RequestTimeout), expected);
        // Without an operator there is nobody to tell.
        let cfg = Config { operator_demotes: false, ..cfg };
        assert_eq!(tick(&mut p, &cfg, Timer::RequestTimeout), produce_to(1, 0, 0));
    }

    #[test]
    fn a_request_timeout_retries_then_fails_as_timed_out() {
        let cfg = Config::default();
        let (mut p, _) = boot(&cfg);
        let fx = tick(&mut p, &cfg, Timer::RequestTimeout);
        assert_eq!(fx, produce_to(1, 0, 0));
        assert_eq!(p.in_flight, in_flight(0, Some(1), 2));
        let fx = tick(&mut p, &cfg, Timer::RequestTimeout);
        assert_eq!(fx, produce_to(1, 0, 1));
        assert_eq!(p.outcomes, vec![Outcome::Failed { partition: P0, error: ProduceError::TimedOut }]);
        // Other timers mean nothing to a producer.
        let before = p.clone();
        assert_eq!(tick(&mut p, &cfg, Timer::Crash), Effects::default());
        assert_eq!(p, before);
    }

    #[test]
    fn acks_0_records_every_record_as_sent_at_once() {
        let cfg = Config { acks: Acks::Zero, ..Config::default() };
        let (p, fx) = boot(&cfg);
        let produce = |s: u8| {
            (
                Address::Broker(b(1)),
                Msg::Produce {
                    partition: P0,
                    producer: ME,
                    sequence: Sequence(u32::from(s)),
                    acks: Acks::Zero,
                    idempotent: true,
                    value: Default::default(),
                },
            )
        };
        assert_eq!(fx, Effects { sends: vec![produce(0), produce(1)], ..Effects::default() });
        assert_eq!(p.outcomes, vec![Outcome::Sent { partition: P0 }, Outcome::Sent { partition: P0 }]);
        assert_eq!(p.in_flight, None);
        assert_eq!(p.wanted_timers(&cfg), vec![]);
    }

    #[test]
    fn stale_responses_are_ignored() {
        let cfg = Config::default();
        let (mut p, _) = boot(&cfg);
        let before = p.clone();
        // Another sequence.
        assert_eq!(step(&mut p, &cfg, 1, response(0, 1, Ok(0))), Effects::default());
        // From a broker the record in flight was not sent to.
        assert_eq!(step(&mut p, &cfg, 2, response(0, 0, Ok(0))), Effects::default());
        // Not a message for producers.
        assert_eq!(
            step(&mut p, &cfg, 1, Msg::SessionExpired { broker_epoch: crate::ids::BrokerEpoch(1) }),
            Effects::default()
        );
        assert_eq!(p, before);
    }

    #[test]
    fn newer_metadata_moves_the_leader_and_the_retry_follows_it() {
        let cfg = Config::default();
        let (mut p, _) = boot(&cfg);
        // The record in flight is not resent on a metadata change alone.
        let fx = metadata(&mut p, &cfg, record(0, Some(2), 2, 2));
        assert_eq!(fx, Effects::default());
        assert_eq!(
            p.leaders,
            vec![LeaderInfo { leader: Some(b(2)), leader_epoch: LeaderEpoch(2), partition_epoch: PartitionEpoch(2) }]
        );
        // An older record is ignored.
        metadata(&mut p, &cfg, record(0, Some(3), 1, 1));
        assert_eq!(p.leaders[0].leader, Some(b(2)));
        // The old leader's refusal sends the retry to the new one.
        let fx = step(&mut p, &cfg, 1, response(0, 0, Err(ProduceError::NotLeaderOrFollower)));
        assert_eq!(fx, produce_to(2, 0, 0));
        assert_eq!(p.in_flight, in_flight(0, Some(2), 2));
    }

    #[test]
    fn a_record_waits_for_a_leader() {
        let cfg = Config::default();
        let (mut p, _) = boot(&cfg);
        metadata(&mut p, &cfg, record(0, None, 2, 2));
        let fx = step(&mut p, &cfg, 1, response(0, 0, Err(ProduceError::NotLeaderOrFollower)));
        assert_eq!(fx, Effects::default());
        assert_eq!(p.in_flight, in_flight(0, None, 1));
        assert_eq!(p.wanted_timers(&cfg), vec![], "no request in flight, nothing to time out");
        // A time-out while waiting for a leader changes nothing.
        assert_eq!(tick(&mut p, &cfg, Timer::RequestTimeout), Effects::default());
        assert_eq!(p.in_flight, in_flight(0, None, 1));

        let fx = metadata(&mut p, &cfg, record(0, Some(3), 3, 3));
        assert_eq!(fx, produce_to(3, 0, 0));
        assert_eq!(p.in_flight, in_flight(0, Some(3), 2));
    }

    // -----------------------------------------------------------------------------------------
    // Metadata refresh (`RuntimeSettings::metadata_refresh`).

    fn refreshing() -> Config {
        let mut cfg = Config::default();
        cfg.runtime.metadata_refresh = true;
        cfg
    }

    fn ask_metadata() -> (Address, Msg) {
        (Address::Controller, Msg::Request(ClientRequest::DescribePartitions))
    }

    fn only(sends: Vec<(Address, Msg)>) -> Effects {
        Effects { sends, ..Effects::default() }
    }

    fn answer(p: &mut ProducerState, cfg: &Config, records: Vec<PartitionState>) -> Effects {
        let mut fx = Effects::default();
        p.on_msg(cfg, ME, Address::Controller, Msg::Response(ClientResponse::Partitions(records)), &mut fx);
        fx
    }

    fn leader_info(leader: Option<u8>, leader_epoch: u32, partition_epoch: u32) -> LeaderInfo {
        LeaderInfo {
            leader: leader.map(BrokerId),
            leader_epoch: LeaderEpoch(leader_epoch),
            partition_epoch: PartitionEpoch(partition_epoch),
        }
    }

    /// A refreshing producer that learnt the bootstrap leader and sent sequence 0 to it.
    fn refreshed(cfg: &Config) -> ProducerState {
        let (mut p, _) = boot(cfg);
        let fx = answer(&mut p, cfg, vec![record(0, Some(1), 1, 1)]);
        assert_eq!(fx, produce_to(1, 0, 0));
        p
    }

    #[test]
    fn with_metadata_refresh_bootstrap_asks_for_metadata_before_sending() {
        let cfg = refreshing();
        let (p, fx) = boot(&cfg);
        // The bootstrap records are not trusted: nothing is sent until the controller answers.
        assert_eq!(fx, only(vec![ask_metadata()]));
        assert_eq!(
            p,
            ProducerState { leaders: vec![LeaderInfo::default()], in_flight: in_flight(0, None, 0), outcomes: vec![] }
        );
        assert_eq!(p.wanted_timers(&cfg), vec![Timer::RequestTimeout]);
    }

    #[test]
    fn a_partitions_answer_teaches_the_leaders_and_sends_the_waiting_record() {
        let cfg = Config { partitions: 2, ..refreshing() };
        let (mut p, _) = boot(&cfg);
        let fx = answer(&mut p, &cfg, vec![record(0, Some(3), 4, 6), record(1, Some(2), 1, 1)]);
        assert_eq!(fx, produce_to(3, 0, 0));
        assert_eq!(p.leaders, vec![leader_info(Some(3), 4, 6), leader_info(Some(2), 1, 1)]);
        assert_eq!(p.in_flight, in_flight(0, Some(3), 1));
        assert_eq!(p.wanted_timers(&cfg), vec![Timer::RequestTimeout]);
        // A record of a partition the producer does not know is ignored.
        let before = p.clone();
        assert_eq!(answer(&mut p, &cfg, vec![record(5, Some(1), 9, 9)]), Effects::default());
        assert_eq!(p, before);
    }

    #[test]
    fn a_partitions_answer_without_a_leader_keeps_the_record_waiting() {
        let cfg = refreshing();
        let (mut p, _) = boot(&cfg);
        let fx = answer(&mut p, &cfg, vec![record(0, None, 2, 3)]);
        assert_eq!(fx, Effects::default());
        assert_eq!(p.leaders, vec![leader_info(None, 2, 3)]);
        assert_eq!(p.in_flight, in_flight(0, None, 0));
        assert_eq!(p.wanted_timers(&cfg), vec![Timer::RequestTimeout]);
    }

    #[test]
    fn a_retriable_error_marks_the_leader_stale_and_asks_for_metadata() {
        let cfg = refreshing();
        let mut p = refreshed(&cfg);
        let fx = step(&mut p, &cfg, 1, response(0, 0, Err(ProduceError::NotLeaderOrFollower)));
        assert_eq!(fx, only(vec![ask_metadata()]));
        // The leader is forgotten, its epochs kept.
        assert_eq!(p.leaders, vec![leader_info(None, 1, 1)]);
        assert_eq!(p.in_flight, in_flight(0, None, 1));
        assert_eq!(p.outcomes, vec![]);
        assert_eq!(p.wanted_timers(&cfg), vec![Timer::RequestTimeout]);
    }

    #[test]
    fn the_same_record_again_restores_a_stale_leader_and_the_retry_goes_to_it() {
        let cfg = refreshing();
        let mut p = refreshed(&cfg);
        step(&mut p, &cfg, 1, response(0, 0, Err(ProduceError::NotEnoughReplicas)));
        // The controller still names broker 1 (same partition epoch): the retry goes there.
        let fx = answer(&mut p, &cfg, vec![record(0, Some(1), 1, 1)]);
        assert_eq!(fx, produce_to(1, 0, 0));
        assert_eq!(p.leaders, vec![leader_info(Some(1), 1, 1)]);
        assert_eq!(p.in_flight, in_flight(0, Some(1), 2));
    }

    #[test]
    fn a_newer_record_after_a_retriable_error_sends_the_retry_to_the_new_leader() {
        let cfg = refreshing();
        let mut p = refreshed(&cfg);
        step(&mut p, &cfg, 1, response(0, 0, Err(ProduceError::NotLeaderOrFollower)));
        // An older record (a late answer) does not restore anything.
        let stale = record(0, Some(3), 0, 0);
        assert_eq!(answer(&mut p, &cfg, vec![stale]), Effects::default());
        assert_eq!(p.leaders, vec![leader_info(None, 1, 1)]);
        let fx = metadata(&mut p, &cfg, record(0, Some(2), 2, 2));
        assert_eq!(fx, produce_to(2, 0, 0));
        assert_eq!(p.leaders, vec![leader_info(Some(2), 2, 2)]);
        assert_eq!(p.in_flight, in_flight(0, Some(2), 2));
    }

    #[test]
    fn with_metadata_refresh_a_request_timeout_waiting_for_a_leader_asks_again() {
        let cfg = refreshing();
        let (mut p, _) = boot(&cfg);
        let before = p.clone();
        let fx = tick(&mut p, &cfg, Timer::RequestTimeout);
        assert_eq!(fx, only(vec![ask_metadata()]));
        assert_eq!(p, before);
        assert_eq!(p.wanted_timers(&cfg), vec![Timer::RequestTimeout]);
    }

    #[test]
    fn with_metadata_refresh_a_request_timeout_of_a_sent_record_marks_the_leader_stale() {
        let cfg = refreshing();
        let mut p = refreshed(&cfg);
        let fx = tick(&mut p, &cfg, Timer::RequestTimeout);
        assert_eq!(fx, only(vec![ask_metadata()]));
        assert_eq!(p.leaders, vec![leader_info(None, 1, 1)]);
        assert_eq!(p.in_flight, in_flight(0, None, 1));

        // The retry goes out with the next answer; its time-out spends the last retry: the record
        // fails, and the next one goes to the leader still known (a failure forgets no leader).
        answer(&mut p, &cfg, vec![record(0, Some(1), 1, 1)]);
        assert_eq!(p.in_flight, in_flight(0, Some(1), 2));
        let fx = tick(&mut p, &cfg, Timer::RequestTimeout);
        assert_eq!(fx, produce_to(1, 0, 1));
        assert_eq!(p.outcomes, vec![Outcome::Failed { partition: P0, error: ProduceError::TimedOut }]);
        assert_eq!(p.leaders, vec![leader_info(Some(1), 1, 1)]);
        assert_eq!(p.in_flight, in_flight(1, Some(1), 1));
    }

    #[test]
    fn with_metadata_refresh_a_finished_producer_wants_no_timer() {
        let cfg = Config { records: 1, ..refreshing() };
        let mut p = refreshed(&cfg);
        let fx = step(&mut p, &cfg, 1, response(0, 0, Ok(0)));
        assert_eq!(fx, Effects::default());
        assert_eq!(p.in_flight, None);
        assert_eq!(p.wanted_timers(&cfg), vec![]);
        assert_eq!(tick(&mut p, &cfg, Timer::RequestTimeout), Effects::default());
    }

    #[test]
    fn without_metadata_refresh_a_partitions_answer_is_applied_too() {
        let cfg = Config::default();
        let (mut p, _) = boot(&cfg);
        metadata(&mut p, &cfg, record(0, None, 2, 2));
        step(&mut p, &cfg, 1, response(0, 0, Err(ProduceError::NotLeaderOrFollower)));
        assert_eq!(p.in_flight, in_flight(0, None, 1));
        let fx = answer(&mut p, &cfg, vec![record(0, Some(3), 3, 3)]);
        assert_eq!(fx, produce_to(3, 0, 0));
        assert_eq!(p.leaders, vec![leader_info(Some(3), 3, 3)]);
    }

    #[test]
    fn other_client_responses_are_ignored() {
        let cfg = refreshing();
        let mut p = refreshed(&cfg);
        let before = p.clone();
        let elected = ClientResponse::LeadersElected(vec![(P0, Ok(()))]);
        assert_eq!(step(&mut p, &cfg, 1, Msg::Response(elected)), Effects::default());
        let records =
            ClientResponse::ConsumerRecords { partition: P0, fetch_offset: Offset(0), result: Ok((vec![], Offset(0))) };
        assert_eq!(step(&mut p, &cfg, 1, Msg::Response(records)), Effects::default());
        assert_eq!(p, before);
    }
}
