//! Reading, creating and resetting events.
//!
//! An [`Event`] carries its booking count from the same statement, so listing events for the
//! dashboard costs one query and the numbers on screen are one snapshot.

use serde::Serialize;

use super::{in_write_transaction, on_pool, Audit, Store};

#[derive(Clone, Debug, Serialize, sqlx::FromRow)]
pub struct Event {
    pub id: i64,
    pub name: String,
    pub capacity: i64,
    pub available: i64,
    pub version: i64,
    pub fence: i64,
    #[serde(skip)]
    pub booked: i64,
}

impl Event {
    pub fn audit(&self) -> Audit {
        Audit::from_counts(self.id, self.capacity, self.available, self.booked)
    }
}

/// The event columns plus the booking count, followed by the caller's clause.
macro_rules! select_events {
    ($clause:literal) => {
        concat!(
            "SELECT e.id, e.name, e.capacity, e.available, e.version, e.fence,
                    (SELECT COUNT(*) FROM bookings b WHERE b.event_id = e.id) AS booked
             FROM events e ",
            $clause
        )
    };
}

impl Store {
    pub async fn list_events(&self) -> Result<Vec<Event>, sqlx::Error> {
        on_pool!(self, pool => sqlx::query_as(select_events!("ORDER BY e.id")).fetch_all(pool).await)
    }

    pub async fn event(&self, id: i64) -> Result<Option<Event>, sqlx::Error> {
        on_pool!(self, pool => sqlx::query_as(select_events!("WHERE e.id = $1"))
            .bind(id)
            .fetch_optional(pool)
            .await)
    }

    pub async fn create_event(&self, name: &str, capacity: i64) -> Result<Event, sqlx::Error> {
        let one_writer = self.one_writer().await;
        let id: i64 = on_pool!(self, pool => sqlx::query_scalar(
            "INSERT INTO events (name, capacity, available) VALUES ($1, $2, $2) RETURNING id",
        )
        .bind(name)
        .bind(capacity)
        .fetch_one(pool)
        .await)?;
        drop(one_writer);
        Ok(self.event(id).await?.expect("the event just inserted"))
    }

    /// Deletes the event's bookings and restores its counters, optionally with a new capacity,
    /// in one transaction: a reader never sees bookings gone but the old `available`.
    pub async fn reset_event(
        &self,
        id: i64,
        capacity: Option<i64>,
    ) -> Result<Option<Event>, sqlx::Error> {
        let updated = in_write_transaction!(self, tx => {
            sqlx::query("DELETE FROM bookings WHERE event_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            let updated = sqlx::query(
                "UPDATE events SET capacity = COALESCE($2, capacity),
                        available = COALESCE($2, capacity), version = 0, fence = 0
                 WHERE id = $1",
            )
            .bind(id)
            .bind(capacity)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            tx.commit().await?;
            updated
        });
        if updated == 0 {
            return Ok(None);
        }
        self.event(id).await
    }

    /// Resets every event to its own capacity.
    pub async fn reset_all(&self) -> Result<Vec<Event>, sqlx::Error> {
        in_write_transaction!(self, tx => {
            sqlx::query("DELETE FROM bookings").execute(&mut *tx).await?;
            sqlx::query("UPDATE events SET available = capacity, version = 0, fence = 0")
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        });
        self.list_events().await
    }
}
