//! `trace.md`: the counterexample as a story for review. A title with the scenario and the
//! one-line verdict, the property, the configuration, the controller's view at the start, then
//! numbered steps (who acted and on what, the fields that changed `before -> after`, the messages
//! sent, the partition in `kafka-topics --describe` form where leadership or the ISR changed), the
//! broken property in words at the last step, and the Mermaid sequence diagram. `kelp trace show`
//! prints the same text without the diagram, or with every field of every actor (`--full`).

use super::action::TraceAction;
use super::sequence::Diagram;
use super::{mermaid, Snapshot, TraceFile};
use crate::report::config_summary;
use crate::trace::Step;
use kelp_model::properties;

#[derive(Clone, Copy, Debug, Default)]
pub struct Options {
    /// The Mermaid diagram and the pointers to the other files (trace.md has them; `show` not).
    pub diagram: bool,
    /// Every field of every actor at the start and after every step, not only what changed.
    pub full: bool,
}

/// A value as inline code (an empty one as `(empty)`).
fn code(value: &str) -> String {
    if value.is_empty() {
        "(empty)".to_string()
    } else {
        format!("`{value}`")
    }
}

/// `- field: value` lines for every actor of a snapshot, indented by `indent`.
fn snapshot(out: &mut String, indent: &str, state: &Snapshot) {
    for (actor, fields) in &state.0 {
        out.push_str(&format!("{indent}- {actor}:\n"));
        for (field, value) in &fields.0 {
            out.push_str(&format!("{indent}  - {field}: {}\n", code(value)));
        }
    }
}

fn heading(action: &TraceAction) -> String {
    match action {
        TraceAction::Deliver { from, to, msg } => format!("**{to}** receives {} from {from}", code(&msg.to_string())),
        TraceAction::Timeout { actor, timer } => format!("**{actor}**: {}", crate::describe::timer(timer)),
    }
}

fn step(out: &mut String, step: &Step, action: &TraceAction, after: Option<&Snapshot>) {
    let marker = format!("{}. ", step.step);
    let indent = " ".repeat(marker.len());
    out.push_str(&format!("{marker}{}\n", heading(action)));
    if let Some(lost) = &step.lost {
        out.push_str(&format!("{indent}- {lost}\n"));
    }
    for c in &step.changes {
        out.push_str(&format!("{indent}- {}: {} -> {}\n", c.field, code(&c.before), code(&c.after)));
    }
    for sent in &step.sent {
        let line = match sent.rsplit_once(" to ") {
            Some((msg, to)) => format!("sends {} to {to}", code(msg)),
            None => format!("sends {}", code(sent)),
        };
        out.push_str(&format!("{indent}- {line}\n"));
    }
    for p in &step.partitions {
        out.push_str(&format!("{indent}- {}\n", code(p.replace('\t', "  ").trim_end())));
    }
    if let Some(state) = after {
        out.push_str(&format!("{indent}- every field after step {}:\n", step.step));
        snapshot(out, &format!("{indent}  "), state);
    }
}

pub fn render(file: &TraceFile, options: Options) -> String {
    let mut out = format!("# {}: {}\n\n", file.scenario, file.verdict);
    out.push_str(&format!("Scenario `{}`: {}\n\n", file.scenario, file.description));
    match properties::by_name(&file.property) {
        Some(p) => out.push_str(&format!("Property `{}` ({}): {}\n\n", p.name, p.kind.name(), p.description)),
        None => out.push_str(&format!("Property `{}`\n\n", file.property)),
    }
    out.push_str(&format!("## Configuration\n\n{}\n\n## Steps\n\n", config_summary(&file.config)));
    let start = file.states.first();
    match (options.full, start) {
        (true, Some(state)) => {
            out.push_str("At the start:\n\n");
            snapshot(&mut out, "", state);
        }
        (false, Some(state)) => {
            out.push_str("At the start, the controller has:\n\n");
            for (field, value) in state.0.iter().filter(|(actor, _)| actor == "controller").flat_map(|(_, f)| &f.0) {
                out.push_str(&format!("- {field}: {}\n", code(value)));
            }
        }
        (_, None) => {}
    }
    out.push('\n');
    for (i, (s, action)) in file.steps.iter().zip(&file.actions).enumerate() {
        if file.loop_start == Some(i) {
            // A blank line first: right after a step's last bullet, Markdown would read the
            // marker as part of that bullet.
            out.push_str(&format!(
                "\n*The cycle: from here, steps {}-{} repeat for ever (the state after step {} is the state after step {i}).*\n\n",
                i + 1,
                file.steps.len(),
                file.steps.len(),
            ));
        }
        let after = if options.full { file.states.get(i + 1) } else { None };
        step(&mut out, s, action, after);
    }
    let indent = file.steps.last().map_or(0, |s| format!("{}. ", s.step).len());
    let verdict = format!("**{} violated:** {}", file.property, file.explanation);
    if file.steps.is_empty() {
        out.push_str(&format!("{verdict}\n"));
    } else {
        out.push_str(&format!("\n{}{verdict}\n", " ".repeat(indent)));
    }
    if options.diagram {
        out.push_str("\n## Sequence diagram\n\n```mermaid\n");
        out.push_str(&mermaid::render(&Diagram::of(file)));
        out.push_str(
            "```\n\nThe same diagram as an image: [trace.svg](trace.svg). `trace.json` holds the whole trace, \
             every field of every actor after every step (`kelp trace show --full trace.json` prints them); \
             `kelp trace replay trace.json` re-runs it against today's model.\n",
        );
    }
    out
}
