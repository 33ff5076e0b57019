//! `for-update`: the naive booking with the event row locked from the read to the commit.

use crate::error::AppError;
use crate::state::AppState;
use crate::store::Booking;

use super::database::{into_outcome, new_booking};
use super::BookingRequest;

pub const DESCRIPTION: &str = "SELECT ... FOR UPDATE inside a transaction: the row stays locked \
    from the read to the commit, so every other booking of the event waits at its read and then \
    sees the new count. On SQLite, which has no row locks, BEGIN IMMEDIATE takes the database's \
    write lock instead. It holds across instances and pauses because the lock belongs to the \
    database transaction; the cost is that writers queue inside the database, holding connections.";

pub async fn book(state: &AppState, request: BookingRequest) -> Result<Booking, AppError> {
    let booking = new_booking(state, &request, "for-update");
    let guarded = state
        .store
        .book_for_update(booking, request.race_window, &request.trace)
        .await;
    request.trace.unlocked();
    let guarded = guarded?;
    into_outcome(guarded, request.event_id, 1)
}
