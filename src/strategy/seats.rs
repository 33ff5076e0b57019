//! What every strategy shares when a booking names seats: the lock keys at either granularity,
//! the early "seat taken" answer, and the naive seat booking (check the seats are free, wait the
//! race window, write) that the lock strategies wrap.
//!
//! Keys and row locks are always taken in one order, the seats sorted by name (the web layer
//! hands the seats over sorted), so two bookings of overlapping seats asked for in opposite
//! orders wait for each other instead of each holding half: deadlock-free by construction.

use oversold_api::Granularity;

use crate::store::{Booking, SeatWrite};

use super::{race_window, BookingContext, BookingError, BookingRequest, StrategyName};

/// The lock key of one seat: next to the event's own key, so a lock on the event and one on
/// a seat are told apart at a glance in `redis-cli KEYS lock:*`.
pub(super) fn seat_key(event_id: i64, seat: &str) -> String {
    format!("{}:seat:{seat}", super::leased::lock_key(event_id))
}

/// What a lock strategy locks for `request`: the event's key, or one key per seat (sorted).
pub(super) fn lock_keys(request: &BookingRequest) -> Vec<String> {
    match (request.granularity, request.seats.is_empty()) {
        (Granularity::Seat, false) => request
            .seats
            .iter()
            .map(|seat| seat_key(request.event_id, seat))
            .collect(),
        _ => vec![super::leased::lock_key(request.event_id)],
    }
}

/// A refusal naming the seats someone already holds, or nothing when all are free.
pub(super) fn taken(event_id: i64, held: Vec<String>) -> Result<(), BookingError> {
    if held.is_empty() {
        Ok(())
    } else {
        Err(BookingError::SeatTaken {
            event_id,
            seats: held,
        })
    }
}

/// The seats' early check, before queueing for a lock: a crowd at taken seats costs a read each.
pub(super) async fn check_free(
    context: &BookingContext,
    request: &BookingRequest,
) -> Result<(), BookingError> {
    let held = context
        .store
        .held_seats(request.event_id, &request.seats)
        .await?;
    taken(request.event_id, held)
}

/// The naive seat booking: read which seats are held, wait the race window, write the booking
/// and one row per seat. Unprotected, every request that reads before the first write books.
pub(super) async fn read_wait_write(
    context: &BookingContext,
    request: &BookingRequest,
    strategy: StrategyName,
) -> Result<Booking, BookingError> {
    let held = context
        .store
        .held_seats(request.event_id, &request.seats)
        .await?;
    request.trace.read();
    taken(request.event_id, held)?;
    race_window(request.race_window).await;
    let booking = context.new_booking(request, strategy, None);
    request.trace.write_started();
    let written = context
        .store
        .write_seat_booking(booking, &request.seats, SeatWrite::Unconditional)
        .await;
    request.trace.write_done();
    Ok(written?.expect("an unconditional write always writes"))
}

/// The naive seat booking inside the open transaction `$tx` whose lock protects it
/// (`for-update`, `pg-advisory`): the held seats read in the transaction, the race window, the
/// write, the commit. Evaluates to the new booking's id; a seat already held returns
/// `seat_taken` (the transaction rolls back as it is dropped).
macro_rules! seat_read_wait_write_in {
    ($tx:ident, $backend:expr, $booking:expr, $request:expr) => {{
        let request: &$crate::strategy::BookingRequest = $request;
        let held = $crate::store::held_seats_in!(&mut *$tx, request.event_id, &request.seats)?;
        request.trace.read();
        super::seats::taken(request.event_id, held)?;
        super::race_window(request.race_window).await;
        request.trace.write_started();
        let id = $crate::store::write_seats_in!(
            $tx,
            $backend,
            $booking,
            &request.seats,
            $crate::store::SeatWrite::Unconditional
        )?
        .expect("an unconditional write always writes");
        $tx.commit().await?;
        request.trace.write_done();
        id
    }};
}
pub(super) use seat_read_wait_write_in;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seat_key_sits_under_its_event_key() {
        assert_eq!(seat_key(7, "A12"), "lock:event:7:seat:A12");
    }
}
