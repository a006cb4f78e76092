//! A counterexample for people: the path the checker found, turned into numbered steps that say
//! who acted, what happened (a delivered message or a timer), which of the actor's fields changed,
//! what it sent to whom, and the partition in Kafka's describe format when leadership or the ISR
//! changed. The last step says why the property broke.

use crate::describe::{self, Fields};
use kelp_model::actor::KelpActor;
use kelp_model::config::Config;
use kelp_model::effects::Address;
use kelp_model::msg::Msg;
use kelp_model::properties::Property;
use kelp_model::system::SystemState;
use kelp_model::view::View;
use serde::{Deserialize, Serialize};
use stateright::actor::{ActorModelAction, Id, Network};
use stateright::Path;

pub type Action = ActorModelAction<<KelpActor as stateright::actor::Actor>::Msg, kelp_model::timer::Timer, ()>;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Change {
    pub field: String,
    pub before: String,
    pub after: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    pub step: usize,
    pub actor: String,
    pub action: String,
    pub changes: Vec<Change>,
    pub sent: Vec<String>,
    /// Partitions whose leader or ISR this step changed, as `kafka-topics --describe` prints them.
    pub partitions: Vec<String>,
    /// Why a delivered message had no effect because it never really arrived (a cut link, a
    /// broker that is down).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lost: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Trace {
    pub property: String,
    pub steps: Vec<Step>,
    /// Why the last state breaks the property (for invariants).
    pub explanation: Option<String>,
}

fn actor_of(action: &Action) -> Option<Id> {
    match action {
        ActorModelAction::Deliver { dst, .. } => Some(*dst),
        ActorModelAction::Timeout(id, _) | ActorModelAction::Crash(id) | ActorModelAction::Recover(id) => Some(*id),
        ActorModelAction::SelectRandom { actor, .. } => Some(*actor),
        ActorModelAction::Drop(env) => Some(env.dst),
    }
}

fn describe_action(cfg: &Config, action: &Action) -> String {
    match action {
        ActorModelAction::Deliver { src, msg, .. } => format!("receives {msg} from {}", Address::of(*src, cfg)),
        ActorModelAction::Timeout(_, timer) => describe::timer(timer),
        ActorModelAction::Drop(env) => format!("loses {} from {}", env.msg, Address::of(env.src, cfg)),
        ActorModelAction::Crash(_) => "crashes".to_string(),
        ActorModelAction::Recover(_) => "recovers".to_string(),
        ActorModelAction::SelectRandom { key, .. } => format!("chooses {key}"),
    }
}

/// The fields whose value changed or that appeared, in the order the actor describes them.
fn diff(before: &Fields, after: &Fields) -> Vec<Change> {
    let mut changes = Vec::new();
    for (field, now) in after {
        let was = before.iter().find(|(f, _)| f == field).map(|(_, v)| v.as_str()).unwrap_or("-");
        if was != now {
            changes.push(Change { field: field.clone(), before: was.to_string(), after: now.clone() });
        }
    }
    // Fields that disappear (a process going down takes its roles with it) are implied by the
    // field that says why, and are not listed.
    changes
}

/// Every message in flight as (source, destination, message). stateright's `Network::iter_all`
/// never ends on an ordered network, so the flows are read directly.
fn in_flight(network: &Network<Msg>) -> Vec<(Id, Id, String)> {
    match network {
        Network::Ordered(flows) => {
            flows.iter().flat_map(|((src, dst), msgs)| msgs.iter().map(move |m| (*src, *dst, m.to_string()))).collect()
        }
        other => other.iter_deliverable().map(|e| (e.src, e.dst, e.msg.to_string())).collect(),
    }
}

/// Messages in `after`'s network that were not in `before`'s: what the step sent.
fn sent(cfg: &Config, before: &SystemState, after: &SystemState) -> Vec<String> {
    let mut old = in_flight(&before.network);
    let mut out = Vec::new();
    for key in in_flight(&after.network) {
        match old.iter().position(|o| *o == key) {
            Some(i) => {
                old.swap_remove(i);
            }
            None => out.push(format!("{} to {}", key.2, Address::of(key.1, cfg))),
        }
    }
    out
}

fn changed_partitions(cfg: &Config, before: &SystemState, after: &SystemState) -> Vec<String> {
    let (b, a) = (View::new(cfg, before).controller(), View::new(cfg, after).controller());
    a.partitions
        .iter()
        .zip(&b.partitions)
        .filter(|(now, was)| now.leader != was.leader || now.isr != was.isr || now.elr != was.elr)
        .map(|(now, _)| now.to_string())
        .collect()
}

/// A message delivered to a broker that is down (its process dead: it reads nothing), or from a
/// producer whose link to it is cut (`Timer::CutLink`): the model consumes it unread, and the
/// step says so.
fn lost(cfg: &Config, before: &SystemState, action: &Action) -> Option<String> {
    let ActorModelAction::Deliver { src, dst, .. } = action else { return None };
    let Address::Broker(broker) = Address::of(*dst, cfg) else { return None };
    let state = View::new(cfg, before).broker(broker);
    if !state.is_up() {
        return Some(format!("lost: broker {broker} is down"));
    }
    let Address::Producer(producer) = Address::of(*src, cfg) else { return None };
    state
        .cut_off_from(producer)
        .then(|| format!("lost: the link between broker {broker} and producer {} is cut", producer.0))
}

pub fn build(cfg: &Config, property: &Property, path: Path<SystemState, Action>) -> Trace {
    let pairs = path.into_vec();
    let mut steps = Vec::new();
    for (i, window) in pairs.windows(2).enumerate() {
        let ((before, action), (after, _)) = (&window[0], &window[1]);
        let action = action.as_ref().expect("every state but the last has an action");
        let Some(id) = actor_of(action) else { continue };
        let actor = Address::of(id, cfg);
        let index = usize::from(id);
        let changes = diff(
            &describe::describe(cfg, actor, &before.actor_states[index]),
            &describe::describe(cfg, actor, &after.actor_states[index]),
        );
        steps.push(Step {
            step: i + 1,
            actor: actor.to_string(),
            action: describe_action(cfg, action),
            changes,
            sent: sent(cfg, before, after),
            partitions: changed_partitions(cfg, before, after),
            lost: lost(cfg, before, action),
        });
    }
    let last = &pairs.last().expect("a path has a state").0;
    let explanation = (property.explain)(&View::new(cfg, last));
    Trace { property: property.name.to_string(), steps, explanation }
}

impl Trace {
    /// The numbered steps as text, indented by `indent`.
    pub fn render(&self, indent: &str) -> String {
        let mut out = String::new();
        for s in &self.steps {
            out.push_str(&format!("{indent}{:>2}. {}: {}\n", s.step, s.actor, s.action));
            if let Some(lost) = &s.lost {
                out.push_str(&format!("{indent}      {lost}\n"));
            }
            for c in &s.changes {
                out.push_str(&format!("{indent}      {}: {} -> {}\n", c.field, c.before, c.after));
            }
            for m in &s.sent {
                out.push_str(&format!("{indent}      sends {m}\n"));
            }
            for p in &s.partitions {
                out.push_str(&format!("{indent}      {}\n", p.replace('\t', "  ")));
            }
        }
        if let Some(why) = &self.explanation {
            out.push_str(&format!("{indent}=> {} violated: {why}\n", self.property));
        }
        out
    }
}
