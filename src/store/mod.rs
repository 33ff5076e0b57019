//! Events and bookings in SQLite (the default) or Postgres, and the `audit` every verdict comes from.
//!
//! [`Store`] is an enum over the two pools rather than sqlx's `Any` driver because some strategies
//! *are* a database feature (`BEGIN IMMEDIATE`, advisory locks): code that needs one says so with
//! a `match`. Where the SQL is the same for both, [`on_pool!`] writes it once; SQLite accepts the
//! `$1` placeholders Postgres uses.

mod audit;
mod bookings;
mod connect;
mod events;
mod fenced;

use std::fmt;

pub use audit::Audit;
pub(crate) use bookings::insert_booking;
pub use bookings::{Booking, NewBooking};
pub use events::Event;
pub use fenced::FenceClaim;

use sqlx::{PgPool, SqlitePool};

/// Runs the same sqlx code against whichever pool the store holds.
macro_rules! on_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match $store {
            $crate::store::Store::Sqlite($pool) => $body,
            $crate::store::Store::Postgres($pool) => $body,
        }
    };
}
pub(crate) use on_pool;

/// An event id the database does not know. Its text is the one every layer shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("event {0} does not exist")]
pub struct UnknownEvent(pub i64);

#[derive(Clone, Debug)]
pub enum Store {
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

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "Postgres",
        })
    }
}

impl Store {
    pub fn backend(&self) -> Backend {
        match self {
            Store::Sqlite(_) => Backend::Sqlite,
            Store::Postgres(_) => Backend::Postgres,
        }
    }

    /// A trivial round trip, for /health.
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        on_pool!(self, pool => sqlx::query("SELECT 1").execute(pool).await.map(|_| ()))
    }

    pub async fn close(&self) {
        on_pool!(self, pool => pool.close().await)
    }
}
