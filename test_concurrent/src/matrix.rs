//! `matrix`: every strategy (or the chosen ones) on one instance, over all targets, and with the
//! holder paused past its TTL, each verdict set against the row `GET /strategies` expects.
//!
//! A cell passes when its verdict's kind is the expected one (`safe`, `oversells`,
//! `stale_rejected`); a strategy the database cannot run, and a column that cannot be measured
//! (one target only), are shown but do not fail the run.

use std::io::Write;

use oversold_api::{Kind, Knobs, Outcome, StrategyInfo};
use serde::Serialize;

use crate::cli::{Fighter, MatrixArgs, ONE_TARGET};
use crate::progress::Progress;
use crate::round::Round;

/// One cell of the matrix: a round and what the strategy's row says it should be.
#[derive(Debug, Serialize)]
pub struct Cell {
    pub expected: Outcome,
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
pub async fn run(args: MatrixArgs) -> anyhow::Result<bool> {
    let targets = args
        .targets
        .resolve(ONE_TARGET)
        .map_err(anyhow::Error::msg)?;
    let client = crate::connect::connect(
        targets,
        args.timeout.timeout(),
        args.admin.admin_token.clone(),
    )
    .await?;
    let asked = &args.strategies.strategies;
    let strategies = crate::connect::offered(&client, asked).await?;
    let chosen: Vec<&StrategyInfo> = strategies
        .iter()
        .filter(|s| asked.is_empty() || asked.contains(&s.name))
        .collect();
    let setup = args.round;
    let mut progress = Progress::new(chosen.len() * 3, true);
    let mut rows = Vec::new();
    for strategy in chosen {
        let name = strategy.name.as_str();
        let route = Fighter::strategy(strategy.name).route;
        let expected = strategy.expected;
        let normal = route.path(setup.event, args.knobs.knobs());
        let paused = route.path(
            setup.event,
            Knobs {
                race_window_ms: Some(args.paused_race_window_ms),
                ttl_ms: Some(args.paused_ttl_ms),
            },
        );
        let all = client.targets();
        let first = &all[..1];

        let one = Round::play(&client, setup, first, &normal).await?;
        progress.tick(name);
        let two = match all.len() {
            1 => None,
            _ => Some(Round::play(&client, setup, all, &normal).await?),
        };
        progress.tick(name);
        let late = Round::play(&client, setup, first, &paused).await?;
        progress.tick(name);
        rows.push(MatrixRow {
            strategy: name.to_string(),
            one_instance: cell(Some(one), expected.one_instance, None),
            two_instances: cell(two, expected.two_instances, Some("give two --target URLs")),
            paused_past_ttl: cell(Some(late), expected.paused_past_ttl, None),
        });
    }
    progress.finish();

    let passed = rows.iter().all(|r| r.cells().iter().all(|c| c.matches));
    let mut out = std::io::stdout().lock();
    if args.json.json {
        let doc = Document {
            run: crate::report::RunHeader::new(client.targets(), &setup),
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
            setup.requests,
            setup.event,
            setup.capacity,
            client.targets().join(", ")
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
fn cell(round: Option<Round>, expected: Outcome, missing: Option<&str>) -> Cell {
    let Some(round) = round else {
        return Cell {
            expected,
            matches: true,
            round: None,
            skipped: missing.map(str::to_string),
        };
    };
    let kind = round.verdict.kind;
    let matches = kind == Kind::Unsupported || kind.outcome() == Some(expected);
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
        (Some(round), None) => format!("{} != expected {}", round.verdict.text, cell.expected),
        (None, None) => "-".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use oversold_api::{Audit, Tally, Verdict};

    fn round(kind: Kind) -> Round {
        Round {
            answers: Tally::default(),
            audit: Audit::from_counts(1, 1, 0, 1),
            verdict: Verdict {
                text: kind.as_str().to_string(),
                kind,
                correct: kind == Kind::Safe,
            },
        }
    }

    #[test]
    fn a_cell_matches_only_its_expected_kind() {
        let expected = Outcome::Oversells;
        assert!(cell(Some(round(Kind::Oversells)), expected, None).matches);
        let wrong = cell(Some(round(Kind::Safe)), expected, None);
        assert!(!wrong.matches);
        assert_eq!(describe(&wrong), "safe != expected oversells");
    }

    #[test]
    fn unsupported_and_unmeasured_cells_do_not_fail_the_run() {
        assert!(cell(Some(round(Kind::Unsupported)), Outcome::Safe, None).matches);
        let skipped = cell(None, Outcome::Oversells, Some("give two --target URLs"));
        assert!(skipped.matches);
        assert_eq!(describe(&skipped), "- (give two --target URLs)");
    }
}
