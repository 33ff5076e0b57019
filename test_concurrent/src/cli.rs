//! The command line: every flag, its default and its range, and the fights it asks for.
//!
//! Flags are checked here, before anything is sent, so a typo costs a usage message and not a
//! reset event. What the user asked for becomes a list of [`Fighter`]s: a label, the booking path
//! and whether it claims to protect the ticket (the unprotected oversell is the lesson, not a
//! failure, so only protected fighters decide the exit code).

use clap::{Parser, Subcommand, ValueEnum};

const EXAMPLES: &str = "\
Examples:
  test_concurrent                                   no-lock, then with-lock, at http://127.0.0.1:8080
  test_concurrent --target http://127.0.0.1:8080,http://127.0.0.1:8081
                                                    the same fight spread over two instances
  test_concurrent --strategy fenced --race-window-ms 500 --ttl-ms 100
                                                    a holder paused past its lease, with fencing
  test_concurrent --all --matrix --target http://127.0.0.1:8080,http://127.0.0.1:8081
                                                    every strategy: one instance, two, paused past TTL
  test_concurrent --repeat 20 --json                twenty rounds each, machine-readable

Exit status: 0 when every protected round booked exactly min(requests, capacity) tickets with a
clean audit (in --matrix mode: when every cell matched the strategy's expected row); 1 when one did
not; 2 for bad flags, a target that cannot be reached (start the lab with ./start.sh) or an
event or strategy the server does not know.";

/// Fires concurrent bookings at the oversold lab and reports what the database says happened.
///
/// Each round resets the event, releases all requests at once (spread round-robin over the
/// targets) and reads the verdict from the event's audit, never from counting responses.
#[derive(Parser, Debug)]
#[command(
    name = "test_concurrent",
    version,
    after_help = EXAMPLES,
    args_conflicts_with_subcommands = true
)]
pub struct Args {
    /// Without a subcommand: the fights described by the flags below.
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Base URL of an app instance (http:// only); repeat the flag or separate URLs with commas to
    /// spread the requests round-robin over several instances. Resets and audits go to the first.
    /// Every target must answer GET /health before anything is sent.
    #[arg(
        long = "target",
        value_name = "URL",
        value_delimiter = ',',
        env = "TARGETS",
        default_value = "http://127.0.0.1:8080"
    )]
    pub targets: Vec<String>,

    /// The event to fight over (1 is seeded with one ticket). It must exist: GET /events lists them.
    #[arg(long, value_name = "ID", default_value_t = 1)]
    pub event: i64,

    /// How many booking requests to release at once in each round (1 to 1000).
    #[arg(long, value_name = "N", default_value_t = 10,
          value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub requests: u32,

    /// Tickets the event is reset to before every round, with POST /reset/{id} {"capacity": C} to
    /// the first target (0 to 1000000). A round is right when it books exactly min(N, C).
    #[arg(long, value_name = "C", default_value_t = 1,
          value_parser = clap::value_parser!(i64).range(0..=1_000_000))]
    pub capacity: i64,

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

    /// Strategies to fight with through POST /book/{strategy}/{id}, after any --endpoint (repeat
    /// the flag or use commas). GET /strategies lists them: no-lock, local-mutex, redis, redlock,
    /// fenced, pg-advisory, for-update, optimistic, atomic, queue. All but no-lock are protected.
    #[arg(
        long = "strategy",
        value_name = "NAME[,NAME...]",
        value_delimiter = ','
    )]
    pub strategies: Vec<String>,

    /// Every strategy the server offers, in its order.
    #[arg(long, conflicts_with = "strategies")]
    pub all: bool,

    /// For each strategy, three fights: on the first target alone, spread over all targets (give
    /// two), and with the holder paused past its TTL (--paused-race-window-ms > --paused-ttl-ms);
    /// prints the verdicts next to the strategy's expected row. Implies --all without --strategy.
    /// With --json the document has "matrix" rows instead of "endpoints".
    #[arg(long)]
    pub matrix: bool,

    /// Milliseconds each booking waits between reading and writing, sent as ?race_window_ms=
    /// (0 to 30000; the server's default when not given). Longer windows make the race certain.
    #[arg(long, value_name = "MS", value_parser = clap::value_parser!(u64).range(0..=30_000))]
    pub race_window_ms: Option<u64>,

    /// The lock's time to live in milliseconds, sent as ?ttl_ms= (10 to 300000; the server's
    /// default when not given). A TTL shorter than the race window is a holder paused past its
    /// lease.
    #[arg(long, value_name = "MS", value_parser = clap::value_parser!(u64).range(10..=300_000))]
    pub ttl_ms: Option<u64>,

    /// The race window of the matrix's "paused past TTL" column.
    #[arg(long, value_name = "MS", default_value_t = 500,
          value_parser = clap::value_parser!(u64).range(0..=30_000))]
    pub paused_race_window_ms: u64,

    /// The TTL of the matrix's "paused past TTL" column.
    #[arg(long, value_name = "MS", default_value_t = 100,
          value_parser = clap::value_parser!(u64).range(10..=300_000))]
    pub paused_ttl_ms: u64,

    /// Rounds per endpoint or strategy (1 to 10000). The tables show the last round and, with
    /// more than one, how many rounds oversold, lost updates or were exactly right. A progress
    /// bar goes to stderr when K > 1 or stderr is a terminal; stdout stays clean.
    #[arg(long, value_name = "K", default_value_t = 1,
          value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub repeat: u32,

    /// Print one JSON document on stdout instead of tables: {"targets", "event", "requests",
    /// "capacity", "endpoints": [{"endpoint", "path", "protected", "rounds": [{"status",
    /// "instances", "booked", "available", "oversold", "lost_updates", "clean", "verdict", ...}],
    /// "oversold_rounds", "correct_rounds", ...}], "ok"}.
    #[arg(long)]
    pub json: bool,

    /// The lab's admin token, sent with every reset (POST /reset/{id}); needed only when the lab
    /// is served beyond loopback, where resets refuse requests without it.
    #[arg(
        long,
        value_name = "TOKEN",
        env = "ADMIN_TOKEN",
        hide_env_values = true
    )]
    pub admin_token: Option<String>,

    /// Give up on a single HTTP request after this many seconds (1 to 3600); a booking that
    /// times out counts as "other".
    #[arg(long, value_name = "SECS", default_value_t = 60,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub timeout_secs: u64,
}

/// Longer runs than one fight, each with its own flags (`test_concurrent <command> --help`).
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Load on every instance and the safe strategies while Redis nodes are stopped, paused and
    /// restarted; ends with the invariant violations per strategy from the audit.
    Chaos(Box<crate::chaos::ChaosArgs>),
    /// What each strategy costs: throughput and latency per strategy and concurrency.
    Bench(crate::bench::BenchArgs),
}

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
    /// The booking path with `{id}` standing for the event.
    pub path: String,
    /// Claims to sell each ticket once; only these decide the exit code.
    pub protected: bool,
}

impl Fighter {
    pub fn endpoint(endpoint: Endpoint) -> Fighter {
        match endpoint {
            Endpoint::NoLock => Fighter {
                label: "no-lock".into(),
                path: "/book-no-lock/{id}".into(),
                protected: false,
            },
            Endpoint::WithLock => Fighter {
                label: "with-lock".into(),
                path: "/book-with-lock/{id}".into(),
                protected: true,
            },
        }
    }

    pub fn strategy(name: &str) -> Fighter {
        Fighter {
            label: name.to_string(),
            path: format!("/book/{name}/{{id}}"),
            protected: name != "no-lock",
        }
    }

    /// The path and query for one booking of `event`.
    pub fn url_path(&self, event: i64, race_window_ms: Option<u64>, ttl_ms: Option<u64>) -> String {
        let mut path = self.path.replace("{id}", &event.to_string());
        let knobs: Vec<String> = [("race_window_ms", race_window_ms), ("ttl_ms", ttl_ms)]
            .into_iter()
            .filter_map(|(name, value)| value.map(|v| format!("{name}={v}")))
            .collect();
        if !knobs.is_empty() {
            path = format!("{path}?{}", knobs.join("&"));
        }
        path
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
        let fighter = Fighter::strategy("fenced");
        assert_eq!(fighter.url_path(3, None, None), "/book/fenced/3");
        assert_eq!(
            fighter.url_path(3, Some(500), Some(100)),
            "/book/fenced/3?race_window_ms=500&ttl_ms=100"
        );
        assert_eq!(
            Fighter::endpoint(Endpoint::NoLock).url_path(1, Some(0), None),
            "/book-no-lock/1?race_window_ms=0"
        );
    }

    #[test]
    fn only_no_lock_is_unprotected() {
        assert!(!Fighter::endpoint(Endpoint::NoLock).protected);
        assert!(Fighter::endpoint(Endpoint::WithLock).protected);
        assert!(!Fighter::strategy("no-lock").protected);
        assert!(Fighter::strategy("local-mutex").protected);
    }

    #[test]
    fn the_flags_parse_and_ranges_are_enforced() {
        let args = Args::try_parse_from([
            "t",
            "--target",
            "http://a:1,http://b:2",
            "--endpoint",
            "with-lock",
        ])
        .unwrap();
        assert_eq!(args.targets.len(), 2);
        assert_eq!(args.endpoints, [Endpoint::WithLock]);
        assert!(Args::try_parse_from(["t", "--requests", "0"]).is_err());
        assert!(Args::try_parse_from(["t", "--capacity", "-1"]).is_err());
        assert!(Args::try_parse_from(["t", "--all", "--strategy", "redis"]).is_err());
    }
}
