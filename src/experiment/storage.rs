//! The experiment history in the `experiments` table, beside the events it was run against.
//!
//! The knobs and the audit's counts are columns (a teacher can query them); the per-request
//! answers are one JSON text column, read back only when one experiment is shown.

use chrono::{DateTime, Utc};

use crate::store::{on_pool, Audit, Store};

use super::{Answer, Experiment, Summary, Verdict};

/// An experiment before it has an id.
pub struct NewExperiment<'a> {
    pub created_at: DateTime<Utc>,
    pub instance: &'a str,
    pub strategy: &'a str,
    pub requests: i64,
    pub race_window_ms: i64,
    pub ttl_ms: i64,
    pub targets: &'a [String],
    pub duration_ms: f64,
    pub audit: &'a Audit,
    pub answers: &'a [Answer],
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    created_at: DateTime<Utc>,
    instance: String,
    strategy: String,
    event_id: i64,
    requests: i64,
    capacity: i64,
    race_window_ms: i64,
    ttl_ms: i64,
    targets: String,
    duration_ms: f64,
    available: i64,
    booked: i64,
}

#[derive(sqlx::FromRow)]
struct WithAnswers {
    #[sqlx(flatten)]
    row: Row,
    answers: String,
}

/// The summary columns, in the order of [`Row`], then `$extra` columns and the caller's clause.
macro_rules! select_experiments {
    ($extra:literal, $clause:literal) => {
        concat!(
            "SELECT id, created_at, instance, strategy, event_id, requests, capacity,
                    race_window_ms, ttl_ms, targets, duration_ms, available, booked",
            $extra,
            " FROM experiments ",
            $clause
        )
    };
}

impl Row {
    fn summary(self) -> Result<Summary, sqlx::Error> {
        let audit = Audit::from_counts(self.event_id, self.capacity, self.available, self.booked);
        Ok(Summary {
            id: self.id,
            created_at: self.created_at,
            instance: self.instance,
            strategy: self.strategy,
            event_id: self.event_id,
            requests: self.requests,
            capacity: self.capacity,
            race_window_ms: self.race_window_ms,
            ttl_ms: self.ttl_ms,
            targets: from_json(&self.targets)?,
            duration_ms: self.duration_ms,
            verdict: Verdict::from_audit(&audit),
            audit,
        })
    }
}

fn to_json<T: serde::Serialize + ?Sized>(value: &T) -> Result<String, sqlx::Error> {
    serde_json::to_string(value).map_err(|e| sqlx::Error::Encode(Box::new(e)))
}

fn from_json<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, sqlx::Error> {
    serde_json::from_str(text).map_err(|e| sqlx::Error::Decode(Box::new(e)))
}

/// Stores the experiment and returns it with its id.
pub async fn save(store: &Store, new: NewExperiment<'_>) -> Result<Experiment, sqlx::Error> {
    let targets = to_json(new.targets)?;
    let answers = to_json(new.answers)?;
    let id: i64 = on_pool!(store, pool => sqlx::query_scalar(
        "INSERT INTO experiments (created_at, instance, strategy, event_id, requests, capacity,
                                  race_window_ms, ttl_ms, targets, duration_ms, available, booked,
                                  answers)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id",
    )
    .bind(new.created_at)
    .bind(new.instance)
    .bind(new.strategy)
    .bind(new.audit.event_id)
    .bind(new.requests)
    .bind(new.audit.capacity)
    .bind(new.race_window_ms)
    .bind(new.ttl_ms)
    .bind(&targets)
    .bind(new.duration_ms)
    .bind(new.audit.available)
    .bind(new.audit.booked)
    .bind(&answers)
    .fetch_one(pool)
    .await)?;
    find(store, id)
        .await?
        .ok_or_else(|| sqlx::Error::RowNotFound)
}

/// The latest `limit` experiments, newest first, without their answers.
pub async fn list(store: &Store, limit: i64) -> Result<Vec<Summary>, sqlx::Error> {
    let sql = select_experiments!("", "ORDER BY id DESC LIMIT $1");
    let rows: Vec<Row> = on_pool!(store, pool => sqlx::query_as(sql)
        .bind(limit)
        .fetch_all(pool)
        .await)?;
    rows.into_iter().map(Row::summary).collect()
}

/// One experiment with every answer; `None` when there is no such id.
pub async fn find(store: &Store, id: i64) -> Result<Option<Experiment>, sqlx::Error> {
    let sql = select_experiments!(", answers", "WHERE id = $1");
    let row: Option<WithAnswers> = on_pool!(store, pool => sqlx::query_as(sql)
        .bind(id)
        .fetch_optional(pool)
        .await)?;
    row.map(|full| {
        Ok(Experiment {
            summary: full.row.summary()?,
            answers: from_json(&full.answers)?,
        })
    })
    .transpose()
}
