//! `atomic`: no lock at all; the decrement is one conditional UPDATE the database serialises.
//!
//! There is no read to go stale. With a race window a read comes first and the window sits
//! before the write, to keep timings comparable with the other strategies; without one the
//! booking is the conditional UPDATE alone, and only a refused one reads (to tell "sold out"
//! from "no such event").

use crate::store::{in_write_transaction, insert_booking, Booking, SeatWrite};

use super::{
    race_window, seats, tickets_left, BookingContext, BookingError, BookingRequest, StrategyName,
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
    if !request.seats.is_empty() {
        return book_seats(context, &request).await;
    }
    // With a race window the read comes first, so the timeline compares with the other
    // strategies' read, pause, write. Without one the conditional UPDATE is the whole decision,
    // and a read before it would be a statement for nothing.
    if !request.race_window.is_zero() {
        tickets_left(store.read_available(event_id).await?, event_id)?;
        request.trace.read();
        race_window(request.race_window).await;
    }
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
            // No row changed: sold out, or no such event, which only a read can tell.
            drop(tx);
            tickets_left(store.read_available(event_id).await?, event_id)?;
            return Err(BookingError::SoldOut { event_id });
        }
        let id = insert_booking!(tx, booking)?;
        tx.commit().await?;
        trace.write_done();
        id
    });
    Ok(booking.written(&id)?)
}

/// A booking of seats: one statement marks every seat sold only where it is not (`sold = 0`),
/// and the transaction goes on only if it marked them all; otherwise it rolls back and the
/// seats are taken. Postgres re-checks the condition on a row another writer just committed,
/// so of two such statements over one seat only one marks it.
async fn book_seats(
    context: &BookingContext,
    request: &BookingRequest,
) -> Result<Booking, BookingError> {
    let (store, event_id) = (&context.store, request.event_id);
    seats::check_free(context, request).await?;
    request.trace.read();
    race_window(request.race_window).await;
    let booking = context.new_booking(request, StrategyName::Atomic, None);
    request.trace.write_started();
    let written = store
        .write_seat_booking(booking, &request.seats, SeatWrite::SeatsFree)
        .await;
    request.trace.write_done();
    match written? {
        Some(booking) => Ok(booking),
        None => Err(BookingError::SeatTaken {
            event_id,
            seats: store.held_seats(event_id, &request.seats).await?,
        }),
    }
}
