//! Events, bookings and seat maps in SQLite (the default) or Postgres, and the `audit` every verdict comes from.
//!
//! [`Store`] is an enum over the two pools rather than sqlx's `Any` driver because some strategies
//! *are* a database feature (`BEGIN IMMEDIATE`, advisory locks): code that needs one says so with
//! a `match`. Where the SQL is the same for both, [`on_pool!`] writes it once; SQLite accepts the
//! `$1` placeholders Postgres uses.
//!
//! SQLite has one writer at a time for the whole file. Left to itself, every writer beyond the
//! first sleeps in SQLite's busy handler and polls with growing naps, so under load most of a
//! booking's time is spent asleep. [`in_write_transaction!`] queues this instance's writers on
//! one fair async mutex instead: each is woken the moment the previous one commits. Reads stay
//! concurrent (WAL), and a second instance over the same file still meets the busy handler.

mod audit;
pub(crate) mod bookings;
mod connect;
mod events;
mod fenced;
pub(crate) mod seats;

use std::fmt;
use std::sync::Arc;

pub use audit::Audit;
pub(crate) use bookings::{insert_booking, insert_bookings};
pub use bookings::{Booking, NewBooking};
pub use events::{Event, EventPage, EventTotals, MAX_PAGE};
pub use fenced::FenceClaim;
pub use seats::{check_map, SeatClaim, SeatProblem, SeatWrite};
pub(crate) use seats::{held_seats_in, write_seats_in};

use sqlx::{PgPool, SqlitePool};

/// Runs the same sqlx code against whichever pool the store holds.
macro_rules! on_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match $store.pool() {
            $crate::store::Pool::Sqlite($pool) => $body,
            $crate::store::Pool::Postgres($pool) => $body,
        }
    };
}
pub(crate) use on_pool;

/// Runs `$body` in a write transaction `$tx` (which `$body` commits), as this instance's only
/// SQLite writer of the moment (see the module docs); on Postgres, beside every other writer.
macro_rules! in_write_transaction {
    ($store:expr, $tx:ident => $body:expr) => {{
        let store: &$crate::store::Store = $store;
        let _one_writer = store.one_writer().await;
        match store.write_pool() {
            $crate::store::Pool::Sqlite(pool) => {
                let mut $tx = pool.begin_with(store.begin_write()).await?;
                $body
            }
            $crate::store::Pool::Postgres(pool) => {
                let mut $tx = pool.begin_with(store.begin_write()).await?;
                $body
            }
        }
    }};
}
pub(crate) use in_write_transaction;

/// An event id the database does not know. Its text is the one every layer shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("event {0} does not exist")]
pub struct UnknownEvent(pub i64);

/// The database: its pool, and the queue this instance's SQLite writers wait in.
#[derive(Clone, Debug)]
pub struct Store {
    pool: Pool,
    /// On SQLite, the one connection this instance writes on. Its writers take turns anyway
    /// (`writers`), so one connection costs no concurrency, and it stays warm: sqlx lends a
    /// pool's idle connections in turn, so with sixteen each write would wake a connection
    /// thread that had gone to sleep. On Postgres the pool itself.
    writer: Pool,
    writers: Arc<tokio::sync::Mutex<()>>,
    /// Events seen to exist without a seat map, which they never gain: the check a plain
    /// booking would otherwise make of every booking (see [`Store::check_booking_seats`]).
    without_map: Arc<std::sync::RwLock<std::collections::HashSet<i64>>>,
}

/// Most events [`Store::remember_without_map`] keeps; past it the memory starts again.
const WITHOUT_MAP_MOST: usize = 1_000_000;

#[derive(Clone, Debug)]
pub enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Which database a store runs on; strategies declare the ones they support.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// The name the wire contract gives it (`GET /strategies` lists these).
    pub fn wire(self) -> oversold_api::Database {
        match self {
            Backend::Sqlite => oversold_api::Database::Sqlite,
            Backend::Postgres => oversold_api::Database::Postgres,
        }
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "Postgres",
        })
    }
}

impl Store {
    pub(crate) fn new(pool: Pool, writer: Option<SqlitePool>) -> Store {
        Store {
            writer: writer.map_or_else(|| pool.clone(), Pool::Sqlite),
            pool,
            writers: Arc::default(),
            without_map: Arc::default(),
        }
    }

    pub(crate) fn known_without_map(&self, event_id: i64) -> bool {
        let known = self.without_map.read().unwrap_or_else(|p| p.into_inner());
        known.contains(&event_id)
    }

    /// Remembers that `event_id` exists and has no seat map.
    pub(crate) fn remember_without_map(&self, event_id: i64) {
        let mut known = self.without_map.write().unwrap_or_else(|p| p.into_inner());
        if known.len() >= WITHOUT_MAP_MOST {
            known.clear();
        }
        known.insert(event_id);
    }

    /// The pool itself, for code that needs one database's feature (or a test's own query).
    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    /// Where [`in_write_transaction!`] writes: on SQLite this instance's one writer connection.
    pub(crate) fn write_pool(&self) -> &Pool {
        &self.writer
    }

    pub fn backend(&self) -> Backend {
        match self.pool {
            Pool::Sqlite(_) => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        }
    }

    /// On SQLite, a place in this instance's one queue of writers, held until dropped; on
    /// Postgres nothing, since its writers wait for each other row by row.
    pub(crate) async fn one_writer(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        match self.pool {
            Pool::Sqlite(_) => Some(self.writers.lock().await),
            Pool::Postgres(_) => None,
        }
    }

    /// A trivial round trip, for /health.
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        on_pool!(self, pool => sqlx::query("SELECT 1").execute(pool).await.map(|_| ()))
    }

    pub async fn close(&self) {
        on_pool!(self, pool => pool.close().await);
        if let Pool::Sqlite(writer) = &self.writer {
            writer.close().await;
        }
    }
}
