//! Renaming a producer's state and the actor states as a whole (`KelpState`).

use super::*;

impl Rename for LeaderInfo {
    fn rename(&self, p: &Permutation) -> Self {
        let LeaderInfo { leader, leader_epoch, partition_epoch } = *self;
        LeaderInfo { leader: leader.rename(p), leader_epoch, partition_epoch }
    }
}

impl Rename for InFlight {
    fn rename(&self, p: &Permutation) -> Self {
        let InFlight { sequence, partition, sent_to, attempts } = *self;
        InFlight { sequence, partition, sent_to: sent_to.rename(p), attempts }
    }
}

impl Rename for Outcome {
    fn rename(&self, p: &Permutation) -> Self {
        match *self {
            Outcome::Acked { partition, offset } => Outcome::Acked { partition, offset },
            Outcome::Failed { partition, error } => Outcome::Failed { partition, error: error.rename(p) },
            Outcome::Sent { partition } => Outcome::Sent { partition },
        }
    }
}

impl Rename for ProducerState {
    fn rename(&self, p: &Permutation) -> Self {
        let ProducerState { leaders, in_flight, outcomes } = self;
        ProducerState { leaders: leaders.rename(p), in_flight: in_flight.rename(p), outcomes: outcomes.rename(p) }
    }
}

impl Rename for KelpState {
    fn rename(&self, p: &Permutation) -> Self {
        match self {
            KelpState::Controller(c) => KelpState::Controller(c.rename(p)),
            KelpState::Broker(b) => KelpState::Broker(b.rename(p)),
            KelpState::Producer(q) => KelpState::Producer(q.rename(p)),
            KelpState::Operator(o) => KelpState::Operator(OperatorState { demoted: o.demoted.rename(p) }),
            KelpState::Coordinator(z) => KelpState::Coordinator(z.rename(p)),
        }
    }
}
