//! `local-mutex`: the naive booking under a per-event tokio Mutex inside this process.
//!
//! It is the lock most people write first, and it is correct as long as there is one process.
//! A second app instance has its own map of mutexes, so two requests on two instances both enter.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::store::Booking;

use super::{naive, BookingContext, BookingError, BookingRequest, StrategyName};

pub const DESCRIPTION: &str = "A tokio Mutex per event, inside the app process. Requests on one \
    instance take turns, so one instance never oversells, and a paused holder keeps the mutex (it \
    has no lease to lose). But a mutex lives in one process's memory: run the app as two \
    instances and each has its own, so a request on each enters at once and the ticket is sold twice.";

/// One async mutex per lock key (an event's, or a seat's), created on first use and kept for
/// the life of the process.
#[derive(Default)]
pub struct LocalLocks {
    by_key: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl LocalLocks {
    fn for_key(&self, key: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut map = self.by_key.lock().unwrap_or_else(|p| p.into_inner());
        map.entry(key.to_string()).or_default().clone()
    }
}

pub async fn book(
    context: &BookingContext,
    request: BookingRequest,
) -> Result<Booking, BookingError> {
    super::check_before_locking(context, &request).await?;
    // The event's mutex, or one per seat taken one after the other in the keys' sorted order:
    // every booking climbs the same ladder, so none holds a rung another is waiting below.
    let mutexes: Vec<_> = super::seats::lock_keys(&request)
        .iter()
        .map(|key| context.local_locks.for_key(key))
        .collect();
    let mut guards = Vec::with_capacity(mutexes.len());
    for mutex in &mutexes {
        guards.push(mutex.lock().await);
    }
    request.trace.lock_taken();
    let booking = naive::read_wait_write(context, &request, StrategyName::LocalMutex).await;
    drop(guards);
    request.trace.released(false);
    booking
}
