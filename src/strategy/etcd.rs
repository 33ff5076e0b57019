//! `etcd`: a consensus lock, with the key's revision as the fencing token.
//!
//! The lock is a key in an etcd cluster, created only while absent and bound to a lease the
//! holder keeps alive (`crate::etcd`). Taking it is one write agreed by a majority of the members,
//! so there is no set of independent copies for a restarted or fast-clocked node to undermine, and
//! a cluster that has lost its majority grants nothing (503 `quorum_unavailable`). A lease can
//! still end under a holder that was paused past it, as every lease can; the key's revision,
//! which grows with every later holder, is then the token in the same storage check as `fenced`
//! (`store::fenced`), and the late write is refused with 409 `stale_fence`.

use tracing::{info, warn};

use crate::etcd::Released;
use crate::store::Booking;

use super::fenced::fenced_read_wait_write;
use super::{
    check_before_locking, leased, BookingContext, BookingError, BookingRequest, StrategyName,
};

pub const DESCRIPTION: &str = "A consensus lock: the lock is a key in a 3-member etcd cluster, \
    created in a transaction only while it does not exist and tied to a lease the holder keeps \
    alive. Every grant is one write agreed by a majority through etcd's replicated log, so a \
    node that restarts or whose clock runs ahead cannot hand the lock to a second client, and \
    with one member down it books as before; with two down nothing is granted (503). The key's \
    revision grows with every holder and is the fencing token of the same storage check as \
    fenced: a holder paused past its lease (whole seconds in etcd) is refused with 409 \
    stale_fence. The cost is a consensus round trip to take and to release the lock.";

pub async fn book(
    context: &BookingContext,
    request: BookingRequest,
) -> Result<Booking, BookingError> {
    check_before_locking(context, &request).await?;
    let key = leased::lock_key(request.event_id);
    let lock = context
        .etcd
        .lock(&key, request.ttl, &context.retry)
        .await
        .inspect_err(|e| warn!(strategy = "etcd", %key, error = %e, "could not take the lock"))?;
    request
        .trace
        .lease_granted(lock.attempts, lock.valid_until(), Some(lock.revision));
    info!(
        strategy = "etcd",
        %key,
        revision = lock.revision,
        lease = lock.lease_id(),
        lease_ttl_s = lock.lease_ttl().as_secs(),
        attempts = lock.attempts,
        waited_ms = lock.waited.as_millis() as u64,
        "lock taken"
    );
    // The race window is the holder's pause: its keep-alives pause with it (`paused_for`).
    let result = fenced_read_wait_write(
        context,
        &request,
        StrategyName::Etcd,
        lock.revision,
        lock.paused_for(request.race_window),
    )
    .await;
    let lost = lock.lost();
    let release = lock.release().await;
    request
        .trace
        .released(matches!(release, Ok(Released::AlreadyExpired)) || lost);
    match release {
        Ok(Released::Released) => {}
        Ok(Released::AlreadyExpired) => warn!(
            strategy = "etcd",
            %key,
            "the lease expired before it was released: etcd gave the lock to the next contender"
        ),
        Err(e) => warn!(strategy = "etcd", %key, error = %e, "could not release the lock"),
    }
    result
}
