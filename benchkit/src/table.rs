//! Markdown tables that also read well in a terminal: every column padded to its widest cell.
//!
//! The same text goes to stdout and into BENCHMARKS.md, so what a person saw while the benchmark
//! ran is exactly what the report shows.

/// A table with a header row; cells that look like numbers are right-aligned.
#[derive(Clone, Debug, Default)]
pub struct Table {
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new<S: Into<String>>(headers: impl IntoIterator<Item = S>) -> Table {
        Table {
            headers: headers.into_iter().map(Into::into).collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row; missing cells are left empty and extra ones dropped.
    pub fn row<S: Into<String>>(&mut self, cells: impl IntoIterator<Item = S>) {
        let mut cells: Vec<String> = cells.into_iter().map(Into::into).collect();
        cells.resize(self.headers.len(), String::new());
        self.rows.push(cells);
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    pub fn to_markdown(&self) -> String {
        let columns = self.headers.len();
        let widths: Vec<usize> = (0..columns)
            .map(|c| {
                self.rows
                    .iter()
                    .map(|r| r[c].chars().count())
                    .chain([self.headers[c].chars().count(), 3])
                    .max()
                    .unwrap_or(3)
            })
            .collect();
        let numeric: Vec<bool> = (0..columns)
            .map(|c| {
                self.rows.iter().any(|r| looks_numeric(&r[c]))
                    && self
                        .rows
                        .iter()
                        .all(|r| r[c].is_empty() || looks_numeric(&r[c]))
            })
            .collect();
        let line = |cells: &[String]| {
            let padded: Vec<String> = cells
                .iter()
                .zip(&widths)
                .zip(&numeric)
                .map(|((cell, &w), &right)| {
                    if right {
                        format!("{cell:>w$}")
                    } else {
                        format!("{cell:<w$}")
                    }
                })
                .collect();
            format!("| {} |\n", padded.join(" | "))
        };
        let rule: Vec<String> = widths
            .iter()
            .zip(&numeric)
            .map(|(&w, &right)| {
                if right {
                    format!("{}:", "-".repeat(w - 1))
                } else {
                    "-".repeat(w)
                }
            })
            .collect();
        let mut out = line(&self.headers);
        out.push_str(&format!("| {} |\n", rule.join(" | ")));
        for row in &self.rows {
            out.push_str(&line(row));
        }
        out
    }
}

/// "1234", "0.93", "1.6×", "-" (not measured) count as numbers for alignment.
fn looks_numeric(cell: &str) -> bool {
    let cell = cell.trim_end_matches(['×', '%']);
    cell == "-" || (!cell.is_empty() && cell.parse::<f64>().is_ok())
}

/// A figure with as many decimals as it needs to show three significant digits (at most 3).
pub fn figure(value: f64) -> String {
    let decimals = match value.abs() {
        v if v >= 100.0 => 0,
        v if v >= 10.0 => 1,
        v if v >= 1.0 => 2,
        _ => 3,
    };
    format!("{value:.decimals$}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_padded_and_numbers_right_aligned() {
        let mut table = Table::new(["strategy", "req/s"]);
        table.row(["no-lock", "1234"]);
        table.row(["redis", "98"]);
        assert_eq!(
            table.to_markdown(),
            "| strategy | req/s |\n\
             | -------- | ----: |\n\
             | no-lock  |  1234 |\n\
             | redis    |    98 |\n"
        );
    }

    #[test]
    fn short_rows_are_filled_and_long_rows_cut() {
        let mut table = Table::new(["a", "b"]);
        table.row(["x"]);
        table.row(["y", "z", "dropped"]);
        let text = table.to_markdown();
        assert!(text.contains("| x   |     |"), "{text}");
        assert!(!text.contains("dropped"), "{text}");
    }

    #[test]
    fn ratios_and_dashes_align_like_numbers() {
        let mut table = Table::new(["ratio"]);
        table.row(["1.6×"]);
        table.row(["-"]);
        assert!(table.to_markdown().contains("| ----: |"));
    }

    #[test]
    fn figures_keep_about_three_significant_digits() {
        assert_eq!(figure(12345.6), "12346");
        assert_eq!(figure(45.67), "45.7");
        assert_eq!(figure(0.934), "0.934");
        assert_eq!(figure(1.5), "1.50");
    }
}
