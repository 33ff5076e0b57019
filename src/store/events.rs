//! Reading, creating and resetting events.
//!
//! An [`Event`] carries its booking count from the same statement, so a page of events for the
//! dashboard costs one query and the numbers on screen are one snapshot. A lab may hold 100,000
//! events (a bulk import, a long workshop), so what is shown on every poll is bounded: a page in
//! id order ([`Store::events_page`]), the events worth a metric series ([`Store::worst_events`])
//! and the totals over all of them in one aggregate ([`Store::event_totals`]).

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
    /// Seats of its map held by more than one booking (their names: [`Store::audit`]).
    #[serde(skip)]
    #[sqlx(default)]
    pub double_booked: i64,
}

impl Event {
    /// The audit from this row's counts. A seat sold twice is known here by its count only, so
    /// such an event's audit is not `clean`, and [`Store::audit`] names the seats.
    pub fn audit(&self) -> Audit {
        let audit = Audit::from_counts(self.id, self.capacity, self.available, self.booked);
        if self.double_booked > 0 {
            Audit {
                clean: false,
                ..audit
            }
        } else {
            audit
        }
    }
}

/// The event columns plus the tickets sold (a booking counts once, or once per seat it holds),
/// followed by the caller's clause.
macro_rules! select_events {
    ($clause:literal) => {
        concat!(
            "SELECT e.id, e.name, e.capacity, e.available, e.version, e.fence,
                    (SELECT COUNT(*) FROM bookings b
                       LEFT JOIN booking_seats s ON s.booking_id = b.id
                      WHERE b.event_id = e.id) AS booked,
                    (SELECT COUNT(*) FROM (SELECT seat FROM booking_seats d WHERE d.event_id = e.id
                                           GROUP BY seat HAVING COUNT(*) > 1) t) AS double_booked
             FROM events e ",
            $clause
        )
    };
}

/// Tickets sold per event (a booking counts once, or once per seat it holds: see
/// [`Audit::booked`]), counted once for the whole table: joined to the events instead of a
/// count per row, so an aggregate over every event is one pass over `bookings`.
macro_rules! with_booked {
    ($select:literal, $clause:literal) => {
        concat!(
            $select,
            " FROM events e
              LEFT JOIN (SELECT b.event_id, COUNT(*) AS booked FROM bookings b
                           LEFT JOIN booking_seats s ON s.booking_id = b.id
                          GROUP BY b.event_id) c
                ON c.event_id = e.id ",
            $clause
        )
    };
}

/// What every event adds up to, for `/metrics`: bounded in size whatever the number of events.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct EventTotals {
    pub events: i64,
    pub capacity: i64,
    pub available: i64,
    pub booked: i64,
    /// Bookings beyond capacity, summed over the events.
    pub oversold: i64,
    /// Events whose audit is not clean (oversold, lost updates or a negative counter).
    pub unclean_events: i64,
}

/// A page of events in id order.
#[derive(Clone, Debug)]
pub struct EventPage {
    pub events: Vec<Event>,
    /// Events in the table, on every page.
    pub total: i64,
    /// Events with a larger id than the page's last exist.
    pub more: bool,
}

/// The most events one page of `GET /events` or the dashboard shows.
pub const MAX_PAGE: i64 = 1000;

impl Store {
    /// Every event. Unbounded: for the admin's reset answer and for tests, never for a poll.
    pub async fn list_events(&self) -> Result<Vec<Event>, sqlx::Error> {
        on_pool!(self, pool => sqlx::query_as(select_events!("ORDER BY e.id")).fetch_all(pool).await)
    }

    /// At most `limit` events with an id above `after` (all when `None`), in id order, the
    /// number of events in the table and whether more follow. The keyset (`after` the last id
    /// seen) keeps every page as cheap as the first, which an offset would not.
    pub async fn events_page(
        &self,
        after: Option<i64>,
        limit: i64,
    ) -> Result<EventPage, sqlx::Error> {
        let limit = limit.clamp(1, MAX_PAGE);
        // One row beyond the page says whether there is a next one.
        let mut events: Vec<Event> = on_pool!(self, pool => sqlx::query_as(select_events!(
            "WHERE e.id > $1 ORDER BY e.id LIMIT $2"
        ))
        .bind(after.unwrap_or(i64::MIN))
        .bind(limit + 1)
        .fetch_all(pool)
        .await)?;
        let more = events.len() as i64 > limit;
        events.truncate(limit as usize);
        let total: i64 = on_pool!(self, pool => sqlx::query_scalar("SELECT COUNT(*) FROM events")
            .fetch_one(pool)
            .await)?;
        Ok(EventPage {
            events,
            total,
            more,
        })
    }

    /// The `k` events most worth watching: the most oversold first, then the most lost updates,
    /// then the lowest ids (the seeded demo events), in one statement.
    pub async fn worst_events(&self, k: i64) -> Result<Vec<Event>, sqlx::Error> {
        on_pool!(self, pool => sqlx::query_as(with_booked!(
            "SELECT e.id, e.name, e.capacity, e.available, e.version, e.fence,
                    COALESCE(c.booked, 0) AS booked",
            "ORDER BY CASE WHEN COALESCE(c.booked, 0) > e.capacity
                           THEN COALESCE(c.booked, 0) - e.capacity ELSE 0 END DESC,
                      ABS(e.capacity - e.available - COALESCE(c.booked, 0)) DESC,
                      e.id
             LIMIT $1"
        ))
        .bind(k)
        .fetch_all(pool)
        .await)
    }

    /// Sums over every event, in one statement (one snapshot). The casts keep Postgres's SUM
    /// of BIGINT, a NUMERIC, an integer.
    pub async fn event_totals(&self) -> Result<EventTotals, sqlx::Error> {
        on_pool!(self, pool => sqlx::query_as(with_booked!(
            "SELECT COUNT(*) AS events,
                    CAST(COALESCE(SUM(e.capacity), 0) AS BIGINT) AS capacity,
                    CAST(COALESCE(SUM(e.available), 0) AS BIGINT) AS available,
                    CAST(COALESCE(SUM(c.booked), 0) AS BIGINT) AS booked,
                    CAST(COALESCE(SUM(CASE WHEN COALESCE(c.booked, 0) > e.capacity
                                           THEN COALESCE(c.booked, 0) - e.capacity ELSE 0 END), 0)
                         AS BIGINT) AS oversold,
                    CAST(COALESCE(SUM(CASE WHEN COALESCE(c.booked, 0) > e.capacity
                                             OR e.available < 0
                                             OR e.capacity - e.available <> COALESCE(c.booked, 0)
                                           THEN 1 ELSE 0 END), 0) AS BIGINT) AS unclean_events",
            ""
        ))
        .fetch_one(pool)
        .await)
    }

    /// Inserts `count` events named `{prefix}{n}` (n from 1), each with `capacity` tickets, in
    /// one statement: how a test or an import fills a lab with 100,000 events without 100,000
    /// round trips. Returns how many were inserted.
    pub async fn create_events_bulk(
        &self,
        prefix: &str,
        count: i64,
        capacity: i64,
    ) -> Result<u64, sqlx::Error> {
        let inserted = in_write_transaction!(self, tx => {
            let inserted = sqlx::query(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1)
                 INSERT INTO events (name, capacity, available)
                 SELECT $2 || CAST(i AS TEXT), $3, $3 FROM n",
            )
            .bind(count)
            .bind(prefix)
            .bind(capacity)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            tx.commit().await?;
            inserted
        });
        Ok(inserted)
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
            // Their booking_seats go with them (ON DELETE CASCADE); the seats are free again.
            sqlx::query("DELETE FROM bookings WHERE event_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("UPDATE seats SET sold = 0, fence = 0 WHERE event_id = $1")
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
            sqlx::query("UPDATE seats SET sold = 0, fence = 0").execute(&mut *tx).await?;
            sqlx::query("UPDATE events SET available = capacity, version = 0, fence = 0")
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        });
        self.list_events().await
    }
}
