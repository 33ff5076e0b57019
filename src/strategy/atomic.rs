//! `atomic`: no lock at all; the decrement is one conditional UPDATE the database serialises.
//!
//! There is no read to go stale. The early read only answers "unknown" or "sold out" fast, and
//! the race window sits before the write to keep timings comparable with the other strategies.

use crate::store::{in_write_transaction, insert_booking, Booking};

use super::{
    race_window, tickets_left, BookingContext, BookingError, BookingRequest, StrategyName,
};

pub const DESCRIPTION: &str =
    "One statement: UPDATE events SET available = available - 1 WHERE id = ? \
    AND available > 0, then check that a row changed. There is no read to go stale, so there is \
    nothing to lock; the database serialises the decrement. The fastest and simplest fix, when \
    the whole decision fits in one statement.";

pub async fn book(
    context: &BookingContext,
    request: BookingRequest,
) -> Result<Booking, BookingError> {
    let store = &context.store;
    let event_id = request.event_id;
    tickets_left(store.read_available(event_id).await?, event_id)?;
    request.trace.read();
    race_window(request.race_window).await;
    let booking = context.new_booking(&request, StrategyName::Atomic, None);
    let trace = &request.trace;
    trace.write_started();
    let id = in_write_transaction!(store, tx => {
        let taken = sqlx::query(
            "UPDATE events SET available = available - 1 WHERE id = $1 AND available > 0",
        )
        .bind(event_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if taken == 0 {
            trace.write_done();
            return Err(BookingError::SoldOut { event_id });
        }
        let id = insert_booking!(tx, booking)?;
        tx.commit().await?;
        trace.write_done();
        id
    });
    Ok(booking.written(&id)?)
}
