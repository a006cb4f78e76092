//! Every property the checker judges, one file each, with the source it comes from. Safety
//! properties are invariants of each state; `eventually-leader` and `eventually-write-completes`
//! are liveness properties (judged on fair cycles by the native checker); the
//! `sometimes` properties are reachability witnesses that the safety properties are not vacuous
//! (each event they name is reached, so the invariants were tested against it).

mod consistent_read;
mod election_safety;
mod eventually_leader;
mod eventually_write_completes;
mod leader_in_isr;
mod log_matching;
mod no_acked_loss;
mod no_duplicates;
mod reachability;
mod strong_isr;
#[cfg(test)]
mod tests;

use crate::system::{KelpModel, SystemState};
use crate::view::View;
use stateright::Expectation;

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Always,
    Sometimes,
    Eventually,
}

impl Kind {
    pub fn expectation(self) -> Expectation {
        match self {
            Kind::Always => Expectation::Always,
            Kind::Sometimes => Expectation::Sometimes,
            Kind::Eventually => Expectation::Eventually,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Kind::Always => "always",
            Kind::Sometimes => "sometimes",
            Kind::Eventually => "eventually",
        }
    }
}

pub struct Property {
    pub name: &'static str,
    pub kind: Kind,
    /// What it says, and where it comes from (TLA+ spec, KIP, Kafka's documentation).
    pub description: &'static str,
    /// The stateright condition: an invariant that holds, or an event that is reached.
    pub condition: fn(&KelpModel, &SystemState) -> bool,
    /// For invariants: why this state breaks it, in the words of a Kafka engineer.
    pub explain: fn(&View<'_>) -> Option<String>,
}

macro_rules! invariant {
    ($name:literal, $module:ident) => {
        Property {
            name: $name,
            kind: Kind::Always,
            description: $module::DESCRIPTION,
            condition: |m, s| $module::violation(&View::new(&m.cfg, s)).is_none(),
            explain: $module::violation,
        }
    };
}

/// A liveness goal: false in most states on the way to it, so its condition (`holds`) does not
/// build the explanation.
macro_rules! goal {
    ($name:literal, $module:ident) => {
        Property {
            name: $name,
            kind: Kind::Eventually,
            description: $module::DESCRIPTION,
            condition: |m, s| $module::holds(&View::new(&m.cfg, s)),
            explain: $module::violation,
        }
    };
}

macro_rules! reachable {
    ($name:literal, $fn:ident, $description:literal) => {
        Property {
            name: $name,
            kind: Kind::Sometimes,
            description: $description,
            condition: |m, s| reachability::$fn(&View::new(&m.cfg, s)),
            explain: |_| None,
        }
    };
}

pub const ALL: &[Property] = &[
    invariant!("no-acked-loss", no_acked_loss),
    invariant!("strong-isr", strong_isr),
    invariant!("log-matching", log_matching),
    invariant!("consistent-read", consistent_read),
    invariant!("election-safety", election_safety),
    invariant!("leader-in-isr", leader_in_isr),
    invariant!("no-duplicates", no_duplicates),
    goal!("eventually-leader", eventually_leader),
    goal!("eventually-write-completes", eventually_write_completes),
    reachable!("record-acknowledged", record_acknowledged, "A producer was told a record is acknowledged."),
    reachable!("record-rejected", record_rejected, "A producer was told a record failed (retries exhausted)."),
    reachable!("leader-changed", leader_changed, "The controller elected a second leader epoch."),
    reachable!("isr-shrunk", isr_shrunk, "An ISR lost a member."),
    reachable!("log-truncated", log_truncated, "A follower truncated records from its log."),
    reachable!("process-crash", process_crash, "A broker process was killed."),
    reachable!("power-loss", power_loss, "A broker lost power (and its unflushed records)."),
];

pub fn by_name(name: &str) -> Option<&'static Property> {
    ALL.iter().find(|p| p.name == name)
}
