//! The experiment history in the `experiments` table, beside the events it was run against.
//!
//! The knobs and the audit's counts are columns (a teacher can query them); the per-request
//! answers are one JSON text column, read back only when one experiment is shown. A run is
//! stored when it starts ([`start`], state `running`) and completed when its audit is in
//! ([`finish`]), so any instance's page shows a run in progress and then its result.

use chrono::{DateTime, Utc};

use crate::i18n::Lang;
use crate::store::{in_write_transaction, on_pool, Audit, Store};

use super::{verdict, Answer, Experiment, Interference, RunState, Summary};

/// A run as it starts: the knobs and its own event, before any answer.
pub struct NewRun<'a> {
    pub created_at: DateTime<Utc>,
    pub instance: &'a str,
    pub strategy: &'a str,
    pub event_id: i64,
    pub requests: i64,
    pub capacity: i64,
    pub race_window_ms: i64,
    pub ttl_ms: i64,
    pub targets: &'a [String],
}

/// What a finished run adds to its row.
pub struct Finished<'a> {
    pub duration_ms: f64,
    pub audit: &'a Audit,
    pub answers: &'a [Answer],
    pub interference: Interference,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    created_at: DateTime<Utc>,
    state: String,
    own_event: i64,
    foreign_bookings: i64,
    missing_bookings: i64,
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
    double_booked_seats: String,
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
            "SELECT id, created_at, state, own_event, foreign_bookings, missing_bookings,
                    instance, strategy, event_id, requests, capacity,
                    race_window_ms, ttl_ms, targets, duration_ms, available, booked,
                    double_booked_seats",
            $extra,
            " FROM experiments ",
            $clause
        )
    };
}

impl Row {
    fn summary(self) -> Result<Summary, sqlx::Error> {
        let audit = Audit::from_counts(self.event_id, self.capacity, self.available, self.booked)
            .with_double_booked_seats(from_json(&self.double_booked_seats)?);
        let state = RunState::from_name(&self.state);
        let interference = Interference {
            foreign_bookings: self.foreign_bookings,
            missing_bookings: self.missing_bookings,
        };
        Ok(Summary {
            id: self.id,
            created_at: self.created_at,
            state,
            own_event: self.own_event != 0,
            interference,
            instance: self.instance,
            strategy: self.strategy,
            event_id: self.event_id,
            requests: self.requests,
            capacity: self.capacity,
            race_window_ms: self.race_window_ms,
            ttl_ms: self.ttl_ms,
            targets: from_json(&self.targets)?,
            duration_ms: self.duration_ms,
            verdict: verdict::of_run(&audit, state, interference, Lang::En),
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

/// Stores a run that is starting and returns its id. Until [`finish`], its counts are the fresh
/// event's (nothing booked) and it has no answers.
pub async fn start(store: &Store, new: NewRun<'_>) -> Result<i64, sqlx::Error> {
    let targets = to_json(new.targets)?;
    let _one_writer = store.one_writer().await;
    on_pool!(store, pool => sqlx::query_scalar(
        "INSERT INTO experiments (created_at, state, own_event, instance, strategy, event_id,
                                  requests, capacity, race_window_ms, ttl_ms, targets,
                                  duration_ms, available, booked, answers)
         VALUES ($1, 'running', 1, $2, $3, $4, $5, $6, $7, $8, $9, 0, $6, 0, '[]') RETURNING id",
    )
    .bind(new.created_at)
    .bind(new.instance)
    .bind(new.strategy)
    .bind(new.event_id)
    .bind(new.requests)
    .bind(new.capacity)
    .bind(new.race_window_ms)
    .bind(new.ttl_ms)
    .bind(&targets)
    .fetch_one(pool)
    .await)
}

/// Completes a run with its answers and audit, and returns it.
pub async fn finish(store: &Store, id: i64, done: Finished<'_>) -> Result<Experiment, sqlx::Error> {
    let answers = to_json(done.answers)?;
    let double_booked_seats = to_json(&done.audit.double_booked_seats)?;
    {
        let _one_writer = store.one_writer().await;
        on_pool!(store, pool => sqlx::query(
            "UPDATE experiments SET state = 'done', duration_ms = $2, capacity = $3,
                    available = $4, booked = $5, answers = $6, foreign_bookings = $7,
                    missing_bookings = $8, double_booked_seats = $9
             WHERE id = $1",
        )
        .bind(id)
        .bind(done.duration_ms)
        .bind(done.audit.capacity)
        .bind(done.audit.available)
        .bind(done.audit.booked)
        .bind(&answers)
        .bind(done.interference.foreign_bookings)
        .bind(done.interference.missing_bookings)
        .bind(&double_booked_seats)
        .execute(pool)
        .await
        .map(|_| ()))?;
    }
    find(store, id)
        .await?
        .ok_or_else(|| sqlx::Error::RowNotFound)
}

/// Marks a run that could not finish, so that no page waits for it for ever.
pub async fn fail(store: &Store, id: i64) -> Result<(), sqlx::Error> {
    let _one_writer = store.one_writer().await;
    on_pool!(store, pool => sqlx::query(
        "UPDATE experiments SET state = 'failed' WHERE id = $1 AND state = 'running'",
    )
    .bind(id)
    .execute(pool)
    .await
    .map(|_| ()))
}

/// Who booked the event: every booking's customer, for telling the run's own from anyone else's.
pub async fn customers(store: &Store, event_id: i64) -> Result<Vec<String>, sqlx::Error> {
    on_pool!(store, pool => sqlx::query_scalar(
        "SELECT customer FROM bookings WHERE event_id = $1",
    )
    .bind(event_id)
    .fetch_all(pool)
    .await)
}

/// The events that runs created for themselves: the dashboard's events table leaves them out.
pub async fn own_events(store: &Store) -> Result<Vec<i64>, sqlx::Error> {
    on_pool!(store, pool => sqlx::query_scalar(
        "SELECT event_id FROM experiments WHERE own_event = 1",
    )
    .fetch_all(pool)
    .await)
}

/// A new session: the history and the runs' own events gone, every other event back to its
/// capacity. One transaction, so a page never shows half of it.
pub async fn clear(store: &Store) -> Result<(), sqlx::Error> {
    in_write_transaction!(store, tx => {
        sqlx::query("DELETE FROM bookings").execute(&mut *tx).await?;
        sqlx::query(
            "DELETE FROM events WHERE id IN (SELECT event_id FROM experiments WHERE own_event = 1)",
        )
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM experiments").execute(&mut *tx).await?;
        sqlx::query("UPDATE events SET available = capacity, version = 0, fence = 0")
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
    });
    Ok(())
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
