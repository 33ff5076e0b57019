//! Opening the database: pool settings, migrations and the seed events.
//!
//! SQLite runs in WAL mode with a generous busy timeout, so that two app instances over one file
//! (the two-instance lesson) queue their writes instead of failing with "database is locked".

use std::str::FromStr;
use std::time::Duration;

use anyhow::Context;
use sqlx::postgres::PgPoolOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use super::{on_pool, Pool, Store};

/// The events a fresh database starts with. The first has exactly one ticket: the demo's target.
const SEED_EVENTS: &[(&str, i64)] = &[
    ("The last ticket", 1),
    ("Workshop: ten seats", 10),
    ("Stadium: a hundred seats", 100),
];

impl Store {
    /// Connects, migrates, and seeds the events when the database has none.
    pub async fn connect(url: &str) -> anyhow::Result<Store> {
        let store = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(10))
                // sqlx pings a pooled connection before lending it by default: a round trip
                // to the server before every statement of a booking. A connection that broke
                // fails its statement instead (one 500), and the pool replaces it.
                .test_before_acquire(false)
                .connect(url)
                .await
                .with_context(|| format!("could not connect to Postgres at {}", redact(url)))?;
            sqlx::migrate!("./migrations/postgres")
                .run(&pool)
                .await
                .context("could not migrate the Postgres database")?;
            Store::new(Pool::Postgres(pool), None)
        } else if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)
                .with_context(|| format!("{url:?} is not a valid sqlite URL"))?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(30))
                .foreign_keys(true);
            if let Some(dir) = options.get_filename().parent() {
                if !dir.as_os_str().is_empty() {
                    std::fs::create_dir_all(dir)
                        .with_context(|| format!("could not create {}", dir.display()))?;
                }
            }
            // Its own connection for writes (`Store::write_pool`), opened like the others.
            let writer = SqlitePoolOptions::new()
                .max_connections(1)
                .acquire_timeout(Duration::from_secs(30))
                .test_before_acquire(false)
                .connect_lazy_with(options.clone());
            let pool = SqlitePoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(30))
                // No ping before lending a connection (sqlx's default): on SQLite it is a trip
                // through the connection's worker thread before every statement, and a file
                // connection does not go stale.
                .test_before_acquire(false)
                .connect_with(options)
                .await
                .with_context(|| format!("could not open the SQLite database {url}"))?;
            sqlx::migrate!("./migrations/sqlite")
                .run(&pool)
                .await
                .context("could not migrate the SQLite database")?;
            Store::new(Pool::Sqlite(pool), Some(writer))
        } else {
            anyhow::bail!(
                "DATABASE_URL {:?} is neither sqlite://... nor postgres://...",
                redact(url)
            );
        };
        store.seed().await.context("could not seed the events")?;
        Ok(store)
    }

    /// Inserts the seed events into an empty table. Two instances starting together may both
    /// find it empty; the conditional insert keeps the seed to one copy either way.
    async fn seed(&self) -> Result<(), sqlx::Error> {
        for (name, capacity) in SEED_EVENTS {
            on_pool!(self, pool => sqlx::query(
                "INSERT INTO events (name, capacity, available)
                 SELECT $1, $2, $2 WHERE NOT EXISTS (SELECT 1 FROM events WHERE name = $1)",
            )
            .bind(*name)
            .bind(*capacity)
            .execute(pool)
            .await
            .map(|_| ()))?;
        }
        Ok(())
    }
}

/// A URL fit for logs and error messages: the password replaced by `***`.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            match userinfo.find(':') {
                Some(colon) => format!(
                    "{}{}:***{}",
                    &url[..scheme + 3],
                    &userinfo[..colon],
                    &url[at..]
                ),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn passwords_never_reach_the_logs() {
        assert_eq!(
            redact("postgres://app:hunter2@db:5432/lab"),
            "postgres://app:***@db:5432/lab"
        );
        assert_eq!(
            redact("sqlite://data/oversold.db"),
            "sqlite://data/oversold.db"
        );
    }
}
