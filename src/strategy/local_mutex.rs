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

/// One async mutex per event id, created on first use and kept for the life of the process.
#[derive(Default)]
pub struct LocalLocks {
    by_event: Mutex<HashMap<i64, Arc<tokio::sync::Mutex<()>>>>,
}

impl LocalLocks {
    fn for_event(&self, event_id: i64) -> Arc<tokio::sync::Mutex<()>> {
        let mut map = self.by_event.lock().unwrap_or_else(|p| p.into_inner());
        map.entry(event_id).or_default().clone()
    }
}

pub async fn book(
    context: &BookingContext,
    request: BookingRequest,
) -> Result<Booking, BookingError> {
    super::check_before_locking(context, request.event_id).await?;
    let mutex = context.local_locks.for_event(request.event_id);
    let guard = mutex.lock().await;
    request.trace.lock_taken();
    let booking = naive::read_wait_write(context, &request, StrategyName::LocalMutex).await;
    drop(guard);
    request.trace.released(false);
    booking
}
