//! `pg-advisory`: the naive booking inside a transaction holding `pg_advisory_xact_lock(event)`.
//!
//! The lock belongs to the transaction, so COMMIT or ROLLBACK releases it, and so does the
//! connection dying: there is no lease to outlive. Postgres only; the registry answers 501 on
//! SQLite before this runs.

use crate::store::{Backend, Booking, Pool};

use super::naive::read_wait_write_in;
use super::seats::{self, seat_read_wait_write_in};
use super::{BookingContext, BookingError, BookingRequest, Granularity, Registry, StrategyName};

pub const DESCRIPTION: &str = "pg_advisory_xact_lock(event id) at the start of the booking \
    transaction: a named lock kept by Postgres and released at commit, rollback or disconnect. \
    Safe across instances, and a paused holder keeps it (no lease), but a stuck holder blocks \
    everyone and it exists only on Postgres.";

/// The booking inside its transaction; the registry wraps it in
/// [`under_database_lock`](super::naive::under_database_lock).
pub(super) async fn book_in_transaction(
    context: &BookingContext,
    request: &BookingRequest,
) -> Result<Booking, BookingError> {
    let Pool::Postgres(pool) = context.store.pool() else {
        return Err(StrategyName::PgAdvisory
            .check_supported(context.store.backend())
            .expect_err("pg-advisory runs on Postgres only"));
    };
    let booking = context.new_booking(request, StrategyName::PgAdvisory, None);
    let mut tx = pool.begin().await?;
    if request.seats.is_empty() || request.granularity == Granularity::Event {
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(booking.event_id)
            .execute(&mut *tx)
            .await?;
    } else {
        // One lock per seat, keyed by a 64-bit hash of the seat's lock key, taken in the
        // seats' sorted order like every other per-seat lock.
        for seat in &request.seats {
            sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
                .bind(seats::seat_key(request.event_id, seat))
                .execute(&mut *tx)
                .await?;
        }
    }
    request.trace.lock_taken();
    if !request.seats.is_empty() {
        let id = seat_read_wait_write_in!(tx, Backend::Postgres, booking, request);
        return Ok(booking.written(&id)?);
    }
    let select = "SELECT available FROM events WHERE id = $1";
    let id = read_wait_write_in!(tx, select, booking, request, {});
    Ok(booking.written(&id)?)
}
