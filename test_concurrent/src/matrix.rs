//! `--matrix`: every strategy (or the chosen ones) on one instance, over all targets, and with the
//! holder paused past its TTL, each verdict set against the row `GET /strategies` expects.
//!
//! A cell passes when its verdict's kind is the expected one (`safe`, `oversells`,
//! `stale_rejected`); a strategy the database cannot run, and a column that cannot be measured
//! (one target only), are shown but do not fail the run.

use std::io::Write;

use serde::Serialize;
use serde_json::Value;

use crate::cli::{Args, Fighter};
use crate::lab::Lab;
use crate::progress::Progress;
use crate::round::{Round, Setup};
use crate::verdict::Kind;

/// One cell of the matrix: a round and what the strategy's row says it should be.
#[derive(Debug, Serialize)]
pub struct Cell {
    pub expected: Option<String>,
    pub matches: bool,
    #[serde(flatten)]
    pub round: Option<Round>,
    /// Why the cell was not measured (e.g. only one target for "two instances").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct MatrixRow {
    pub strategy: String,
    pub one_instance: Cell,
    pub two_instances: Cell,
    pub paused_past_ttl: Cell,
}

impl MatrixRow {
    fn cells(&self) -> [&Cell; 3] {
        [
            &self.one_instance,
            &self.two_instances,
            &self.paused_past_ttl,
        ]
    }
}

/// The `--json` document of a matrix run, its keys in this order.
#[derive(Serialize)]
struct Document<'a> {
    #[serde(flatten)]
    run: crate::report::RunHeader<'a>,
    paused: Paused,
    matrix: &'a [MatrixRow],
    ok: bool,
}

/// The knobs of the "paused past TTL" column.
#[derive(Serialize)]
struct Paused {
    race_window_ms: u64,
    ttl_ms: u64,
}

/// Measures the matrix, prints it, and says whether every cell matched.
pub async fn run(
    args: &Args,
    lab: &Lab,
    setup: Setup,
    strategies: &[Value],
) -> anyhow::Result<bool> {
    let chosen: Vec<&Value> = strategies
        .iter()
        .filter(|s| args.strategies.is_empty() || args.strategies.iter().any(|n| s["name"] == **n))
        .collect();
    let mut progress = Progress::new(chosen.len() * 3, true);
    let mut rows = Vec::new();
    for strategy in chosen {
        let name = strategy["name"].as_str().unwrap_or_default();
        let fighter = Fighter::strategy(name);
        let expected = |column: &str| strategy["expected"][column].as_str().map(str::to_string);
        let normal = fighter.url_path(args.event, args.race_window_ms, args.ttl_ms);
        let paused = fighter.url_path(
            args.event,
            Some(args.paused_race_window_ms),
            Some(args.paused_ttl_ms),
        );
        let first = &lab.targets[..1];

        let one = Round::play(lab, setup, first, &normal).await?;
        progress.tick(name);
        let two = match lab.targets.len() {
            1 => None,
            _ => Some(Round::play(lab, setup, &lab.targets, &normal).await?),
        };
        progress.tick(name);
        let late = Round::play(lab, setup, first, &paused).await?;
        progress.tick(name);
        rows.push(MatrixRow {
            strategy: name.to_string(),
            one_instance: cell(Some(one), expected("one_instance"), None),
            two_instances: cell(
                two,
                expected("two_instances"),
                Some("give two --target URLs"),
            ),
            paused_past_ttl: cell(Some(late), expected("paused_past_ttl"), None),
        });
    }
    progress.finish();

    let passed = rows.iter().all(|r| r.cells().iter().all(|c| c.matches));
    let mut out = std::io::stdout().lock();
    if args.json {
        let doc = Document {
            run: crate::report::RunHeader::new(lab, args),
            paused: Paused {
                race_window_ms: args.paused_race_window_ms,
                ttl_ms: args.paused_ttl_ms,
            },
            matrix: &rows,
            ok: passed,
        };
        writeln!(out, "{}", serde_json::to_string_pretty(&doc)?)?;
    } else {
        writeln!(
            out,
            "{} requests at event {} ({} ticket(s)) per cell; targets {}\n",
            args.requests,
            args.event,
            args.capacity,
            lab.targets.join(", ")
        )?;
        let paused = format!(
            "race {}ms > ttl {}ms",
            args.paused_race_window_ms, args.paused_ttl_ms
        );
        print(&mut out, &rows, &paused)?;
    }
    Ok(passed)
}

/// A measured cell matches when its verdict is the expected one; a strategy the database cannot
/// run, and a cell that could not be measured, are not failures.
fn cell(round: Option<Round>, expected: Option<String>, missing: Option<&str>) -> Cell {
    let Some(round) = round else {
        return Cell {
            expected,
            matches: true,
            round: None,
            skipped: missing.map(str::to_string),
        };
    };
    let kind = round.verdict.kind;
    let matches = kind == Kind::Unsupported || expected.as_deref().is_none_or(|e| e == kind.name());
    Cell {
        expected,
        matches,
        round: Some(round),
        skipped: None,
    }
}

fn print(out: &mut impl Write, rows: &[MatrixRow], paused: &str) -> std::io::Result<()> {
    let paused = format!("paused past TTL ({paused})");
    let header = ["one instance", "two instances", &paused];
    writeln!(
        out,
        "{:<12} {:<34} {:<34} {}",
        "strategy", header[0], header[1], header[2]
    )?;
    for row in rows {
        let cells = row.cells().map(describe);
        writeln!(
            out,
            "{:<12} {:<34} {:<34} {}",
            row.strategy, cells[0], cells[1], cells[2]
        )?;
    }
    let wrong = rows
        .iter()
        .flat_map(MatrixRow::cells)
        .filter(|c| !c.matches)
        .count();
    writeln!(out)?;
    match wrong {
        0 => writeln!(out, "every cell matches the strategy's expected row"),
        n => writeln!(
            out,
            "{n} cell(s) did not match the expected row (marked '!= expected')"
        ),
    }
}

fn describe(cell: &Cell) -> String {
    match (&cell.round, &cell.skipped) {
        (_, Some(why)) => format!("- ({why})"),
        (Some(round), None) if cell.matches => format!("{} ok", round.verdict.text),
        (Some(round), None) => format!(
            "{} != expected {}",
            round.verdict.text,
            cell.expected.as_deref().unwrap_or("?")
        ),
        (None, None) => "-".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::answers::Answers;
    use crate::lab::Audit;
    use crate::verdict::Verdict;

    fn round(kind: Kind) -> Round {
        Round {
            answers: Answers::default(),
            audit: Audit {
                capacity: 1,
                available: 0,
                booked: 1,
                oversold: 0,
                lost_updates: false,
                negative_available: false,
                clean: true,
            },
            verdict: Verdict {
                text: kind.name().to_string(),
                kind,
                correct: kind == Kind::Safe,
            },
        }
    }

    #[test]
    fn a_cell_matches_only_its_expected_kind() {
        let expected = || Some("oversells".to_string());
        assert!(cell(Some(round(Kind::Oversells)), expected(), None).matches);
        let wrong = cell(Some(round(Kind::Safe)), expected(), None);
        assert!(!wrong.matches);
        assert_eq!(describe(&wrong), "safe != expected oversells");
    }

    #[test]
    fn unsupported_and_unmeasured_cells_do_not_fail_the_run() {
        assert!(cell(Some(round(Kind::Unsupported)), Some("safe".into()), None).matches);
        let skipped = cell(
            None,
            Some("oversells".into()),
            Some("give two --target URLs"),
        );
        assert!(skipped.matches);
        assert_eq!(describe(&skipped), "- (give two --target URLs)");
    }
}
