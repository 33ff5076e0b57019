//! `optimistic`: read with a version, write only if the version is unchanged, retry a few times.
//!
//! The retries are bounded twice: by a count, and by the server's lock wait (`LOCK_WAIT_MS`), the
//! same budget a lock strategy waits for its lock. Each attempt sleeps the race window, so a
//! count alone would let one request take attempts x race window (50 x 30 s).

use std::time::Instant;

use crate::store::{in_write_transaction, insert_booking, on_pool, Booking, SeatWrite};

use super::{
    race_window, seats, tickets_left, BookingContext, BookingError, BookingRequest, StrategyName,
};

pub const DESCRIPTION: &str = "Read the count and a version number, then write only WHERE version \
    is still the one read (compare-and-set); if someone wrote first, read again and retry, a \
    bounded number of times. No lock is held while waiting, so it shines when conflicts are rare \
    and wastes work retrying when everyone wants the same ticket.";

/// Attempts before giving up; each lost attempt means another booking succeeded meanwhile, so
/// with ten contenders for one ticket the loser learns "sold out" long before this runs out.
const ATTEMPTS: u32 = 50;

pub async fn book(
    context: &BookingContext,
    request: BookingRequest,
) -> Result<Booking, BookingError> {
    let budget = context.retry.budget;
    let started = Instant::now();
    let mut attempts = 0;
    loop {
        attempts += 1;
        if let Some(booking) = attempt(context, &request).await? {
            return Ok(booking);
        }
        // Another attempt only if it can still end within the budget: the first always runs.
        let another_fits = started.elapsed() + request.race_window <= budget;
        if attempts == ATTEMPTS || !another_fits {
            return Err(BookingError::Contention {
                event_id: request.event_id,
                attempts,
                most: ATTEMPTS,
                race_window: request.race_window,
                budget,
            });
        }
    }
}

/// One attempt: read the count and the row's version, wait, then write only if the version is
/// unchanged. `None` when someone else wrote in between: the caller tries again.
async fn attempt(
    context: &BookingContext,
    request: &BookingRequest,
) -> Result<Option<Booking>, BookingError> {
    let store = &context.store;
    let event_id = request.event_id;
    if !request.seats.is_empty() {
        return attempt_seats(context, request).await;
    }
    let row: Option<(i64, i64)> = on_pool!(store, pool => sqlx::query_as(
        "SELECT available, version FROM events WHERE id = $1",
    )
    .bind(event_id)
    .fetch_optional(pool)
    .await)?;
    request.trace.read();
    let available = tickets_left(row.map(|(available, _)| available), event_id)?;
    let version = row.map(|(_, version)| version);
    race_window(request.race_window).await;
    let booking = context.new_booking(request, StrategyName::Optimistic, None);
    let trace = &request.trace;
    trace.write_started();
    let id = in_write_transaction!(store, tx => {
        let written = sqlx::query(
            "UPDATE events SET available = $1, version = version + 1
             WHERE id = $2 AND version = $3",
        )
        .bind(available - 1)
        .bind(event_id)
        .bind(version)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if written == 0 {
            trace.write_done();
            return Ok(None);
        }
        let id = insert_booking!(tx, booking)?;
        tx.commit().await?;
        trace.write_done();
        id
    });
    Ok(Some(booking.written(&id)?))
}

/// One attempt at a booking of seats: the event's version first, then which seats are held,
/// wait, write only if the version is unchanged. Any booking of the event committed after the
/// version was read moved it, so a seat taken after our look fails our write; one committed
/// before it is in our look.
async fn attempt_seats(
    context: &BookingContext,
    request: &BookingRequest,
) -> Result<Option<Booking>, BookingError> {
    let (store, event_id) = (&context.store, request.event_id);
    let version = store
        .event_number("SELECT version FROM events WHERE id = $1", event_id)
        .await?
        .ok_or(crate::store::UnknownEvent(event_id))?;
    seats::check_free(context, request).await?;
    request.trace.read();
    race_window(request.race_window).await;
    let booking = context.new_booking(request, StrategyName::Optimistic, None);
    request.trace.write_started();
    let written = store
        .write_seat_booking(booking, &request.seats, SeatWrite::Version(version))
        .await;
    request.trace.write_done();
    Ok(written?)
}
