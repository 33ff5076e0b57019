//! The booking strategies and the registry that finds one by name.
//!
//! Every strategy runs the same naive booking ([`naive::read_wait_write`]) inside its own
//! protection, except where the strategy *is* a different write (`atomic`, `optimistic`); only
//! the protection differs, which is the lesson. A strategy is a variant of [`Strategy`], its code
//! one file in this folder with its SQL inline, and its explanation the text `/strategies` and
//! the dashboard show.
//!
//! A strategy is handed a [`BookingContext`]: the store, the locks and the instance's name, and
//! nothing of HTTP. It answers a [`Booking`] or a [`BookingError`]; the web layer alone decides
//! what those look like on the wire.

mod atomic;
mod batched;
mod error;
mod etcd;
mod fenced;
mod for_update;
mod leased;
mod local_mutex;
mod naive;
mod no_lock;
mod optimistic;
mod pg_advisory;
mod queue;
mod redis;
mod redlock;

use std::time::Duration;

use serde::Serialize;

pub use batched::Batches;
pub use error::BookingError;
pub use local_mutex::LocalLocks;

use crate::config::Config;
use crate::etcd::EtcdCluster;
use crate::leases::HeldLeases;
use crate::lock::{LockManager, RetryPolicy};
use crate::store::{Backend, Booking, NewBooking, Store};
use crate::trace::Trace;

/// What a strategy may use to book: the store, the locks, and who this instance is.
pub struct BookingContext {
    pub store: Store,
    /// Every configured Redis node: `redlock` and `fenced` take a quorum of them.
    pub redlock: LockManager,
    /// The first node alone: the single-node lock of `redis` (`/book-with-lock`) and `queue`.
    pub single_node: LockManager,
    /// The etcd cluster the `etcd` strategy takes its consensus lock on.
    pub etcd: EtcdCluster,
    /// The per-event mutexes of the `local-mutex` strategy, private to this process.
    pub local_locks: LocalLocks,
    /// Recorded on every booking, so two-instance runs show who served what.
    pub instance: String,
    /// How long and how often a lock strategy tries before answering `lock_timeout`.
    pub retry: RetryPolicy,
    /// The Redis leases held right now, released at shutdown if a request could not.
    pub leases: HeldLeases,
    /// The queues of `batched`, one per event with a batch being written.
    pub batches: std::sync::Arc<Batches>,
    /// The longest one booking may take before it is abandoned (`--booking-deadline-ms`).
    pub deadline: Duration,
}

impl BookingContext {
    /// The row a strategy asks the store to write for `request`.
    fn new_booking(
        &self,
        request: &BookingRequest,
        strategy: Strategy,
        fence_token: Option<i64>,
    ) -> NewBooking {
        NewBooking {
            event_id: request.event_id,
            customer: request.customer.clone(),
            strategy: strategy.name(),
            instance: self.instance.clone(),
            fence_token,
        }
    }
}

/// Server-wide knob values a request may override.
#[derive(Clone, Debug)]
pub struct Defaults {
    pub race_window: Duration,
    pub ttl: Duration,
}

impl Defaults {
    pub fn from_config(config: &Config) -> Defaults {
        Defaults {
            race_window: config.race_window(),
            ttl: config.lock_ttl(),
        }
    }
}

/// The pause between reading and writing that makes the race reproduce. Zero costs nothing: a
/// zero sleep would still wait for the next timer tick (about a millisecond), which would be a
/// race window of its own.
async fn race_window(window: Duration) {
    if !window.is_zero() {
        tokio::time::sleep(window).await;
    }
}

/// Checking availability is not booking (seed 000 §4): a read answers "sold out" and "no such
/// event" before a strategy queues for its lock, so a crowd at a sold-out event costs a read
/// each, not a turn at the lock each. The strategy still checks again under its lock, which is
/// what makes the answer right: between this read and the lock another booking may take the
/// last ticket.
async fn check_before_locking(context: &BookingContext, event_id: i64) -> Result<(), BookingError> {
    tickets_left(context.store.read_available(event_id).await?, event_id).map(|_| ())
}

/// The first read of a booking: an unknown event, nothing left, or the count to work from.
fn tickets_left(available: Option<i64>, event_id: i64) -> Result<i64, BookingError> {
    match available {
        None => Err(crate::store::UnknownEvent(event_id).into()),
        Some(left) if left <= 0 => Err(BookingError::SoldOut { event_id }),
        Some(left) => Ok(left),
    }
}

/// One booking attempt, with the knobs already checked.
#[derive(Clone, Debug)]
pub struct BookingRequest {
    pub event_id: i64,
    pub customer: String,
    pub race_window: Duration,
    pub ttl: Duration,
    /// Where the strategy marks when it took the lock, read, wrote and let go.
    pub trace: Trace,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strategy {
    NoLock,
    LocalMutex,
    Redis,
    Redlock,
    Fenced,
    PgAdvisory,
    ForUpdate,
    Optimistic,
    Atomic,
    Queue,
    Batched,
    Etcd,
}

/// What `/strategies` says about one strategy.
#[derive(Serialize)]
pub struct StrategyInfo {
    pub name: &'static str,
    pub description: &'static str,
    pub databases: &'static [Backend],
    /// The strategy's row of the design's table: what ten requests at one ticket end in.
    pub expected: Expected,
}

/// What a fight should end in, in the words `test_concurrent --matrix` measures:
/// `safe` (exactly one booking), `oversells`, or `stale_rejected` (one booking, late holders
/// refused by the fencing check).
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Expected {
    pub one_instance: &'static str,
    pub two_instances: &'static str,
    pub paused_past_ttl: &'static str,
}

const fn row(
    one_instance: &'static str,
    two_instances: &'static str,
    paused_past_ttl: &'static str,
) -> Expected {
    Expected {
        one_instance,
        two_instances,
        paused_past_ttl,
    }
}

const EVERY_DATABASE: &[Backend] = &[Backend::Sqlite, Backend::Postgres];

impl Strategy {
    pub const ALL: &'static [Strategy] = &[
        Strategy::NoLock,
        Strategy::LocalMutex,
        Strategy::Redis,
        Strategy::Redlock,
        Strategy::Fenced,
        Strategy::PgAdvisory,
        Strategy::ForUpdate,
        Strategy::Optimistic,
        Strategy::Atomic,
        Strategy::Queue,
        Strategy::Batched,
        Strategy::Etcd,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Strategy::NoLock => "no-lock",
            Strategy::LocalMutex => "local-mutex",
            Strategy::Redis => "redis",
            Strategy::Redlock => "redlock",
            Strategy::Fenced => "fenced",
            Strategy::PgAdvisory => "pg-advisory",
            Strategy::ForUpdate => "for-update",
            Strategy::Optimistic => "optimistic",
            Strategy::Atomic => "atomic",
            Strategy::Queue => "queue",
            Strategy::Batched => "batched",
            Strategy::Etcd => "etcd",
        }
    }

    pub fn from_name(name: &str) -> Option<Strategy> {
        Strategy::ALL.iter().copied().find(|s| s.name() == name)
    }

    pub fn description(self) -> &'static str {
        match self {
            Strategy::NoLock => no_lock::DESCRIPTION,
            Strategy::LocalMutex => local_mutex::DESCRIPTION,
            Strategy::Redis => redis::DESCRIPTION,
            Strategy::Redlock => redlock::DESCRIPTION,
            Strategy::Fenced => fenced::DESCRIPTION,
            Strategy::PgAdvisory => pg_advisory::DESCRIPTION,
            Strategy::ForUpdate => for_update::DESCRIPTION,
            Strategy::Optimistic => optimistic::DESCRIPTION,
            Strategy::Atomic => atomic::DESCRIPTION,
            Strategy::Queue => queue::DESCRIPTION,
            Strategy::Batched => batched::DESCRIPTION,
            Strategy::Etcd => etcd::DESCRIPTION,
        }
    }

    pub fn databases(self) -> &'static [Backend] {
        match self {
            Strategy::PgAdvisory => &[Backend::Postgres],
            _ => EVERY_DATABASE,
        }
    }

    pub fn expected(self) -> Expected {
        match self {
            Strategy::NoLock => row("oversells", "oversells", "oversells"),
            Strategy::LocalMutex => row("safe", "oversells", "safe"),
            Strategy::Redis | Strategy::Redlock | Strategy::Queue => {
                row("safe", "safe", "oversells")
            }
            Strategy::Fenced | Strategy::Etcd => row("safe", "safe", "stale_rejected"),
            Strategy::PgAdvisory
            | Strategy::ForUpdate
            | Strategy::Optimistic
            | Strategy::Atomic
            | Strategy::Batched => row("safe", "safe", "safe"),
        }
    }

    /// What the strategy locks to book `event_id`, for the logs: the Redis key of the lease
    /// strategies, or a description of the lock the others take; `None` when it takes none.
    pub fn lock_key(self, event_id: i64) -> Option<String> {
        match self {
            Strategy::Redis | Strategy::Redlock | Strategy::Fenced | Strategy::Queue => {
                Some(leased::lock_key(event_id))
            }
            Strategy::Etcd => Some(format!("etcd key {}", leased::lock_key(event_id))),
            Strategy::LocalMutex => Some(format!("local-mutex:event:{event_id}")),
            Strategy::PgAdvisory => Some(format!("pg_advisory_xact_lock({event_id})")),
            Strategy::ForUpdate => Some(format!("events row {event_id}")),
            Strategy::Batched => Some(format!("events row {event_id}, once per batch")),
            Strategy::NoLock | Strategy::Optimistic | Strategy::Atomic => None,
        }
    }

    pub fn info(self) -> StrategyInfo {
        StrategyInfo {
            name: self.name(),
            description: self.description(),
            databases: self.databases(),
            expected: self.expected(),
        }
    }

    /// The write itself refuses to act on a stale read (one conditional UPDATE, or a
    /// compare-and-set on the version), so requests between read and write at the same time
    /// cannot oversell: the experiments' timeline does not flag them.
    pub fn checks_its_write(self) -> bool {
        matches!(self, Strategy::Atomic | Strategy::Optimistic)
    }

    /// A 501 naming the databases that can run the strategy, when `running` cannot.
    pub fn check_supported(self, running: Backend) -> Result<(), BookingError> {
        if self.databases().contains(&running) {
            return Ok(());
        }
        let needs: Vec<String> = self.databases().iter().map(|b| b.to_string()).collect();
        Err(BookingError::Unsupported {
            strategy: self.name(),
            needs: needs.join(" or "),
            running: running.to_string(),
        })
    }

    pub async fn book(
        self,
        context: &BookingContext,
        request: BookingRequest,
    ) -> Result<Booking, BookingError> {
        self.check_supported(context.store.backend())?;
        let event_id = request.event_id;
        // Dropping the booking's future on the deadline rolls its transaction back and releases
        // its lease (`HeldLease` lets go on drop): nothing it held outlives the limit.
        tokio::time::timeout(context.deadline, self.book_unbounded(context, request))
            .await
            .unwrap_or(Err(BookingError::DeadlineExceeded {
                event_id,
                limit: context.deadline,
            }))
    }

    async fn book_unbounded(
        self,
        context: &BookingContext,
        request: BookingRequest,
    ) -> Result<Booking, BookingError> {
        match self {
            Strategy::NoLock => no_lock::book(context, request).await,
            Strategy::LocalMutex => local_mutex::book(context, request).await,
            Strategy::Redis => redis::book(context, request).await,
            Strategy::Redlock => redlock::book(context, request).await,
            Strategy::Fenced => fenced::book(context, request).await,
            Strategy::PgAdvisory => pg_advisory::book(context, request).await,
            Strategy::ForUpdate => for_update::book(context, request).await,
            Strategy::Optimistic => optimistic::book(context, request).await,
            Strategy::Atomic => atomic::book(context, request).await,
            Strategy::Queue => queue::book(context, request).await,
            Strategy::Batched => batched::book(context, request).await,
            Strategy::Etcd => etcd::book(context, request).await,
        }
    }
}
