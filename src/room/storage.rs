//! The room in the database: participants, rounds and taps (`room_*` tables).
//!
//! Writes take this instance's place in the SQLite writer queue like every other write
//! ([`Store::one_writer`]); the SQL is the same on both databases.

use sha2::{Digest, Sha256};

use crate::store::{on_pool, Store};

use super::{Participant, Round, Tap, PENDING};

/// The stored form of a participant's cookie: its SHA-256 in hex.
fn digest(session: &str) -> String {
    Sha256::digest(session.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub async fn participant_count(store: &Store) -> Result<i64, sqlx::Error> {
    on_pool!(store, pool => sqlx::query_scalar("SELECT COUNT(*) FROM room_participants")
        .fetch_one(pool)
        .await)
}

/// The participant whose cookie holds `session`, if any.
pub async fn participant(store: &Store, session: &str) -> Result<Option<Participant>, sqlx::Error> {
    on_pool!(store, pool => sqlx::query_as(
        "SELECT id, name FROM room_participants WHERE session = $1",
    )
    .bind(digest(session))
    .fetch_optional(pool)
    .await)
}

/// A new participant under `session` (a fresh random id the caller made).
pub async fn join(
    store: &Store,
    session: &str,
    name: &str,
    now_ms: i64,
) -> Result<Participant, sqlx::Error> {
    let _one_writer = store.one_writer().await;
    let id: i64 = on_pool!(store, pool => sqlx::query_scalar(
        "INSERT INTO room_participants (session, name, joined_ms) VALUES ($1, $2, $3) RETURNING id",
    )
    .bind(digest(session))
    .bind(name)
    .bind(now_ms)
    .fetch_one(pool)
    .await)?;
    Ok(Participant {
        id,
        name: name.to_string(),
    })
}

pub async fn rename(store: &Store, id: i64, name: &str) -> Result<(), sqlx::Error> {
    let _one_writer = store.one_writer().await;
    on_pool!(store, pool => sqlx::query("UPDATE room_participants SET name = $2 WHERE id = $1")
        .bind(id)
        .bind(name)
        .execute(pool)
        .await
        .map(|done| done.rows_affected()))?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct RoundRow {
    id: i64,
    event_id: i64,
    strategy: String,
    race_window_ms: i64,
    ttl_ms: i64,
    started_ms: i64,
    ends_ms: i64,
}

impl RoundRow {
    fn round(self) -> Result<Round, sqlx::Error> {
        Ok(Round {
            id: self.id,
            event_id: self.event_id,
            strategy: self
                .strategy
                .parse()
                .map_err(|e: oversold_api::UnknownName| sqlx::Error::Decode(Box::new(e)))?,
            race_window_ms: self.race_window_ms,
            ttl_ms: self.ttl_ms,
            started_ms: self.started_ms,
            ends_ms: self.ends_ms,
        })
    }
}

/// Which room round made each event: event id and round id, for the dashboard's events table.
pub async fn round_events(store: &Store) -> Result<Vec<(i64, i64)>, sqlx::Error> {
    on_pool!(store, pool => sqlx::query_as("SELECT event_id, id FROM room_rounds")
        .fetch_all(pool)
        .await)
}

/// The latest round, open or not: the one the projector shows and taps go to.
pub async fn current_round(store: &Store) -> Result<Option<Round>, sqlx::Error> {
    let row: Option<RoundRow> = on_pool!(store, pool => sqlx::query_as(
        "SELECT id, event_id, strategy, race_window_ms, ttl_ms, started_ms, ends_ms
         FROM room_rounds ORDER BY id DESC LIMIT 1",
    )
    .fetch_optional(pool)
    .await)?;
    row.map(RoundRow::round).transpose()
}

/// Stores a round (its `id` is ignored) and returns it with the id the database gave it.
pub async fn insert_round(store: &Store, round: Round) -> Result<Round, sqlx::Error> {
    let _one_writer = store.one_writer().await;
    let id: i64 = on_pool!(store, pool => sqlx::query_scalar(
        "INSERT INTO room_rounds (event_id, strategy, race_window_ms, ttl_ms, started_ms, ends_ms)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(round.event_id)
    .bind(round.strategy.as_str())
    .bind(round.race_window_ms)
    .bind(round.ttl_ms)
    .bind(round.started_ms)
    .bind(round.ends_ms)
    .fetch_one(pool)
    .await)?;
    Ok(Round { id, ..round })
}

/// Records the participant's tap as pending; `false` when they already tapped in this round
/// (on any instance: the primary key decides).
pub async fn claim_tap(
    store: &Store,
    round_id: i64,
    participant: &Participant,
    now_ms: i64,
) -> Result<bool, sqlx::Error> {
    let _one_writer = store.one_writer().await;
    let inserted = on_pool!(store, pool => sqlx::query(
        "INSERT INTO room_taps (round_id, participant_id, name, outcome, tapped_ms)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (round_id, participant_id) DO NOTHING",
    )
    .bind(round_id)
    .bind(participant.id)
    .bind(&participant.name)
    .bind(PENDING)
    .bind(now_ms)
    .execute(pool)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(inserted == 1)
}

/// What the tap's booking answered.
pub async fn answer_tap(
    store: &Store,
    round_id: i64,
    participant_id: i64,
    outcome: &str,
    instance: &str,
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    let _one_writer = store.one_writer().await;
    on_pool!(store, pool => sqlx::query(
        "UPDATE room_taps SET outcome = $3, instance = $4, answered_ms = $5
         WHERE round_id = $1 AND participant_id = $2",
    )
    .bind(round_id)
    .bind(participant_id)
    .bind(outcome)
    .bind(instance)
    .bind(now_ms)
    .execute(pool)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(())
}

/// Every tap of the round, in the order they came.
pub async fn taps(store: &Store, round_id: i64) -> Result<Vec<Tap>, sqlx::Error> {
    on_pool!(store, pool => sqlx::query_as(
        "SELECT participant_id, name, outcome, instance, tapped_ms, answered_ms
         FROM room_taps WHERE round_id = $1 ORDER BY tapped_ms, participant_id",
    )
    .bind(round_id)
    .fetch_all(pool)
    .await)
}

/// The participant's tap in the round, if they tapped.
pub async fn tap_of(
    store: &Store,
    round_id: i64,
    participant_id: i64,
) -> Result<Option<Tap>, sqlx::Error> {
    on_pool!(store, pool => sqlx::query_as(
        "SELECT participant_id, name, outcome, instance, tapped_ms, answered_ms
         FROM room_taps WHERE round_id = $1 AND participant_id = $2",
    )
    .bind(round_id)
    .bind(participant_id)
    .fetch_optional(pool)
    .await)
}
