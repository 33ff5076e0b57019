//! `test_concurrent chaos`: load over every instance while Redis nodes, etcd members and app
//! instances fail.
//!
//! Each strategy under test gets its own event ("chaos: <strategy>") and plays rounds on it:
//! reset to `--capacity` tickets, `--concurrency` requests at a time spread over the targets
//! until it sells out, wait for every request in flight, then read the event's audit. Meanwhile
//! a fault injector pauses (SIGSTOP) and kills (SIGKILL) the Redis nodes the lab uses, found by
//! the pidfiles `start.sh` writes, with `--faults app-kill` kills an app instance and starts
//! it again with the command line it had, and with `etcd-pause`/`etcd-kill` does the same to one
//! etcd member at a time. At the end every fault is healed, the lock TTL is let
//! pass, and the nodes are scanned for `lock:*` keys: any left is a lock held past its TTL.
//!
//! The verdict, as everywhere in the lab, comes from the audit: a round whose event is not clean
//! (oversold, lost updates, negative availability) is a violation. The answers are only counted
//! to show what the faults cost (503s while a quorum is gone, requests an instance took down).

mod blame;
mod faults;
mod load;
mod locks;
mod report;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use oversold_api::{Client, Database, Outcome, StrategyName};

use crate::cli::{AdminArgs, JsonArgs, StrategyArgs, TargetArgs};

pub use faults::FaultKind;

const EXAMPLES: &str = "\
Examples:
  ./start.sh && test_concurrent chaos --duration 5m
                              five minutes against the lab start.sh runs (.run/ in this directory)
  test_concurrent chaos --duration 60s --faults redis-pause,redis-kill,app-kill
                              also kill an app instance now and then, and start it again
  test_concurrent chaos --duration 60s --faults etcd-pause,etcd-kill --strategy etcd
                              pause and kill etcd members under the etcd strategy
  test_concurrent chaos --duration 30s --strategy redlock,fenced --json

Exit status: 0 when no strategy under test had an invariant violation and no lock was held past
its TTL; 1 when one did; 2 when the run could not be made (a target that does not answer, a
pidfile that is missing: start the lab with ./start.sh, or point --run-dir at its pidfiles).";

/// Load over every instance and the safe strategies while Redis nodes are stopped, paused and
/// restarted; ends with the invariant violations per strategy from the audit.
#[derive(Args, Debug)]
#[command(after_help = EXAMPLES)]
pub struct ChaosArgs {
    /// Bookings are spread over every target; an app's pidfile is looked up by its port.
    #[command(flatten)]
    pub targets: TargetArgs,

    /// How long to run the load and inject faults: 90, 90s, 5m, 1h (then faults are healed,
    /// the lock TTL is let pass, and the run is judged).
    #[arg(long, value_name = "D", value_parser = parse_duration, default_value = "60s")]
    pub duration: Duration,

    /// Where start.sh keeps its pidfiles: redis-<port>.pid for each Redis node the first target
    /// reports in /health, app-<port>.pid for each target (with --faults app-kill),
    /// etcd-<client port>.pid for each etcd member /health reports (with etcd-pause, etcd-kill).
    #[arg(long, value_name = "DIR", default_value = ".run")]
    pub run_dir: PathBuf,

    /// The faults to inject, in turn (comma-separated): redis-pause (SIGSTOP, then SIGCONT),
    /// redis-kill (SIGKILL, restarted empty after at least one lock TTL, as Redlock requires of
    /// nodes without persistence), app-kill (SIGKILL an app instance, start it again),
    /// etcd-pause (SIGSTOP an etcd member, then SIGCONT), etcd-kill (SIGKILL an etcd member,
    /// started again on its data as a crash leaves it), or none. At most one etcd member (a
    /// minority of three) is faulted at a time.
    #[arg(
        long,
        value_name = "KIND[,KIND...]",
        value_delimiter = ',',
        value_enum,
        default_value = "redis-pause,redis-kill"
    )]
    pub faults: Vec<FaultKind>,

    /// Mean seconds between two faults (0.2 to 3600); each is drawn between half and one and a
    /// half times this.
    #[arg(long, value_name = "SECS", default_value_t = 4.0, value_parser = parse_fault_every)]
    pub fault_every: f64,

    /// Most Redis nodes down or paused at once [default: a minority, (N-1)/2, at least 1].
    #[arg(long, value_name = "N")]
    pub max_nodes_down: Option<usize>,

    #[command(flatten)]
    pub strategies: StrategyArgs,

    /// Tickets each round starts with (1 to 1000).
    #[arg(long, value_name = "C", default_value_t = 5,
          value_parser = clap::value_parser!(i64).range(1..=1000))]
    pub capacity: i64,

    /// Requests in flight at once per strategy (1 to 64).
    #[arg(long, value_name = "N", default_value_t = 4,
          value_parser = clap::value_parser!(u32).range(1..=64))]
    pub concurrency: u32,

    /// The race window sent with every booking (0 to 30000 ms).
    #[arg(long, value_name = "MS", default_value_t = 20,
          value_parser = clap::value_parser!(u64).range(0..=30_000))]
    pub race_window_ms: u64,

    /// The lock TTL sent with every booking (10 to 300000 ms). A killed node stays down at least
    /// this long, and the final lock scan waits this long after the last request.
    #[arg(long, value_name = "MS", default_value_t = 2_000,
          value_parser = clap::value_parser!(u64).range(10..=300_000))]
    pub ttl_ms: u64,

    /// The redis-server binary used to restart a killed node.
    #[arg(
        long,
        value_name = "PATH",
        default_value = "redis-server",
        env = "REDIS_SERVER"
    )]
    pub redis_server: String,

    /// Seed of the fault injector's choices, to repeat a run [default: random].
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,

    /// Seconds between two progress lines on stderr (1 to 3600).
    #[arg(long, value_name = "SECS", default_value_t = 5,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub progress_every: u64,

    #[command(flatten)]
    pub admin: AdminArgs,

    /// The report.
    #[command(flatten)]
    pub json: JsonArgs,
}

/// The two instances `start.sh` runs.
const BOTH_TARGETS: &[&str] = &["http://127.0.0.1:8080", "http://127.0.0.1:8081"];

pub async fn run(args: ChaosArgs) -> anyhow::Result<bool> {
    let targets = args
        .targets
        .resolve(BOTH_TARGETS)
        .map_err(anyhow::Error::msg)?;
    if args.faults.contains(&FaultKind::AppKill) && targets.len() < 2 {
        anyhow::bail!(
            "--faults app-kill needs two targets or more, so that one instance keeps serving \
             while the other is down"
        );
    }
    let client = crate::connect::connect(
        targets.clone(),
        Duration::from_secs(30),
        args.admin.admin_token.clone(),
    )
    .await?;
    let health = client
        .health_of(&targets[0])
        .await
        .context("GET /health did not answer the lab's JSON; is the target the oversold lab?")?;
    let database = health.database.backend;
    let node_urls: Vec<String> = health.redis.nodes.iter().map(|n| n.url.clone()).collect();
    let strategies = pick_strategies(&client, &args.strategies.strategies, database).await?;
    let names: Vec<&str> = strategies.iter().map(|s| s.as_str()).collect();
    let database = database.as_str();
    let etcd_urls: Vec<String> = health
        .etcd
        .iter()
        .flat_map(|e| e.members.iter().map(|m| m.url.clone()))
        .collect();
    let has = |kinds: &[FaultKind]| args.faults.iter().any(|f| kinds.contains(f));
    let etcd_faults = has(&[FaultKind::EtcdPause, FaultKind::EtcdKill]);
    if etcd_faults && etcd_urls.is_empty() {
        anyhow::bail!(
            "--faults etcd-pause/etcd-kill need the lab's etcd cluster, and {} reports none in \
             /health (start the app with ETCD_ENDPOINTS)",
            targets[0]
        );
    }
    let processes = crate::processes::Processes::find(
        &args.run_dir,
        &args.redis_server,
        crate::processes::Wanted {
            redis: &node_urls,
            redis_pidfiles: has(&[FaultKind::RedisPause, FaultKind::RedisKill]),
            apps: &targets,
            app_pidfiles: has(&[FaultKind::AppKill]),
            etcd: &etcd_urls,
            etcd_pidfiles: etcd_faults,
        },
    )?;
    let max_down = args
        .max_nodes_down
        .unwrap_or((node_urls.len().saturating_sub(1) / 2).max(1));

    eprintln!(
        "chaos: {} over {} ({database}, {} Redis nodes), strategies {}; faults {} about every {}s, \
         at most {max_down} node(s) down at once",
        report::seconds(args.duration),
        targets.join(", "),
        node_urls.len(),
        names.join(", "),
        faults::describe_kinds(&args.faults),
        args.fault_every
    );
    let first_node = processes.redis_ports().first().copied().unwrap_or_default();
    let events = load::prepare_events(&client, &strategies, args.capacity).await?;
    let stop = Arc::new(AtomicBool::new(false));
    // One clock for the faults and the answers, so a 503 can be set against the faults.
    let injector = faults::Injector::new(processes, &args, max_down);
    let started = injector.started();
    let settings = load::Settings {
        capacity: args.capacity,
        concurrency: args.concurrency,
        race_window_ms: args.race_window_ms,
        ttl_ms: args.ttl_ms,
        started,
    };
    let stats = load::Stats::new(&strategies);
    let load = load::start(&client, &events, settings, stats.clone(), stop.clone());
    let fault_log = injector.log();
    let faulting = tokio::spawn(injector.run(stop.clone()));

    let ticker = tokio::spawn(report::progress(
        stats.clone(),
        fault_log.clone(),
        started,
        args.duration,
        Duration::from_secs(args.progress_every),
        stop.clone(),
    ));
    tokio::time::sleep(args.duration).await;
    stop.store(true, Ordering::SeqCst);
    eprintln!("chaos: time is up; letting requests in flight finish and healing every fault");
    let processes = faulting.await.context("the fault injector panicked")??;
    for task in load {
        task.await.context("a load task panicked")?;
    }
    ticker.abort();

    let ttl = Duration::from_millis(args.ttl_ms);
    let wait = ttl + Duration::from_secs(1);
    eprintln!(
        "chaos: waiting {} (the lock TTL and a second) before scanning for locks left held",
        report::seconds(wait)
    );
    tokio::time::sleep(wait).await;
    let stuck = locks::scan(&processes.redis_ports()).await?;
    stats.blame(&fault_log.lock().unwrap(), first_node);
    let report = report::Report::new(
        &args,
        &targets,
        database,
        node_urls.len(),
        started.elapsed(),
        &stats,
        &fault_log,
        stuck,
        wait,
    );
    report.print(args.json.json)?;
    Ok(report.passed())
}

/// The strategies to load: those asked for, or every one the server calls safe over several
/// instances and can run on its database.
async fn pick_strategies(
    client: &Client,
    asked: &[StrategyName],
    database: Database,
) -> anyhow::Result<Vec<StrategyName>> {
    let offered = crate::connect::offered(client, asked).await?;
    if !asked.is_empty() {
        return Ok(asked.to_vec());
    }
    Ok(offered
        .iter()
        .filter(|s| s.expected.two_instances == Outcome::Safe && s.runs_on(database))
        .map(|s| s.name)
        .collect())
}

/// `90`, `90s`, `1500ms`, `5m`, `1h`.
fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a duration like 90s, 5m or 1h"))?;
    let seconds = match unit {
        "" | "s" => value,
        "ms" => value / 1000.0,
        "m" => value * 60.0,
        "h" => value * 3600.0,
        _ => return Err(format!("{text:?}: the unit must be ms, s, m or h")),
    };
    if !(1.0..=86_400.0).contains(&seconds) {
        return Err(format!("{text:?} must be between 1s and 24h"));
    }
    Ok(Duration::from_secs_f64(seconds))
}

fn parse_fault_every(text: &str) -> Result<f64, String> {
    let value: f64 = text
        .parse()
        .map_err(|_| format!("{text:?} is not a number of seconds"))?;
    if (0.2..=3600.0).contains(&value) {
        Ok(value)
    } else {
        Err(format!(
            "--fault-every must be between 0.2 and 3600 (got {value})"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_with_or_without_a_unit() {
        assert_eq!(parse_duration("90").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("5m").unwrap(), Duration::from_secs(300));
        assert_eq!(
            parse_duration("1500ms").unwrap(),
            Duration::from_millis(1500)
        );
        assert_eq!(parse_duration("1.5s").unwrap(), Duration::from_millis(1500));
        assert!(parse_duration("5 minutes").is_err());
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("-3").is_err());
    }
}
