//! Timers: Kafka's time-outs, and the faults the checker may inject at any moment (bounded by
//! the fault budget). The model abstracts durations away: any armed timer may fire next.

use crate::ids::{BrokerId, PartitionId, ProducerId};
use serde::{Deserialize, Serialize};
use std::ops::Range;
use std::time::Duration;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Timer {
    // Broker faults and recovery.
    /// SIGKILL: the process dies; the page cache (all written data) survives.
    Crash,
    /// Power loss: the process dies and everything not flushed is gone.
    PowerLoss,
    /// An operator stops the broker (controlled shutdown, `kafka-server-stop`).
    Shutdown,
    /// The stopped broker is started again.
    Restart,
    /// `replica.lag.time.max.ms` passed for a lagging ISR follower.
    LagTimeout(PartitionId, BrokerId),
    /// `replica.fetch.backoff.ms` after UNKNOWN_LEADER_EPOCH.
    FetchBackoff(PartitionId),
    /// `broker.heartbeat.interval.ms` (runtime heartbeats only: `RuntimeSettings::heartbeats`).
    Heartbeat,

    // Controller.
    /// `broker.session.timeout.ms` passed without a heartbeat.
    SessionTimeout(BrokerId),
    /// `leader.imbalance.check.interval.seconds`: auto rebalance to the preferred leader.
    PreferredElection(PartitionId),
    // Producer.
    /// `request.timeout.ms` passed without a response (also, with metadata refresh, the wait
    /// before asking for metadata again).
    RequestTimeout,

    // Broker, again: last, so that the timers above keep their place in every state's hash.
    /// A partial network partition: the link between this broker and a producer is cut for good
    /// (a firewall rule, a bad route), while the controller and the other brokers still reach it.
    CutLink(ProducerId),

    // Coordinator.
    /// The active controller's ZooKeeper session expires (`zookeeper.session.timeout.ms` passed:
    /// a GC pause, a network blip): `/controller` is deleted while the controller still runs.
    ControllerSessionExpiry,

    // Broker, runtime only (`RuntimeSettings::fetch_max_wait`): last, like the one above.
    /// `replica.fetch.wait.max.ms`: the fetches a leader holds for this partition are answered
    /// with what there is (`DelayedFetch` expires), so each follower fetches again.
    FetchMaxWait(PartitionId),
    /// `replica.socket.timeout.ms` (runtime only: `RuntimeSettings::fetch_timeout`): the
    /// follower's request to the leader went unanswered.
    FetchTimeout(PartitionId),
    /// `controller.socket.timeout.ms` (runtime only: `RuntimeSettings::controller_request_timeout`):
    /// the broker's registration or an AlterPartition went unanswered.
    ControllerRequestTimeout,
    /// The broker's next fetch of the metadata log (runtime only: `RuntimeSettings::metadata_fetch`).
    MetadataFetch,

    // Controller candidate, runtime only (`RuntimeSettings::controller_request_timeout`).
    /// The acting candidate's writes to ZooKeeper went unanswered (a datagram lost): it gives up
    /// `/controller` (Kafka's `triggerControllerMove`).
    CoordinatorWriteTimeout,
}

impl Timer {
    /// How long the timer runs in the real cluster (the model ignores durations). Fault timers are
    /// only armed with a non-zero fault budget, which the runtime never has.
    pub fn duration(&self) -> Range<Duration> {
        let ms = |lo: u64, hi: u64| Duration::from_millis(lo)..Duration::from_millis(hi);
        match self {
            Timer::Crash | Timer::PowerLoss | Timer::Shutdown | Timer::CutLink(_) => ms(1_000, 5_000),
            // `zookeeper.session.timeout.ms` (18 s in Kafka 2.5+; shortened like the broker session).
            Timer::ControllerSessionExpiry => ms(9_000, 9_001),
            Timer::Restart => ms(500, 1_000),
            Timer::LagTimeout(..) => ms(30_000, 30_001),
            Timer::FetchBackoff(_) => ms(1_000, 1_001),
            Timer::Heartbeat => ms(2_000, 2_001),
            Timer::SessionTimeout(_) => ms(9_000, 9_001),
            Timer::PreferredElection(_) => ms(300_000, 300_001),
            Timer::RequestTimeout => ms(30_000, 30_001),
            Timer::FetchMaxWait(_) => ms(500, 501),
            // 30 s in Kafka; shortened like the sessions: the leader answers a held fetch within
            // `replica.fetch.wait.max.ms`, so only a lost request goes this long unanswered.
            Timer::FetchTimeout(_) => ms(5_000, 5_001),
            // 30 s in Kafka; shortened as above: the controller answers at once or not at all.
            Timer::ControllerRequestTimeout => ms(5_000, 5_001),
            // Kafka's brokers long-poll the metadata log; once a second is enough to make up for
            // a lost record on loopback.
            Timer::MetadataFetch => ms(1_000, 1_001),
            // ZooKeeper's session is TCP and loses nothing; here only a lost datagram (the write
            // or its answer) leaves a write this long unanswered on loopback.
            Timer::CoordinatorWriteTimeout => ms(5_000, 5_001),
        }
    }
}
