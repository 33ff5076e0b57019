//! What the database-side strategies share: the booking they ask for and how a guarded result
//! becomes an outcome or an error. Their SQL lives in `store::guarded`, one function each.
//!
//! None of them has a lease, so a paused holder cannot lose its protection: the database keeps
//! the lock (or refuses the stale write) for as long as the transaction lives.

use crate::error::AppError;
use crate::state::AppState;
use crate::store::{Booking, Guarded, NewBooking};

use super::BookingRequest;

pub(super) fn new_booking(
    state: &AppState,
    request: &BookingRequest,
    strategy: &'static str,
) -> NewBooking {
    NewBooking {
        event_id: request.event_id,
        customer: request.customer.clone(),
        strategy,
        instance: state.instance.clone(),
        fence_token: None,
    }
}

/// `Conflict` only comes back once optimistic has spent every attempt, so it reads as such.
pub(super) fn into_outcome(
    guarded: Guarded,
    event_id: i64,
    attempts: u32,
) -> Result<Booking, AppError> {
    match guarded {
        Guarded::Booked(booking) => Ok(booking),
        Guarded::SoldOut => Err(AppError::SoldOut { event_id }),
        Guarded::NotFound => Err(AppError::NotFound(format!(
            "event {event_id} does not exist"
        ))),
        Guarded::Conflict => Err(AppError::Contention(format!(
            "event {event_id} changed under every one of {attempts} attempts; try again"
        ))),
    }
}
