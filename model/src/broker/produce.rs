//! The leader's produce path (`ReplicaManager.appendRecords`): leadership and min ISR checks,
//! idempotent de-duplication, the append, and the acks=0/1/all answers.

use super::{BrokerState, Ctx, PendingAck, Role};
use crate::config::Acks;
use crate::effects::{Address, Effects};
use crate::ids::{PartitionId, ProducerId, Sequence};
use crate::log::Record;
use crate::log::Value;
use crate::msg::{Msg, ProduceError};

/// A ProduceRequest's fields, as the leader's produce path takes them.
pub(super) struct ProduceRequest {
    pub partition: PartitionId,
    pub producer: ProducerId,
    pub sequence: Sequence,
    pub acks: Acks,
    pub idempotent: bool,
    pub value: Value,
}

impl BrokerState {
    pub(super) fn on_produce(&mut self, ctx: Ctx<'_>, request: ProduceRequest, fx: &mut Effects) {
        let ProduceRequest { partition: p, producer, sequence, acks, idempotent, value } = request;
        let to = Address::Producer(producer);
        let replica = self.replica(p).expect("checked by on_msg");
        let (Role::Leader(_), Some(meta)) = (&replica.role, &replica.meta) else {
            Self::reject_produce(p, to, sequence, ProduceError::NotLeaderOrFollower, fx);
            return;
        };
        let epoch = meta.leader_epoch;
        // acks=all is refused while the ISR is below min.insync.replicas (NOT_ENOUGH_REPLICAS).
        if acks == Acks::All && meta.isr.len() < usize::from(ctx.cfg.min_insync_replicas) {
            Self::reject_produce(p, to, sequence, ProduceError::NotEnoughReplicas, fx);
            return;
        }
        let disk = self.disk.replica_mut(p);
        // Idempotence (KIP-98): a retried record already in the log is answered with its offset.
        // Kafka looks among the producer's last five batches (`ProducerStateEntry
        // .findDuplicateBatch`); with one request in flight only the latest can come again, so
        // searching the whole log finds the same record.
        let duplicate = idempotent
            .then(|| disk.log.records.iter().position(|r| r.producer == producer && r.sequence == sequence))
            .flatten();
        let offset = match duplicate {
            Some(index) => crate::ids::Offset::of_len(index),
            None => {
                let offset = disk.log.end_offset();
                disk.append(Record { epoch, producer, sequence, value }, ctx.cfg.flush);
                fx.save_disk = true;
                offset
            }
        };
        match acks {
            Acks::Zero => {}
            Acks::One => fx.send(to, Msg::ProduceResponse { partition: p, sequence, result: Ok(offset) }),
            Acks::All => {
                let process = self.process.as_mut().expect("checked by on_msg");
                if let Role::Leader(leader) = &mut process.replicas[usize::from(p.0)].role {
                    // A retry of a record already waiting gets that one answer, not a second: the
                    // producer sent it after a request time-out, on which `NetworkClient` closes
                    // the connection, so the first request's answer could only be lost.
                    let ack = PendingAck { producer, sequence, offset };
                    if !leader.pending_acks.contains(&ack) {
                        leader.pending_acks.push(ack);
                    }
                }
            }
        }
        self.update_high_watermark(ctx, p, fx);
        self.answer_parked_fetches(ctx, p, fx);
    }
}
