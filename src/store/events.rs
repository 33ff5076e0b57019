//! Reading, creating and resetting events.
//!
//! An [`Event`] carries its booking count from the same statement, so a page of events for the
//! dashboard costs one query and the numbers on screen are one snapshot. A lab may hold 100,000
//! events (a bulk import, a long workshop), so what is shown on every poll is bounded: a page in
//! id order ([`Store::events_page`]) and, for `/metrics`, the events worth a series and the
//! totals over all of them ([`Store::overview`]). Neither scans every event: the count and the
//! tickets of all events are one row kept by triggers (`event_stats`, migration 0016), and only
//! the events a booking or a write touched can have an audit other than "untouched and clean",
//! so only those are read.

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

/// What every event adds up to, for `/metrics`: bounded in size whatever the number of events.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct EventTotals {
    pub events: i64,
    pub capacity: i64,
    pub available: i64,
    pub booked: i64,
    /// Bookings beyond capacity, summed over the events.
    pub oversold: i64,
    /// Events whose audit is not clean (oversold, lost updates, a negative counter or a seat
    /// sold twice).
    pub unclean_events: i64,
}

impl EventTotals {
    /// The totals from the count and tickets of every event (`event_stats`) and the events
    /// whose audit can be other than clean; every event not among them is untouched.
    fn of((events, capacity): (i64, i64), touched: &[Event]) -> EventTotals {
        let mut totals = EventTotals {
            events,
            capacity,
            available: capacity,
            ..EventTotals::default()
        };
        for event in touched {
            let audit = event.audit();
            totals.available -= event.capacity - event.available;
            totals.booked += audit.booked;
            totals.oversold += audit.oversold;
            totals.unclean_events += i64::from(!audit.clean);
        }
        totals
    }
}

/// The `k` events most worth watching, from the touched ones and the first `k` by id: the most
/// oversold, then the most lost updates, then the lowest ids.
fn worst(touched: Vec<Event>, first: Vec<Event>, k: i64) -> Vec<Event> {
    let mut events = touched;
    for event in first {
        if !events.iter().any(|e| e.id == event.id) {
            events.push(event);
        }
    }
    events.sort_by_key(|event| {
        let audit = event.audit();
        let lost = (event.capacity - event.available - audit.booked).abs();
        (
            std::cmp::Reverse(audit.oversold),
            std::cmp::Reverse(lost),
            event.id,
        )
    });
    events.truncate(usize::try_from(k).unwrap_or(0));
    events
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
        let total: i64 = on_pool!(self, pool => sqlx::query_scalar(
            "SELECT events FROM event_stats"
        )
        .fetch_one(pool)
        .await)?;
        Ok(EventPage {
            events,
            total,
            more,
        })
    }

    /// The `k` events most worth a metric series and the totals over every event, from one
    /// snapshot (a read-only transaction). The series go to the most oversold first, then the
    /// most lost updates, then the lowest ids (the seeded demo events).
    ///
    /// Only the events that can be anything but untouched and clean are read: those whose
    /// counter moved (the partial index `events_touched`) and those with bookings. Every other
    /// event has `available = capacity` and no booking, which is what the totals assume of it.
    pub async fn overview(&self, k: i64) -> Result<(Vec<Event>, EventTotals), sqlx::Error> {
        let k = k.max(0);
        let (stats, touched, first): ((i64, i64), Vec<Event>, Vec<Event>) = on_pool!(self, pool => {
            let mut tx = pool.begin_with(self.begin_snapshot()).await?;
            let stats = sqlx::query_as("SELECT events, capacity FROM event_stats")
                .fetch_one(&mut *tx)
                .await?;
            let touched = sqlx::query_as(select_events!(
                "WHERE e.id IN (SELECT id FROM events WHERE available <> capacity
                                UNION SELECT event_id FROM bookings)"
            ))
            .fetch_all(&mut *tx)
            .await?;
            let first = sqlx::query_as(select_events!("ORDER BY e.id LIMIT $1"))
                .bind(k)
                .fetch_all(&mut *tx)
                .await?;
            tx.commit().await?;
            (stats, touched, first)
        });
        let totals = EventTotals::of(stats, &touched);
        Ok((worst(touched, first, k), totals))
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
