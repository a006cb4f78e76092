//! `eventually-write-completes`: on every fair path, each producer eventually hears the end of
//! every record it was asked to write: acknowledged, or failed back to the application once its
//! retries or its time-outs ran out (Kafka's `delivery.timeout.ms` bounds how long `send()`'s
//! future stays open). A producer stuck retrying against a leader that never answers, while the
//! controller never replaces it, breaks it. With acks=0 a record is finished once sent.

use crate::ids::ProducerId;
use crate::producer::ProducerState;
use crate::view::View;

pub const DESCRIPTION: &str =
    "On every fair path, every record a producer is asked to write is eventually acknowledged or failed back to it.";

/// The first producer with a record not yet finished.
fn waiting<'v>(view: &View<'v>) -> Option<(ProducerId, &'v ProducerState)> {
    let records = view.cfg.records as usize;
    view.producers().find(|(_, p)| p.outcomes.len() < records)
}

/// Whether every producer has heard the end of every record: the checker's condition, asked of
/// every state (most of which have a write under way), so it formats nothing.
pub fn holds(view: &View<'_>) -> bool {
    waiting(view).is_none()
}

pub fn violation(view: &View<'_>) -> Option<String> {
    let (id, producer) = waiting(view)?;
    let next = producer.outcomes.len();
    Some(match producer.in_flight {
        Some(f) if f.sent_to.is_some() => format!(
            "producer {} still waits for record #{next} (attempt {} to broker {})",
            id.0,
            f.attempts,
            f.sent_to.expect("sent")
        ),
        Some(_) => format!("producer {} still waits for a leader to send record #{next} to", id.0),
        None => format!("producer {} has not finished record #{next}", id.0),
    })
}
