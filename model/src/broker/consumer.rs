//! A consumer's fetch at the leader (`ReplicaManager.fetchMessages` with isolation level
//! READ_UNCOMMITTED for a consumer): only records below the high watermark are returned, so a
//! consumer never sees a record that a later election could truncate.

use super::{BrokerState, Ctx, Role};
use crate::ids::{Offset, PartitionId};
use crate::msg::{ClientRequest, ClientResponse, FetchError};

impl BrokerState {
    /// Answers a client's request; `None` for requests meant for the controller, or while the
    /// process is down.
    pub fn on_client_request(&self, ctx: Ctx<'_>, request: ClientRequest) -> Option<ClientResponse> {
        self.process.as_ref()?;
        match request {
            ClientRequest::ConsumerFetch { partition, fetch_offset } => Some(ClientResponse::ConsumerRecords {
                partition,
                fetch_offset,
                result: self.committed_records(ctx, partition, fetch_offset),
            }),
            ClientRequest::DescribePartitions
            | ClientRequest::ElectLeaders { .. }
            | ClientRequest::AlterPartitionReassignments { .. } => None,
        }
    }

    /// The records from `from` below the HW (at most `fetch_max_records`), and the HW; only the
    /// leader serves consumers (NOT_LEADER_OR_FOLLOWER otherwise). From the HW up to the log end
    /// there is nothing to read yet; past the log end the offset is out of range.
    fn committed_records(
        &self,
        ctx: Ctx<'_>,
        p: PartitionId,
        from: Offset,
    ) -> Result<(Vec<crate::log::Record>, Offset), FetchError> {
        if p.0 >= ctx.cfg.partitions {
            return Err(FetchError::UnknownTopicOrPartition);
        }
        let leads = self.replica(p).is_some_and(|r| matches!(r.role, Role::Leader(_)));
        if !leads {
            return Err(FetchError::NotLeaderOrFollower);
        }
        let disk = self.disk.replica(p);
        if from > disk.log.end_offset() {
            return Err(FetchError::OffsetOutOfRange);
        }
        let hw = disk.high_watermark;
        let committed = disk.log.records.get(from.index()..hw.index()).unwrap_or(&[]);
        let limit = ctx.cfg.runtime.fetch_max_records.map_or(usize::MAX, |n| n as usize);
        Ok((committed.iter().take(limit).cloned().collect(), hw))
    }
}
