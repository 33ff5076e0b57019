//! The one state struct every handler shares: the store, the locks and the server's defaults.

use std::time::Duration;

use crate::config::Config;
use crate::experiment::Runner;
use crate::lock::{LockManager, RetryPolicy};
use crate::store::Store;
use crate::strategy::LocalLocks;

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
