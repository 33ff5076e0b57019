//! The strategies whose protection is the database: `for-update`, `pg-advisory`, `atomic` and
//! `optimistic`. Their SQL lives in `store::guarded`; here they become outcomes and errors.
//!
//! None of them has a lease, so a paused holder cannot lose its protection: the database keeps
//! the lock (or refuses the stale write) for as long as the transaction lives.

use crate::error::AppError;
use crate::state::AppState;
use crate::store::{Guarded, NewBooking};

use super::{BookingRequest, Outcome};

pub const FOR_UPDATE: &str = "SELECT ... FOR UPDATE inside a transaction: the row stays locked \
    from the read to the commit, so every other booking of the event waits at its read and then \
    sees the new count. On SQLite, which has no row locks, BEGIN IMMEDIATE takes the database's \
    write lock instead. It holds across instances and pauses because the lock belongs to the \
    database transaction; the cost is that writers queue inside the database, holding connections.";

pub const PG_ADVISORY: &str = "pg_advisory_xact_lock(event id) at the start of the booking \
    transaction: a named lock kept by Postgres and released at commit, rollback or disconnect. \
    Safe across instances, and a paused holder keeps it (no lease), but a stuck holder blocks \
    everyone and it exists only on Postgres.";

pub const ATOMIC: &str = "One statement: UPDATE events SET available = available - 1 WHERE id = ? \
    AND available > 0, then check that a row changed. There is no read to go stale, so there is \
    nothing to lock; the database serialises the decrement. The fastest and simplest fix, when \
    the whole decision fits in one statement.";

pub const OPTIMISTIC: &str = "Read the count and a version number, then write only WHERE version \
    is still the one read (compare-and-set); if someone wrote first, read again and retry, a \
    bounded number of times. No lock is held while waiting, so it shines when conflicts are rare \
    and wastes work retrying when everyone wants the same ticket.";

/// Optimistic attempts before giving up; each lost attempt means another booking succeeded.
const OPTIMISTIC_ATTEMPTS: u32 = 50;

fn new_booking(state: &AppState, request: &BookingRequest, strategy: &'static str) -> NewBooking {
    NewBooking {
        event_id: request.event_id,
        customer: request.customer.clone(),
        strategy,
        instance: state.instance.clone(),
        fence_token: None,
    }
}

fn into_outcome(guarded: Guarded, event_id: i64) -> Result<Outcome, AppError> {
    match guarded {
        Guarded::Booked(booking) => Ok(Outcome {
            booking,
            lock_wait_ms: None,
        }),
        Guarded::SoldOut => Err(AppError::SoldOut { event_id }),
        Guarded::NotFound => Err(AppError::NotFound(format!(
            "event {event_id} does not exist"
        ))),
        Guarded::Conflict => Err(AppError::Contention(format!(
            "event {event_id} changed under every one of {OPTIMISTIC_ATTEMPTS} attempts; try again"
        ))),
    }
}

pub async fn for_update(state: &AppState, request: BookingRequest) -> Result<Outcome, AppError> {
    let booking = new_booking(state, &request, "for-update");
    let guarded = state
        .store
        .book_for_update(booking, request.race_window)
        .await?;
    into_outcome(guarded, request.event_id)
}

pub async fn pg_advisory(state: &AppState, request: BookingRequest) -> Result<Outcome, AppError> {
    let booking = new_booking(state, &request, "pg-advisory");
    let guarded = state
        .store
        .book_advisory(booking, request.race_window)
        .await?;
    into_outcome(guarded, request.event_id)
}

pub async fn atomic(state: &AppState, request: BookingRequest) -> Result<Outcome, AppError> {
    let booking = new_booking(state, &request, "atomic");
    let guarded = state
        .store
        .book_atomic(booking, request.race_window)
        .await?;
    into_outcome(guarded, request.event_id)
}

pub async fn optimistic(state: &AppState, request: BookingRequest) -> Result<Outcome, AppError> {
    let mut last = Guarded::Conflict;
    for _ in 0..OPTIMISTIC_ATTEMPTS {
        let booking = new_booking(state, &request, "optimistic");
        last = state
            .store
            .book_optimistic_once(booking, request.race_window)
            .await?;
        if !matches!(last, Guarded::Conflict) {
            break;
        }
    }
    into_outcome(last, request.event_id)
}
