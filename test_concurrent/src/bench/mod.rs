//! `test_concurrent bench`: what each strategy costs, measured side by side in one run.
//!
//! For every strategy the server offers (or those given), for one hot event and for an event per
//! client, at each concurrency: clients book in a loop for a fixed time, and the cell reports
//! bookings per second, p50/p99 latency, the mean time the lock was held (from each answer's
//! trace) and, on the hot event, the lock's handoff efficiency. Every cell starts from reset
//! events and ends with their audit, so the bookings counted by the database are checked against
//! the 201s counted here. Results go to stdout as tables (or `--json`), and with `--report` into
//! the "strategies" section of BENCHMARKS.md with an SVG chart per scenario.
//!
//! In the same run, so every ratio is taken under the same load: the database's own limit (the
//! booking statements over sqlx, no HTTP: `database`), the HTTP ceiling (a trivial route), extra
//! hot-event cells with many clients (512), the waves of 10,000 requests and the no-lock race at
//! a zero window (`waves`); each strategy is shown against them, and the issue's targets are
//! checked in a table of their own.

mod cell;
mod database;
mod events;
mod many_events;
mod one_client;
mod render;
mod seat_map;
mod waves;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use benchkit::machine::Machine;
use clap::{Args, ValueEnum};
use oversold_api::{BookingAnswer, Client, Knobs, Outcome, Route, StrategyInfo, StrategyName};

use crate::cli::{AdminArgs, JsonArgs, StrategyArgs, TargetArgs, TimeoutArgs, ONE_TARGET};
use crate::progress::Progress;
use cell::{CellResult, Scenario};
use events::BenchEvents;
use render::{Run, Skipped};

const EXAMPLES: &str = "\
Examples:
  test_concurrent bench                               every strategy at http://127.0.0.1:8080
  test_concurrent bench --strategy no-lock,redis,atomic --seconds 1
  test_concurrent bench --target http://127.0.0.1:8080,http://127.0.0.1:8081 --report BENCHMARKS.md

The benchmark creates its own events (named \"bench: ...\") on first use and resets them before
every cell; the lab's other events are left alone. Exit status: 0 when every cell's database
count equals its 201s and every protected strategy's audit is clean, 1 otherwise, 2 when the run
could not be made.";

#[derive(Args, Debug)]
#[command(after_help = EXAMPLES)]
pub struct BenchArgs {
    #[command(flatten)]
    pub targets: TargetArgs,

    /// One the database cannot run (pg-advisory on SQLite) is skipped with a note.
    #[command(flatten)]
    pub strategies: StrategyArgs,

    /// Numbers of concurrent clients, comma-separated (each 1 to 10000).
    #[arg(long, value_name = "N[,N...]", value_delimiter = ',', default_values_t = [1usize, 16, 64],
          value_parser = clap::builder::TypedValueParser::map(clap::value_parser!(u64).range(1..=10_000), |n| n as usize))]
    pub concurrency: Vec<usize>,

    /// More numbers of clients for the hot event only (0 to 10000; 0 for none): where batching
    /// pays, and where a lock queue is longest.
    #[arg(long, value_name = "N[,N...]", value_delimiter = ',', default_values_t = [512usize],
          value_parser = clap::builder::TypedValueParser::map(clap::value_parser!(u64).range(0..=10_000), |n| n as usize))]
    pub hot_concurrency: Vec<usize>,

    /// The lab's database, opened directly to measure its own limit (the booking statements in a
    /// loop, no HTTP) at each --concurrency. Without it that row is not measured.
    #[arg(long, value_name = "URL", env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,

    /// Requests in each wave (0 to 10000; 0 for no waves): bookings at an event of
    /// --wave-tickets, the same at the sold-out event, and as many reads.
    #[arg(long, value_name = "N", default_value_t = 10_000,
          value_parser = clap::builder::TypedValueParser::map(clap::value_parser!(u64).range(0..=10_000), |n| n as usize))]
    pub wave_requests: usize,

    /// Requests of a wave in flight at once (1 to 10000).
    #[arg(long, value_name = "N", default_value_t = 2_000,
          value_parser = clap::builder::TypedValueParser::map(clap::value_parser!(u64).range(1..=10_000), |n| n as usize))]
    pub wave_in_flight: usize,

    /// Tickets of the waves' event (1 to 1000000).
    #[arg(long, value_name = "C", default_value_t = 100,
          value_parser = clap::value_parser!(i64).range(1..=1_000_000))]
    pub wave_tickets: i64,

    /// The strategy the waves book with.
    #[arg(long, value_name = "NAME", default_value = "redis")]
    pub wave_strategy: StrategyName,

    /// Rounds of the no-lock race (10 requests, one ticket, race_window_ms=0; 0 to 1000, 0 for
    /// none): the share that oversell.
    #[arg(long, value_name = "K", default_value_t = 50,
          value_parser = clap::builder::TypedValueParser::map(clap::value_parser!(u64).range(0..=1000), |n| n as usize))]
    pub race_rounds: usize,

    /// Alternating rounds of one client booking (atomic, hot event) and one client on the
    /// trivial route, half a second each (0 to 100; 0 for none): the one-client ratio, taken
    /// within each round.
    #[arg(long, value_name = "K", default_value_t = 10,
          value_parser = clap::builder::TypedValueParser::map(clap::value_parser!(u64).range(0..=100), |n| n as usize))]
    pub one_client_rounds: usize,

    /// Events inserted into the lab's database (--database-url) while `/`, `GET /events` and
    /// `/metrics` are timed again, then deleted (0 to 1000000; 0 for none).
    #[arg(long, value_name = "N", default_value_t = 100_000,
          value_parser = clap::value_parser!(i64).range(0..=1_000_000))]
    pub many_events: i64,

    /// Which scenarios: hot (every client on one event with 1000000 tickets) and no-contention
    /// (each client on an event of its own).
    #[arg(long, value_name = "NAME", value_delimiter = ',', value_enum,
          default_values_t = [ScenarioArg::Hot, ScenarioArg::NoContention])]
    pub scenario: Vec<ScenarioArg>,

    /// Seconds each cell (strategy × scenario × concurrency) runs (0.2 to 600).
    #[arg(long, value_name = "SECS", default_value_t = 3.0,
          value_parser = parse_seconds)]
    pub seconds: f64,

    /// Pause between reading and writing in each booking, sent as ?race_window_ms= (0 to
    /// 30000). 0 by default, so what is measured is the lock and not the pause.
    #[arg(long, value_name = "MS", default_value_t = 0,
          value_parser = clap::value_parser!(u64).range(0..=30_000))]
    pub race_window_ms: u64,

    /// The lock's time to live, sent as ?ttl_ms= (10 to 300000) [default: the server's].
    #[arg(long, value_name = "MS", value_parser = clap::value_parser!(u64).range(10..=300_000))]
    pub ttl_ms: Option<u64>,

    /// The run and every cell.
    #[command(flatten)]
    pub json: JsonArgs,

    /// Rewrite the "strategies" section of this markdown file (created if missing) and write a
    /// chart per scenario into --charts.
    #[arg(long, value_name = "PATH")]
    pub report: Option<PathBuf>,

    /// Folder for the SVG charts written with --report.
    #[arg(long, value_name = "DIR", default_value = "docs/bench")]
    pub charts: PathBuf,

    #[command(flatten)]
    pub timeout: TimeoutArgs,

    #[command(flatten)]
    pub admin: AdminArgs,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ScenarioArg {
    Hot,
    NoContention,
    /// A 1,000-seat event booked 2 to 4 seats at a time, coarse (one lock per event) against
    /// fine (one lock per seat); only when asked for. Its strategies: those given among the
    /// ones that lock per seat, else redis and redlock.
    SeatMap,
}

impl ScenarioArg {
    fn scenario(self) -> Option<Scenario> {
        match self {
            ScenarioArg::Hot => Some(Scenario::Hot),
            ScenarioArg::NoContention => Some(Scenario::NoContention),
            ScenarioArg::SeatMap => None,
        }
    }
}

fn parse_seconds(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(s) if (0.2..=600.0).contains(&s) => Ok(s),
        _ => Err(format!(
            "must be a number of seconds from 0.2 to 600 (got {text:?})"
        )),
    }
}

pub async fn run(args: BenchArgs) -> anyhow::Result<bool> {
    let targets = args
        .targets
        .resolve(ONE_TARGET)
        .map_err(anyhow::Error::msg)?;
    let most = args.concurrency.iter().copied().max().unwrap_or(1);
    let hot_extra: Vec<usize> = args
        .hot_concurrency
        .iter()
        .copied()
        .filter(|&n| n > 0 && !args.concurrency.contains(&n))
        .collect();
    let widest = hot_extra
        .iter()
        .copied()
        .chain([most, args.wave_in_flight])
        .max()
        .unwrap_or(1);
    // One pooled connection per client, so a cell measures the lock and not connection setup.
    let http = reqwest::Client::builder()
        .timeout(args.timeout.timeout())
        .pool_max_idle_per_host(widest)
        .pool_idle_timeout(oversold_api::POOL_IDLE)
        .build()
        .context("could not build the HTTP client")?;
    let client =
        Client::with_http(http, targets.clone()).with_admin_token(args.admin.admin_token.clone());
    client.check_reachable().await?;
    let mut seats_ok = true;
    if args.scenario.contains(&ScenarioArg::SeatMap) {
        seats_ok = seat_map_section(&client, &args).await?;
        if args.scenario.len() == 1 {
            return Ok(seats_ok);
        }
    }
    let catalogue = crate::connect::offered(&client, &args.strategies.strategies).await?;
    let unprotected = unprotected(&catalogue, targets.len());
    let strategies: Vec<StrategyName> = if args.strategies.strategies.is_empty() {
        beside_redlock(catalogue.iter().map(|s| s.name).collect())
    } else {
        args.strategies.strategies.clone()
    };
    let spread = if args.scenario.contains(&ScenarioArg::NoContention) {
        most
    } else {
        0
    };
    let events = BenchEvents::ensure(&client, spread).await?;
    let machine = Machine::describe().to_string();

    let mut skipped = Vec::new();
    let mut measured = Vec::new();
    for strategy in &strategies {
        match refusal(&client, &args, &events, *strategy).await? {
            Some(reason) => skipped.push(Skipped {
                strategy: strategy.to_string(),
                reason,
            }),
            None => measured.push(*strategy),
        }
    }
    let scenarios: Vec<Scenario> = args.scenario.iter().filter_map(|s| s.scenario()).collect();
    let grid = |scenario: Scenario| -> Vec<usize> {
        let mut grid = args.concurrency.clone();
        if scenario == Scenario::Hot {
            grid.extend(&hot_extra);
        }
        grid
    };
    let duration = Duration::from_secs_f64(args.seconds);
    let limits = limits(&client, &args, &events, duration).await?;
    let mut progress = Progress::new(
        measured.len() * scenarios.iter().map(|&s| grid(s).len()).sum::<usize>(),
        true,
    );
    let mut cells = Vec::new();
    for strategy in &measured {
        let path = booking_path(*strategy, &args);
        for &scenario in &scenarios {
            for clients in grid(scenario) {
                let booked = events.for_cell(scenario == Scenario::Hot, clients);
                events::reset(&client, &booked).await?;
                let (samples, elapsed) =
                    cell::run(&client, &path, &booked, clients, duration).await;
                let mut audits = Vec::new();
                for &event in &booked {
                    audits.push((event, client.audit(event).await?));
                }
                let cell = CellResult::new(
                    strategy.as_str(),
                    scenario,
                    clients,
                    samples,
                    elapsed,
                    &audits,
                );
                progress.tick(&format!(
                    "{strategy}, {}, {clients} client(s): {:.0} bookings/s",
                    scenario.title(),
                    cell.throughput
                ));
                cells.push(cell);
            }
        }
    }
    progress.finish();
    let waves = if args.wave_requests > 0 {
        eprintln!(
            "waves: {} {} bookings, {} in flight, at {} tickets; then sold out; then reads",
            args.wave_requests, args.wave_strategy, args.wave_in_flight, args.wave_tickets
        );
        Some(
            waves::waves(
                &client,
                events.wave,
                args.wave_strategy,
                args.wave_tickets,
                args.wave_requests,
                args.wave_in_flight,
            )
            .await?,
        )
    } else {
        None
    };
    let one_client = if args.one_client_rounds > 0 && measured.contains(&StrategyName::Atomic) {
        eprintln!(
            "one client: {} alternating rounds of {} bookings and GET {}",
            args.one_client_rounds,
            StrategyName::Atomic,
            waves::TRIVIAL_ROUTE
        );
        let path = booking_path(StrategyName::Atomic, &args);
        events::reset(&client, &[events.hot]).await?;
        let one = one_client::measure(
            &client,
            &path,
            events.hot,
            args.one_client_rounds,
            ONE_CLIENT_ROUND,
        )
        .await;
        events::reset(&client, &[events.hot]).await?;
        Some(one)
    } else {
        None
    };
    let race = if args.race_rounds > 0 {
        eprintln!(
            "race: {} rounds of no-lock at race_window_ms=0",
            args.race_rounds
        );
        Some(waves::race(&client, events.race, args.race_rounds, RACE_REQUESTS).await?)
    } else {
        None
    };

    let many_events = match (&args.database_url, args.many_events) {
        (Some(url), count) if count > 0 => {
            eprintln!("many events: timing /, GET /events and /metrics before and with {count} more events");
            Some(many_events::measure(client.http(), &targets[0], url, count).await?)
        }
        _ => None,
    };

    let run = Run {
        command: reproduce(&args, &targets),
        machine,
        targets,
        race_window_ms: args.race_window_ms,
        ttl_ms: args.ttl_ms,
        seconds: args.seconds,
        concurrency: args.concurrency.clone(),
        hot_concurrency: hot_extra,
        database: limits.database,
        database_note: limits.database_note,
        ceiling: limits.ceiling,
        waves,
        race,
        one_client,
        many_events,
        cells,
        skipped,
        unprotected,
    };
    print(&run, args.json.json)?;
    if let Some(report) = &args.report {
        write_report(&run, report, &args.charts)?;
    }
    Ok(run.ok() && seats_ok)
}

/// The seat-map scenario: every cell, its table on stdout (and in the "seat-map" section of
/// --report); true when no cell sold a seat twice or miscounted.
async fn seat_map_section(client: &Client, args: &BenchArgs) -> anyhow::Result<bool> {
    use oversold_api::Granularity;
    let strategies: Vec<StrategyName> = match args.strategies.strategies.as_slice() {
        [] => seat_map::DEFAULT_STRATEGIES.to_vec(),
        given => given.to_vec(),
    };
    let event = seat_map::ensure(client).await?;
    let duration = Duration::from_secs_f64(args.seconds);
    let mut cells = Vec::new();
    for &strategy in &strategies {
        for &clients in &args.concurrency {
            for granularity in [Granularity::Event, Granularity::Seat] {
                let cell = seat_map::cell(
                    client,
                    event,
                    strategy,
                    granularity,
                    clients,
                    duration,
                    args.race_window_ms,
                )
                .await?;
                eprintln!(
                    "seat map, {strategy} granularity={granularity}, {clients} client(s): {:.0} bookings/s",
                    cell.per_second
                );
                cells.push(cell);
            }
        }
    }
    let text = seat_map::render(&cells);
    let ok = cells.iter().all(seat_map::SeatCell::ok);
    if args.json.json {
        println!("{}", serde_json::to_string_pretty(&cells)?);
    } else {
        println!("{text}");
    }
    if !ok {
        println!("FAILED: a seat-map cell sold a seat twice, or its database count differs from its 201s");
    }
    if let Some(report) = &args.report {
        let body = format!(
            "## Seat maps: what lock granularity costs (test_concurrent bench --scenario seat-map)\n\nMeasured with `{}`.\n\n{text}",
            reproduce(args, client.targets())
        );
        benchkit::report::update_file(report, "seat-map", &body)
            .with_context(|| format!("could not write {}", report.display()))?;
    }
    Ok(ok)
}

/// How long each side of a one-client round runs.
const ONE_CLIENT_ROUND: Duration = Duration::from_millis(500);

/// Requests of each no-lock race round: the workshop's ten.
const RACE_REQUESTS: usize = 10;

/// What the strategies are measured against.
struct Limits {
    database: Vec<database::DbCell>,
    database_note: Option<String>,
    ceiling: Vec<waves::CeilingCell>,
}

/// The database's own limit at each --concurrency (when --database-url is given) and the HTTP
/// ceiling at every concurrency a cell runs at.
async fn limits(
    client: &Client,
    args: &BenchArgs,
    events: &BenchEvents,
    duration: Duration,
) -> anyhow::Result<Limits> {
    let mut concurrencies = args.concurrency.clone();
    concurrencies.extend(args.hot_concurrency.iter().filter(|&&n| n > 0));
    concurrencies.sort_unstable();
    concurrencies.dedup();
    let mut ceiling = Vec::new();
    for &clients in &concurrencies {
        let cell = waves::ceiling(client, clients, duration).await;
        eprintln!(
            "HTTP ceiling (GET {}), {clients} client(s): {:.0} requests/s",
            waves::TRIVIAL_ROUTE,
            cell.per_second
        );
        ceiling.push(cell);
    }
    let mut database = Vec::new();
    let database_note = match &args.database_url {
        None => Some("not measured: give --database-url (or DATABASE_URL), the lab's own".into()),
        Some(url) => {
            let mut tasks: Vec<usize> = args.concurrency.clone();
            tasks.sort_unstable();
            tasks.dedup();
            for tasks in tasks {
                events::reset(client, &[events.database]).await?;
                let (latencies, elapsed) =
                    database::run(url, events.database, tasks, duration).await?;
                let booked = client.audit(events.database).await?.booked;
                let cell = database::DbCell::new(tasks, &latencies, elapsed, booked);
                eprintln!(
                    "database limit, {tasks} task(s): {:.0} bookings/s",
                    cell.throughput
                );
                database.push(cell);
            }
            events::reset(client, &[events.database]).await?;
            None
        }
    };
    Ok(Limits {
        database,
        database_note,
        ceiling,
    })
}

/// The server's order, with `etcd` moved next to `redlock`: the consensus lock's cost is read
/// against the quorum lock's, row by row.
fn beside_redlock(mut names: Vec<StrategyName>) -> Vec<StrategyName> {
    if let (Some(etcd), Some(_)) = (
        names.iter().position(|n| *n == StrategyName::Etcd),
        names.iter().position(|n| *n == StrategyName::Redlock),
    ) {
        names.remove(etcd);
        let redlock = names
            .iter()
            .position(|n| *n == StrategyName::Redlock)
            .unwrap_or(0);
        names.insert(redlock + 1, StrategyName::Etcd);
    }
    names
}

/// The strategies the server's own table says oversell with this many instances.
fn unprotected(catalogue: &[StrategyInfo], instances: usize) -> Vec<String> {
    catalogue
        .iter()
        .filter(|s| {
            let expected = if instances > 1 {
                s.expected.two_instances
            } else {
                s.expected.one_instance
            };
            expected == Outcome::Oversells
        })
        .map(|s| s.name.to_string())
        .collect()
}

fn booking_path(strategy: StrategyName, args: &BenchArgs) -> String {
    let knobs = Knobs {
        race_window_ms: Some(args.race_window_ms),
        ttl_ms: args.ttl_ms,
    };
    format!("{}{}", Route::Strategy(strategy).template(), knobs.query())
}

/// Why the server will not run `strategy` here (a 501 or another 4xx to one probe booking), or
/// `None` when it booked. The probe's booking is undone by the reset before every cell.
async fn refusal(
    client: &Client,
    args: &BenchArgs,
    events: &BenchEvents,
    strategy: StrategyName,
) -> anyhow::Result<Option<String>> {
    events::reset(client, &[events.hot]).await?;
    let path = booking_path(strategy, args).replace("{id}", &events.hot.to_string());
    match client.book(client.first(), &path, None).await {
        BookingAnswer::Booked(_) => Ok(None),
        BookingAnswer::Refused { status: 501, body } => Ok(Some(body.message)),
        BookingAnswer::Refused { status, body } => anyhow::bail!(
            "a probe booking with {strategy} answered {status}: {}",
            body.message
        ),
        other => anyhow::bail!("a probe booking with {strategy} got {other:?}"),
    }
}

fn print(run: &Run, json: bool) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    if json {
        let mut doc = serde_json::to_value(run)?;
        doc["targets_met"] = serde_json::to_value(
            run.targets()
                .iter()
                .map(|t| (t.what.clone(), t.median(), t.met()))
                .collect::<Vec<_>>(),
        )?;
        doc["issue_targets"] = serde_json::to_value(run.issue_targets())?;
        doc["ok"] = run.ok().into();
        writeln!(out, "{}", serde_json::to_string_pretty(&doc)?)?;
    } else {
        writeln!(out, "{}", run.markdown(&[]))?;
        if !run.ok() {
            writeln!(out, "FAILED: a cell's database count differs from its 201s, or a protected strategy's audit is not clean")?;
        }
    }
    Ok(())
}

/// Writes the charts, then the report section that links them (relative to the report).
fn write_report(run: &Run, report: &Path, charts: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(charts)
        .with_context(|| format!("could not create {}", charts.display()))?;
    let base = report.parent().unwrap_or(Path::new(""));
    let mut links = Vec::new();
    for (scenario, file) in [
        (Scenario::Hot, "strategies-hot.svg"),
        (Scenario::NoContention, "strategies-no-contention.svg"),
    ] {
        if run.cells.iter().all(|c| c.scenario != scenario) {
            continue;
        }
        let path = charts.join(file);
        let svg = run.chart(scenario).map_err(anyhow::Error::msg)?;
        std::fs::write(&path, svg)
            .with_context(|| format!("could not write {}", path.display()))?;
        let link = path.strip_prefix(base).unwrap_or(&path);
        links.push((scenario, link.display().to_string()));
    }
    benchkit::report::update_file(report, "strategies", &run.markdown(&links))
        .with_context(|| format!("could not write {}", report.display()))?;
    eprintln!(
        "wrote the strategies section of {} and charts in {}",
        report.display(),
        charts.display()
    );
    Ok(())
}

/// The flags' defaults, as clap gives them.
fn parse_defaults() -> BenchArgs {
    use clap::Parser;
    #[derive(Parser)]
    struct Defaults {
        #[command(flatten)]
        bench: BenchArgs,
    }
    let mut defaults = Defaults::try_parse_from(["bench"])
        .expect("the defaults parse")
        .bench;
    // The environment is not a default.
    defaults.database_url = None;
    defaults
}

/// The command line that reproduces the run.
fn reproduce(args: &BenchArgs, targets: &[String]) -> String {
    let list = |items: Vec<String>| items.join(",");
    let mut command = format!(
        "cargo run --release -p test_concurrent -- bench --target {} --seconds {} --concurrency {} --race-window-ms {}",
        targets.join(","),
        args.seconds,
        list(args.concurrency.iter().map(usize::to_string).collect()),
        args.race_window_ms
    );
    // The extras only when they are not the defaults, so the common command stays short.
    let defaults = parse_defaults();
    if args.hot_concurrency != defaults.hot_concurrency {
        let extra: Vec<String> = args.hot_concurrency.iter().map(usize::to_string).collect();
        command.push_str(&format!(" --hot-concurrency {}", list(extra)));
    }
    for (flag, value, default) in [
        (
            "--wave-requests",
            args.wave_requests,
            defaults.wave_requests,
        ),
        (
            "--wave-in-flight",
            args.wave_in_flight,
            defaults.wave_in_flight,
        ),
        (
            "--wave-tickets",
            args.wave_tickets as usize,
            defaults.wave_tickets as usize,
        ),
        ("--race-rounds", args.race_rounds, defaults.race_rounds),
        (
            "--one-client-rounds",
            args.one_client_rounds,
            defaults.one_client_rounds,
        ),
        (
            "--many-events",
            args.many_events as usize,
            defaults.many_events as usize,
        ),
    ] {
        if value != default {
            command.push_str(&format!(" {flag} {value}"));
        }
    }
    if args.wave_strategy != defaults.wave_strategy {
        command.push_str(&format!(" --wave-strategy {}", args.wave_strategy));
    }
    if args.database_url.is_some() {
        command.push_str(" --database-url \"$DATABASE_URL\"");
    }
    if !args.strategies.strategies.is_empty() {
        let names: Vec<&str> = args
            .strategies
            .strategies
            .iter()
            .map(|s| s.as_str())
            .collect();
        command.push_str(&format!(" --strategy {}", names.join(",")));
    }
    if args.scenario.len() == 1 {
        let name = args.scenario[0]
            .to_possible_value()
            .map(|v| v.get_name().to_string());
        command.push_str(&format!(" --scenario {}", name.unwrap_or_default()));
    }
    if let Some(ttl) = args.ttl_ms {
        command.push_str(&format!(" --ttl-ms {ttl}"));
    }
    if let Some(report) = &args.report {
        command.push_str(&format!(
            " --report {} --charts {}",
            report.display(),
            args.charts.display()
        ));
    }
    command
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[test]
    fn etcd_is_measured_right_after_redlock() {
        use StrategyName::*;
        assert_eq!(
            beside_redlock(vec![NoLock, Redlock, Fenced, Batched, Etcd]),
            [NoLock, Redlock, Etcd, Fenced, Batched]
        );
        assert_eq!(beside_redlock(vec![Atomic, Etcd]), [Atomic, Etcd]);
    }

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        bench: BenchArgs,
    }

    fn parse(argv: &[&str]) -> Result<BenchArgs, clap::Error> {
        let mut all = vec!["bench"];
        all.extend_from_slice(argv);
        Cli::try_parse_from(all).map(|c| c.bench)
    }

    #[test]
    fn the_defaults_are_the_issues_grid_with_no_race_window() {
        let args = parse(&[]).unwrap();
        assert_eq!(args.concurrency, [1, 16, 64]);
        assert_eq!(args.scenario, [ScenarioArg::Hot, ScenarioArg::NoContention]);
        assert_eq!(args.race_window_ms, 0);
        assert_eq!(
            booking_path(StrategyName::Redis, &args),
            "/book/redis/{id}?race_window_ms=0"
        );
    }

    #[test]
    fn bad_numbers_are_refused_before_anything_is_sent() {
        assert!(parse(&["--concurrency", "0"]).is_err());
        assert!(parse(&["--concurrency", "1,10001"]).is_err());
        assert!(parse(&["--seconds", "0"]).is_err());
        assert!(parse(&["--seconds", "abc"]).is_err());
        assert!(parse(&["--scenario", "lukewarm"]).is_err());
        assert!(parse(&["--ttl-ms", "5"]).is_err());
    }

    #[test]
    fn a_per_process_lock_is_unprotected_only_over_several_instances() {
        let row = |name: &str, one: &str, two: &str| {
            serde_json::json!({ "name": name, "description": "", "databases": ["sqlite"],
                "expected": { "one_instance": one, "two_instances": two, "paused_past_ttl": "safe" } })
        };
        let catalogue: Vec<StrategyInfo> = serde_json::from_value(serde_json::json!([
            row("no-lock", "oversells", "oversells"),
            row("local-mutex", "safe", "oversells"),
            row("redis", "safe", "safe"),
        ]))
        .unwrap();
        let catalogue = &catalogue[..];
        assert_eq!(unprotected(catalogue, 1), ["no-lock"]);
        assert_eq!(unprotected(catalogue, 2), ["no-lock", "local-mutex"]);
    }

    #[test]
    fn the_reproducing_command_carries_every_choice() {
        let args = parse(&[
            "--strategy",
            "redis",
            "--scenario",
            "hot",
            "--ttl-ms",
            "500",
            "--report",
            "BENCHMARKS.md",
        ])
        .unwrap();
        let command = reproduce(&args, &["http://a:1".to_string()]);
        assert_eq!(
            command,
            "cargo run --release -p test_concurrent -- bench --target http://a:1 --seconds 3 \
             --concurrency 1,16,64 --race-window-ms 0 --strategy redis --scenario hot --ttl-ms 500 \
             --report BENCHMARKS.md --charts docs/bench"
        );
        assert_eq!(
            booking_path(StrategyName::Redis, &args),
            "/book/redis/{id}?race_window_ms=0&ttl_ms=500"
        );
    }
}
