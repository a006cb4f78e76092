//! Counterexample traces as files people review: `trace.json` (everything, for tools and for
//! `kelp trace show|replay`), `trace.md` (the story, with a Mermaid sequence diagram GitHub
//! renders) and `trace.svg` (the same diagram drawn by kelp itself). One module per concern:
//! `action` (the action path), `record` (a file from a counterexample path), `json` (reading and
//! checking a file), `markdown`, `sequence` (the diagram's events), `mermaid` and `svg` (its two
//! drawings), `write` (a counterexample's directory), `committed` (the matrix against the
//! committed traces).

pub mod action;
pub mod committed;
pub mod json;
pub mod markdown;
pub mod mermaid;
pub mod ordered;
pub mod record;
pub mod sequence;
pub mod svg;
#[cfg(test)]
mod tests;
pub mod write;

use crate::trace::Step;
use action::TraceAction;
use kelp_model::config::Config;
use ordered::Ordered;
use serde::{Deserialize, Serialize};

/// The format's version; a reader refuses any other.
pub const VERSION: u32 = 1;

/// Every actor's described fields (`describe::describe`), actors in actor order.
pub type Snapshot = Ordered<Ordered<String>>;

/// One counterexample: the scenario and property it breaks, the configuration it ran, the action
/// path, the steps as the text report tells them, the full state before the first step and after
/// each one, and why the last state breaks the property.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TraceFile {
    pub version: u32,
    pub scenario: String,
    pub description: String,
    pub property: String,
    /// One line: `no-acked-loss violated after 6 steps`.
    pub verdict: String,
    pub config: Config,
    pub actions: Vec<TraceAction>,
    pub steps: Vec<Step>,
    /// `actions.len() + 1` snapshots: the initial state, then the state after each step.
    pub states: Vec<Snapshot>,
    pub explanation: String,
    /// For an `eventually` property broken by a fair cycle: the step after which the cycle starts
    /// (the state after the last step is the state after this one again). Absent for a run that
    /// ends where nothing more can happen, and for every other property.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loop_start: Option<usize>,
}
