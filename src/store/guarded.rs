//! Bookings whose protection is the database itself: a row lock, a conditional decrement, a
//! version compare-and-set, an advisory lock. Each is one short function with its SQL inline, so
//! a reader sees exactly which statement closes the race.

use std::time::Duration;

use super::bookings::insert_booking;
use super::{on_pool, Booking, NewBooking, Store};
use crate::trace::Trace;

/// What a guarded booking found.
#[derive(Debug)]
pub enum Guarded {
    Booked(Booking),
    SoldOut,
    NotFound,
    /// Optimistic only: someone else wrote between our read and our write.
    Conflict,
}

/// Maps the first read of a booking: unknown event, nothing left, or the count to work from.
macro_rules! check_available {
    ($available:expr) => {
        match $available {
            None => return Ok(Guarded::NotFound),
            Some(a) if a <= 0 => return Ok(Guarded::SoldOut),
            Some(a) => a,
        }
    };
}

impl Store {
    /// `for-update`: read the row under a lock held to the end of the transaction, so the race
    /// window passes with every other writer of the event waiting. Postgres locks the row
    /// (`FOR UPDATE`); SQLite has no row locks and takes the database's write lock up front.
    pub async fn book_for_update(
        &self,
        booking: NewBooking,
        race_window: Duration,
        trace: &Trace,
    ) -> Result<Guarded, sqlx::Error> {
        let select = match self {
            Store::Sqlite(_) => "SELECT available FROM events WHERE id = $1",
            Store::Postgres(_) => "SELECT available FROM events WHERE id = $1 FOR UPDATE",
        };
        let id = on_pool!(self, pool => {
            let mut tx = pool.begin_with(self.begin_write()).await?;
            let available: Option<i64> = sqlx::query_scalar(select)
                .bind(booking.event_id)
                .fetch_optional(&mut *tx)
                .await?;
            // The row (Postgres) or the database's write lock (SQLite) is ours from here.
            trace.lock_taken();
            trace.read();
            let available = check_available!(available);
            tokio::time::sleep(race_window).await;
            trace.write_started();
            sqlx::query("UPDATE events SET available = $1 WHERE id = $2")
                .bind(available - 1)
                .bind(booking.event_id)
                .execute(&mut *tx)
                .await?;
            let id = insert_booking!(tx, booking)?;
            tx.commit().await?;
            trace.write_done();
            id
        });
        Ok(Guarded::Booked(booking.written(&id)?))
    }

    /// `pg-advisory`: the same read-wait-write inside a transaction that first takes
    /// `pg_advisory_xact_lock(event id)`. The lock belongs to the transaction, so it is released
    /// by COMMIT or ROLLBACK, or when the connection dies: no lease to outlive.
    pub async fn book_advisory(
        &self,
        booking: NewBooking,
        race_window: Duration,
        trace: &Trace,
    ) -> Result<Guarded, sqlx::Error> {
        let Store::Postgres(pool) = self else {
            return Err(sqlx::Error::Configuration(
                "advisory locks need Postgres".into(),
            ));
        };
        let mut tx = pool.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(booking.event_id)
            .execute(&mut *tx)
            .await?;
        trace.lock_taken();
        let available: Option<i64> =
            sqlx::query_scalar("SELECT available FROM events WHERE id = $1")
                .bind(booking.event_id)
                .fetch_optional(&mut *tx)
                .await?;
        trace.read();
        let available = check_available!(available);
        tokio::time::sleep(race_window).await;
        trace.write_started();
        sqlx::query("UPDATE events SET available = $1 WHERE id = $2")
            .bind(available - 1)
            .bind(booking.event_id)
            .execute(&mut *tx)
            .await?;
        let id = insert_booking!(tx, booking)?;
        tx.commit().await?;
        trace.write_done();
        Ok(Guarded::Booked(booking.written(&id)?))
    }

    /// `atomic`: the decrement is one conditional statement, so there is no read to go stale.
    /// The early read only answers "unknown" or "sold out" fast, and the race window sits before
    /// the write to keep timings comparable with the other strategies.
    pub async fn book_atomic(
        &self,
        booking: NewBooking,
        race_window: Duration,
        trace: &Trace,
    ) -> Result<Guarded, sqlx::Error> {
        check_available!(self.read_available(booking.event_id).await?);
        trace.read();
        tokio::time::sleep(race_window).await;
        trace.write_started();
        let id = on_pool!(self, pool => {
            let mut tx = pool.begin_with(self.begin_write()).await?;
            let taken = sqlx::query(
                "UPDATE events SET available = available - 1 WHERE id = $1 AND available > 0",
            )
            .bind(booking.event_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if taken == 0 {
                trace.write_done();
                return Ok(Guarded::SoldOut);
            }
            let id = insert_booking!(tx, booking)?;
            tx.commit().await?;
            trace.write_done();
            id
        });
        Ok(Guarded::Booked(booking.written(&id)?))
    }

    /// `optimistic`, one attempt: read the count and the row's version, wait, then write only if
    /// the version is unchanged. A changed version is a [`Guarded::Conflict`]; the caller retries.
    pub async fn book_optimistic_once(
        &self,
        booking: NewBooking,
        race_window: Duration,
        trace: &Trace,
    ) -> Result<Guarded, sqlx::Error> {
        let row: Option<(i64, i64)> = on_pool!(self, pool => sqlx::query_as(
            "SELECT available, version FROM events WHERE id = $1",
        )
        .bind(booking.event_id)
        .fetch_optional(pool)
        .await)?;
        trace.read();
        let version = row.map(|(_, version)| version);
        let available = check_available!(row.map(|(available, _)| available));
        tokio::time::sleep(race_window).await;
        trace.write_started();
        let id = on_pool!(self, pool => {
            let mut tx = pool.begin_with(self.begin_write()).await?;
            let written = sqlx::query(
                "UPDATE events SET available = $1, version = version + 1
                 WHERE id = $2 AND version = $3",
            )
            .bind(available - 1)
            .bind(booking.event_id)
            .bind(version)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if written == 0 {
                trace.write_done();
                return Ok(Guarded::Conflict);
            }
            let id = insert_booking!(tx, booking)?;
            tx.commit().await?;
            trace.write_done();
            id
        });
        Ok(Guarded::Booked(booking.written(&id)?))
    }
}
