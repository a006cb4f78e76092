//! kelp's model of Apache Kafka partition replication and leader election: a KRaft controller,
//! brokers and producers as stateright actors, with every rule named after the Kafka mechanism or
//! KIP it stands for. Pure: no sockets, clocks or files. `system::build` gives the checkable model;
//! `actor::KelpActor` is what the networked runtime runs.

pub mod actor;
pub mod broker;
pub mod broker_set;
pub mod config;
pub mod controller;
pub mod coordinator;
pub mod effects;
pub mod ids;
pub mod log;
pub mod metadata;
pub mod msg;
mod msg_display;
pub mod msg_nesting;
pub mod operator;
pub mod producer;
pub mod properties;
pub mod rules;
pub mod saved;
pub mod symmetry;
pub mod system;
pub mod timer;
pub mod view;
