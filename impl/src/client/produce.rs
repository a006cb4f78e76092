//! `kelp produce`: the model's own producer actor, run as a client process over the cluster's
//! wire. It sends the lines it was given as records, one at a time, and reports what the
//! cluster answered for each: the offset it was acknowledged at, or the error it finally got.

use super::{Client, ClientError};
use crate::node::{ArmPolicy, Driver};
use kelp_model::actor::KelpActor;
use kelp_model::config::Acks;
use kelp_model::ids::{ProducerId, Sequence};
use kelp_model::log::Value;
use kelp_model::producer::{Outcome, ProducerState};
use kelp_model::timer::Timer;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The producer's settings (Kafka's names).
#[derive(Clone, Debug)]
pub struct ProduceOptions {
    pub acks: Acks,
    /// `enable.idempotence`.
    pub idempotence: bool,
    /// `request.timeout.ms`.
    pub request_timeout: Duration,
    /// `retries` (each retry waits for fresh metadata first).
    pub retries: u8,
    /// `delivery.timeout.ms`: how long the record in flight may go without an outcome (no leader
    /// to send it to, no answer) before it and every record after it fail.
    pub delivery_timeout: Duration,
}

/// What happened to the records.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProduceSummary {
    pub acked: usize,
    pub failed: usize,
    /// acks=0: sent, never confirmed.
    pub sent: usize,
}

/// Produces `values` in order and writes one line per record to `out` as its outcome is known:
/// `record N: t-P offset O`, `record N: t-P error ERROR`, or `record N: t-P sent (acks=0)`. Asks
/// the controller for the partitions first: with no controller answering, the producer would ask
/// for metadata for ever (Kafka's producer blocks on it for `max.block.ms`), so that is an error.
/// A record without an outcome for `delivery_timeout` fails with DELIVERY_TIMEOUT, and so does
/// every record after it (Kafka's `delivery.timeout.ms`: they were all handed over at the start).
pub fn produce(
    dir: &Path,
    values: Vec<Value>,
    options: &ProduceOptions,
    out: &mut dyn Write,
) -> Result<ProduceSummary, ClientError> {
    let mut client = Client::connect(dir)?;
    client.partitions()?;
    let endpoint = client.into_endpoint();
    let mut cfg = endpoint.cluster().config.clone();
    cfg.records = u32::try_from(values.len()).map_err(|_| ClientError::Usage("too many records".into()))?;
    cfg.acks = options.acks;
    cfg.idempotence = options.idempotence;
    cfg.retries = kelp_model::config::Retries::Times(options.retries);
    cfg.runtime.metadata_refresh = true;
    if let Err(e) = cfg.validate() {
        return Err(ClientError::Usage(e.to_string()));
    }
    let me = ProducerId(endpoint_actor(&endpoint) - u32::from(cfg.brokers));
    let actor = KelpActor::producer_of(Arc::new(cfg), me, values.into());
    let timeout = options.request_timeout;
    let durations = BTreeMap::from([(Timer::RequestTimeout, timeout..timeout + Duration::from_millis(1))]);
    // Every event of a producer is about its one record in flight: each re-arm restarts the clock.
    let mut driver = Driver::start_actor(endpoint, actor, None, None, ArmPolicy::Restart, durations)?;
    let mut summary = ProduceSummary::default();
    let mut reported = 0;
    let mut last_outcome = Instant::now();
    loop {
        let producer = driver.state().as_producer().expect("a producer actor");
        if producer.outcomes.len() > reported {
            last_outcome = Instant::now();
        }
        for (sequence, outcome) in producer.outcomes.iter().enumerate().skip(reported) {
            let line = match outcome {
                Outcome::Acked { partition, offset } => {
                    summary.acked += 1;
                    format!("record {sequence}: t-{partition} offset {offset}")
                }
                Outcome::Failed { partition, error } => {
                    summary.failed += 1;
                    format!("record {sequence}: t-{partition} error {}", error_name(*error))
                }
                Outcome::Sent { partition } => {
                    summary.sent += 1;
                    format!("record {sequence}: t-{partition} sent (acks=0)")
                }
            };
            writeln!(out, "{line}").map_err(ClientError::Output)?;
        }
        reported = producer.outcomes.len();
        let records = driver.config().records as usize;
        if reported == records {
            return Ok(summary);
        }
        if last_outcome.elapsed() >= options.delivery_timeout {
            for sequence in reported..records {
                let partition = ProducerState::partition_of(driver.config(), Sequence(sequence as u32));
                writeln!(out, "record {sequence}: t-{partition} error DELIVERY_TIMEOUT")
                    .map_err(ClientError::Output)?;
            }
            summary.failed += records - reported;
            return Ok(summary);
        }
        driver.step(Duration::from_millis(100))?;
    }
}

fn endpoint_actor(endpoint: &crate::node::Endpoint) -> u32 {
    u32::try_from(usize::from(endpoint.id())).expect("client ids fit the wire's 32 bits")
}

/// Kafka's error names.
fn error_name(error: kelp_model::msg::ProduceError) -> &'static str {
    use kelp_model::msg::ProduceError::*;
    match error {
        NotLeaderOrFollower => "NOT_LEADER_OR_FOLLOWER",
        NotEnoughReplicas => "NOT_ENOUGH_REPLICAS",
        NotEnoughReplicasAfterAppend => "NOT_ENOUGH_REPLICAS_AFTER_APPEND",
        TimedOut => "REQUEST_TIMED_OUT",
    }
}
