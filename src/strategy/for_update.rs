//! `for-update`: the naive booking with the event row locked from the read to the commit.
//!
//! Postgres locks the row (`FOR UPDATE`); SQLite has no row locks and takes the database's write
//! lock up front (`BEGIN IMMEDIATE`). Either way the race window passes with every other writer of
//! the event waiting, and the lock belongs to the transaction: no lease to outlive.

use crate::store::seats::placeholders;
use crate::store::{in_write_transaction, Booking, Pool};

use super::naive::read_wait_write_in;
use super::seats::seat_read_wait_write_in;
use super::{BookingContext, BookingError, BookingRequest, Granularity, StrategyName};

pub const DESCRIPTION: &str = "SELECT ... FOR UPDATE inside a transaction: the row stays locked \
    from the read to the commit, so every other booking of the event waits at its read and then \
    sees the new count. On SQLite, which has no row locks, BEGIN IMMEDIATE takes the database's \
    write lock instead. It holds across instances and pauses because the lock belongs to the \
    database transaction; the cost is that writers queue inside the database, holding connections.";

/// The booking inside its transaction; the registry wraps it in
/// [`under_database_lock`](super::naive::under_database_lock).
pub(super) async fn book_in_transaction(
    context: &BookingContext,
    request: &BookingRequest,
) -> Result<Booking, BookingError> {
    let store = &context.store;
    if !request.seats.is_empty() {
        return book_seats(context, request).await;
    }
    let select = match store.pool() {
        Pool::Sqlite(_) => "SELECT available FROM events WHERE id = $1",
        Pool::Postgres(_) => "SELECT available FROM events WHERE id = $1 FOR UPDATE",
    };
    let booking = context.new_booking(request, StrategyName::ForUpdate, None);
    let id = in_write_transaction!(store, tx => {
        read_wait_write_in!(tx, select, booking, request, {
            // The row (Postgres) or the database's write lock (SQLite) is ours from here.
            request.trace.lock_taken();
        })
    });
    Ok(booking.written(&id)?)
}

/// A booking of seats: on Postgres the event row (`granularity=event`) or the seat rows, sorted
/// (`granularity=seat`), locked `FOR UPDATE` before the seats are read; on SQLite the write lock
/// `BEGIN IMMEDIATE` takes covers both.
async fn book_seats(
    context: &BookingContext,
    request: &BookingRequest,
) -> Result<Booking, BookingError> {
    let store = &context.store;
    let backend = store.backend();
    let lock = match (store.pool(), request.granularity) {
        (Pool::Sqlite(_), _) => None,
        (Pool::Postgres(_), Granularity::Event) => {
            Some("SELECT id FROM events WHERE id = $1 FOR UPDATE".to_string())
        }
        (Pool::Postgres(_), Granularity::Seat) => Some(format!(
            "SELECT seat FROM seats WHERE event_id = $1 AND seat IN ({}) ORDER BY seat FOR UPDATE",
            placeholders(2, request.seats.len())
        )),
    };
    let booking = context.new_booking(request, StrategyName::ForUpdate, None);
    let id = in_write_transaction!(store, tx => {
        if let Some(lock) = &lock {
            let mut query = sqlx::query(sqlx::AssertSqlSafe(lock.as_str())).bind(request.event_id);
            if request.granularity == Granularity::Seat {
                for seat in &request.seats {
                    query = query.bind(seat);
                }
            }
            query.execute(&mut *tx).await?;
        }
        request.trace.lock_taken();
        seat_read_wait_write_in!(tx, backend, booking, request)
    });
    Ok(booking.written(&id)?)
}
