//! `test_concurrent`: fires concurrent bookings at the oversold lab and prints the audit's verdict.
//!
//! `main` parses the flags, checks that every target answers, then runs either the classic fights
//! (one table per endpoint or strategy, `--repeat` rounds each) or the `--matrix` (see
//! `matrix.rs`). Exit status: 0 when every protected round was right, 1 when one was not, 2 when
//! the run could not be made (bad flags, a target that does not answer, an unknown event).

mod answers;
mod bench;
mod chaos;
mod cli;
mod lab;
mod matrix;
mod progress;
mod report;
mod round;
mod verdict;

use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use serde::Serialize;

use cli::{parse_targets, Args, Command, Endpoint, Fighter};
use lab::Lab;
use progress::Progress;
use report::FighterReport;
use round::{Round, Setup};

#[tokio::main]
async fn main() -> ExitCode {
    let outcome = run(Args::parse()).await;
    if let Err(e) = &outcome {
        eprintln!("error: {e:#}");
    }
    ExitCode::from(exit_status(&outcome))
}

/// `Ok(passed)` ends in 0 or 1; an error means the run could not be made and ends in 2 (as clap
/// does for bad flags).
fn exit_status(outcome: &anyhow::Result<bool>) -> u8 {
    match outcome {
        Ok(true) => 0,
        Ok(false) => 1,
        Err(_) => 2,
    }
}

async fn run(args: Args) -> anyhow::Result<bool> {
    match args.command {
        Some(Command::Chaos(chaos)) => return chaos::run(*chaos).await,
        Some(Command::Bench(bench)) => return bench::run(bench).await,
        None => {}
    }
    let targets = parse_targets(&args.targets).map_err(anyhow::Error::msg)?;
    let lab = Lab::new(targets, Duration::from_secs(args.timeout_secs))?
        .with_admin_token(args.admin_token.clone());
    lab.check_reachable().await?;
    let strategies = lab.strategies().await?;
    let known = lab::strategy_names(&strategies)?;
    for name in &args.strategies {
        if !known.contains(name) {
            anyhow::bail!(
                "unknown strategy {name:?}; the server offers: {}",
                known.join(", ")
            );
        }
    }
    let setup = Setup {
        event: args.event,
        requests: args.requests,
        capacity: args.capacity,
    };
    if args.matrix {
        return matrix::run(&args, &lab, setup, &strategies).await;
    }

    let fighters = fighters(&args, &known);
    let shown = args.repeat > 1 || std::io::stderr().is_terminal();
    let mut progress = Progress::new(fighters.len() * args.repeat as usize, shown);
    let mut reports = Vec::new();
    for fighter in &fighters {
        let path = fighter.url_path(args.event, args.race_window_ms, args.ttl_ms);
        let mut rounds = Vec::new();
        for _ in 0..args.repeat {
            rounds.push(Round::play(&lab, setup, &lab.targets, &path).await?);
            progress.tick(&fighter.label);
        }
        reports.push(FighterReport::new(fighter, rounds));
    }
    progress.finish();

    let passed = reports.iter().all(FighterReport::passed);
    let mut out = std::io::stdout().lock();
    if args.json {
        let doc = Document {
            run: crate::report::RunHeader::new(&lab, &args),
            race_window_ms: args.race_window_ms,
            ttl_ms: args.ttl_ms,
            endpoints: &reports,
            ok: passed,
        };
        writeln!(out, "{}", serde_json::to_string_pretty(&doc)?)?;
    } else {
        let header = format!(
            "{} at event {} (reset to {}) over {}",
            plural(args.requests.into(), "request"),
            args.event,
            plural(args.capacity, "ticket"),
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

/// "1 ticket", "3 tickets".
fn plural(n: i64, noun: &str) -> String {
    match n {
        1 => format!("1 {noun}"),
        n => format!("{n} {noun}s"),
    }
}

/// The `--json` document, its keys in this order.
#[derive(Serialize)]
struct Document<'a> {
    #[serde(flatten)]
    run: crate::report::RunHeader<'a>,
    /// The knobs sent with every booking; absent when the server's defaults were used.
    #[serde(skip_serializing_if = "Option::is_none")]
    race_window_ms: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ttl_ms: Option<u64>,
    endpoints: &'a [FighterReport],
    ok: bool,
}

/// The classic fights: the chosen endpoints, then the chosen strategies; no-lock then with-lock
/// when neither is chosen.
fn fighters(args: &Args, known: &[String]) -> Vec<Fighter> {
    let mut fighters: Vec<Fighter> = args
        .endpoints
        .iter()
        .copied()
        .map(Fighter::endpoint)
        .collect();
    let names = if args.all {
        known
    } else {
        &args.strategies[..]
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

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(argv: &[&str]) -> Vec<String> {
        let args = Args::try_parse_from(argv).unwrap();
        let known = ["no-lock".to_string(), "redis".to_string()];
        fighters(&args, &known)
            .into_iter()
            .map(|f| f.label)
            .collect()
    }

    #[test]
    fn passed_is_0_failed_is_1_and_a_run_that_could_not_be_made_is_2() {
        assert_eq!(exit_status(&Ok(true)), 0);
        assert_eq!(exit_status(&Ok(false)), 1);
        assert_eq!(exit_status(&Err(anyhow::anyhow!("cannot reach"))), 2);
    }

    #[test]
    fn counts_read_as_english() {
        assert_eq!(plural(1, "request"), "1 request");
        assert_eq!(plural(0, "ticket"), "0 tickets");
        assert_eq!(plural(10, "request"), "10 requests");
    }

    #[test]
    fn the_default_fight_is_no_lock_then_with_lock() {
        assert_eq!(labels(&["t"]), ["no-lock", "with-lock"]);
        assert_eq!(
            labels(&["t", "--endpoint", "with-lock,no-lock"]),
            ["with-lock", "no-lock"]
        );
        assert_eq!(labels(&["t", "--strategy", "redis"]), ["redis"]);
        assert_eq!(
            labels(&["t", "--endpoint", "no-lock", "--strategy", "redis"]),
            ["no-lock", "redis"]
        );
        assert_eq!(labels(&["t", "--all"]), ["no-lock", "redis"]);
    }
}
