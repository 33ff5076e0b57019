//! The one state struct every handler shares: the store, the locks and the server's defaults.

use std::time::Duration;

use crate::config::Config;
use crate::experiment::Runner;
use crate::leases::HeldLeases;
use crate::lock::{LockManager, RetryPolicy};
use crate::metrics::Metrics;
use crate::store::Store;
use crate::strategy::LocalLocks;
use crate::web::AdminPolicy;

pub struct AppState {
    pub store: Store,
    /// Every configured Redis node (Redlock).
    pub redlock: LockManager,
    /// The first node alone: the single-node lock behind `/book-with-lock`.
    pub redis: LockManager,
    /// Recorded on every booking, so two-instance runs show who served what.
    pub instance: String,
    /// The per-event mutexes of the `local-mutex` strategy, private to this process.
    pub local_locks: LocalLocks,
    pub defaults: Defaults,
    pub config: Config,
    /// The Redis leases held right now, released at shutdown if a request could not.
    pub leases: HeldLeases,
    /// What the bookings did, for `GET /metrics`.
    pub metrics: Metrics,
    /// Whether admin routes need the token (off loopback) and the token.
    pub admin: AdminPolicy,
    /// Runs the dashboard's experiments against this instance and its `--peers`.
    pub experiments: Runner,
}

/// Server-wide knob values a request may override.
#[derive(Clone, Debug)]
pub struct Defaults {
    pub race_window: Duration,
    pub ttl: Duration,
    pub retry: RetryPolicy,
}

impl Defaults {
    pub fn from_config(config: &Config) -> Defaults {
        Defaults {
            race_window: config.race_window(),
            ttl: config.lock_ttl(),
            retry: RetryPolicy {
                budget: config.lock_wait(),
                ..RetryPolicy::default()
            },
        }
    }
}
