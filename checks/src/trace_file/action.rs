//! The action path of a trace file: what happened at each step (a message delivered, a timer
//! fired), with actors named by role (`Address`) instead of stateright's actor ids, so that a file
//! reads without the code and maps back onto the model for replay.

use crate::describe;
use crate::trace::Action;
use kelp_model::config::Config;
use kelp_model::effects::Address;
use kelp_model::msg::Msg;
use kelp_model::timer::Timer;
use serde::{Deserialize, Serialize};
use stateright::actor::ActorModelAction;
use std::fmt;

/// One step of a counterexample: `{"deliver": {"from", "to", "msg"}}` or
/// `{"timeout": {"actor", "timer"}}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum TraceAction {
    Deliver { from: Address, to: Address, msg: Msg },
    Timeout { actor: Address, timer: Timer },
}

impl TraceAction {
    /// The model's action as a trace file records it.
    pub fn of(action: &Action, cfg: &Config) -> TraceAction {
        match action {
            ActorModelAction::Deliver { src, dst, msg } => {
                TraceAction::Deliver { from: Address::of(*src, cfg), to: Address::of(*dst, cfg), msg: msg.clone() }
            }
            ActorModelAction::Timeout(id, timer) => {
                TraceAction::Timeout { actor: Address::of(*id, cfg), timer: *timer }
            }
            ActorModelAction::Drop(_)
            | ActorModelAction::Crash(_)
            | ActorModelAction::Recover(_)
            | ActorModelAction::SelectRandom { .. } => {
                unreachable!("kelp's network loses nothing, and its faults and choices are timers")
            }
        }
    }

    /// The model's action this step stands for.
    pub fn to_model(&self, cfg: &Config) -> Action {
        match self {
            TraceAction::Deliver { from, to, msg } => {
                ActorModelAction::Deliver { src: from.id(cfg), dst: to.id(cfg), msg: msg.clone() }
            }
            TraceAction::Timeout { actor, timer } => ActorModelAction::Timeout(actor.id(cfg), *timer),
        }
    }

    /// Every actor the step names, the one that acts first.
    pub fn addresses(&self) -> Vec<Address> {
        match self {
            TraceAction::Deliver { from, to, .. } => vec![*to, *from],
            TraceAction::Timeout { actor, .. } => vec![*actor],
        }
    }
}

/// `broker 2 receives Fetch{...} from broker 1`, `broker 1: process crash (SIGKILL)`.
impl fmt::Display for TraceAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TraceAction::Deliver { from, to, msg } => write!(f, "{to} receives {msg} from {from}"),
            TraceAction::Timeout { actor, timer } => write!(f, "{actor}: {}", describe::timer(timer)),
        }
    }
}

/// Whether `address` is one of `cfg`'s actors (a file may name a broker the cluster lacks).
pub fn exists(address: Address, cfg: &Config) -> bool {
    let configured = match address {
        Address::Operator => cfg.operator_demotes,
        Address::Coordinator => cfg.has_coordinator(),
        Address::OtherController(c) => (2..=cfg.controllers).contains(&c.0),
        Address::Controller | Address::Broker(_) | Address::Producer(_) => true,
    };
    configured && {
        let id = address.id(cfg);
        usize::from(id) < cfg.actor_count() && Address::of(id, cfg) == address
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kelp_model::ids::{BrokerId, PartitionId, ProducerId, Sequence};

    fn produce() -> Action {
        let msg = Msg::Produce {
            partition: PartitionId(0),
            producer: ProducerId(1),
            sequence: Sequence(0),
            acks: kelp_model::config::Acks::All,
            idempotent: true,
            value: Default::default(),
        };
        ActorModelAction::Deliver { src: 4.into(), dst: 1.into(), msg }
    }

    #[test]
    fn a_delivery_maps_to_roles_and_back() {
        let cfg = Config::default();
        let action = TraceAction::of(&produce(), &cfg);
        let TraceAction::Deliver { from, to, .. } = &action else { panic!("a delivery") };
        assert_eq!((*from, *to), (Address::Producer(ProducerId(1)), Address::Broker(BrokerId(1))));
        assert_eq!(action.to_model(&cfg), produce());
        assert_eq!(action.to_string(), "broker 1 receives Produce{p0 p1#0} from producer 1");
    }

    #[test]
    fn a_timeout_maps_to_roles_and_back() {
        let cfg = Config::default();
        let model = ActorModelAction::Timeout(0.into(), Timer::SessionTimeout(BrokerId(2)));
        let action = TraceAction::of(&model, &cfg);
        assert_eq!(
            action,
            TraceAction::Timeout { actor: Address::Controller, timer: Timer::SessionTimeout(BrokerId(2)) }
        );
        assert_eq!(action.to_model(&cfg), model);
        assert_eq!(action.to_string(), "controller: session of broker 2 expired");
    }

    #[test]
    fn the_json_form_names_roles() {
        let action = TraceAction::Timeout { actor: Address::Broker(BrokerId(1)), timer: Timer::Crash };
        assert_eq!(serde_json::to_string(&action).unwrap(), r#"{"timeout":{"actor":{"Broker":1},"timer":"Crash"}}"#);
        let back: TraceAction = serde_json::from_str(r#"{"timeout":{"actor":{"Broker":1},"timer":"Crash"}}"#).unwrap();
        assert_eq!(back, action);
    }

    #[test]
    fn only_the_configured_actors_exist() {
        let cfg = Config::default();
        assert!(exists(Address::Controller, &cfg));
        assert!(exists(Address::Broker(BrokerId(3)), &cfg));
        assert!(exists(Address::Producer(ProducerId(1)), &cfg));
        for missing in [Address::Broker(BrokerId(0)), Address::Broker(BrokerId(4)), Address::Producer(ProducerId(0))] {
            assert!(!exists(missing, &cfg), "{missing:?}");
        }
        assert!(!exists(Address::Producer(ProducerId(2)), &cfg));
        assert!(!exists(Address::Coordinator, &cfg));
        assert!(!exists(Address::Operator, &cfg));

        let cfg = Config { controllers: 2, ..cfg };
        assert!(exists(Address::Coordinator, &cfg));
        assert!(exists(Address::OtherController(kelp_model::ids::ControllerId(2)), &cfg));
        assert!(!exists(Address::OtherController(kelp_model::ids::ControllerId(3)), &cfg));
        assert!(!exists(Address::Producer(ProducerId(2)), &cfg), "the id of controller 2");
    }
}
