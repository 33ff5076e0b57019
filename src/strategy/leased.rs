//! What the Redis-lease strategies share: take a lease on `lock:event:{id}` (or, for a booking of
//! seats at `granularity=seat`, on every `lock:event:{id}:seat:{seat}` at once), do the work,
//! release.
//!
//! `redis`, `redlock`, `fenced` and `queue` differ only in how the lease is taken (one node, a
//! quorum, with a fencing token, in arrival order) and, for `fenced`, in the work done under it.
//! Release is always attempted; a lease that ran out first is logged as the lesson it is. Each
//! lease is entered in the instance's [`HeldLeases`](crate::leases::HeldLeases) while held.

use std::future::Future;

use tracing::{debug, warn};

use crate::lock::{Lock, LockManager, Release};
use crate::store::Booking;

use super::{BookingContext, BookingError, BookingRequest, StrategyName};

/// Which of the configured Redis nodes a lease is taken on.
#[derive(Clone, Copy, Debug)]
pub(super) enum Nodes {
    /// The first node alone: the single-node lock.
    First,
    /// Every node, granted by a quorum: Redlock.
    All,
}

/// Where and how a lease strategy takes its lock.
#[derive(Clone, Copy, Debug)]
pub(super) struct Lease {
    pub nodes: Nodes,
    pub how: Acquire,
}

/// The naive booking under `lease`: all there is to `redis`, `redlock` and `queue`, which differ
/// only in their [`Lease`].
pub(super) async fn naive_under_lease(
    context: &BookingContext,
    lease: Lease,
    request: BookingRequest,
    strategy: StrategyName,
) -> Result<Booking, BookingError> {
    let locks = match lease.nodes {
        Nodes::First => &context.single_node,
        Nodes::All => &context.redlock,
    };
    under_lease(context, locks, lease.how, &request, strategy, |_| {
        super::naive::read_wait_write(context, &request, strategy)
    })
    .await
}

/// How the lease is taken.
#[derive(Clone, Copy, Debug)]
pub(super) enum Acquire {
    Plain,
    Fenced,
    Fair,
}

pub(super) fn lock_key(event_id: i64) -> String {
    format!("lock:event:{event_id}")
}

/// Runs `work` under a lease on the event, taken from `locks` as `how` says.
pub(super) async fn under_lease<F, Fut>(
    context: &BookingContext,
    locks: &LockManager,
    how: Acquire,
    request: &BookingRequest,
    strategy: StrategyName,
    work: F,
) -> Result<Booking, BookingError>
where
    F: FnOnce(Lock) -> Fut,
    Fut: Future<Output = Result<Booking, BookingError>>,
{
    super::check_before_locking(context, request).await?;
    // The event's key, or one per seat (sorted): the lock crate takes them all or none.
    let keys = super::seats::lock_keys(request);
    let retry = &context.retry;
    let strategy = strategy.as_str();
    let lock = match how {
        Acquire::Plain => locks.acquire(&keys, request.ttl, retry).await,
        Acquire::Fenced => locks.acquire_fenced(&keys, request.ttl, retry).await,
        Acquire::Fair => locks.acquire_fair(&keys, request.ttl, retry).await,
    }
    .inspect_err(|e| warn!(strategy, key = %keys[0], error = %e, "could not take the lock"))?;
    request.trace.lease_taken(&lock);
    // Entered until released, so a shutdown that cuts this request off still lets it go.
    let held = context.leases.hold(locks, &lock);
    // Debug, not info: this runs inside the critical section, and the request's own log line
    // (web/api.rs) says how long it waited for the lock and held it.
    debug!(
        strategy,
        key = %keys[0],
        token = lock.token.map(|t| t.0),
        attempts = lock.attempts,
        waited_ms = lock.waited.as_millis() as u64,
        "lock taken"
    );
    let result = work(lock.clone()).await;
    let release = locks.release(&lock).await;
    held.released();
    request
        .trace
        .released(matches!(release, Ok(Release::AlreadyExpired)));
    match release {
        Ok(Release::Released) => {}
        Ok(Release::AlreadyExpired) => warn!(
            strategy,
            key = %keys[0],
            ttl_ms = request.ttl.as_millis() as u64,
            "the lock expired before it was released: another request may have held it too"
        ),
        Err(e) => warn!(strategy, key = %keys[0], error = %e, "could not release the lock"),
    }
    result
}
