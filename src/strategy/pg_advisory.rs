//! `pg-advisory`: the naive booking inside a transaction holding `pg_advisory_xact_lock(event)`.
//!
//! The lock belongs to the transaction, so COMMIT or ROLLBACK releases it, and so does the
//! connection dying: there is no lease to outlive. Postgres only; the registry answers 501 on
//! SQLite before this runs.

use crate::store::{Booking, Pool};

use super::naive::read_wait_write_in;
use super::{BookingContext, BookingError, BookingRequest, Registry, StrategyName};

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
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(booking.event_id)
        .execute(&mut *tx)
        .await?;
    request.trace.lock_taken();
    let select = "SELECT available FROM events WHERE id = $1";
    let id = read_wait_write_in!(tx, select, booking, request, {});
    Ok(booking.written(&id)?)
}
