//! `kelp consume`: fetches committed records (below each partition's high watermark) from the
//! partition leaders and prints each value on a line, as `kafka-console-consumer` does. The
//! leader answers with the model's own consumer-fetch handler.

use super::{Client, ClientError};
use kelp_model::ids::{Offset, PartitionId};
use kelp_model::msg::{ClientRequest, ClientResponse, FetchError};
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

#[derive(Clone, Debug)]
pub struct ConsumeOptions {
    /// Start at offset 0 (otherwise at each partition's high watermark when the command starts).
    pub from_beginning: bool,
    /// Stop after this many records.
    pub max_messages: Option<u64>,
    /// Stop once no record came for this long; `None`: run until interrupted.
    pub idle_timeout: Option<Duration>,
}

/// Consumes until `max_messages` or `idle_timeout`; returns how many records were printed.
pub fn consume(dir: &Path, options: &ConsumeOptions, out: &mut dyn Write) -> Result<u64, ClientError> {
    let mut client = Client::connect(dir)?;
    let partitions: Vec<PartitionId> = client.cluster().config.partition_ids().collect();
    let mut leaders = leaders(&mut client)?;
    let mut positions: Vec<Option<Offset>> = vec![options.from_beginning.then_some(Offset(0)); partitions.len()];
    let mut printed = 0u64;
    // As Kafka's console consumer, which loops while fewer than `--max-messages` are consumed: 0
    // consumes none.
    let enough = |printed: u64| options.max_messages.is_some_and(|max| printed >= max);
    let mut last_record = Instant::now();
    while !enough(printed) {
        let mut progressed = false;
        for &p in &partitions {
            let i = usize::from(p.0);
            let Some(leader) = leaders[i] else { continue };
            let fetch_offset = positions[i].unwrap_or(Offset(0));
            let answer = client.ask(u32::from(leader.0), &ClientRequest::ConsumerFetch { partition: p, fetch_offset });
            match answer {
                Ok(ClientResponse::ConsumerRecords { result: Ok((records, hw)), .. }) => {
                    let Some(position) = positions[i] else {
                        // Not from the beginning: start at the high watermark.
                        positions[i] = Some(hw);
                        continue;
                    };
                    for record in &records {
                        out.write_all(&record.value.0)
                            .and_then(|()| out.write_all(b"\n"))
                            .map_err(ClientError::Output)?;
                        printed += 1;
                        if enough(printed) {
                            return Ok(printed);
                        }
                    }
                    positions[i] = Some(Offset(position.0 + records.len() as u32));
                    progressed |= !records.is_empty();
                }
                // Past the leader's log end (an unclean election cut the log back): reset as
                // `auto.offset.reset` does, to the start with --from-beginning (earliest), else to
                // the high watermark (latest), and say so.
                Ok(ClientResponse::ConsumerRecords { result: Err(FetchError::OffsetOutOfRange), .. }) => {
                    eprintln!(
                        "warning: t-{p}: offset {fetch_offset} is out of range at broker {leader}; resetting to {}",
                        if options.from_beginning { "the earliest offset" } else { "the high watermark" }
                    );
                    positions[i] = options.from_beginning.then_some(Offset(0));
                }
                // Not the leader any more, or no answer: learn the leaders again.
                Ok(_) | Err(ClientError::NoAnswer { .. }) => leaders = self::leaders(&mut client)?,
                Err(e) => return Err(e),
            }
        }
        if progressed {
            last_record = Instant::now();
        } else if options.idle_timeout.is_some_and(|idle| last_record.elapsed() >= idle) {
            return Ok(printed);
        } else {
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    Ok(printed)
}

fn leaders(client: &mut Client) -> Result<Vec<Option<kelp_model::ids::BrokerId>>, ClientError> {
    Ok(client.partitions()?.1.iter().map(|r| r.leader).collect())
}
