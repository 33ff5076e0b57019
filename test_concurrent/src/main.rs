//! `test_concurrent`: fires concurrent bookings at the oversold lab and prints the audit's verdict.
//!
//! `main` parses the flags and runs the subcommand: the classic `fight` (one table per endpoint
//! or strategy, `--repeat` rounds each; also what a bare `test_concurrent` runs), the `matrix`
//! (see `matrix.rs`), `chaos` or `bench`. It speaks to the lab through `oversold-api`, the wire
//! contract the server itself is typed with. Exit status: 0 when every protected round was right,
//! 1 when one was not, 2 when the run could not be made (bad flags, a target that does not
//! answer, an unknown event).

mod bench;
mod chaos;
mod cli;
mod connect;
mod matrix;
mod processes;
mod progress;
mod report;
mod round;

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::Parser;
use oversold_api::StrategyName;
use serde::Serialize;

use cli::{Args, Command, Endpoint, FightArgs, Fighter, ONE_TARGET};
use progress::Progress;
use report::FighterReport;
use round::Round;

#[tokio::main]
async fn main() -> ExitCode {
    raise_open_file_limit();
    let outcome = run(Args::parse().command()).await;
    if let Err(e) = &outcome {
        eprintln!("error: {e:#}");
    }
    ExitCode::from(exit_status(&outcome))
}

/// A fight of 10,000 requests at once holds 10,000 sockets: lift the soft open-file limit
/// (often 1,024) to the hard one, which needs no privilege. A limit that stays low shows up as
/// "too many open files" answers, counted like every other failure.
fn raise_open_file_limit() {
    use nix::sys::resource::{getrlimit, setrlimit, Resource};
    if let Ok((soft, hard)) = getrlimit(Resource::RLIMIT_NOFILE) {
        if soft < hard {
            let _ = setrlimit(Resource::RLIMIT_NOFILE, hard, hard);
        }
    }
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

async fn run(command: Command) -> anyhow::Result<bool> {
    match command {
        Command::Fight(args) => fight(args).await,
        Command::Matrix(args) => matrix::run(args).await,
        Command::Chaos(args) => chaos::run(*args).await,
        Command::Bench(args) => bench::run(args).await,
    }
}

async fn fight(args: FightArgs) -> anyhow::Result<bool> {
    let targets = args
        .targets
        .resolve(ONE_TARGET)
        .map_err(anyhow::Error::msg)?;
    let client = connect::connect(
        targets,
        args.timeout.timeout(),
        args.admin.admin_token.clone(),
    )
    .await?;
    let offered = connect::offered(&client, &args.strategies.strategies).await?;
    let known: Vec<StrategyName> = offered.iter().map(|s| s.name).collect();
    let setup = args.round;

    let fighters = fighters(&args, &known);
    let shown = args.repeat > 1 || std::io::stderr().is_terminal();
    let mut progress = Progress::new(fighters.len() * args.repeat as usize, shown);
    let mut reports = Vec::new();
    for fighter in &fighters {
        let path = fighter.route.path(setup.event, args.knobs.knobs());
        let mut rounds = Vec::new();
        for _ in 0..args.repeat {
            rounds.push(Round::play(&client, setup, client.targets(), &path).await?);
            progress.tick(&fighter.label);
        }
        reports.push(FighterReport::new(fighter, rounds));
    }
    progress.finish();

    let passed = reports.iter().all(FighterReport::passed);
    let mut out = std::io::stdout().lock();
    if args.json.json {
        let doc = Document {
            run: crate::report::RunHeader::new(client.targets(), &setup),
            race_window_ms: args.knobs.race_window_ms,
            ttl_ms: args.knobs.ttl_ms,
            endpoints: &reports,
            ok: passed,
        };
        writeln!(out, "{}", serde_json::to_string_pretty(&doc)?)?;
    } else {
        let header = format!(
            "{} at event {} (reset to {}) over {}",
            plural(setup.requests.into(), "request"),
            setup.event,
            plural(setup.capacity, "ticket"),
            client.targets().join(", ")
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
fn fighters(args: &FightArgs, known: &[StrategyName]) -> Vec<Fighter> {
    let mut fighters: Vec<Fighter> = args
        .endpoints
        .iter()
        .copied()
        .map(Fighter::endpoint)
        .collect();
    let names = if args.all {
        known
    } else {
        &args.strategies.strategies[..]
    };
    fighters.extend(names.iter().map(|n| Fighter::strategy(*n)));
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
        let Command::Fight(args) = Args::try_parse_from(argv).unwrap().command() else {
            panic!("not a fight: {argv:?}");
        };
        let known = [StrategyName::NoLock, StrategyName::Redis];
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
