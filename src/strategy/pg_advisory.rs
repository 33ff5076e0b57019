//! `pg-advisory`: the naive booking inside a transaction holding `pg_advisory_xact_lock(event)`.

use crate::error::AppError;
use crate::state::AppState;
use crate::store::Booking;

use super::database::{into_outcome, new_booking};
use super::BookingRequest;

pub const DESCRIPTION: &str = "pg_advisory_xact_lock(event id) at the start of the booking \
    transaction: a named lock kept by Postgres and released at commit, rollback or disconnect. \
    Safe across instances, and a paused holder keeps it (no lease), but a stuck holder blocks \
    everyone and it exists only on Postgres.";

pub async fn book(state: &AppState, request: BookingRequest) -> Result<Booking, AppError> {
    let booking = new_booking(state, &request, "pg-advisory");
    let guarded = state
        .store
        .book_advisory(booking, request.race_window, &request.trace)
        .await;
    request.trace.unlocked();
    let guarded = guarded?;
    into_outcome(guarded, request.event_id, 1)
}
