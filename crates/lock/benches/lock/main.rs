//! The lock library's micro-benchmark: acquire+release cycles per second and p50/p99 latency,
//! next to the raw Redis commands a cycle is made of and next to the `rslock` crate, measured
//! side by side in one run on the same nodes.
//!
//! `cargo bench -p oversold-lock --bench lock` starts its own five `redis-server` processes on
//! free ports (or takes `--urls`), then for 1 and 5 nodes and 1 and 50 tasks (each on its own key)
//! measures, round after round and in turn: the raw cycle (`SET key value NX PX ttl`, then the
//! release script by EVALSHA, on every node, over one multiplexed connection per node, with no
//! lock logic), our `acquire` + `release`, and rslock's `lock` + `unlock`. It prints a table, the
//! targets as ratios within each round, and with `--report` rewrites the "lock" section of
//! BENCHMARKS.md.

mod contenders;
mod measure;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use benchkit::machine::Machine;
use benchkit::stats::{ratio, Summary};
use benchkit::table::{figure, Table};
use benchkit::targets::{self, Target};
use clap::Parser;
use testkit::RedisServer;

use contenders::{Clients, Contender};
use measure::Measurement;

/// Acquire+release cycles per second of oversold's lock, next to raw Redis and rslock.
///
/// Run with `cargo bench -p oversold-lock --bench lock -- [FLAGS]`. Needs `redis-server` on PATH unless --urls is
/// given (./test.sh or `apt-get install redis-server` installs it).
#[derive(Parser, Debug)]
#[command(name = "lock-bench")]
struct Args {
    /// Redis nodes to measure on, comma-separated (at least 5: the 1-node figures use the first).
    /// Default: five private redis-server processes on free ports, stopped at the end.
    #[arg(long, value_delimiter = ',', value_name = "URL")]
    urls: Vec<String>,

    /// Seconds each contender runs in each configuration and round.
    #[arg(long, default_value_t = 2.0, value_name = "SECS")]
    seconds: f64,

    /// Rounds: every contender is measured once per round, in turn, and the ratios are taken
    /// within each round; tables show the median round.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=50))]
    rounds: u32,

    /// Concurrent tasks to measure with, comma-separated; each task has its own key.
    #[arg(long, value_delimiter = ',', default_values_t = [1usize, 50], value_name = "N")]
    tasks: Vec<usize>,

    /// Rewrite the "lock" section of this markdown report (created if missing). A relative path
    /// is taken from the workspace root, wherever cargo runs the benchmark from.
    #[arg(long, value_name = "PATH")]
    report: Option<PathBuf>,

    /// Passed by `cargo bench`; ignored.
    #[arg(long, hide = true)]
    bench: bool,
}

/// The node counts of the issue: the single-node lock and Redlock over five.
const NODE_COUNTS: [usize; 2] = [1, 5];

/// One configuration: nodes × tasks.
type Config = (usize, usize);

#[tokio::main]
async fn main() {
    let args = Args::parse();
    if args.tasks.contains(&0) || args.seconds <= 0.0 {
        eprintln!("error: --tasks must be at least 1 and --seconds positive");
        std::process::exit(2);
    }
    let machine = Machine::describe();
    let (urls, _servers) = nodes(&args.urls);
    let duration = Duration::from_secs_f64(args.seconds);
    let mut clients: BTreeMap<usize, Arc<Clients>> = BTreeMap::new();
    for n in NODE_COUNTS {
        clients.insert(n, Arc::new(Clients::new(&urls[..n]).await));
    }

    let configs: Vec<Config> = NODE_COUNTS
        .iter()
        .flat_map(|&n| args.tasks.iter().map(move |&t| (n, t)))
        .collect();
    let total = configs.len() * Contender::ALL.len() * args.rounds as usize;
    let mut done = 0;
    // Warm-up: connections opened, scripts loaded, before anything counts.
    for &(nodes, tasks) in &configs {
        for contender in Contender::ALL {
            run(
                &clients[&nodes],
                contender,
                tasks,
                Duration::from_millis(300),
            )
            .await;
        }
    }
    let mut results: BTreeMap<(Config, usize), Vec<Measurement>> = BTreeMap::new();
    for round in 1..=args.rounds {
        for &config in &configs {
            // Every other round in the opposite order (A B C, then C B A): on a machine whose
            // load drifts, a contender measured always first or always last would carry the
            // drift into every ratio; alternating cancels a steady drift across two rounds.
            let mut order: Vec<(usize, Contender)> =
                Contender::ALL.into_iter().enumerate().collect();
            if round % 2 == 0 {
                order.reverse();
            }
            for (c, contender) in order {
                done += 1;
                eprintln!(
                    "[{done}/{total}] round {round}: {contender}, {} node(s), {} task(s)",
                    config.0, config.1
                );
                let m = run(&clients[&config.0], contender, config.1, duration).await;
                if m.cycles == 0 {
                    eprintln!(
                        "error: {contender} did no cycle: {}",
                        m.first_error.as_deref().unwrap_or("no error reported")
                    );
                    std::process::exit(1);
                }
                results.entry((config, c)).or_default().push(m);
            }
        }
    }

    let body = render(&args, &machine, &configs, &results);
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{body}");
    if let Some(given) = &args.report {
        let path = &from_workspace_root(given);
        if let Err(e) = benchkit::report::update_file(path, "lock", &body) {
            eprintln!("error: could not write {}: {e}", path.display());
            std::process::exit(1);
        }
        eprintln!("wrote the lock section of {}", path.display());
    }
}

async fn run(
    clients: &Arc<Clients>,
    contender: Contender,
    tasks: usize,
    d: Duration,
) -> Measurement {
    let clients = clients.clone();
    measure::run(tasks, d, move |task| {
        let clients = clients.clone();
        async move { clients.cycle(contender, &contender.key(task)).await }
    })
    .await
}

/// The URLs to use, and the servers started for them (stopped when dropped).
fn nodes(given: &[String]) -> (Vec<String>, Vec<RedisServer>) {
    if !given.is_empty() {
        if given.len() < 5 {
            eprintln!(
                "error: --urls needs 5 nodes (got {}); omit it to start private ones",
                given.len()
            );
            std::process::exit(2);
        }
        return (given.to_vec(), Vec::new());
    }
    eprintln!("starting 5 redis-server processes on free ports");
    let servers: Vec<RedisServer> = (0..5).map(|_| RedisServer::start()).collect();
    (servers.iter().map(RedisServer::url).collect(), servers)
}

/// `cargo bench` runs a benchmark in its package's directory; report paths are meant from the
/// workspace root, where `bench.sh` and people run it.
fn from_workspace_root(path: &Path) -> PathBuf {
    if path.is_absolute() {
        return path.to_path_buf();
    }
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path)
}

/// The median round of a contender in a configuration, by rate.
fn median(runs: &[Measurement]) -> &Measurement {
    let mut sorted: Vec<&Measurement> = runs.iter().collect();
    sorted.sort_by(|a, b| a.per_second().total_cmp(&b.per_second()));
    sorted[sorted.len() / 2]
}

fn render(
    args: &Args,
    machine: &Machine,
    configs: &[Config],
    results: &BTreeMap<(Config, usize), Vec<Measurement>>,
) -> String {
    let rate = |config: Config, contender: Contender, round: usize| {
        let c = Contender::ALL.iter().position(|&x| x == contender).unwrap();
        results[&(config, c)][round].per_second()
    };
    let rounds = args.rounds as usize;
    // `contender / yardstick` within each round: the rounds' ratios.
    let per_round = |config: Config, contender: Contender, yardstick: Contender| -> Vec<f64> {
        (0..rounds)
            .filter_map(|r| ratio(rate(config, contender, r), rate(config, yardstick, r)))
            .collect()
    };
    let mut table = Table::new([
        "nodes",
        "tasks",
        "contender",
        "cycles/s",
        "p50 ms",
        "p99 ms",
        "vs raw cycle",
        "errors",
    ]);
    for &config in configs {
        for (c, contender) in Contender::ALL.into_iter().enumerate() {
            let runs = &results[&(config, c)];
            let m = median(runs);
            let Summary { p50_ms, p99_ms, .. } = m.latency;
            let vs_raw = match contender {
                Contender::RawCycle => "1×".to_string(),
                _ => {
                    let mut ratios = per_round(config, contender, Contender::RawCycle);
                    ratios.sort_by(f64::total_cmp);
                    ratios
                        .get(ratios.len() / 2)
                        .map_or("-".into(), |m| format!("{}×", figure(*m)))
                }
            };
            table.row([
                config.0.to_string(),
                config.1.to_string(),
                contender.to_string(),
                figure(m.per_second()),
                format!("{p50_ms:.3}"),
                format!("{p99_ms:.3}"),
                vs_raw,
                runs.iter().map(|r| r.errors).sum::<usize>().to_string(),
            ]);
        }
    }

    let goal = |what: &str, at_least: f64, config: Config, yardstick: Contender| Target {
        what: what.to_string(),
        at_least,
        unit: "×",
        rounds: if configs.contains(&config) {
            per_round(config, Contender::Oversold, yardstick)
        } else {
            Vec::new()
        },
    };
    let (one, five) = ((1, 50), (5, 50));
    let goals = vec![
        goal(
            "1 node, 50 tasks: lock vs raw SET NX PX + EVALSHA cycle",
            0.95,
            one,
            Contender::RawCycle,
        ),
        goal(
            "1 node, 50 tasks: lock vs rslock",
            1.5,
            one,
            Contender::Rslock,
        ),
        goal(
            "5 nodes, 50 tasks: Redlock vs raw SET NX PX + EVALSHA cycle",
            0.95,
            five,
            Contender::RawCycle,
        ),
        goal(
            "5 nodes, 50 tasks: Redlock vs rslock",
            1.5,
            five,
            Contender::Rslock,
        ),
    ];

    let command = reproduce(args);
    format!(
        "## The lock library against raw Redis and rslock\n\n\
         Reproduce: `{command}`\n\n\
         Machine: {machine}. Redis nodes: {nodes}. {rounds} round(s) of {secs} s per contender and \
         configuration, contenders measured in turn within each round (every other round in the opposite order, so a drifting load does not favour one); the table shows each \
         contender's median round. A cycle is one acquire and one release of a key of the task's \
         own (no contention). The raw cycle is the same two commands with nothing around them: \
         `SET key value NX PX ttl`, then the release script by EVALSHA, on every node in \
         parallel over one multiplexed connection per node; 1.0× against it means the client \
         adds nothing to the two round trips a cycle is made of.\n\n\
         {table}\n\
         Targets (ratios taken within each round; median and range over the rounds):\n\n\
         {goals}",
        nodes = if args.urls.is_empty() {
            "five private redis-server processes on loopback (same machine)"
        } else {
            "given by --urls"
        },
        secs = args.seconds,
        table = table.to_markdown(),
        goals = targets::table(&goals).to_markdown(),
    )
}

/// The command line that reproduces this run.
fn reproduce(args: &Args) -> String {
    let mut command = "cargo bench -p oversold-lock --bench lock --".to_string();
    command.push_str(&format!(
        " --seconds {} --rounds {}",
        args.seconds, args.rounds
    ));
    let tasks: Vec<String> = args.tasks.iter().map(usize::to_string).collect();
    command.push_str(&format!(" --tasks {}", tasks.join(",")));
    if let Some(path) = &args.report {
        command.push_str(&format!(" --report {}", path.display()));
    }
    command
}
