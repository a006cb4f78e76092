//! A trace as a sequence diagram, before it is drawn: the participants (controller, brokers,
//! producers), each delivered message as an arrow from sender to receiver, each timer or fault as
//! a note over its actor, and the broken property as a note over everyone at the end. `mermaid`
//! and `svg` draw this one description, so the two drawings cannot drift apart.

use super::action::TraceAction;
use super::TraceFile;
use kelp_model::config::Config;
use kelp_model::effects::Address;
use stateright::actor::Id;

/// Labels and notes are wrapped to lines of at most this many characters (a longer word stays whole).
const WRAP: usize = 48;
/// The verdict note spans the whole diagram: it may be wider.
const WRAP_VERDICT: usize = 80;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// A delivered message: participants by index.
    Message { from: usize, to: usize, lines: Vec<String> },
    /// A timer or fault at one participant.
    Note { over: usize, lines: Vec<String> },
    /// The broken property, over every participant.
    Verdict { lines: Vec<String> },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagram {
    pub participants: Vec<Address>,
    pub events: Vec<Event>,
}

/// `Controller`, `Broker 1`, `Producer 1`.
pub fn title(actor: Address) -> String {
    match actor {
        Address::Controller => "Controller".to_string(),
        Address::Broker(b) => format!("Broker {b}"),
        Address::Producer(p) => format!("Producer {}", p.0),
        Address::Operator => "Operator".to_string(),
        Address::OtherController(c) => format!("Controller {c}"),
        Address::Coordinator => "ZooKeeper".to_string(),
    }
}

impl Diagram {
    pub fn of(file: &TraceFile) -> Diagram {
        let cfg = &file.config;
        let actors = kelp_model::actor::cluster_actors(&std::sync::Arc::new(cfg.clone())).len();
        let participants = (0..actors).map(|i| Address::of(Id::from(i), cfg)).collect();
        let mut events: Vec<Event> = file
            .actions
            .iter()
            .enumerate()
            .map(|(i, action)| {
                let step = i + 1;
                match action {
                    TraceAction::Deliver { from, to, msg } => {
                        let mut lines = wrap(&format!("{step}. {msg}"), WRAP);
                        if let Some(lost) = file.steps.get(i).and_then(|s| s.lost.as_ref()) {
                            lines.extend(wrap(&format!("({lost})"), WRAP));
                        }
                        Event::Message { from: index(*from, cfg), to: index(*to, cfg), lines }
                    }
                    TraceAction::Timeout { actor, timer } => Event::Note {
                        over: index(*actor, cfg),
                        lines: wrap(&format!("{step}. {}", crate::describe::timer(timer)), WRAP),
                    },
                }
            })
            .collect();
        let verdict = format!("{} violated: {}", file.property, file.explanation);
        events.push(Event::Verdict { lines: wrap(&verdict, WRAP_VERDICT) });
        Diagram { participants, events }
    }
}

/// A participant's position: its actor index (trace files are checked to name only actors the
/// configuration has).
fn index(actor: Address, cfg: &Config) -> usize {
    usize::from(actor.id(cfg))
}

/// Splits `text` at spaces into lines of at most `width` characters.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    lines.push(line);
    lines
}

#[cfg(test)]
mod tests {
    use super::wrap;

    #[test]
    fn wraps_at_spaces_and_keeps_long_words_whole() {
        assert_eq!(wrap("a bb ccc", 4), ["a bb", "ccc"]);
        assert_eq!(wrap("abcdefgh ij", 4), ["abcdefgh", "ij"]);
        assert_eq!(wrap("short", 40), ["short"]);
    }
}
