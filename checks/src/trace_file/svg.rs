//! The sequence diagram drawn as SVG by kelp itself (no external tool): a box and a dashed
//! lifeline per participant, an arrow per delivered message with its label above (haloed in white
//! where it crosses a lifeline), a yellow note per timer or fault, a red note for the broken
//! property. Text is monospace, so its width is known well enough to space the lifelines;
//! coordinates are whole pixels, so the output is stable.

use super::sequence::{title, Diagram, Event};

const MARGIN: i64 = 20;
/// Width of one character at the 12 px monospace font, in tenths of a pixel (7.3 px).
const CHAR_TENTHS: i64 = 73;
const LINE_H: i64 = 15;
const BOX_H: i64 = 32;
const PAD: i64 = 10;
const MIN_GAP: i64 = 140;
/// How far a message to its own sender loops out to the right.
const LOOP_W: i64 = 30;

const INK: &str = "#333333";
const FONT: &str = "ui-monospace, SFMono-Regular, Menlo, Consolas, 'DejaVu Sans Mono', monospace";

fn text_width(s: &str) -> i64 {
    (s.chars().count() as i64 * CHAR_TENTHS + 9) / 10
}

fn lines_width(lines: &[String]) -> i64 {
    lines.iter().map(|l| text_width(l)).max().unwrap_or(0)
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// Where the lifelines go: the gaps between neighbours and the room left of the first and right
/// of the last, each at least what the labels and notes next to it need.
struct Columns {
    left: i64,
    gaps: Vec<i64>,
    right: i64,
    boxes: Vec<i64>,
}

impl Columns {
    fn new(diagram: &Diagram) -> Columns {
        let boxes: Vec<i64> = diagram.participants.iter().map(|a| text_width(&title(*a)) + 2 * PAD).collect();
        let last = boxes.len() - 1;
        let gaps = boxes.windows(2).map(|w| MIN_GAP.max(w[0] / 2 + w[1] / 2 + PAD)).collect();
        let mut columns = Columns { left: boxes[0] / 2, gaps, right: boxes[last] / 2, boxes };
        for event in &diagram.events {
            match event {
                Event::Message { from, to, lines } if from == to => {
                    columns.after(*from, LOOP_W + 2 * PAD + lines_width(lines));
                }
                Event::Message { from, to, lines } => {
                    columns.span((*from).min(*to), (*from).max(*to), lines_width(lines) + 3 * PAD);
                }
                Event::Note { over, lines } => {
                    let half = (lines_width(lines) + 2 * PAD) / 2 + PAD;
                    columns.before(*over, half);
                    columns.after(*over, half);
                }
                Event::Verdict { lines } => {
                    let needed = lines_width(lines) + 2 * PAD - columns.boxes[0] / 2 - columns.boxes[last] / 2;
                    columns.span(0, last, needed);
                }
            }
        }
        columns
    }

    /// At least `room` between lifeline `i` and whatever lies to its left.
    fn before(&mut self, i: usize, room: i64) {
        match i {
            0 => self.left = self.left.max(room),
            i => self.gaps[i - 1] = self.gaps[i - 1].max(room),
        }
    }

    /// At least `room` between lifeline `i` and whatever lies to its right.
    fn after(&mut self, i: usize, room: i64) {
        match self.gaps.get_mut(i) {
            Some(gap) => *gap = (*gap).max(room),
            None => self.right = self.right.max(room),
        }
    }

    /// At least `room` between lifelines `lo` and `hi`, the missing room shared by the gaps between.
    fn span(&mut self, lo: usize, hi: usize, room: i64) {
        if lo == hi {
            self.right = self.right.max(room);
            return;
        }
        let missing = room - self.gaps[lo..hi].iter().sum::<i64>();
        if missing > 0 {
            let n = (hi - lo) as i64;
            for gap in &mut self.gaps[lo..hi] {
                *gap += (missing + n - 1) / n;
            }
        }
    }

    fn x(&self, i: usize) -> i64 {
        MARGIN + self.left + self.gaps[..i].iter().sum::<i64>()
    }

    fn width(&self) -> i64 {
        self.x(self.gaps.len()) + self.right + MARGIN
    }
}

/// A message label over a lifeline stays readable: white outline behind the letters.
const HALO: &str = "stroke=\"#ffffff\" stroke-width=\"4\" stroke-linejoin=\"round\" paint-order=\"stroke\"";

/// A message label: `texts` with a halo.
fn label(out: &mut String, x: i64, y: i64, lines: &[String], anchor: &str) {
    out.push_str(&format!("  <g {HALO}>\n"));
    texts(out, x, y, lines, anchor);
    out.push_str("  </g>\n");
}

/// `lines` as one `<text>` each, anchored at `x`, the first baseline at `y`.
fn texts(out: &mut String, x: i64, y: i64, lines: &[String], anchor: &str) {
    for (j, line) in lines.iter().enumerate() {
        out.push_str(&format!(
            "  <text x=\"{x}\" y=\"{}\" text-anchor=\"{anchor}\">{}</text>\n",
            y + j as i64 * LINE_H,
            escape(line)
        ));
    }
}

fn note(out: &mut String, x0: i64, x1: i64, y: i64, lines: &[String], fill: &str, stroke: &str) -> i64 {
    let height = lines.len() as i64 * LINE_H + PAD;
    out.push_str(&format!(
        "  <rect x=\"{x0}\" y=\"{y}\" width=\"{}\" height=\"{height}\" fill=\"{fill}\" stroke=\"{stroke}\"/>\n",
        x1 - x0
    ));
    texts(out, (x0 + x1) / 2, y + PAD / 2 + LINE_H - 3, lines, "middle");
    height
}

fn participant_boxes(out: &mut String, diagram: &Diagram, columns: &Columns, y: i64) {
    for (i, actor) in diagram.participants.iter().enumerate() {
        let (x, w) = (columns.x(i), columns.boxes[i]);
        out.push_str(&format!(
            "  <rect x=\"{}\" y=\"{y}\" width=\"{w}\" height=\"{BOX_H}\" rx=\"4\" fill=\"#eaf2fb\" stroke=\"#4a78b5\"/>\n",
            x - w / 2
        ));
        texts(out, x, y + BOX_H / 2 + 4, &[title(*actor)], "middle");
    }
}

/// The SVG document; `caption` is its title (shown as a tooltip, read by screen readers).
pub fn render(diagram: &Diagram, caption: &str) -> String {
    let columns = Columns::new(diagram);
    let last = diagram.participants.len() - 1;
    let mut body = String::new();
    let mut y = MARGIN + BOX_H + 2 * PAD;
    for event in &diagram.events {
        match event {
            Event::Message { from, to, lines } => {
                let label_h = lines.len() as i64 * LINE_H;
                let (x0, x1) = (columns.x(*from), columns.x(*to));
                let arrow_y = y + label_h + 4;
                if from == to {
                    label(&mut body, x0 + LOOP_W + PAD, y + LINE_H - 3, lines, "start");
                    body.push_str(&format!(
                        "  <path d=\"M{x0},{arrow_y} h{LOOP_W} v{PAD} h-{LOOP_W}\" fill=\"none\" stroke=\"{INK}\" \
                         stroke-width=\"1.5\" marker-end=\"url(#arrow)\"/>\n"
                    ));
                    y = arrow_y + PAD;
                } else {
                    label(&mut body, (x0 + x1) / 2, y + LINE_H - 3, lines, "middle");
                    body.push_str(&format!(
                        "  <line x1=\"{x0}\" y1=\"{arrow_y}\" x2=\"{x1}\" y2=\"{arrow_y}\" stroke=\"{INK}\" \
                         stroke-width=\"1.5\" marker-end=\"url(#arrow)\"/>\n"
                    ));
                    y = arrow_y;
                }
            }
            Event::Note { over, lines } => {
                let half = (lines_width(lines) + 2 * PAD) / 2;
                let x = columns.x(*over);
                y += note(&mut body, x - half, x + half, y, lines, "#fff7cc", "#c9a900");
            }
            Event::Verdict { lines } => {
                let x0 = columns.x(0) - columns.boxes[0] / 2;
                let x1 = columns.x(last) + columns.boxes[last] / 2;
                y += note(&mut body, x0, x1, y, lines, "#fde2e1", "#c0392b");
            }
        }
        y += 2 * PAD;
    }
    let bottom = y;
    let (width, height) = (columns.width(), bottom + BOX_H + MARGIN);
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" \
         font-family=\"{FONT}\" font-size=\"12\" fill=\"{INK}\">\n  <title>{}</title>\n\
         \x20 <defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"8\" markerHeight=\"8\" \
         orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"{INK}\"/></marker></defs>\n\
         \x20 <rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n",
        escape(caption)
    );
    for i in 0..diagram.participants.len() {
        let x = columns.x(i);
        out.push_str(&format!(
            "  <line x1=\"{x}\" y1=\"{}\" x2=\"{x}\" y2=\"{bottom}\" stroke=\"#999999\" stroke-dasharray=\"4 4\"/>\n",
            MARGIN + BOX_H
        ));
    }
    participant_boxes(&mut out, diagram, &columns, MARGIN);
    participant_boxes(&mut out, diagram, &columns, bottom);
    out.push_str(&body);
    out.push_str("</svg>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use kelp_model::effects::Address;
    use kelp_model::ids::BrokerId;

    #[test]
    fn text_is_escaped_for_xml() {
        assert_eq!(escape("a<b & \"c\" 'd'>"), "a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;");
    }

    #[test]
    fn a_long_label_pushes_its_lifelines_apart() {
        let participants = vec![Address::Controller, Address::Broker(BrokerId(1)), Address::Broker(BrokerId(2))];
        let short = Diagram { participants: participants.clone(), events: vec![] };
        let label = vec!["x".repeat(100)];
        let long = Diagram { participants, events: vec![Event::Message { from: 0, to: 2, lines: label.clone() }] };
        let (short, long) = (Columns::new(&short), Columns::new(&long));
        assert_eq!(short.gaps, [MIN_GAP, MIN_GAP]);
        assert!(long.x(2) - long.x(0) >= lines_width(&label) + 3 * PAD, "{:?}", long.gaps);
    }
}
