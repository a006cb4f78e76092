//! The one stateright `Actor` of the model: an enum over the controller, broker and producer
//! roles. It turns stateright events into calls of the pure handlers and their `Effects` back into
//! `Out` commands: sends, disk saves, and the timers each actor wants in its new state. The
//! checker (`system.rs`) and the networked runtime (`impl/`) both drive this same code.

use crate::broker::{BrokerState, Ctx, Disk};
use crate::config::Config;
use crate::controller::ControllerState;
use crate::effects::{Address, Effects};
use crate::ids::{BrokerId, ProducerId};
use crate::log::Value;
use crate::msg::Msg;
use crate::operator::OperatorState;
use crate::producer::ProducerState;
use crate::timer::Timer;
use serde::{Deserialize, Serialize};
use stateright::actor::{Actor, Id, Out};
use std::borrow::Cow;
use std::sync::Arc;

#[derive(Clone, Debug)]
pub struct KelpActor {
    pub cfg: Arc<Config>,
    pub role: Address,
    /// A producer's record values by sequence: the application's input, like the configuration,
    /// so not part of the state. Empty in the checker, whose records carry no payload.
    pub values: Arc<[Value]>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum KelpState {
    Controller(ControllerState),
    Broker(BrokerState),
    Producer(ProducerState),
    Operator(OperatorState),
}

impl KelpActor {
    pub fn new(cfg: Arc<Config>, role: Address) -> Self {
        KelpActor { cfg, role, values: Arc::from([]) }
    }

    /// A producer that sends `values` (record `s` carries `values[s]`).
    pub fn producer_of(cfg: Arc<Config>, me: ProducerId, values: Arc<[Value]>) -> Self {
        KelpActor { cfg, role: Address::Producer(me), values }
    }

    /// Attaches the application's payload to a produce request the producer's handlers built.
    fn with_value(&self, msg: Msg) -> Msg {
        match msg {
            Msg::Produce { partition, producer, sequence, acks, idempotent, .. } => {
                let value = self.values.get(sequence.index()).cloned().unwrap_or_default();
                Msg::Produce { partition, producer, sequence, acks, idempotent, value }
            }
            other => other,
        }
    }

    fn broker_ctx(&self, me: BrokerId) -> Ctx<'_> {
        Ctx { cfg: &self.cfg, me }
    }

    /// Carries out a handler's effects, then re-arms exactly the timers the new state wants.
    fn apply(&self, state: &KelpState, fx: Effects, o: &mut Out<Self>) {
        for (to, msg) in fx.sends {
            // A cut link (`Timer::CutLink`) loses what the broker sends to that producer.
            if let (KelpState::Broker(b), Address::Producer(p)) = (state, to) {
                if b.cut_off_from(p) {
                    continue;
                }
            }
            o.send(to.id(&self.cfg), self.with_value(msg));
        }
        let (wanted, all) = match (state, self.role) {
            (KelpState::Controller(c), _) => (c.wanted_timers(&self.cfg), ControllerState::all_timers(&self.cfg)),
            (KelpState::Broker(b), Address::Broker(me)) => {
                if fx.save_disk {
                    o.save(b.disk.clone());
                }
                let ctx = self.broker_ctx(me);
                (b.wanted_timers(ctx), BrokerState::all_timers(ctx))
            }
            (KelpState::Producer(p), _) => (p.wanted_timers(&self.cfg), vec![Timer::RequestTimeout]),
            (KelpState::Operator(_), _) => (Vec::new(), Vec::new()),
            (KelpState::Broker(_), _) => unreachable!("broker state in a non-broker actor"),
        };
        for timer in all {
            if wanted.contains(&timer) {
                if fx.restart_timers.contains(&timer) {
                    o.cancel_timer(timer);
                }
                o.set_timer(timer, timer.duration());
            } else {
                o.cancel_timer(timer);
            }
        }
    }

    fn handle(&self, state: &mut Cow<KelpState>, o: &mut Out<Self>, event: impl FnOnce(&mut KelpState, &mut Effects)) {
        let mut fx = Effects::default();
        let next = state.to_mut();
        event(next, &mut fx);
        self.apply(next, fx, o);
    }
}

impl Actor for KelpActor {
    type Msg = Msg;
    type State = KelpState;
    type Timer = Timer;
    type Random = ();
    type Storage = Disk;

    fn on_start(&self, _id: Id, storage: &Option<Disk>, o: &mut Out<Self>) -> KelpState {
        let mut fx = Effects::default();
        let state = match (self.role, storage) {
            (Address::Controller, _) => KelpState::Controller(ControllerState::bootstrap(&self.cfg)),
            (Address::Broker(me), None) => {
                KelpState::Broker(BrokerState::bootstrap(self.broker_ctx(me), &bootstrap_records(&self.cfg), &mut fx))
            }
            (Address::Broker(me), Some(disk)) => KelpState::Broker(BrokerState::start_from_disk(
                self.broker_ctx(me),
                disk.clone(),
                Default::default(),
                &mut fx,
            )),
            (Address::Producer(me), _) => {
                KelpState::Producer(ProducerState::bootstrap(&self.cfg, me, &bootstrap_records(&self.cfg), &mut fx))
            }
            (Address::Operator, _) => KelpState::Operator(OperatorState::default()),
        };
        self.apply(&state, fx, o);
        state
    }

    fn on_msg(&self, _id: Id, state: &mut Cow<KelpState>, src: Id, msg: Msg, o: &mut Out<Self>) {
        let cfg = &self.cfg;
        let src = Address::of(src, cfg);
        // ... and what the producer sends over it never arrives.
        if let (KelpState::Broker(b), Address::Producer(p)) = (state.as_ref(), src) {
            if b.cut_off_from(p) {
                return;
            }
        }
        if let Msg::Request(request) = msg {
            return self.handle(state, o, |s, fx| {
                let response = match (s, self.role) {
                    (KelpState::Controller(c), _) => c.on_client_request(cfg, request, fx),
                    (KelpState::Broker(b), Address::Broker(me)) => b.on_client_request(self.broker_ctx(me), request),
                    _ => None,
                };
                // A request is answered to whoever sent it (Kafka: on the same connection).
                if let Some(response) = response {
                    fx.send(src, Msg::Response(response));
                }
            });
        }
        self.handle(state, o, |s, fx| match (s, self.role) {
            (KelpState::Controller(c), _) => c.on_msg(cfg, msg, fx),
            (KelpState::Broker(b), Address::Broker(me)) => b.on_msg(self.broker_ctx(me), msg, fx),
            (KelpState::Producer(p), Address::Producer(me)) => p.on_msg(cfg, me, src, msg, fx),
            (KelpState::Operator(op), _) => op.on_msg(cfg, msg, fx),
            _ => unreachable!("state and role disagree"),
        });
    }

    fn on_timeout(&self, _id: Id, state: &mut Cow<KelpState>, timer: &Timer, o: &mut Out<Self>) {
        let cfg = &self.cfg;
        let timer = *timer;
        self.handle(state, o, |s, fx| match (s, self.role) {
            (KelpState::Controller(c), _) => c.on_timer(cfg, timer, fx),
            (KelpState::Broker(b), Address::Broker(me)) => b.on_timer(self.broker_ctx(me), timer, fx),
            (KelpState::Producer(p), Address::Producer(me)) => p.on_timer(cfg, me, timer, fx),
            (KelpState::Operator(_), _) => {}
            _ => unreachable!("state and role disagree"),
        });
    }
}

impl KelpState {
    pub fn as_controller(&self) -> Option<&ControllerState> {
        match self {
            KelpState::Controller(c) => Some(c),
            _ => None,
        }
    }
    pub fn as_broker(&self) -> Option<&BrokerState> {
        match self {
            KelpState::Broker(b) => Some(b),
            _ => None,
        }
    }
    pub fn as_operator(&self) -> Option<&OperatorState> {
        match self {
            KelpState::Operator(o) => Some(o),
            _ => None,
        }
    }
    pub fn as_producer(&self) -> Option<&ProducerState> {
        match self {
            KelpState::Producer(p) => Some(p),
            _ => None,
        }
    }
}

/// The partition records of the freshly formatted cluster, which every broker and client has
/// applied when the model starts.
fn bootstrap_records(cfg: &Config) -> Vec<crate::metadata::PartitionState> {
    ControllerState::bootstrap(cfg).partitions
}

/// The actors of a cluster, in actor-id order: controller, brokers, producers, the operator if
/// configured.
pub fn cluster_actors(cfg: &Arc<Config>) -> Vec<KelpActor> {
    std::iter::once(Address::Controller)
        .chain(cfg.broker_ids().map(Address::Broker))
        .chain(cfg.producer_ids().map(Address::Producer))
        .chain(cfg.operator_demotes.then_some(Address::Operator))
        .map(|role| KelpActor::new(cfg.clone(), role))
        .collect()
}
