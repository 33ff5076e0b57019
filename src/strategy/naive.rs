//! The naive booking every strategy wraps: read `available`, wait the race window, write (for a
//! booking of seats: read which seats are held, wait, write; see `seats.rs`).
//!
//! Left alone it is the textbook check-then-act race: every request that reads before the first
//! write sees the same ticket and books it. The race window makes that certain instead of likely.

use crate::store::Booking;

use super::{
    race_window, tickets_left, BookingContext, BookingError, BookingRequest, StrategyName,
};

pub async fn read_wait_write(
    context: &BookingContext,
    request: &BookingRequest,
    strategy: StrategyName,
) -> Result<Booking, BookingError> {
    if !request.seats.is_empty() {
        return super::seats::read_wait_write(context, request, strategy).await;
    }
    let available = context.store.read_available(request.event_id).await?;
    request.trace.read();
    let available = tickets_left(available, request.event_id)?;
    race_window(request.race_window).await;
    let booking = context.new_booking(request, strategy, None);
    request.trace.write_started();
    let written = context.store.write_booking(available - 1, booking).await;
    request.trace.write_done();
    Ok(written?)
}

/// Around a booking whose lock is a database transaction's (`for-update`, `pg-advisory`): the
/// availability check before locking, then `booking`, then the trace's mark that the
/// transaction, and with it the lock, has ended.
pub(super) async fn under_database_lock(
    context: &BookingContext,
    request: &BookingRequest,
    booking: impl std::future::Future<Output = Result<Booking, BookingError>>,
) -> Result<Booking, BookingError> {
    super::check_before_locking(context, request).await?;
    let booked = booking.await;
    request.trace.unlocked();
    booked
}

/// The same naive booking inside the open transaction `$tx` whose lock protects it (`for-update`,
/// `pg-advisory`): read with `$select`, run `$locked` (where the lock is known to be held), wait
/// the race window, write, commit. Evaluates to the new booking's id. A macro because the
/// transaction is SQLite's or Postgres's, two types with no common trait to write this once.
macro_rules! read_wait_write_in {
    ($tx:ident, $select:expr, $booking:expr, $request:expr, $locked:block) => {{
        let trace = &$request.trace;
        let available: Option<i64> = sqlx::query_scalar($select)
            .bind($booking.event_id)
            .fetch_optional(&mut *$tx)
            .await?;
        $locked
        trace.read();
        let available = super::tickets_left(available, $booking.event_id)?;
        super::race_window($request.race_window).await;
        trace.write_started();
        sqlx::query("UPDATE events SET available = $1 WHERE id = $2")
            .bind(available - 1)
            .bind($booking.event_id)
            .execute(&mut *$tx)
            .await?;
        let id = crate::store::insert_booking!($tx, $booking)?;
        $tx.commit().await?;
        trace.write_done();
        id
    }};
}
pub(super) use read_wait_write_in;
