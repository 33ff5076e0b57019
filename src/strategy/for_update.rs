//! `for-update`: the naive booking with the event row locked from the read to the commit.
//!
//! Postgres locks the row (`FOR UPDATE`); SQLite has no row locks and takes the database's write
//! lock up front (`BEGIN IMMEDIATE`). Either way the race window passes with every other writer of
//! the event waiting, and the lock belongs to the transaction: no lease to outlive.

use crate::store::{in_write_transaction, Booking, Pool};

use super::naive::read_wait_write_in;
use super::{BookingContext, BookingError, BookingRequest, StrategyName};

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
