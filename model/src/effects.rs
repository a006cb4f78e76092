//! What a handler asks the world to do, as plain data: messages to send and whether the broker's
//! disk changed (to be saved). Handlers are pure functions of (state, input) -> (state, effects);
//! `actor.rs` turns effects into stateright `Out` commands, and the runtime into real I/O. Timers are
//! not effects: every actor re-derives the timers it wants from its state after each event.

use crate::config::Config;
use crate::ids::{BrokerId, ControllerId, ProducerId};
use crate::msg::Msg;
use serde::{Deserialize, Serialize};
use stateright::actor::Id;
use std::fmt;

/// Who an actor is, by role. A `Producer` address is any client: the checker's clients are its
/// producers; the reference cluster's consumers and operator tools are clients with ids of their
/// own in the same range.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Address {
    /// The controller: candidate 1, the sole controller unless `Config::controllers` > 1.
    Controller,
    Broker(BrokerId),
    Producer(ProducerId),
    /// The operator of `Config::operator_demotes`.
    Operator,
    /// Controller candidate 2 or 3 (`Config::controllers`).
    OtherController(ControllerId),
    /// The coordination service (ZooKeeper's part) of `Config::controllers` > 1.
    Coordinator,
}

impl Address {
    /// The address of controller candidate `id`.
    pub fn controller(id: ControllerId) -> Address {
        if id.0 == 1 {
            Address::Controller
        } else {
            Address::OtherController(id)
        }
    }

    /// The candidate this address names, if it names one.
    pub fn controller_id(self) -> Option<ControllerId> {
        match self {
            Address::Controller => Some(ControllerId(1)),
            Address::OtherController(id) => Some(id),
            _ => None,
        }
    }

    /// The stateright actor id: controller 0, brokers 1..=n, producers after them, then the
    /// operator, the other controller candidates and the coordinator (see `Config`).
    pub fn id(self, cfg: &Config) -> Id {
        Id::from(match self {
            Address::Controller => 0,
            Address::Broker(b) => b.actor_index(),
            Address::Producer(p) => cfg.producer_actor_index(p),
            Address::Operator => cfg.operator_actor_index().expect("only a configured operator is addressed"),
            Address::OtherController(c) => cfg.controller_actor_index(c),
            Address::Coordinator => cfg.coordinator_actor_index().expect("only a configured coordinator is addressed"),
        })
    }

    pub fn of(id: Id, cfg: &Config) -> Address {
        let index = usize::from(id);
        let brokers = usize::from(cfg.brokers);
        let first_other_controller = cfg.controller_actor_index(ControllerId(2));
        match index {
            0 => Address::Controller,
            i if i <= brokers => Address::Broker(BrokerId(i as u8)),
            i if Some(i) == cfg.operator_actor_index() => Address::Operator,
            i if Some(i) == cfg.coordinator_actor_index() => Address::Coordinator,
            i if cfg.has_coordinator()
                && (first_other_controller..cfg.coordinator_actor_index().unwrap_or(0)).contains(&i) =>
            {
                Address::OtherController(ControllerId((i - first_other_controller) as u8 + 2))
            }
            i => Address::Producer(ProducerId((i - brokers) as u32)),
        }
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Address::Controller => write!(f, "controller"),
            Address::Broker(b) => write!(f, "broker {b}"),
            Address::Producer(p) => write!(f, "producer {}", p.0),
            Address::Operator => write!(f, "operator"),
            Address::OtherController(c) => write!(f, "controller {c}"),
            Address::Coordinator => write!(f, "zookeeper"),
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Effects {
    pub sends: Vec<(Address, Msg)>,
    /// The broker's durable state changed and must be written (append, truncate, checkpoint).
    pub save_disk: bool,
    /// Timers to start afresh even if armed (a heartbeat resets the session timer). The checker
    /// ignores durations, so this only matters to the runtime.
    pub restart_timers: Vec<crate::timer::Timer>,
}

impl Effects {
    pub fn send(&mut self, to: Address, msg: Msg) {
        self.sends.push((to, msg));
    }

    pub fn restart_timer(&mut self, timer: crate::timer::Timer) {
        self.restart_timers.push(timer);
    }
}
