//! `pg-advisory`: the naive booking inside a transaction holding `pg_advisory_xact_lock(event)`.
//!
//! The lock belongs to the transaction, so COMMIT or ROLLBACK releases it, and so does the
//! connection dying: there is no lease to outlive. Postgres only; the registry answers 501 on
//! SQLite before this runs.

use crate::store::{insert_booking, Booking, Pool};

use super::{
    race_window, tickets_left, BookingContext, BookingError, BookingRequest, Registry, StrategyName,
};

pub const DESCRIPTION: &str = "pg_advisory_xact_lock(event id) at the start of the booking \
    transaction: a named lock kept by Postgres and released at commit, rollback or disconnect. \
    Safe across instances, and a paused holder keeps it (no lease), but a stuck holder blocks \
    everyone and it exists only on Postgres.";

pub async fn book(
    context: &BookingContext,
    request: BookingRequest,
) -> Result<Booking, BookingError> {
    super::check_before_locking(context, request.event_id).await?;
    let booked = book_in_transaction(context, &request).await;
    request.trace.unlocked();
    booked
}

async fn book_in_transaction(
    context: &BookingContext,
    request: &BookingRequest,
) -> Result<Booking, BookingError> {
    let Pool::Postgres(pool) = context.store.pool() else {
        return Err(StrategyName::PgAdvisory
            .check_supported(context.store.backend())
            .expect_err("pg-advisory runs on Postgres only"));
    };
    let booking = context.new_booking(request, StrategyName::PgAdvisory, None);
    let trace = &request.trace;
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(booking.event_id)
        .execute(&mut *tx)
        .await?;
    trace.lock_taken();
    let available: Option<i64> = sqlx::query_scalar("SELECT available FROM events WHERE id = $1")
        .bind(booking.event_id)
        .fetch_optional(&mut *tx)
        .await?;
    trace.read();
    let available = tickets_left(available, booking.event_id)?;
    race_window(request.race_window).await;
    trace.write_started();
    sqlx::query("UPDATE events SET available = $1 WHERE id = $2")
        .bind(available - 1)
        .bind(booking.event_id)
        .execute(&mut *tx)
        .await?;
    let id = insert_booking!(tx, booking)?;
    tx.commit().await?;
    trace.write_done();
    Ok(booking.written(&id)?)
}
