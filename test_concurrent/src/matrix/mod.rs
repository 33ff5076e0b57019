//! `matrix`: every strategy (or the chosen ones) on one instance, over all targets, with the
//! holder paused past its TTL, and, for the locks the Redlock debate is about, with a lock node
//! restarted empty and with a node's clock jumping forward (played as an early expiry, see
//! `choreography`); each verdict set against the row `GET /strategies` expects.
//!
//! A cell passes when its verdict's kind is the expected one (`safe`, `oversells`,
//! `stale_rejected`); a strategy the database cannot run, and a cell that cannot be measured
//! (one target only, no pidfiles of the lab to fault), are shown but do not fail the run. A fault
//! column is `-` for a strategy whose row has no expectation for it.

mod choreography;

use std::io::Write;

use oversold_api::{Client, Kind, Knobs, Outcome, StrategyInfo, StrategyName};
use serde::Serialize;

use crate::cli::{Fighter, MatrixArgs, ONE_TARGET};
use crate::processes::{Processes, Wanted};
use crate::progress::Progress;
use crate::round::Round;
use choreography::{Fault, Lab, Stage};

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
    /// Why a fault's choreography could not be played as written (a failed cell).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failed: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct MatrixRow {
    pub strategy: String,
    pub one_instance: Cell,
    pub two_instances: Cell,
    pub paused_past_ttl: Cell,
    /// `None` (null) when the strategy's row expects nothing of the fault.
    pub restart_empty: Option<Cell>,
    pub clock_jump: Option<Cell>,
}

impl MatrixRow {
    /// Every column in order; `None` for a fault the row has no expectation for.
    fn columns(&self) -> [Option<&Cell>; 5] {
        [
            Some(&self.one_instance),
            Some(&self.two_instances),
            Some(&self.paused_past_ttl),
            self.restart_empty.as_ref(),
            self.clock_jump.as_ref(),
        ]
    }

    fn cells(&self) -> impl Iterator<Item = &Cell> {
        self.columns().into_iter().flatten()
    }
}

/// The two fault columns' headers: the clock jump named for what the lab does instead.
const RESTART_EMPTY: &str = "node restarts empty";
const CLOCK_JUMP: &str = "clock jump (early expiry)";

/// The `--json` document of a matrix run, its keys in this order.
#[derive(Serialize)]
struct Document<'a> {
    #[serde(flatten)]
    run: crate::report::RunHeader<'a>,
    paused: Paused,
    faults: FaultsNote,
    matrix: &'a [MatrixRow],
    ok: bool,
}

/// The knobs of the "paused past TTL" column; etcd's own, since its shortest lease is 1 s.
#[derive(Serialize)]
struct Paused {
    race_window_ms: u64,
    ttl_ms: u64,
    etcd_race_window_ms: u64,
    etcd_ttl_ms: u64,
}

/// How the fault columns were played, in the words the table's notes use.
#[derive(Serialize)]
struct FaultsNote {
    holder_race_window_ms: u64,
    holder_ttl_ms: u64,
    restart_empty: &'static str,
    clock_jump: &'static str,
}

const RESTART_NOTE: &str = "A holds the lock on a bare majority (the other nodes down); one of \
    A's Redis nodes is killed and started again without its data, the others come back, B books \
    at once. etcd: a member is killed and started again on its data, as a crash leaves it";
const CLOCK_NOTE: &str = "not a real clock jump: an early expiry standing in for one. One of \
    A's Redis nodes expires A's key early (PEXPIRE 1), as a clock that ran ahead would; etcd's \
    lease is timed by its leader alone, so A's lease is revoked, as a leader whose clock ran \
    ahead would end it";

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
    let faulted = chosen
        .iter()
        .filter(|s| s.expected.restart_empty.is_some() || s.expected.clock_jump.is_some())
        .count();
    let lab = match faulted {
        0 => None,
        _ => Some(find_lab(&client, &args).await?),
    };
    let mut progress = Progress::new(chosen.len() * 3 + faulted * 2, true);
    let mut rows = Vec::new();
    for strategy in chosen {
        let name = strategy.name.as_str();
        let route = Fighter::strategy(strategy.name).route;
        let expected = strategy.expected;
        let normal = route.path(setup.event, args.knobs.knobs());
        let paused = route.path(setup.event, paused_knobs(&args, strategy.name));
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
        let stage = Stage {
            client: &client,
            event: setup.event,
            route,
        };
        let mut faults = [None, None];
        for (slot, (fault, wanted)) in faults.iter_mut().zip([
            (Fault::RestartEmpty, expected.restart_empty),
            (Fault::ClockJump, expected.clock_jump),
        ]) {
            let (Some(wanted), Some(lab)) = (wanted, &lab) else {
                continue;
            };
            *slot = Some(fault_cell(lab, &stage, strategy.name, fault, wanted).await);
            progress.tick(name);
        }
        let [restart_empty, clock_jump] = faults;
        rows.push(MatrixRow {
            strategy: name.to_string(),
            one_instance: cell(Some(one), expected.one_instance, None),
            two_instances: cell(two, expected.two_instances, Some("give two --target URLs")),
            paused_past_ttl: cell(Some(late), expected.paused_past_ttl, None),
            restart_empty,
            clock_jump,
        });
    }
    progress.finish();

    let passed = rows.iter().all(|r| r.cells().all(|c| c.matches));
    let mut out = std::io::stdout().lock();
    if args.json.json {
        let doc = Document {
            run: crate::report::RunHeader::new(client.targets(), &setup),
            paused: Paused {
                race_window_ms: args.paused_race_window_ms,
                ttl_ms: args.paused_ttl_ms,
                etcd_race_window_ms: args.etcd_paused_race_window_ms,
                etcd_ttl_ms: args.etcd_paused_ttl_ms,
            },
            faults: FaultsNote {
                holder_race_window_ms: choreography::HOLDER_RACE_WINDOW_MS,
                holder_ttl_ms: choreography::HOLDER_TTL_MS,
                restart_empty: RESTART_NOTE,
                clock_jump: CLOCK_NOTE,
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
        print(&mut out, &rows)?;
        writeln!(
            out,
            "\npaused past TTL: race window {}ms > ttl {}ms (etcd: race window {}ms > ttl {}ms, \
             since etcd's shortest lease is 1 s)",
            args.paused_race_window_ms,
            args.paused_ttl_ms,
            args.etcd_paused_race_window_ms,
            args.etcd_paused_ttl_ms
        )?;
        if faulted > 0 {
            writeln!(
                out,
                "fault columns: holder A books with race window {}ms and ttl {}ms, B at once \
                 while A still waits to write; '-' where the row expects nothing of the fault\n\
                 {RESTART_EMPTY}: {RESTART_NOTE}\n{CLOCK_JUMP}: {CLOCK_NOTE}",
                choreography::HOLDER_RACE_WINDOW_MS,
                choreography::HOLDER_TTL_MS
            )?;
        }
    }
    Ok(passed)
}

/// The "paused past TTL" knobs for `strategy`: etcd grants leases in whole seconds, at least one,
/// so its holder needs a pause longer than a second to outlive its lease.
fn paused_knobs(args: &MatrixArgs, strategy: StrategyName) -> Knobs {
    let (race, ttl) = match strategy {
        StrategyName::Etcd => (args.etcd_paused_race_window_ms, args.etcd_paused_ttl_ms),
        _ => (args.paused_race_window_ms, args.paused_ttl_ms),
    };
    Knobs {
        race_window_ms: Some(race),
        ttl_ms: Some(ttl),
    }
}

/// The lab's lock processes, from the first target's `/health` and the run directory's pidfiles;
/// a side whose pidfiles are missing is a reason to skip its cells, not an error.
async fn find_lab(client: &Client, args: &MatrixArgs) -> anyhow::Result<Lab> {
    let health = client.health_of(client.first()).await?;
    let redis: Vec<String> = health.redis.nodes.iter().map(|n| n.url.clone()).collect();
    let etcd: Vec<String> = health
        .etcd
        .iter()
        .flat_map(|e| e.members.iter().map(|m| m.url.clone()))
        .collect();
    let find = |redis: &[String], etcd: &[String]| {
        let side = if etcd.is_empty() { "Redis" } else { "etcd" };
        Processes::find(
            &args.run_dir,
            &args.redis_server,
            Wanted {
                redis,
                redis_pidfiles: true,
                apps: &[],
                app_pidfiles: false,
                etcd,
                etcd_pidfiles: true,
            },
        )
        .map_err(|e| {
            // The whole story once on stderr; the cells say it short.
            eprintln!("matrix: the fault columns on {side} are not measured: {e:#}");
            format!(
                "no {side} pidfiles in {}; see stderr",
                args.run_dir.display()
            )
        })
    };
    let etcd = match etcd.is_empty() {
        true => Err("the server reports no etcd members in /health".to_string()),
        false => find(&[], &etcd),
    };
    Ok(Lab::new(find(&redis, &[]), etcd))
}

/// Plays one fault cell; pidfiles that are missing skip it, a choreography that breaks fails it.
async fn fault_cell(
    lab: &Lab,
    stage: &Stage<'_>,
    strategy: StrategyName,
    fault: Fault,
    expected: Outcome,
) -> Cell {
    let played = match (strategy, &lab.etcd, &lab.redis) {
        (StrategyName::Etcd, Ok(etcd), _) => choreography::on_etcd(lab, stage, etcd, fault).await,
        (StrategyName::Etcd, Err(why), _) | (_, _, Err(why)) => {
            return Cell {
                expected,
                matches: true,
                round: None,
                skipped: Some(why.clone()),
                failed: None,
            }
        }
        (_, _, Ok(redis)) => choreography::on_redis(stage, redis, fault).await,
    };
    match played {
        Ok(round) => cell(Some(round), expected, None),
        Err(e) => Cell {
            expected,
            matches: false,
            round: None,
            skipped: None,
            failed: Some(format!("{e:#}")),
        },
    }
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
            failed: None,
        };
    };
    let kind = round.verdict.kind;
    let matches = kind == Kind::Unsupported || kind.outcome() == Some(expected);
    Cell {
        expected,
        matches,
        round: Some(round),
        skipped: None,
        failed: None,
    }
}

fn print(out: &mut impl Write, rows: &[MatrixRow]) -> std::io::Result<()> {
    let header = [
        "strategy",
        "one instance",
        "two instances",
        "paused past TTL",
        RESTART_EMPTY,
        CLOCK_JUMP,
    ];
    let table: Vec<Vec<String>> = rows
        .iter()
        .map(|row| {
            let mut line = vec![row.strategy.clone()];
            line.extend(
                row.columns()
                    .map(|c| c.map_or_else(|| "-".to_string(), describe)),
            );
            line
        })
        .collect();
    // Each column as wide as its widest entry; the last one unpadded.
    let widths: Vec<usize> = (0..header.len())
        .map(|i| {
            table
                .iter()
                .map(|line| line[i].chars().count())
                .chain([header[i].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |out: &mut dyn Write, cells: &[&str]| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        writeln!(out, "{}", padded.join("  ").trim_end())
    };
    line(out, &header)?;
    for cells in &table {
        let cells: Vec<&str> = cells.iter().map(String::as_str).collect();
        line(out, &cells)?;
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
            "{n} cell(s) did not match the expected row (marked '!= expected' or 'FAILED')"
        ),
    }
}

fn describe(cell: &Cell) -> String {
    match (&cell.round, &cell.skipped, &cell.failed) {
        (_, _, Some(why)) => format!("FAILED: {why}"),
        (_, Some(why), None) => format!("- ({why})"),
        (Some(round), None, None) if cell.matches => format!("{} ok", round.verdict.text),
        (Some(round), None, None) => {
            format!("{} != expected {}", round.verdict.text, cell.expected)
        }
        (None, None, None) => "-".to_string(),
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

    fn row(strategy: &str, restart: Option<Cell>, jump: Option<Cell>) -> MatrixRow {
        MatrixRow {
            strategy: strategy.to_string(),
            one_instance: cell(Some(round(Kind::Safe)), Outcome::Safe, None),
            two_instances: cell(None, Outcome::Safe, Some("give two --target URLs")),
            paused_past_ttl: cell(Some(round(Kind::Oversells)), Outcome::Oversells, None),
            restart_empty: restart,
            clock_jump: jump,
        }
    }

    fn printed(rows: &[MatrixRow]) -> String {
        let mut out = Vec::new();
        print(&mut out, rows).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn the_fault_columns_show_their_verdicts_and_a_dash_where_nothing_is_expected() {
        let redlock = row(
            "redlock",
            Some(cell(Some(round(Kind::Oversells)), Outcome::Oversells, None)),
            Some(cell(Some(round(Kind::Oversells)), Outcome::Oversells, None)),
        );
        let atomic = row("atomic", None, None);
        let text = printed(&[redlock, atomic]);
        let lines: Vec<&str> = text.lines().collect();
        assert!(
            lines[0].contains("node restarts empty")
                && lines[0].ends_with("clock jump (early expiry)"),
            "{text}"
        );
        // Every column starts where its header does.
        let restart = lines[0].find("node restarts empty").unwrap();
        let jump = lines[0].find("clock jump").unwrap();
        assert_eq!(&lines[1][restart..restart + 12], "oversells ok", "{text}");
        assert_eq!(&lines[1][jump..], "oversells ok", "{text}");
        assert_eq!(
            (&lines[2][restart..restart + 2], &lines[2][jump..]),
            ("- ", "-"),
            "{text}"
        );
        assert!(text.contains("every cell matches"), "{text}");
    }

    #[test]
    fn a_fault_cell_that_is_wrong_or_broken_fails_the_run_and_one_without_pidfiles_does_not() {
        let wrong = cell(Some(round(Kind::Safe)), Outcome::Oversells, None);
        let broken = Cell {
            expected: Outcome::Safe,
            matches: false,
            round: None,
            skipped: None,
            failed: Some("A finished before B booked".into()),
        };
        let unmeasured = Cell {
            expected: Outcome::StaleRejected,
            matches: true,
            round: None,
            skipped: Some("no Redis pidfiles in .run; see stderr".into()),
            failed: None,
        };
        assert_eq!(describe(&broken), "FAILED: A finished before B booked");
        assert_eq!(
            describe(&unmeasured),
            "- (no Redis pidfiles in .run; see stderr)"
        );
        let rows = [row("fenced", Some(wrong), Some(unmeasured))];
        assert_eq!(rows[0].cells().filter(|c| !c.matches).count(), 1);
        assert!(printed(&rows).contains("1 cell(s) did not match"));
        let rows = [row("etcd", Some(broken), None)];
        assert!(printed(&rows).contains("FAILED: A finished"));
    }

    #[test]
    fn etcd_is_paused_past_a_lease_of_whole_seconds_and_the_others_past_the_short_ttl() {
        let Ok(crate::cli::Command::Matrix(args)) =
            <crate::cli::Args as clap::Parser>::try_parse_from(["t", "matrix"])
                .map(crate::cli::Args::command)
        else {
            panic!("matrix parses");
        };
        let etcd = paused_knobs(&args, StrategyName::Etcd);
        assert_eq!(
            (etcd.race_window_ms, etcd.ttl_ms),
            (Some(2_500), Some(1_000))
        );
        let redlock = paused_knobs(&args, StrategyName::Redlock);
        assert_eq!(
            (redlock.race_window_ms, redlock.ttl_ms),
            (Some(500), Some(100))
        );
        assert!(<crate::cli::Args as clap::Parser>::try_parse_from([
            "t",
            "matrix",
            "--etcd-paused-ttl-ms",
            "500"
        ])
        .is_err());
    }

    #[test]
    fn a_fault_cell_serializes_with_its_round_and_a_missing_one_as_null() {
        let fenced = row(
            "fenced",
            Some(cell(
                Some(round(Kind::StaleRejected)),
                Outcome::StaleRejected,
                None,
            )),
            None,
        );
        let json = serde_json::to_value(&fenced).unwrap();
        assert_eq!(json["restart_empty"]["kind"], "stale_rejected");
        assert_eq!(json["restart_empty"]["expected"], "stale_rejected");
        assert!(json["clock_jump"].is_null());
    }
}
