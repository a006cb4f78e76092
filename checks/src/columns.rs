//! Plain-text tables whose columns are as wide as their widest cell, for the terminal reports
//! (`kelp matrix`, `kelp scenarios`).

/// How a column's cells line up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
}

/// Lays out `rows` (the first is the header) in columns two spaces apart. The last column is not
/// padded on the right.
pub fn layout(rows: &[Vec<String>], align: &[Align]) -> String {
    let widths: Vec<usize> = (0..align.len())
        .map(|c| rows.iter().filter_map(|r| r.get(c)).map(|cell| cell.chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for row in rows {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .zip(align)
            .enumerate()
            .map(|(c, ((cell, width), align))| match align {
                Align::Right => format!("{cell:>width$}"),
                Align::Left if c + 1 == row.len() => cell.clone(),
                Align::Left => format!("{cell:<width$}"),
            })
            .collect();
        out.push_str(&cells.join("  "));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_as_wide_as_their_widest_cell() {
        let rows = vec![
            vec!["name".to_string(), "n".to_string(), "note".to_string()],
            vec!["a-long-name".to_string(), "12345".to_string(), "x".to_string()],
        ];
        assert_eq!(
            layout(&rows, &[Align::Left, Align::Right, Align::Left]),
            "name             n  note\na-long-name  12345  x\n"
        );
    }
}
