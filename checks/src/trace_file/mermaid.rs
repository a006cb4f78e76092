//! The sequence diagram as Mermaid `sequenceDiagram` source, which GitHub renders inside a
//! ```` ```mermaid ```` block. Mermaid ends a message's text at `#` or `;` and reads `<`, `>` as
//! HTML, so those are written as Mermaid entity codes; wrapped lines are joined with `<br/>`.

use super::sequence::{title, Diagram, Event};
use kelp_model::effects::Address;

/// `C`, `B1`, `P1`: the names the diagram's lines use.
fn id(actor: Address) -> String {
    match actor {
        Address::Controller => "C".to_string(),
        Address::Broker(b) => format!("B{b}"),
        Address::Producer(p) => format!("P{}", p.0),
        Address::Operator => "O".to_string(),
        Address::OtherController(c) => format!("C{c}"),
        Address::Coordinator => "ZK".to_string(),
    }
}

fn escape(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    for c in line.chars() {
        match c {
            '#' => out.push_str("#35;"),
            ';' => out.push_str("#59;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            c => out.push(c),
        }
    }
    out
}

fn text(lines: &[String]) -> String {
    lines.iter().map(|l| escape(l)).collect::<Vec<_>>().join("<br/>")
}

pub fn render(diagram: &Diagram) -> String {
    let mut out = String::from("sequenceDiagram\n");
    for actor in &diagram.participants {
        out.push_str(&format!("    participant {} as {}\n", id(*actor), title(*actor)));
    }
    let name = |i: usize| id(diagram.participants[i]);
    for event in &diagram.events {
        let line = match event {
            Event::Message { from, to, lines } => format!("{}->>{}: {}", name(*from), name(*to), text(lines)),
            Event::Note { over, lines } => format!("Note over {}: {}", name(*over), text(lines)),
            Event::Verdict { lines } => {
                let last = diagram.participants.len() - 1;
                format!("Note over {},{}: {}", name(0), name(last), text(lines))
            }
        };
        out.push_str(&format!("    {line}\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn mermaid_specials_become_entity_codes() {
        assert_eq!(escape("Produce{p0 p1#0}; a<b>"), "Produce{p0 p1#35;0}#59; a#lt;b#gt;");
    }
}
