//! Applying a `Permutation` to every piece of the model that names a broker, a producer or an
//! actor: ids, records (which name their producer), messages, timers, the five actor states, the
//! broker's disk, and the whole `SystemState` (whose per-actor vectors are reindexed and whose
//! network is rebuilt with renamed endpoints).
//!
//! Structs are destructured without `..` and enums matched without wildcards, so that a new field
//! or variant does not compile until this module says how it is renamed. Collections the model
//! keeps in broker-id order are rebuilt in that order: `BrokerSet` (a bit set), the controller's
//! registrations (indexed by broker id) and the ISR list of an AlterPartition (built from a
//! `BrokerSet`). Everything else keeps its order: assignment order (`replicas`, a leader's
//! `followers`) is fixed by every group element, and arrival order (`pending_acks`, logs, network
//! flows) is not an order on ids.

mod broker;
mod controller;
mod messages;
mod producer;
mod system;

use super::Permutation;
use crate::actor::KelpState;
use crate::broker::{
    BrokerState, Disk, DiskContents, FaultsSuffered, FetchState, FollowerProgress, LeaderState, ParkedFetch,
    PendingAck, PendingIsr, Process, Replica, ReplicaDisk, Role, Session,
};
use crate::broker_set::BrokerSet;
use crate::controller::{CommittedChanges, ControllerState, Registration};
use crate::coordinator::CoordinatorState;
use crate::effects::Address;
use crate::ids::{BrokerId, ProducerId};
use crate::log::{EpochEnd, EpochEntry, Record, ReplicaLog};
use crate::metadata::PartitionState;
use crate::msg::{
    AlterPartitionError, ClientRequest, ClientResponse, FetchError, FetchRequest, FetchResult, IsrMember, Msg,
    ProduceError,
};
use crate::operator::OperatorState;
use crate::producer::{InFlight, LeaderInfo, Outcome, ProducerState};
use crate::saved::Saved;
use crate::system::SystemState;
use crate::timer::Timer;
use stateright::actor::{Envelope, Id, Network, Timers};
use std::collections::BTreeMap;
use std::sync::Arc;

/// A value with broker, producer or actor ids in it, renamed by a permutation.
pub trait Rename {
    /// This value with every broker id `b` replaced by π(b), every producer id `p` by σ(p), every
    /// actor id by its image, and per-actor collections reindexed accordingly.
    fn rename(&self, p: &Permutation) -> Self;
}

// ---- Ids and generic containers.

impl Rename for BrokerId {
    fn rename(&self, p: &Permutation) -> Self {
        p.broker(*self)
    }
}

impl Rename for ProducerId {
    fn rename(&self, p: &Permutation) -> Self {
        p.producer(*self)
    }
}

impl Rename for Id {
    fn rename(&self, p: &Permutation) -> Self {
        p.actor(*self)
    }
}

impl Rename for Address {
    fn rename(&self, p: &Permutation) -> Self {
        match self {
            Address::Controller => Address::Controller,
            Address::Broker(b) => Address::Broker(b.rename(p)),
            Address::Producer(q) => Address::Producer(q.rename(p)),
            Address::Operator => Address::Operator,
            Address::OtherController(c) => Address::OtherController(*c),
            Address::Coordinator => Address::Coordinator,
        }
    }
}

impl Rename for BrokerSet {
    fn rename(&self, p: &Permutation) -> Self {
        BrokerSet::of(self.iter().map(|b| b.rename(p)))
    }
}

impl<T: Rename> Rename for Option<T> {
    fn rename(&self, p: &Permutation) -> Self {
        self.as_ref().map(|x| x.rename(p))
    }
}

/// Element by element, order kept (see the module docs for the collections re-sorted instead).
impl<T: Rename> Rename for Vec<T> {
    fn rename(&self, p: &Permutation) -> Self {
        self.iter().map(|x| x.rename(p)).collect()
    }
}

impl<T: Rename, E: Rename> Rename for Result<T, E> {
    fn rename(&self, p: &Permutation) -> Self {
        match self {
            Ok(x) => Ok(x.rename(p)),
            Err(e) => Err(e.rename(p)),
        }
    }
}

// ---- Logs.

impl Rename for Record {
    fn rename(&self, p: &Permutation) -> Self {
        Record { producer: self.producer.rename(p), ..self.clone() }
    }
}

impl Rename for EpochEntry {
    fn rename(&self, _: &Permutation) -> Self {
        let EpochEntry { epoch, start_offset } = *self;
        EpochEntry { epoch, start_offset }
    }
}

impl Rename for EpochEnd {
    fn rename(&self, _: &Permutation) -> Self {
        let EpochEnd { epoch, end_offset } = *self;
        EpochEnd { epoch, end_offset }
    }
}

impl Rename for ReplicaLog {
    fn rename(&self, p: &Permutation) -> Self {
        let ReplicaLog { records, epochs } = self;
        ReplicaLog { records: records.rename(p), epochs: epochs.rename(p) }
    }
}
