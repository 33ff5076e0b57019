//! A lab of 100,000 events: the pages every poll reads (`/`, `GET /events`, `/metrics`) must stay
//! small and about as fast as in the lab without them.
//!
//! Each route is timed (the median of sequential GETs) on the lab as it is, then again after
//! `count` events are inserted straight into the lab's database (one statement, as an import
//! would: 100,000 HTTP calls would measure the import, not the pages), and the inserted events
//! are deleted afterwards so the lab is as it was. The figure is the ratio of the two medians,
//! measured in the same run, with each answer's size.

use std::time::Instant;

use anyhow::Context;
use benchkit::stats::summarize;
use serde::Serialize;

use super::database::{open, Pool};

/// The routes every poll or scrape reads.
pub const ROUTES: [&str; 3] = ["/", "/events", "/metrics"];

/// GETs per route and state; the first few warm the caches and are not counted.
const SAMPLES: usize = 30;
const WARM_UP: usize = 5;

/// How the inserted events are named, so that exactly they are deleted afterwards.
const PREFIX: &str = "bench: many events ";

/// One route's median time and answer size without and with the many events.
#[derive(Clone, Debug, Serialize)]
pub struct RouteCell {
    pub route: String,
    pub before_ms: f64,
    pub before_bytes: usize,
    pub with_many_ms: f64,
    pub with_many_bytes: usize,
}

impl RouteCell {
    pub fn ratio(&self) -> f64 {
        self.with_many_ms / self.before_ms
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct ManyEvents {
    /// Events in the lab while the second medians were taken.
    pub events: i64,
    pub inserted: i64,
    pub routes: Vec<RouteCell>,
}

/// Times [`ROUTES`] on `base`, inserts `count` events into the database at `url`, times them
/// again and deletes what it inserted (also when the second timing fails).
pub async fn measure(
    http: &reqwest::Client,
    base: &str,
    url: &str,
    count: i64,
) -> anyhow::Result<ManyEvents> {
    let before = time_routes(http, base).await?;
    let pool = open(url, 1).await?;
    let inserted = insert(&pool, count).await?;
    let with_many = time_routes(http, base).await;
    let events = total(&pool).await;
    let deleted = delete(&pool).await;
    close(pool).await;
    let with_many = with_many?;
    deleted.context("could not delete the events the bench inserted")?;
    let routes = ROUTES
        .iter()
        .zip(before)
        .zip(with_many)
        .map(
            |((route, (before_ms, before_bytes)), (with_many_ms, with_many_bytes))| RouteCell {
                route: route.to_string(),
                before_ms,
                before_bytes,
                with_many_ms,
                with_many_bytes,
            },
        )
        .collect();
    Ok(ManyEvents {
        events: events?,
        inserted,
        routes,
    })
}

/// Each route's median time in ms and its answer's size.
async fn time_routes(http: &reqwest::Client, base: &str) -> anyhow::Result<Vec<(f64, usize)>> {
    let mut cells = Vec::new();
    for route in ROUTES {
        let mut times = Vec::with_capacity(SAMPLES);
        let mut bytes = 0;
        for i in 0..WARM_UP + SAMPLES {
            let started = Instant::now();
            let answer = http
                .get(format!("{base}{route}"))
                .send()
                .await
                .with_context(|| format!("GET {route} failed"))?;
            anyhow::ensure!(
                answer.status().is_success(),
                "GET {route} answered {}",
                answer.status()
            );
            bytes = answer.bytes().await?.len();
            if i >= WARM_UP {
                times.push(started.elapsed().as_secs_f64() * 1000.0);
            }
        }
        cells.push((summarize(&times).p50_ms, bytes));
    }
    Ok(cells)
}

/// Inserts `count` events in one statement (as the store's bulk import does).
async fn insert(pool: &Pool, count: i64) -> anyhow::Result<i64> {
    let sql = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1)
               INSERT INTO events (name, capacity, available)
               SELECT $2 || CAST(i AS TEXT), 10, 10 FROM n";
    let inserted = match pool {
        Pool::Sqlite(pool) => sqlx::query(sql)
            .bind(count)
            .bind(PREFIX)
            .execute(pool)
            .await
            .map(|r| r.rows_affected()),
        Pool::Postgres(pool) => sqlx::query(sql)
            .bind(count)
            .bind(PREFIX)
            .execute(pool)
            .await
            .map(|r| r.rows_affected()),
    }
    .context("could not insert the events into the lab's database")?;
    Ok(inserted as i64)
}

async fn total(pool: &Pool) -> anyhow::Result<i64> {
    let sql = "SELECT COUNT(*) FROM events";
    Ok(match pool {
        Pool::Sqlite(pool) => sqlx::query_scalar(sql).fetch_one(pool).await?,
        Pool::Postgres(pool) => sqlx::query_scalar(sql).fetch_one(pool).await?,
    })
}

async fn delete(pool: &Pool) -> anyhow::Result<()> {
    let sql = "DELETE FROM events WHERE name LIKE $1";
    let pattern = format!("{PREFIX}%");
    match pool {
        Pool::Sqlite(pool) => sqlx::query(sql)
            .bind(&pattern)
            .execute(pool)
            .await
            .map(|_| ())?,
        Pool::Postgres(pool) => sqlx::query(sql)
            .bind(&pattern)
            .execute(pool)
            .await
            .map(|_| ())?,
    }
    Ok(())
}

async fn close(pool: Pool) {
    match pool {
        Pool::Sqlite(pool) => pool.close().await,
        Pool::Postgres(pool) => pool.close().await,
    }
}
