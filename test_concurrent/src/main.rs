//! `test_concurrent`: fires concurrent bookings at the oversold lab and prints the audit's verdict.
//!
//! `main` parses the flags, checks that the lab answers, then runs either the classic fights
//! (one table per endpoint or strategy, `--repeat` rounds each) or the `--matrix` of every
//! strategy on one instance, two instances and with the holder paused past its TTL. See `--help`.

mod cli;
mod lab;
mod report;
mod verdict;

use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use serde_json::{json, Value};

use cli::{parse_targets, Args, Endpoint, Fighter};
use lab::{Lab, LabError};
use report::{Cell, FighterReport, MatrixRow, Round};

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    match run(args).await {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// `Ok(passed)`, or an error that means the run could not be made (exit status 2).
async fn run(args: Args) -> anyhow::Result<bool> {
    let targets = parse_targets(&args.targets).map_err(anyhow::Error::msg)?;
    let lab = Lab::new(targets, Duration::from_secs(args.timeout_secs))?;
    lab.check_reachable().await.map_err(lab_error)?;
    let strategies = lab.strategies().await.map_err(lab_error)?;
    let known = lab::strategy_names(&strategies)?;
    for name in &args.strategies {
        if !known.contains(name) {
            anyhow::bail!(
                "unknown strategy {name:?}; the server offers: {}",
                known.join(", ")
            );
        }
    }
    if args.matrix {
        return matrix(&args, &lab, &strategies).await;
    }

    let fighters = fighters(&args, &known);
    let mut progress = Progress::new(fighters.len() * args.repeat as usize, args.repeat > 1);
    let mut reports = Vec::new();
    for fighter in &fighters {
        let path = fighter.url_path(args.event, args.race_window_ms, args.ttl_ms);
        let mut rounds = Vec::new();
        for _ in 0..args.repeat {
            rounds.push(round(&lab, &args, &lab.targets, &path).await?);
            progress.tick(&fighter.label);
        }
        reports.push(FighterReport::new(
            fighter.label.clone(),
            path,
            fighter.protected,
            rounds,
        ));
    }
    progress.finish();

    let passed = reports.iter().all(FighterReport::passed);
    let mut out = std::io::stdout().lock();
    if args.json {
        let doc = json!({
            "targets": lab.targets,
            "event": args.event,
            "requests": args.requests,
            "capacity": args.capacity,
            "endpoints": reports,
            "ok": passed,
        });
        writeln!(out, "{}", serde_json::to_string_pretty(&doc)?)?;
    } else {
        let header = format!(
            "{} requests at event {} (reset to {} ticket{}) over {}",
            args.requests,
            args.event,
            args.capacity,
            if args.capacity == 1 { "" } else { "s" },
            lab.targets.join(", ")
        );
        for report in &reports {
            report::print_fighter(&mut out, report, &header)?;
        }
        if !passed {
            writeln!(
                out,
                "FAILED: a protected endpoint did not book exactly min(requests, capacity) tickets"
            )?;
        }
    }
    Ok(passed)
}

/// The classic fights: the chosen endpoints and strategies, no-lock then with-lock by default.
fn fighters(args: &Args, known: &[String]) -> Vec<Fighter> {
    let mut fighters: Vec<Fighter> = args
        .endpoints
        .iter()
        .copied()
        .map(Fighter::endpoint)
        .collect();
    let names: Vec<String> = if args.all {
        known.to_vec()
    } else {
        args.strategies.clone()
    };
    fighters.extend(names.iter().map(|n| Fighter::strategy(n)));
    if fighters.is_empty() {
        fighters = vec![
            Fighter::endpoint(Endpoint::NoLock),
            Fighter::endpoint(Endpoint::WithLock),
        ];
    }
    fighters
}

/// Reset, fight, audit, judge.
async fn round(lab: &Lab, args: &Args, targets: &[String], path: &str) -> anyhow::Result<Round> {
    lab.reset(args.event, args.capacity)
        .await
        .map_err(lab_error)?;
    let status = lab.fight(targets, args.requests, path).await;
    let audit = lab.audit(args.event).await.map_err(lab_error)?;
    let verdict = verdict::judge(&audit, &status, args.requests, args.capacity);
    Ok(Round {
        status,
        audit,
        verdict,
    })
}

/// Every strategy (or the chosen ones) × one instance, two instances, paused past TTL.
async fn matrix(args: &Args, lab: &Lab, strategies: &[Value]) -> anyhow::Result<bool> {
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

        let one = round(lab, args, first, &normal).await?;
        progress.tick(name);
        let two = if lab.targets.len() > 1 {
            Some(round(lab, args, &lab.targets, &normal).await?)
        } else {
            None
        };
        progress.tick(name);
        let late = round(lab, args, first, &paused).await?;
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

    let passed = rows
        .iter()
        .all(|r| r.one_instance.matches && r.two_instances.matches && r.paused_past_ttl.matches);
    let mut out = std::io::stdout().lock();
    if args.json {
        let doc = json!({
            "targets": lab.targets,
            "event": args.event,
            "requests": args.requests,
            "capacity": args.capacity,
            "paused": {"race_window_ms": args.paused_race_window_ms, "ttl_ms": args.paused_ttl_ms},
            "matrix": rows,
            "ok": passed,
        });
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
        report::print_matrix(&mut out, &rows, &paused)?;
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
    let matches =
        kind == verdict::Kind::Unsupported || expected.as_deref().is_none_or(|e| e == kind.name());
    Cell {
        expected,
        matches,
        round: Some(round),
        skipped: None,
    }
}

fn lab_error(e: LabError) -> anyhow::Error {
    anyhow::Error::msg(e.to_string())
}

/// A one-line progress bar on stderr (so stdout stays clean for `--json` and pipes), shown for
/// `--repeat` and the matrix, the runs long enough to need one.
struct Progress {
    total: usize,
    done: usize,
    shown: bool,
}

impl Progress {
    fn new(total: usize, shown: bool) -> Progress {
        Progress {
            total,
            done: 0,
            shown,
        }
    }

    fn tick(&mut self, label: &str) {
        self.done += 1;
        if !self.shown {
            return;
        }
        let width = 30;
        let filled = width * self.done / self.total;
        let line = format!(
            "[{}{}] {}/{} {label}",
            "#".repeat(filled),
            ".".repeat(width - filled),
            self.done,
            self.total
        );
        let mut err = std::io::stderr().lock();
        if err.is_terminal() {
            let _ = write!(err, "\r{line:<70}");
        } else {
            let _ = writeln!(err, "{line}");
        }
        let _ = err.flush();
    }

    fn finish(&self) {
        if self.shown && std::io::stderr().is_terminal() {
            eprintln!();
        }
    }
}
