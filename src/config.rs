//! The server's configuration: one clap struct, every flag also read from the environment.
//!
//! Scripts, containers and tests all drive the app through these same names, so `start.sh`,
//! `docker-compose.yml` and `testkit` never disagree about what a setting is called. The knob
//! ranges live here too, because the server defaults and the per-request query string are
//! checked against the same bounds.

use std::net::SocketAddr;
use std::ops::RangeInclusive;
use std::time::Duration;

use clap::Parser;

/// `race_window_ms`: the pause between reading availability and writing it back.
pub const RACE_WINDOW_MS: RangeInclusive<u64> = 0..=30_000;
/// `ttl_ms`: the lock's time to live.
pub const TTL_MS: RangeInclusive<u64> = 10..=300_000;
/// `--booking-deadline-ms`: from a tenth of a second to ten minutes.
pub const BOOKING_DEADLINE_MS: RangeInclusive<u64> = 100..=600_000;
/// What a request without the admin token may ask for, on a server that has one: enough for
/// every lesson (a holder paused past its lease is `race_window_ms=1000&ttl_ms=300`), too little
/// for a stranger to hold a database lock for long.
pub const PUBLIC_RACE_WINDOW_MS: RangeInclusive<u64> = 0..=1_000;
/// `ttl_ms` without the admin token: a lock a crashed holder leaves behind is gone within 30 s.
pub const PUBLIC_TTL_MS: RangeInclusive<u64> = 100..=30_000;
/// How long a dashboard sign-in lasts: a workshop day.
pub const ADMIN_SESSION: Duration = Duration::from_secs(12 * 60 * 60);
/// Capacity of an event, on create and on reset.
pub const CAPACITY: RangeInclusive<i64> = 0..=1_000_000;
/// Largest request body the API reads; anything bigger is a 413.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

#[derive(Parser, Debug, Clone)]
#[command(
    name = "oversold",
    version,
    about = "A ticket-booking lab that oversells on demand, then stops it with locks.",
    long_about = "A ticket-booking lab that oversells on demand, then stops it with locks.\n\n\
        Serves the HTTP API, the dashboard at / and /health. Every flag can also be set through \
        the environment variable shown with it."
)]
pub struct Config {
    /// Address to listen on. Binding anything but loopback requires --admin-token.
    #[arg(long, env = "BIND", default_value = "127.0.0.1:8080")]
    pub bind: String,

    /// sqlite://path (created if missing) or postgres://user:pass@host/db.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite://data/oversold.db"
    )]
    pub database_url: String,

    /// Redis nodes, comma-separated. Single-node strategies use the first; Redlock uses all.
    #[arg(
        long,
        env = "REDIS_URLS",
        value_delimiter = ',',
        default_value = "redis://127.0.0.1:7001,redis://127.0.0.1:7002,redis://127.0.0.1:7003,redis://127.0.0.1:7004,redis://127.0.0.1:7005"
    )]
    pub redis_urls: Vec<String>,

    /// The etcd cluster's members (client URLs), comma-separated, for the `etcd` strategy. Empty
    /// runs without etcd: that one strategy then answers 503.
    #[arg(
        long,
        env = "ETCD_ENDPOINTS",
        value_delimiter = ',',
        default_value = "http://127.0.0.1:7201,http://127.0.0.1:7202,http://127.0.0.1:7203"
    )]
    pub etcd_endpoints: Vec<String>,

    /// Name recorded on every booking this instance makes [default: the bound address].
    #[arg(long, env = "INSTANCE_NAME")]
    pub instance_name: Option<String>,

    /// Base URLs of the other instances, comma-separated (used by the dashboard's experiments).
    #[arg(long, env = "PEERS", value_delimiter = ',')]
    pub peers: Vec<String>,

    /// The base URL participants' phones reach this instance at, shown as the room's join link
    /// and QR code (`./start.sh --room` sets it to the machine's LAN address) [default: the
    /// address the projector's browser used].
    #[arg(long, env = "PUBLIC_URL")]
    pub public_url: Option<String>,

    /// Default pause between reading availability and writing, in ms (0..=30000). Wide enough
    /// that ten concurrent requests all read before any of them writes.
    #[arg(long, env = "RACE_WINDOW_MS", default_value_t = 200)]
    pub race_window_ms: u64,

    /// Default lock time to live in ms (10..=300000), well above the race window.
    #[arg(long, env = "LOCK_TTL_MS", default_value_t = 10_000)]
    pub lock_ttl_ms: u64,

    /// How long a request may wait for a lock before answering 503 lock_timeout, in ms.
    #[arg(long, env = "LOCK_WAIT_MS", default_value_t = 15_000)]
    pub lock_wait_ms: u64,

    /// The longest one booking may take, lock wait included, in ms (100..=600000). Past it the
    /// booking is abandoned: its transaction rolls back, its lock is released, and it answers
    /// 503 booking_timeout. Actix keeps running a handler after its client has gone, so this is
    /// what bounds how long any request can hold a lock or the database.
    #[arg(long, env = "BOOKING_DEADLINE_MS", default_value_t = 45_000)]
    pub booking_deadline_ms: u64,

    /// Token required on admin routes; mandatory when --bind is not a loopback address.
    /// Token required on admin routes, on any address, once set; mandatory when --bind is not a
    /// loopback address. Bookings sent without it may ask for a race window up to 1 s and a TTL
    /// of 100 ms to 30 s.
    #[arg(long, env = "ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<String>,

    /// On SIGTERM, how long in-flight requests may take to finish before they are cut off, in
    /// seconds; the locks they still hold are released either way.
    #[arg(long, env = "SHUTDOWN_TIMEOUT_SECS", default_value_t = 30)]
    pub shutdown_timeout_secs: u64,
}

impl Config {
    /// Checks what clap cannot: knob ranges, a parseable bind address, and the admin token rule.
    pub fn validate(&self) -> Result<(), String> {
        let bind: SocketAddr = self.bind.parse().map_err(|_| {
            format!(
                "--bind {:?} is not an address like 127.0.0.1:8080",
                self.bind
            )
        })?;
        if !bind.ip().is_loopback() && self.admin_token.as_deref().unwrap_or("").is_empty() {
            return Err(format!(
                "--bind {bind} is reachable from other machines: set --admin-token (ADMIN_TOKEN) \
                 so that nobody else can reset the lab, or bind 127.0.0.1"
            ));
        }
        if let Some(url) = self.public_url.as_deref().filter(|u| !u.is_empty()) {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(format!(
                    "--public-url {url:?} must be a base URL like http://192.168.1.20:8080"
                ));
            }
        }
        check_range("--race-window-ms", self.race_window_ms, &RACE_WINDOW_MS)?;
        check_range("--lock-ttl-ms", self.lock_ttl_ms, &TTL_MS)?;
        check_range(
            "--booking-deadline-ms",
            self.booking_deadline_ms,
            &BOOKING_DEADLINE_MS,
        )?;
        if self.redis_urls.iter().all(|u| u.trim().is_empty()) {
            return Err("--redis-urls needs at least one redis:// URL".into());
        }
        Ok(())
    }

    pub fn race_window(&self) -> Duration {
        Duration::from_millis(self.race_window_ms)
    }

    pub fn lock_ttl(&self) -> Duration {
        Duration::from_millis(self.lock_ttl_ms)
    }

    pub fn booking_deadline(&self) -> Duration {
        Duration::from_millis(self.booking_deadline_ms)
    }

    pub fn lock_wait(&self) -> Duration {
        Duration::from_millis(self.lock_wait_ms)
    }
}

/// The message a user sees for a knob out of range, on the command line and in a 400 alike.
pub fn check_range<T: PartialOrd + std::fmt::Display + Copy>(
    name: &str,
    value: T,
    range: &RangeInclusive<T>,
) -> Result<T, String> {
    if range.contains(&value) {
        Ok(value)
    } else {
        Err(format!(
            "{name} must be between {} and {} (got {value})",
            range.start(),
            range.end()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(args: &[&str]) -> Config {
        let mut all = vec!["oversold"];
        all.extend_from_slice(args);
        Config::parse_from(all)
    }

    #[test]
    fn binding_off_loopback_without_a_token_is_refused() {
        let err = config(&["--bind", "0.0.0.0:8080"]).validate().unwrap_err();
        assert!(err.contains("--admin-token"), "{err}");
        assert!(
            config(&["--bind", "0.0.0.0:8080", "--admin-token", "s3cret"])
                .validate()
                .is_ok()
        );
    }

    #[test]
    fn a_default_race_window_out_of_range_is_refused() {
        let err = config(&["--race-window-ms", "999999"])
            .validate()
            .unwrap_err();
        assert_eq!(
            err,
            "--race-window-ms must be between 0 and 30000 (got 999999)"
        );
    }

    #[test]
    fn redis_urls_split_on_commas() {
        let c = config(&["--redis-urls", "redis://a:1,redis://b:2"]);
        assert_eq!(c.redis_urls, vec!["redis://a:1", "redis://b:2"]);
    }

    #[test]
    fn etcd_endpoints_default_to_the_labs_three_members_and_split_on_commas() {
        assert_eq!(config(&[]).etcd_endpoints.len(), 3);
        let c = config(&["--etcd-endpoints", "http://a:1,http://b:2"]);
        assert_eq!(c.etcd_endpoints, vec!["http://a:1", "http://b:2"]);
    }
}
