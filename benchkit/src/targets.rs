//! The targets next to what was measured: a ratio, the least it should be, a verdict.
//!
//! A benchmark run on a shared two-core machine is noisy, so each ratio is taken within one
//! round (both sides measured back to back) and the report gives the median over the rounds and
//! the range, not the luckiest round.

use crate::table::{figure, Table};

#[derive(Clone, Debug, PartialEq)]
pub struct Target {
    /// What is compared, e.g. "lock, 1 node, 50 tasks vs ideal (raw SET rate / 2)".
    pub what: String,
    pub at_least: f64,
    /// "×" for a ratio, "" for a plain figure such as an efficiency.
    pub unit: &'static str,
    /// The ratio of each round; empty when it could not be measured.
    pub rounds: Vec<f64>,
}

impl Target {
    pub fn median(&self) -> Option<f64> {
        crate::stats::median(&self.rounds)
    }

    /// Met when the median ratio reaches the target; `None` when nothing was measured.
    pub fn met(&self) -> Option<bool> {
        self.median().map(|m| m >= self.at_least)
    }
}

/// One row per target: what, required, median, range over rounds, verdict.
pub fn table(targets: &[Target]) -> Table {
    let mut table = Table::new([
        "target",
        "required",
        "measured (median)",
        "range",
        "verdict",
    ]);
    for target in targets {
        let range = match (
            target.rounds.iter().copied().reduce(f64::min),
            target.rounds.iter().copied().reduce(f64::max),
        ) {
            (Some(lo), Some(hi)) => format!("{}–{}", figure(lo), figure(hi)),
            _ => "-".to_string(),
        };
        let verdict = match target.met() {
            Some(true) => "met",
            Some(false) => "MISSED",
            None => "not measured",
        };
        table.row([
            target.what.clone(),
            format!("≥ {}{}", figure(target.at_least), target.unit),
            target
                .median()
                .map_or("-".into(), |m| format!("{}{}", figure(m), target.unit)),
            range,
            verdict.to_string(),
        ]);
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(rounds: &[f64]) -> Target {
        Target {
            what: "lock vs rslock".into(),
            at_least: 1.5,
            unit: "×",
            rounds: rounds.to_vec(),
        }
    }

    #[test]
    fn the_verdict_follows_the_median_not_the_best_round() {
        assert_eq!(target(&[1.4, 2.0, 1.3]).median(), Some(1.4));
        assert_eq!(target(&[1.4, 2.0, 1.3]).met(), Some(false));
        assert_eq!(target(&[1.5, 1.6]).median(), Some(1.55));
        assert_eq!(target(&[1.5, 1.6]).met(), Some(true));
        assert_eq!(target(&[]).met(), None);
    }

    #[test]
    fn the_table_shows_required_median_range_and_verdict() {
        let text = table(&[target(&[1.2, 1.8, 1.6]), target(&[])]).to_markdown();
        assert!(
            text.contains(
                "| lock vs rslock | ≥ 1.50×  |             1.60× | 1.20–1.80 | met          |"
            ),
            "{text}"
        );
        assert!(text.contains("not measured"), "{text}");
    }
}
