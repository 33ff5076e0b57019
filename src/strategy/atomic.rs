//! `atomic`: no lock at all; the decrement is one conditional UPDATE the database serialises.

use crate::error::AppError;
use crate::state::AppState;
use crate::store::Booking;

use super::database::{into_outcome, new_booking};
use super::BookingRequest;

pub const DESCRIPTION: &str =
    "One statement: UPDATE events SET available = available - 1 WHERE id = ? \
    AND available > 0, then check that a row changed. There is no read to go stale, so there is \
    nothing to lock; the database serialises the decrement. The fastest and simplest fix, when \
    the whole decision fits in one statement.";

pub async fn book(state: &AppState, request: BookingRequest) -> Result<Booking, AppError> {
    let booking = new_booking(state, &request, "atomic");
    let guarded = state
        .store
        .book_atomic(booking, request.race_window, &request.trace)
        .await;
    let guarded = guarded?;
    into_outcome(guarded, request.event_id, 1)
}
