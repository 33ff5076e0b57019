//! The two halves of the naive booking: read `available`, later write `available - 1` and a row.
//!
//! They are separate calls on purpose. The gap between them is the race every strategy in
//! `crate::strategy` either leaves open or closes; the store itself protects nothing here.

use oversold_api::StrategyName;
use uuid::Uuid;

use super::{in_write_transaction, on_pool, Backend, Pool, Store};

/// What a strategy wants written.
#[derive(Clone, Debug)]
pub struct NewBooking {
    pub event_id: i64,
    pub customer: String,
    pub strategy: StrategyName,
    pub instance: String,
    pub fence_token: Option<i64>,
}

/// A booking row as it was written: the wire contract's type.
pub use oversold_api::Booking;

impl NewBooking {
    /// The booking as stored under the id the database gave it.
    pub(crate) fn written(self, id: &str) -> Result<Booking, sqlx::Error> {
        let id = Uuid::parse_str(id).map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
        Ok(self.stored_as(id))
    }

    /// The booking as stored under `id`.
    pub(crate) fn stored_as(self, id: Uuid) -> Booking {
        Booking {
            id,
            event_id: self.event_id,
            customer: self.customer,
            strategy: self.strategy,
            instance: self.instance,
            fence_token: self.fence_token,
        }
    }
}

/// Inserts the booking row in `$tx` and evaluates to its id as text. The database generates the
/// id, and `CAST(id AS TEXT)` reads it back the same way from a TEXT or a UUID column, so this is
/// one statement for SQLite and Postgres.
macro_rules! insert_booking {
    ($tx:expr, $booking:expr) => {
        sqlx::query_scalar::<_, String>(
            "INSERT INTO bookings (event_id, customer, strategy, instance, fence_token)
             VALUES ($1, $2, $3, $4, $5) RETURNING CAST(id AS TEXT)",
        )
        .bind($booking.event_id)
        .bind(&$booking.customer)
        .bind($booking.strategy.as_str())
        .bind(&$booking.instance)
        .bind($booking.fence_token)
        .fetch_one(&mut *$tx)
        .await
    };
}
pub(crate) use insert_booking;

/// Most rows one multi-row INSERT writes: 6 parameters a row stays far below SQLite's 32,766
/// and Postgres's 65,535 parameters per statement.
pub(crate) const ROWS_PER_INSERT: usize = 500;

/// Inserts every booking of `bookings` in `tx`, a few hundred rows a statement, and returns
/// each as written, in order. The ids are made here (random UUIDs, as the database's default
/// makes them) because a multi-row `RETURNING` promises no order: a batch must know which id
/// is whose. One statement instead of one per booking is what lets a group commit of 500
/// bookings cost little more than one booking.
macro_rules! insert_bookings {
    ($tx:expr, $backend:expr, $bookings:expr) => {{
        let bookings: &[$crate::store::NewBooking] = $bookings;
        let ids: Vec<uuid::Uuid> = bookings.iter().map(|_| uuid::Uuid::new_v4()).collect();
        for (rows, ids) in bookings
            .chunks($crate::store::bookings::ROWS_PER_INSERT)
            .zip(ids.chunks($crate::store::bookings::ROWS_PER_INSERT))
        {
            let mut insert = sqlx::QueryBuilder::new(
                "INSERT INTO bookings (id, event_id, customer, strategy, instance, fence_token) ",
            );
            insert.push_values(rows.iter().zip(ids), |mut row, (booking, id)| {
                match $backend {
                    $crate::store::Backend::Sqlite => row.push_bind(id.hyphenated().to_string()),
                    $crate::store::Backend::Postgres => row.push_bind(*id),
                };
                row.push_bind(booking.event_id)
                    .push_bind(booking.customer.as_str())
                    .push_bind(booking.strategy.as_str())
                    .push_bind(booking.instance.as_str())
                    .push_bind(booking.fence_token);
            });
            insert.build().execute(&mut *$tx).await?;
        }
        bookings
            .iter()
            .zip(ids)
            .map(|(booking, id)| booking.clone().stored_as(id))
            .collect::<Vec<$crate::store::Booking>>()
    }};
}
pub(crate) use insert_bookings;

impl Store {
    /// How a write transaction starts. SQLite's IMMEDIATE takes the write lock up front, so
    /// concurrent writers wait on the busy timeout instead of failing to upgrade a read lock.
    pub(crate) fn begin_write(&self) -> &'static str {
        match self.pool() {
            Pool::Sqlite(_) => "BEGIN IMMEDIATE",
            Pool::Postgres(_) => "BEGIN",
        }
    }

    /// The statement that opens a read-only transaction whose reads are one snapshot: SQLite's
    /// deferred transaction reads one snapshot of its WAL; Postgres needs REPEATABLE READ for it.
    pub(crate) fn begin_snapshot(&self) -> &'static str {
        match self.pool() {
            Pool::Sqlite(_) => "BEGIN",
            Pool::Postgres(_) => "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
        }
    }

    /// The first half: how many tickets are left, `None` for an unknown event.
    pub async fn read_available(&self, event_id: i64) -> Result<Option<i64>, sqlx::Error> {
        self.event_number("SELECT available FROM events WHERE id = $1", event_id)
            .await
    }

    /// One number of one event's row, read by `select`; `None` for an unknown event.
    pub(crate) async fn event_number(
        &self,
        select: &'static str,
        event_id: i64,
    ) -> Result<Option<i64>, sqlx::Error> {
        on_pool!(self, pool => sqlx::query_scalar(select)
            .bind(event_id)
            .fetch_optional(pool)
            .await)
    }

    /// The second half: store `available` as the caller computed it, and the booking row, in one
    /// transaction. It re-checks nothing: a stale `available` is written as it is.
    ///
    /// Both writes travel as one command, since this runs inside every lock strategy's critical
    /// section and each command is a round trip (to SQLite's worker thread, or to Postgres):
    /// SQLite runs the two statements of one query with the same numbered parameters, and
    /// Postgres runs an `UPDATE` in a `WITH` whether or not the `INSERT` reads from it. The id is
    /// made here, as `batched` makes its ids, so nothing needs to come back.
    pub async fn write_booking(
        &self,
        available: i64,
        booking: NewBooking,
    ) -> Result<Booking, sqlx::Error> {
        let id = Uuid::new_v4();
        let backend = self.backend();
        // The version moves with every write, so an optimistic writer notices this one too.
        let statement = match backend {
            Backend::Sqlite => {
                "UPDATE events SET available = $1, version = version + 1 WHERE id = $2;
                 INSERT INTO bookings (id, event_id, customer, strategy, instance, fence_token)
                 VALUES ($3, $2, $4, $5, $6, $7)"
            }
            Backend::Postgres => {
                "WITH moved AS (
                    UPDATE events SET available = $1, version = version + 1 WHERE id = $2
                 )
                 INSERT INTO bookings (id, event_id, customer, strategy, instance, fence_token)
                 VALUES ($3, $2, $4, $5, $6, $7)"
            }
        };
        in_write_transaction!(self, tx => {
            let write = sqlx::query(statement).bind(available).bind(booking.event_id);
            // A UUID binds as text on SQLite, as insert_bookings! binds it.
            let write = match backend {
                Backend::Sqlite => write.bind(id.hyphenated().to_string()),
                Backend::Postgres => write.bind(id),
            };
            write
                .bind(&booking.customer)
                .bind(booking.strategy.as_str())
                .bind(&booking.instance)
                .bind(booking.fence_token)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        });
        Ok(booking.stored_as(id))
    }
}
