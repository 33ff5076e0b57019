//! The command line: `fight | matrix | chaos | bench`, the flag groups they share, and the fights
//! a `fight` asks for.
//!
//! Flags are checked here, before anything is sent, so a typo costs a usage message and not a
//! reset event. A group of flags that several subcommands take (where to send, which
//! strategies, the round, the knobs, the admin token) is one struct flattened into each, so its
//! help and its checks are written once. Without a subcommand the flags are a `fight`'s, so
//! `test_concurrent --target URL` works as it always did. What a fight asks for becomes a list
//! of [`Fighter`]s: a label, the booking route and whether it claims to protect the ticket (the
//! unprotected oversell is the lesson, not a failure, so only protected fighters decide the
//! exit code).

use clap::{Args as FlagGroup, Parser, Subcommand, ValueEnum};
use oversold_api::{Knobs, Route, StrategyName};

const EXAMPLES: &str = "\
Examples:
  test_concurrent                                   no-lock, then with-lock, at http://127.0.0.1:8080
  test_concurrent --target http://127.0.0.1:8080,http://127.0.0.1:8081
                                                    the same fight spread over two instances
  test_concurrent --strategy fenced --race-window-ms 500 --ttl-ms 100
                                                    a holder paused past its lease, with fencing
  test_concurrent matrix --target http://127.0.0.1:8080,http://127.0.0.1:8081
                                                    every strategy: one instance, two, paused past TTL,
                                                    node restarts empty, clock jump (early expiry)
  test_concurrent --repeat 20 --json                twenty rounds each, machine-readable
  test_concurrent chaos --duration 60s              load while Redis nodes are paused and killed
  test_concurrent chaos --faults etcd-pause,etcd-kill  etcd members paused and killed
  test_concurrent bench --seconds 1                 what each strategy costs

Exit status: 0 when every protected round booked exactly min(requests, capacity) tickets with a
clean audit (for matrix: when every cell matched the strategy's expected row); 1 when one did
not; 2 for bad flags, a target that cannot be reached (start the lab with ./start.sh) or an
event or strategy the server does not know.";

/// Fires concurrent bookings at the oversold lab and reports what the database says happened.
///
/// Each round resets the event, releases all requests at once (spread round-robin over the
/// targets) and reads the verdict from the event's audit, never from counting responses.
/// Without a subcommand it runs a `fight` with the flags below.
#[derive(Parser, Debug)]
#[command(
    name = "test_concurrent",
    version,
    after_help = EXAMPLES,
    args_conflicts_with_subcommands = true
)]
pub struct Args {
    #[command(subcommand)]
    pub command: Option<Command>,

    #[command(flatten)]
    pub fight: FightArgs,
}

impl Args {
    /// The subcommand asked for; a bare `test_concurrent ...` is a fight.
    pub fn command(self) -> Command {
        self.command.unwrap_or(Command::Fight(self.fight))
    }
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// The classic fight: one table per endpoint or strategy, `--repeat` rounds each (the
    /// default when no subcommand is given).
    Fight(FightArgs),
    /// For each strategy, three fights: on the first target alone, spread over all targets, and
    /// with the holder paused past its TTL; for redlock, fenced and etcd also two choreographed
    /// faults on the lab's own processes (a lock node restarted empty, and an early expiry
    /// standing in for a clock jump); each verdict is set against the strategy's expected row
    /// from GET /strategies.
    Matrix(MatrixArgs),
    /// Load on every instance and the safe strategies while Redis nodes are stopped, paused and
    /// restarted; ends with the invariant violations per strategy from the audit.
    Chaos(Box<crate::chaos::ChaosArgs>),
    /// What each strategy costs: throughput and latency per strategy and concurrency.
    Bench(crate::bench::BenchArgs),
}

/// Where the requests go.
#[derive(FlagGroup, Debug, Clone)]
pub struct TargetArgs {
    /// Base URL of an app instance (http:// only); repeat the flag or separate URLs with commas to
    /// spread the requests round-robin over several instances. Resets, events and audits go to
    /// the first. Every target must answer GET /health before anything is sent. Default:
    /// http://127.0.0.1:8080 (for chaos: http://127.0.0.1:8080,http://127.0.0.1:8081, the two
    /// instances start.sh runs).
    #[arg(
        long = "target",
        value_name = "URL",
        value_delimiter = ',',
        env = "TARGETS"
    )]
    pub targets: Vec<String>,
}

impl TargetArgs {
    /// The targets given, or `default`, checked.
    pub fn resolve(&self, default: &[&str]) -> Result<Vec<String>, String> {
        if self.targets.is_empty() {
            return parse_targets(&default.iter().map(|t| t.to_string()).collect::<Vec<_>>());
        }
        parse_targets(&self.targets)
    }
}

/// Which strategies.
#[derive(FlagGroup, Debug, Clone)]
pub struct StrategyArgs {
    /// Strategies to run, through POST /book/{strategy}/{id} (repeat the flag or use commas):
    /// no-lock, local-mutex, redis, redlock, fenced, pg-advisory, for-update, optimistic, atomic,
    /// queue, batched, etcd. All but no-lock are protected. Default: none for fight (see --endpoint and --all);
    /// every strategy the server offers for matrix and bench; for chaos, every strategy the
    /// server calls safe over several instances that runs on its database.
    #[arg(
        long = "strategy",
        value_name = "NAME[,NAME...]",
        value_delimiter = ','
    )]
    pub strategies: Vec<StrategyName>,
}

/// The round every fight and matrix cell plays.
#[derive(FlagGroup, Debug, Clone, Copy)]
pub struct RoundArgs {
    /// The event to fight over (1 is seeded with one ticket). It must exist: GET /events lists them.
    #[arg(long, value_name = "ID", default_value_t = 1)]
    pub event: i64,

    /// How many booking requests each round sends (1 to 10000), all released at once unless
    /// --in-flight says otherwise.
    #[arg(long, value_name = "N", default_value_t = 10,
          value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub requests: u32,

    /// At most this many requests outstanding at once (1 to 10000): the first M leave together,
    /// and each answer sends the next. Default: all N at once.
    #[arg(long, value_name = "M",
          value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub in_flight: Option<u32>,

    /// Tickets the event is reset to before every round, with POST /reset/{id} {"capacity": C} to
    /// the first target (0 to 1000000). A round is right when it books exactly min(N, C).
    #[arg(long, value_name = "C", default_value_t = 1,
          value_parser = clap::value_parser!(i64).range(0..=1_000_000))]
    pub capacity: i64,
}

/// The per-request knobs; the server's defaults when not given.
#[derive(FlagGroup, Debug, Clone, Copy)]
pub struct KnobArgs {
    /// Milliseconds each booking waits between reading and writing, sent as ?race_window_ms=
    /// (0 to 30000; the server's default when not given). Longer windows make the race certain.
    #[arg(long, value_name = "MS", value_parser = clap::value_parser!(u64).range(0..=30_000))]
    pub race_window_ms: Option<u64>,

    /// The lock's time to live in milliseconds, sent as ?ttl_ms= (10 to 300000; the server's
    /// default when not given). A TTL shorter than the race window is a holder paused past its
    /// lease.
    #[arg(long, value_name = "MS", value_parser = clap::value_parser!(u64).range(10..=300_000))]
    pub ttl_ms: Option<u64>,
}

impl KnobArgs {
    pub fn knobs(&self) -> Knobs {
        Knobs {
            race_window_ms: self.race_window_ms,
            ttl_ms: self.ttl_ms,
        }
    }
}

/// The lab's admin token.
#[derive(FlagGroup, Debug, Clone)]
pub struct AdminArgs {
    /// The lab's admin token, sent with every reset and new event; needed only when the lab is
    /// served beyond loopback, where those routes refuse requests without it.
    #[arg(
        long,
        value_name = "TOKEN",
        env = "ADMIN_TOKEN",
        hide_env_values = true
    )]
    pub admin_token: Option<String>,
}

/// How long one request may take.
#[derive(FlagGroup, Debug, Clone, Copy)]
pub struct TimeoutArgs {
    /// Give up on a single HTTP request after this many seconds (1 to 3600); a booking that
    /// times out counts as "other".
    #[arg(long, value_name = "SECS", default_value_t = 60,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub timeout_secs: u64,
}

impl TimeoutArgs {
    pub fn timeout(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.timeout_secs)
    }
}

/// Machine-readable output.
#[derive(FlagGroup, Debug, Clone, Copy)]
pub struct JsonArgs {
    /// Print one JSON document on stdout instead of tables (progress lines stay on stderr).
    /// fight: {"targets", "event", "requests", "capacity", "endpoints": [{"endpoint", "path",
    /// "protected", "rounds": [{"status", "instances", "booked", "available", "oversold",
    /// "lost_updates", "clean", "verdict", "kind", "correct", ...}], "oversold_rounds",
    /// "correct_rounds", ...}], "ok"}; matrix: "matrix" rows instead of "endpoints"; chaos and
    /// bench: the whole report, with "ok".
    #[arg(long)]
    pub json: bool,
}

/// `test_concurrent fight` (and a bare `test_concurrent`).
#[derive(FlagGroup, Debug, Clone)]
pub struct FightArgs {
    #[command(flatten)]
    pub targets: TargetArgs,

    #[command(flatten)]
    pub round: RoundArgs,

    /// The classic endpoints to fight with, in the order given (repeat the flag or use commas):
    /// no-lock (POST /book-no-lock/{id}, unprotected: its oversell is the lesson, not a failure)
    /// and with-lock (POST /book-with-lock/{id}, the Redis lock). Default: no-lock, then
    /// with-lock, unless --strategy or --all is given.
    #[arg(
        long = "endpoint",
        value_name = "NAME",
        value_delimiter = ',',
        value_enum
    )]
    pub endpoints: Vec<Endpoint>,

    #[command(flatten)]
    pub strategies: StrategyArgs,

    /// Every strategy the server offers, in its order, after any --endpoint.
    #[arg(long, conflicts_with = "strategies")]
    pub all: bool,

    #[command(flatten)]
    pub knobs: KnobArgs,

    /// Rounds per endpoint or strategy (1 to 10000). The tables show the last round and, with
    /// more than one, how many rounds oversold, lost updates or were exactly right. A progress
    /// bar goes to stderr when K > 1 or stderr is a terminal; stdout stays clean.
    #[arg(long, value_name = "K", default_value_t = 1,
          value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub repeat: u32,

    #[command(flatten)]
    pub json: JsonArgs,

    #[command(flatten)]
    pub admin: AdminArgs,

    #[command(flatten)]
    pub timeout: TimeoutArgs,
}

/// `test_concurrent matrix`.
#[derive(FlagGroup, Debug, Clone)]
pub struct MatrixArgs {
    /// Give two: the "two instances" column spreads the requests over every target, and is
    /// skipped (not failed) with one.
    #[command(flatten)]
    pub targets: TargetArgs,

    #[command(flatten)]
    pub round: RoundArgs,

    #[command(flatten)]
    pub strategies: StrategyArgs,

    /// The knobs of the "one instance" and "two instances" columns.
    #[command(flatten)]
    pub knobs: KnobArgs,

    /// The race window of the "paused past TTL" column; more than --paused-ttl-ms.
    #[arg(long, value_name = "MS", default_value_t = 500,
          value_parser = clap::value_parser!(u64).range(0..=30_000))]
    pub paused_race_window_ms: u64,

    /// The TTL of the "paused past TTL" column.
    #[arg(long, value_name = "MS", default_value_t = 100,
          value_parser = clap::value_parser!(u64).range(10..=300_000))]
    pub paused_ttl_ms: u64,

    /// The race window of etcd's "paused past TTL" cell; more than --etcd-paused-ttl-ms.
    #[arg(long, value_name = "MS", default_value_t = 2_500,
          value_parser = clap::value_parser!(u64).range(0..=30_000))]
    pub etcd_paused_race_window_ms: u64,

    /// The TTL of etcd's "paused past TTL" cell: etcd grants leases in whole seconds, at least 1.
    #[arg(long, value_name = "MS", default_value_t = 1_000,
          value_parser = clap::value_parser!(u64).range(1_000..=300_000))]
    pub etcd_paused_ttl_ms: u64,

    /// Where start.sh keeps its pidfiles (redis-<port>.pid, etcd-<client port>.pid): the
    /// "node restarts empty" and "clock jump (early expiry)" columns kill, restart and expire
    /// the lab's own Redis nodes and etcd members found there. Without them those cells are
    /// shown as not measured.
    #[arg(long, value_name = "DIR", default_value = ".run")]
    pub run_dir: std::path::PathBuf,

    /// The redis-server binary used to restart a node the fault columns killed.
    #[arg(
        long,
        value_name = "PATH",
        default_value = "redis-server",
        env = "REDIS_SERVER"
    )]
    pub redis_server: String,

    #[command(flatten)]
    pub json: JsonArgs,

    #[command(flatten)]
    pub admin: AdminArgs,

    #[command(flatten)]
    pub timeout: TimeoutArgs,
}

/// The default targets of fight, matrix and bench.
pub const ONE_TARGET: &[&str] = &["http://127.0.0.1:8080"];

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Endpoint {
    NoLock,
    WithLock,
}

/// One way of booking that a round fights with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fighter {
    /// `no-lock`, `with-lock`, or a strategy name.
    pub label: String,
    pub route: Route,
    /// Claims to sell each ticket once; only these decide the exit code.
    pub protected: bool,
}

impl Fighter {
    pub fn endpoint(endpoint: Endpoint) -> Fighter {
        match endpoint {
            Endpoint::NoLock => Fighter {
                label: "no-lock".into(),
                route: Route::NoLock,
                protected: false,
            },
            Endpoint::WithLock => Fighter {
                label: "with-lock".into(),
                route: Route::WithLock,
                protected: true,
            },
        }
    }

    pub fn strategy(name: StrategyName) -> Fighter {
        Fighter {
            label: name.to_string(),
            route: Route::Strategy(name),
            protected: name.protects(),
        }
    }
}

/// Trims, drops empty entries and trailing slashes, and checks the scheme: reqwest here speaks
/// plain HTTP only (no TLS is compiled in), which is all a lab on loopback needs.
pub fn parse_targets(raw: &[String]) -> Result<Vec<String>, String> {
    let targets: Vec<String> = raw
        .iter()
        .map(|t| t.trim().trim_end_matches('/').to_string())
        .filter(|t| !t.is_empty())
        .collect();
    if targets.is_empty() {
        return Err("--target needs at least one URL, e.g. http://127.0.0.1:8080".into());
    }
    for target in &targets {
        if !target.starts_with("http://") {
            return Err(format!(
                "--target {target:?} must start with http:// (e.g. http://127.0.0.1:8080)"
            ));
        }
    }
    Ok(targets)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fight(argv: &[&str]) -> FightArgs {
        match Args::try_parse_from(argv).unwrap().command() {
            Command::Fight(fight) => fight,
            other => panic!("not a fight: {other:?}"),
        }
    }

    #[test]
    fn the_strategy_flags_help_names_every_strategy_the_lab_has() {
        use clap::CommandFactory;
        let mut command = <Args as CommandFactory>::command();
        let chaos = command
            .find_subcommand_mut("chaos")
            .expect("a chaos subcommand");
        let help = chaos.render_long_help().to_string();
        for name in StrategyName::ALL {
            assert!(help.contains(name.as_str()), "--help does not name {name}");
        }
    }

    #[test]
    fn targets_split_trim_and_lose_trailing_slashes() {
        let raw = vec![
            " http://a:1/ ".to_string(),
            String::new(),
            "http://b:2".to_string(),
        ];
        assert_eq!(parse_targets(&raw).unwrap(), ["http://a:1", "http://b:2"]);
    }

    #[test]
    fn a_target_without_http_is_refused_with_an_example() {
        let err = parse_targets(&["127.0.0.1:8080".to_string()]).unwrap_err();
        assert!(err.contains("http://127.0.0.1:8080"), "{err}");
        assert!(parse_targets(&[]).is_err());
    }

    #[test]
    fn knobs_become_a_query_string_only_when_given() {
        let fighter = Fighter::strategy(StrategyName::Fenced);
        let knobs = KnobArgs {
            race_window_ms: Some(500),
            ttl_ms: Some(100),
        };
        assert_eq!(fighter.route.path(3, Knobs::default()), "/book/fenced/3");
        assert_eq!(
            fighter.route.path(3, knobs.knobs()),
            "/book/fenced/3?race_window_ms=500&ttl_ms=100"
        );
        assert_eq!(
            Fighter::endpoint(Endpoint::NoLock).route.template(),
            "/book-no-lock/{id}"
        );
    }

    #[test]
    fn only_no_lock_is_unprotected() {
        assert!(!Fighter::endpoint(Endpoint::NoLock).protected);
        assert!(Fighter::endpoint(Endpoint::WithLock).protected);
        assert!(!Fighter::strategy(StrategyName::NoLock).protected);
        assert!(Fighter::strategy(StrategyName::LocalMutex).protected);
    }

    #[test]
    fn the_flags_parse_and_ranges_are_enforced() {
        let args = fight(&[
            "t",
            "--target",
            "http://a:1,http://b:2",
            "--endpoint",
            "with-lock",
        ]);
        assert_eq!(args.targets.targets.len(), 2);
        assert_eq!(args.endpoints, [Endpoint::WithLock]);
        assert!(Args::try_parse_from(["t", "--requests", "0"]).is_err());
        assert!(Args::try_parse_from(["t", "--capacity", "-1"]).is_err());
        assert!(Args::try_parse_from(["t", "--all", "--strategy", "redis"]).is_err());
        let unknown = Args::try_parse_from(["t", "--strategy", "mutex"]).unwrap_err();
        assert!(
            unknown.to_string().contains("unknown strategy"),
            "{unknown}"
        );
    }

    #[test]
    fn no_subcommand_is_a_fight_and_matrix_is_a_subcommand_with_the_same_groups() {
        let bare = fight(&["t", "--target", "http://a:1", "--strategy", "redis"]);
        let named = fight(&[
            "t",
            "fight",
            "--target",
            "http://a:1",
            "--strategy",
            "redis",
        ]);
        assert_eq!(bare.strategies.strategies, named.strategies.strategies);
        assert_eq!(bare.targets.targets, named.targets.targets);
        let matrix = Args::try_parse_from([
            "t",
            "matrix",
            "--strategy",
            "local-mutex,fenced",
            "--race-window-ms",
            "300",
        ])
        .unwrap()
        .command();
        let Command::Matrix(matrix) = matrix else {
            panic!("not a matrix: {matrix:?}");
        };
        assert_eq!(
            matrix.strategies.strategies,
            [StrategyName::LocalMutex, StrategyName::Fenced]
        );
        assert_eq!(matrix.knobs.race_window_ms, Some(300));
        assert_eq!(
            (matrix.paused_race_window_ms, matrix.paused_ttl_ms),
            (500, 100)
        );
        assert!(Args::try_parse_from(["t", "--matrix"]).is_err());
    }

    #[test]
    fn each_command_has_its_own_default_targets() {
        let none = TargetArgs {
            targets: Vec::new(),
        };
        assert_eq!(none.resolve(ONE_TARGET).unwrap(), ["http://127.0.0.1:8080"]);
        let given = TargetArgs {
            targets: vec!["http://a:1/".into()],
        };
        assert_eq!(given.resolve(ONE_TARGET).unwrap(), ["http://a:1"]);
    }
}
