//! `redis` (also `/book-with-lock`): the naive booking inside a single-node Redis lock.
//!
//! The lock is `SET lock:event:{id} <random> NX PX ttl` on the first Redis node and is released
//! by an owner-checked script, so the read-wait-write runs one request at a time per event,
//! across every app instance that shares the node. Its weakness is the lease: a holder paused
//! past `ttl` keeps writing after the lock has passed to someone else.

use tracing::warn;

use crate::error::AppError;
use crate::lock::Release;
use crate::state::AppState;

use super::{naive, BookingRequest, Outcome};

pub const DESCRIPTION: &str = "A lock on one Redis node: SET lock:event:{id} <random value> NX PX \
    ttl, released by a script that deletes the key only if it still holds our value. Requests for \
    the same event take turns, across every app instance that shares the node, so the last ticket \
    is sold once. It breaks when a holder is paused longer than the lock's TTL: the key expires, a \
    second request takes the lock, and both write.";

pub async fn book(state: &AppState, request: BookingRequest) -> Result<Outcome, AppError> {
    let key = format!("lock:event:{}", request.event_id);
    let lock = state
        .redis
        .acquire(&[key], request.ttl, &state.defaults.retry)
        .await?;
    let result = naive::read_wait_write(state, &request, "redis", None).await;
    match state.redis.release(&lock).await {
        Ok(Release::Released) => {}
        Ok(Release::AlreadyExpired) => warn!(
            event_id = request.event_id,
            ttl_ms = request.ttl.as_millis() as u64,
            "the lock expired before it was released: another request may have held it too"
        ),
        Err(e) => warn!(event_id = request.event_id, error = %e, "could not release the lock"),
    }
    Ok(Outcome {
        booking: result?,
        lock_wait_ms: Some(lock.waited.as_secs_f64() * 1000.0),
    })
}
