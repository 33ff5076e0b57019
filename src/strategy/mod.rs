//! The booking strategies and the registry that finds one by name.
//!
//! Every strategy runs the same naive booking ([`naive::read_wait_write`]) inside its own
//! protection, except where the strategy *is* a different write (`atomic`, `optimistic`); only
//! the protection differs, which is the lesson. A strategy is a variant of [`StrategyName`], its code
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
mod seats;

use std::time::Duration;

pub use batched::Batches;
pub use error::BookingError;
pub use local_mutex::LocalLocks;
pub use oversold_api::{Expected, Granularity, Outcome, StrategyInfo, StrategyName};

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
        strategy: StrategyName,
        fence_token: Option<i64>,
    ) -> NewBooking {
        NewBooking {
            event_id: request.event_id,
            customer: request.customer.clone(),
            strategy,
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
/// A booking of seats asks whether its seats are free instead.
async fn check_before_locking(
    context: &BookingContext,
    request: &BookingRequest,
) -> Result<(), BookingError> {
    if !request.seats.is_empty() {
        return seats::check_free(context, request).await;
    }
    let event_id = request.event_id;
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
    /// The seats to book, all or none, checked against the event's map and sorted (the one
    /// order every lock is taken in); empty for an event sold as plain tickets.
    pub seats: Vec<String>,
    /// One lock for the event, or one per seat, for a strategy that can lock per seat
    /// ([`Registry::locks_per_seat`]).
    pub granularity: Granularity,
    /// Where the strategy marks when it took the lock, read, wrote and let go.
    pub trace: Trace,
}

/// What the server knows of each strategy beyond its wire name: its explanation, the databases
/// that run it, its row of the design table, what it locks. The names themselves are the wire
/// contract's ([`StrategyName`]); this trait and [`book`] are the registry, one `match` arm per
/// strategy, so a new strategy is one file here, one name in the api crate, and an arm in each.
pub trait Registry: Sized {
    fn description(self) -> &'static str;
    fn databases(self) -> &'static [Backend];
    /// The strategy's row of the design's table: what ten requests at one ticket end in.
    fn expected(self) -> Expected;
    /// What the strategy locks to book `event_id`, for the logs: the Redis key of the lease
    /// strategies, or a description of the lock the others take; `None` when it takes none.
    fn lock_key(self, event_id: i64) -> Option<String>;
    /// The write itself refuses to act on a stale read (one conditional UPDATE, or a
    /// compare-and-set on the version), so requests between read and write at the same time
    /// cannot oversell: the experiments' timeline does not flag them.
    fn checks_its_write(self) -> bool;
    /// It can take one lock per seat (`granularity=seat`): a lock per key, all or none.
    fn locks_per_seat(self) -> bool;
    /// What `GET /strategies` says about it.
    fn info(self) -> StrategyInfo;
    /// A 501 naming the databases that can run the strategy, when `running` cannot.
    fn check_supported(self, running: Backend) -> Result<(), BookingError>;
}

const EVERY_DATABASE: &[Backend] = &[Backend::Sqlite, Backend::Postgres];

const fn row(one_instance: Outcome, two_instances: Outcome, paused_past_ttl: Outcome) -> Expected {
    Expected {
        one_instance,
        two_instances,
        paused_past_ttl,
        restart_empty: None,
        clock_jump: None,
    }
}

/// A row with its two fault cells: a lock node restarted empty, and a node's clock jumping
/// forward (played as an early expiry).
const fn with_faults(row: Expected, restart_empty: Outcome, clock_jump: Outcome) -> Expected {
    Expected {
        restart_empty: Some(restart_empty),
        clock_jump: Some(clock_jump),
        ..row
    }
}

impl Registry for StrategyName {
    fn description(self) -> &'static str {
        match self {
            StrategyName::NoLock => no_lock::DESCRIPTION,
            StrategyName::LocalMutex => local_mutex::DESCRIPTION,
            StrategyName::Redis => redis::DESCRIPTION,
            StrategyName::Redlock => redlock::DESCRIPTION,
            StrategyName::Fenced => fenced::DESCRIPTION,
            StrategyName::PgAdvisory => pg_advisory::DESCRIPTION,
            StrategyName::ForUpdate => for_update::DESCRIPTION,
            StrategyName::Optimistic => optimistic::DESCRIPTION,
            StrategyName::Atomic => atomic::DESCRIPTION,
            StrategyName::Queue => queue::DESCRIPTION,
            StrategyName::Batched => batched::DESCRIPTION,
            StrategyName::Etcd => etcd::DESCRIPTION,
        }
    }

    fn databases(self) -> &'static [Backend] {
        match self {
            StrategyName::PgAdvisory => &[Backend::Postgres],
            _ => EVERY_DATABASE,
        }
    }

    fn expected(self) -> Expected {
        use Outcome::{Oversells, Safe, StaleRejected};
        match self {
            StrategyName::NoLock => row(Oversells, Oversells, Oversells),
            StrategyName::LocalMutex => row(Safe, Oversells, Safe),
            StrategyName::Redis | StrategyName::Queue => row(Safe, Safe, Oversells),
            // A second client assembles a majority from the node that forgot the lock.
            StrategyName::Redlock => with_faults(row(Safe, Safe, Oversells), Oversells, Oversells),
            // The same two holders, but the storage refuses the older one's write.
            StrategyName::Fenced => {
                with_faults(row(Safe, Safe, StaleRejected), StaleRejected, StaleRejected)
            }
            // A member keeps its log through a restart (B waits for A: one booking); a lease
            // that ends early is fenced off like a paused holder's.
            StrategyName::Etcd => with_faults(row(Safe, Safe, StaleRejected), Safe, StaleRejected),
            StrategyName::PgAdvisory
            | StrategyName::ForUpdate
            | StrategyName::Optimistic
            | StrategyName::Atomic
            | StrategyName::Batched => row(Safe, Safe, Safe),
        }
    }

    fn lock_key(self, event_id: i64) -> Option<String> {
        match self {
            StrategyName::Redis
            | StrategyName::Redlock
            | StrategyName::Fenced
            | StrategyName::Queue => Some(leased::lock_key(event_id)),
            StrategyName::LocalMutex => Some(format!("local-mutex:event:{event_id}")),
            StrategyName::PgAdvisory => Some(format!("pg_advisory_xact_lock({event_id})")),
            StrategyName::ForUpdate => Some(format!("events row {event_id}")),
            StrategyName::Batched => Some(format!("events row {event_id}, once per batch")),
            StrategyName::Etcd => Some(format!("etcd key {}", leased::lock_key(event_id))),
            StrategyName::NoLock | StrategyName::Optimistic | StrategyName::Atomic => None,
        }
    }

    fn checks_its_write(self) -> bool {
        matches!(self, StrategyName::Atomic | StrategyName::Optimistic)
    }

    fn locks_per_seat(self) -> bool {
        matches!(
            self,
            StrategyName::LocalMutex
                | StrategyName::Redis
                | StrategyName::Redlock
                | StrategyName::Fenced
                | StrategyName::PgAdvisory
                | StrategyName::ForUpdate
        )
    }

    fn info(self) -> StrategyInfo {
        StrategyInfo {
            name: self,
            description: self.description().to_string(),
            databases: self.databases().iter().map(|b| b.wire()).collect(),
            expected: self.expected(),
        }
    }

    fn check_supported(self, running: Backend) -> Result<(), BookingError> {
        if self.databases().contains(&running) {
            return Ok(());
        }
        let needs: Vec<String> = self.databases().iter().map(|b| b.to_string()).collect();
        Err(BookingError::Unsupported {
            strategy: self,
            needs: needs.join(" or "),
            running: running.to_string(),
        })
    }
}

/// Books with `strategy`, within the server's deadline.
pub async fn book(
    strategy: StrategyName,
    context: &BookingContext,
    request: BookingRequest,
) -> Result<Booking, BookingError> {
    strategy.check_supported(context.store.backend())?;
    let event_id = request.event_id;
    // Dropping the booking's future on the deadline rolls its transaction back and releases its
    // lease (`HeldLease` lets go on drop): nothing it held outlives the limit.
    tokio::time::timeout(context.deadline, book_unbounded(strategy, context, request))
        .await
        .unwrap_or(Err(BookingError::DeadlineExceeded {
            event_id,
            limit: context.deadline,
        }))
}

async fn book_unbounded(
    strategy: StrategyName,
    context: &BookingContext,
    request: BookingRequest,
) -> Result<Booking, BookingError> {
    match strategy {
        StrategyName::NoLock => no_lock::book(context, request).await,
        StrategyName::LocalMutex => local_mutex::book(context, request).await,
        StrategyName::Redis => {
            leased::naive_under_lease(context, redis::LEASE, request, strategy).await
        }
        StrategyName::Redlock => {
            leased::naive_under_lease(context, redlock::LEASE, request, strategy).await
        }
        StrategyName::Fenced => fenced::book(context, request).await,
        StrategyName::PgAdvisory => {
            let booking = pg_advisory::book_in_transaction(context, &request);
            naive::under_database_lock(context, &request, booking).await
        }
        StrategyName::ForUpdate => {
            let booking = for_update::book_in_transaction(context, &request);
            naive::under_database_lock(context, &request, booking).await
        }
        StrategyName::Optimistic => optimistic::book(context, request).await,
        StrategyName::Atomic => atomic::book(context, request).await,
        StrategyName::Queue => {
            leased::naive_under_lease(context, queue::LEASE, request, strategy).await
        }
        StrategyName::Batched => batched::book(context, request).await,
        StrategyName::Etcd => etcd::book(context, request).await,
    }
}
