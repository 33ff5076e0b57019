//! The database's own limit: the booking statements in a loop over sqlx, no HTTP, no lock.
//!
//! Every strategy's figure means little alone: 1,600 bookings/s is good or bad only next to what
//! the database itself does with the same work. This opens the lab's own `DATABASE_URL` and, on
//! an event of its own, runs what `atomic` runs per booking — one transaction with the
//! conditional `UPDATE ... WHERE available > 0` and the `INSERT` of the booking row — from 1
//! and from N tasks for a fixed time. SQLite gets what the server gives it (WAL,
//! `synchronous=NORMAL`, `BEGIN IMMEDIATE`, this process's writers queued on one async mutex
//! instead of SQLite's sleeping busy handler), so the ratio compares the HTTP path with the
//! best the same file can do. The event is reset over HTTP afterwards and its audit must count
//! exactly the transactions that committed.

use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use benchkit::stats::{per_second, summarize};
use serde::Serialize;
use sqlx::postgres::PgPoolOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};

/// The lab's database, opened as the server opens it.
#[derive(Clone)]
pub(super) enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// What the database did from `tasks` tasks.
#[derive(Clone, Debug, Serialize)]
pub struct DbCell {
    pub tasks: usize,
    pub seconds: f64,
    /// Transactions that committed a booking.
    pub booked: usize,
    pub throughput: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// The audit's booking count after the cell; equal to `booked`.
    pub db_booked: i64,
}

impl DbCell {
    pub fn consistent(&self) -> bool {
        self.db_booked == self.booked as i64
    }
}

/// Opens `url` (sqlite:... or postgres://...) with a pool of `tasks` connections.
pub(super) async fn open(url: &str, tasks: usize) -> anyhow::Result<Pool> {
    let size = u32::try_from(tasks.max(1)).unwrap_or(u32::MAX);
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let pool = PgPoolOptions::new()
            .max_connections(size)
            .connect(url)
            .await
            .context("could not connect to the lab's Postgres (--database-url)")?;
        Ok(Pool::Postgres(pool))
    } else if url.starts_with("sqlite:") {
        let options = SqliteConnectOptions::from_str(url)
            .with_context(|| format!("{url:?} is not a sqlite URL"))?
            .create_if_missing(false)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(30));
        let pool = SqlitePoolOptions::new()
            .max_connections(size)
            .connect_with(options)
            .await
            .with_context(|| format!("could not open the lab's SQLite database {url}"))?;
        Ok(Pool::Sqlite(pool))
    } else {
        anyhow::bail!("--database-url must be sqlite:... or postgres://...")
    }
}

/// Runs the booking transaction in a loop from `tasks` tasks for `duration` on `event`; returns
/// each committed transaction's latency in ms and the elapsed time.
pub async fn run(
    url: &str,
    event: i64,
    tasks: usize,
    duration: Duration,
) -> anyhow::Result<(Vec<f64>, Duration)> {
    let pool = open(url, tasks).await?;
    // The server's queue of SQLite writers, reproduced: one writer at a time, woken in turn.
    let writers = Arc::new(tokio::sync::Mutex::new(()));
    let barrier = Arc::new(tokio::sync::Barrier::new(tasks + 1));
    let handles: Vec<_> = (0..tasks)
        .map(|task| {
            let pool = pool.clone();
            let writers = writers.clone();
            let barrier = barrier.clone();
            tokio::spawn(async move {
                let customer = format!("bench database task {}", task + 1);
                let mut latencies = Vec::new();
                barrier.wait().await;
                let deadline = Instant::now() + duration;
                while Instant::now() < deadline {
                    let started = Instant::now();
                    let booked = match &pool {
                        Pool::Sqlite(pool) => {
                            let _one_writer = writers.lock().await;
                            book_sqlite(pool, event, &customer).await?
                        }
                        Pool::Postgres(pool) => book_postgres(pool, event, &customer).await?,
                    };
                    anyhow::ensure!(booked, "the database-limit event sold out");
                    latencies.push(started.elapsed().as_secs_f64() * 1000.0);
                }
                anyhow::Ok((latencies, Instant::now()))
            })
        })
        .collect();
    barrier.wait().await;
    let started = Instant::now();
    let mut all = Vec::new();
    let mut finished = started;
    for handle in handles {
        let (mut latencies, at) = handle.await.context("a database task panicked")??;
        all.append(&mut latencies);
        finished = finished.max(at);
    }
    match pool {
        Pool::Sqlite(pool) => pool.close().await,
        Pool::Postgres(pool) => pool.close().await,
    }
    Ok((all, finished - started))
}

/// The two statements of an `atomic` booking; `false` when no ticket was left.
macro_rules! booking_transaction {
    ($pool:expr, $begin:literal, $event:expr, $customer:expr) => {{
        let mut tx = $pool.begin_with($begin).await?;
        let taken = sqlx::query(
            "UPDATE events SET available = available - 1 WHERE id = $1 AND available > 0",
        )
        .bind($event)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if taken == 1 {
            sqlx::query(
                "INSERT INTO bookings (event_id, customer, strategy, instance, fence_token)
                 VALUES ($1, $2, 'atomic', 'bench: database', NULL)",
            )
            .bind($event)
            .bind($customer)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(taken == 1)
    }};
}

async fn book_sqlite(pool: &SqlitePool, event: i64, customer: &str) -> anyhow::Result<bool> {
    booking_transaction!(pool, "BEGIN IMMEDIATE", event, customer)
}

async fn book_postgres(pool: &PgPool, event: i64, customer: &str) -> anyhow::Result<bool> {
    booking_transaction!(pool, "BEGIN", event, customer)
}

impl DbCell {
    pub fn new(tasks: usize, latencies: &[f64], elapsed: Duration, db_booked: i64) -> DbCell {
        let summary = summarize(latencies);
        DbCell {
            tasks,
            seconds: elapsed.as_secs_f64(),
            booked: latencies.len(),
            throughput: per_second(latencies.len(), elapsed),
            p50_ms: summary.p50_ms,
            p99_ms: summary.p99_ms,
            db_booked,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_that_is_neither_database_is_refused_with_the_flag_named() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let refused = runtime.block_on(open("mysql://x", 1)).err().unwrap();
        assert!(refused.to_string().contains("--database-url"), "{refused}");
    }

    #[test]
    fn a_cell_is_consistent_when_the_audit_counts_every_commit() {
        let cell = DbCell::new(2, &[1.0, 2.0, 3.0], Duration::from_secs(1), 3);
        assert_eq!((cell.booked, cell.throughput), (3, 3.0));
        assert!(cell.consistent());
        assert!(!DbCell::new(2, &[1.0], Duration::from_secs(1), 2).consistent());
    }
}
