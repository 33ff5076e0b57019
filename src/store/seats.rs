//! Seat maps: events with named seats, the seats each booking holds, and the writes and checks a
//! booking of several seats needs.
//!
//! `booking_seats` has one row per booked seat and no unique constraint, so a seat sold twice is
//! two rows the audit can count: the store protects nothing, the strategies do. `seats.sold`
//! follows `booking_seats` in the same transaction, so `atomic` can condition one statement on it,
//! and `seats.fence` is the per-seat fencing token of a `fenced` booking that locks seats.
//!
//! A booking of seats takes one ticket per seat, and its write always decrements the event's
//! counter in the database (`available - n`), never from a read: with one lock per seat, two
//! bookings of different seats hold different locks at once, so the counter they share is not
//! theirs to write from a snapshot. The race a seat map shows is on the seats.

use oversold_api::{
    Seat, SeatHolder, SeatMap, StrategyName, MAX_SEATS_PER_BOOKING, MAX_SEATS_PER_EVENT,
};
use uuid::Uuid;

use super::{in_write_transaction, on_pool, Backend, Booking, Event, NewBooking, Store};

/// The longest seat name, in characters.
pub const MAX_SEAT_NAME: usize = 64;

/// Why seats were refused, before anything was written; each names the seat and why.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SeatProblem {
    #[error("seat {index} (counting from 0) has an empty name")]
    Empty { index: usize },
    #[error(
        "seat {seat:?} must be at most {MAX_SEAT_NAME} characters on one line, without control \
         characters"
    )]
    Malformed { seat: String },
    #[error("seat {seat:?} is named twice")]
    Duplicate { seat: String },
    #[error("seat {seat:?} is not on event {event_id}'s seat map; GET /events/{event_id}/seats lists them")]
    Unknown { event_id: i64, seat: String },
    #[error("a booking takes at most {most} seats, this one names {given}")]
    TooManyForBooking { given: usize, most: usize },
    #[error("a seat map has 1 to {most} seats, this one has {given}")]
    MapSize { given: usize, most: usize },
    #[error("event {event_id} has no seat map: book it without \"seats\"")]
    NoSeatMap { event_id: i64 },
    #[error("event {event_id} has a seat map: name the seats to book in \"seats\", e.g. [\"A1\"]")]
    SeatsNeeded { event_id: i64 },
}

impl SeatProblem {
    /// The seat the problem is about, when it is about one.
    pub fn seat(&self) -> Option<&str> {
        match self {
            SeatProblem::Malformed { seat }
            | SeatProblem::Duplicate { seat }
            | SeatProblem::Unknown { seat, .. } => Some(seat),
            _ => None,
        }
    }
}

/// The seats of a new seat map, checked: 1 to [`MAX_SEATS_PER_EVENT`] well-formed names.
pub fn check_map(seats: &[String]) -> Result<Vec<String>, SeatProblem> {
    if seats.is_empty() || seats.len() > MAX_SEATS_PER_EVENT {
        return Err(SeatProblem::MapSize {
            given: seats.len(),
            most: MAX_SEATS_PER_EVENT,
        });
    }
    check_names(seats)
}

/// Seat names as given, checked: trimmed, non-empty, short, one line, none repeated.
pub fn check_names(seats: &[String]) -> Result<Vec<String>, SeatProblem> {
    let mut seen = std::collections::HashSet::new();
    let mut names = Vec::with_capacity(seats.len());
    for (index, seat) in seats.iter().enumerate() {
        let seat = seat.trim();
        if seat.is_empty() {
            return Err(SeatProblem::Empty { index });
        }
        if seat.chars().count() > MAX_SEAT_NAME || seat.chars().any(char::is_control) {
            return Err(SeatProblem::Malformed {
                seat: seat.to_string(),
            });
        }
        if !seen.insert(seat) {
            return Err(SeatProblem::Duplicate {
                seat: seat.to_string(),
            });
        }
        names.push(seat.to_string());
    }
    Ok(names)
}

/// `$from, $from+1, ...`: `n` numbered placeholders (SQLite takes Postgres's `$n` too).
///
/// The statements of this module are built at run time only to hold as many placeholders as
/// there are seats (hence `AssertSqlSafe`): a seat's name is always a bound parameter, never
/// part of the SQL text.
pub(crate) fn placeholders(from: usize, n: usize) -> String {
    (from..from + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// What a seat booking's write must still find true, checked by the write's own statements: the
/// strategy's protection where it *is* the write (or its storage half).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SeatWrite {
    /// Nothing: the naive write, whatever protects it.
    Unconditional,
    /// The event row still carries this fencing token (`fenced`/`etcd`, one lock per event).
    EventFence(i64),
    /// Every seat row still carries this fencing token (`fenced`, one lock per seat).
    SeatFence(i64),
    /// The event's version is still the one read (`optimistic`).
    Version(i64),
    /// None of the seats is held by anyone (`atomic`).
    SeatsFree,
}

/// The SQL of a seat booking's write, in order: the event's counter, the seat rows, the
/// booking_seats rows (whose `$1` is the new booking's id). `n` seats.
pub(crate) struct SeatWriteSql {
    pub event: String,
    pub seats: String,
    pub rows: String,
}

impl SeatWrite {
    pub(crate) fn sql(self, backend: Backend, n: usize) -> SeatWriteSql {
        let event_check = match self {
            SeatWrite::EventFence(_) => " AND fence = $3",
            SeatWrite::Version(_) => " AND version = $3",
            _ => "",
        };
        let seat_check = match self {
            SeatWrite::SeatFence(_) => format!(" AND fence = ${}", n + 2),
            SeatWrite::SeatsFree => " AND sold = 0".to_string(),
            _ => String::new(),
        };
        let id = match backend {
            Backend::Sqlite => "$1",
            Backend::Postgres => "CAST($1 AS UUID)",
        };
        let rows = (0..n)
            .map(|i| format!("({id}, $2, ${})", i + 3))
            .collect::<Vec<_>>()
            .join(", ");
        SeatWriteSql {
            event: format!(
                "UPDATE events SET available = available - $2, version = version + 1 \
                 WHERE id = $1{event_check}"
            ),
            seats: format!(
                "UPDATE seats SET sold = sold + 1 WHERE event_id = $1 AND seat IN ({}){seat_check}",
                placeholders(2, n)
            ),
            rows: format!("INSERT INTO booking_seats (booking_id, event_id, seat) VALUES {rows}"),
        }
    }

    pub(crate) fn event_token(self) -> Option<i64> {
        match self {
            SeatWrite::EventFence(t) | SeatWrite::Version(t) => Some(t),
            _ => None,
        }
    }

    pub(crate) fn seat_token(self) -> Option<i64> {
        match self {
            SeatWrite::SeatFence(t) => Some(t),
            _ => None,
        }
    }
}

/// Writes a seat booking in the open transaction `$tx`: the counter, the seat rows, the booking
/// and its booking_seats rows, each conditioned as `$write` ([`SeatWrite`]) says. Evaluates to
/// `Ok(Some(id))`, or `Ok(None)` when a condition failed (the caller drops `$tx`, rolling back).
/// A macro because the transaction is SQLite's or Postgres's.
macro_rules! write_seats_in {
    ($tx:ident, $backend:expr, $booking:expr, $seats:expr, $write:expr) => {{
        let write: $crate::store::SeatWrite = $write;
        let seats: &[String] = $seats;
        let sql = write.sql($backend, seats.len());
        async {
            let mut event = sqlx::query(sqlx::AssertSqlSafe(sql.event.as_str()))
                .bind($booking.event_id)
                .bind(seats.len() as i64);
            if let Some(token) = write.event_token() {
                event = event.bind(token);
            }
            if event.execute(&mut *$tx).await?.rows_affected() == 0 {
                return Ok::<Option<String>, sqlx::Error>(None);
            }
            let mut marked =
                sqlx::query(sqlx::AssertSqlSafe(sql.seats.as_str())).bind($booking.event_id);
            for seat in seats {
                marked = marked.bind(seat);
            }
            if let Some(token) = write.seat_token() {
                marked = marked.bind(token);
            }
            if marked.execute(&mut *$tx).await?.rows_affected() != seats.len() as u64 {
                return Ok(None);
            }
            let id = $crate::store::insert_booking!($tx, $booking)?;
            let mut rows = sqlx::query(sqlx::AssertSqlSafe(sql.rows.as_str()))
                .bind(&id)
                .bind($booking.event_id);
            for seat in seats {
                rows = rows.bind(seat);
            }
            rows.execute(&mut *$tx).await?;
            Ok(Some(id))
        }
        .await
    }};
}
pub(crate) use write_seats_in;

/// The SQL that reads which of `n` seats (`$2..`) of event `$1` some booking holds.
pub(crate) fn held_seats_sql(n: usize) -> String {
    format!(
        "SELECT DISTINCT seat FROM booking_seats WHERE event_id = $1 AND seat IN ({}) ORDER BY seat",
        placeholders(2, n)
    )
}

/// Reads, in `$executor` (a pool or an open transaction), which of `$seats` of event `$event_id`
/// are held: the naive booking's read, `Result<Vec<String>, sqlx::Error>`.
macro_rules! held_seats_in {
    ($executor:expr, $event_id:expr, $seats:expr) => {{
        let seats: &[String] = $seats;
        let sql = $crate::store::seats::held_seats_sql(seats.len());
        let mut query =
            sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(sql.as_str())).bind($event_id);
        for seat in seats {
            query = query.bind(seat);
        }
        query.fetch_all($executor).await
    }};
}
pub(crate) use held_seats_in;

/// What claiming seats' fences found.
#[derive(Debug, PartialEq, Eq)]
pub enum SeatClaim {
    Claimed,
    /// A newer token already claimed one of the seats.
    Stale {
        newest: i64,
    },
}

impl Store {
    /// A new event whose capacity is its number of seats, and its seat map, in one transaction.
    pub async fn create_seat_map(
        &self,
        name: &str,
        seats: &[String],
    ) -> Result<Event, sqlx::Error> {
        let id: i64 = in_write_transaction!(self, tx => {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO events (name, capacity, available) VALUES ($1, $2, $2) RETURNING id",
            )
            .bind(name)
            .bind(seats.len() as i64)
            .fetch_one(&mut *tx)
            .await?;
            // Chunks keep every statement far below either database's limit on parameters.
            for (chunk_index, chunk) in seats.chunks(500).enumerate() {
                let values = (0..chunk.len())
                    .map(|i| format!("($1, ${}, ${})", 2 * i + 2, 2 * i + 3))
                    .collect::<Vec<_>>()
                    .join(", ");
                let sql = format!("INSERT INTO seats (event_id, seat, position) VALUES {values}");
                let mut insert = sqlx::query(sqlx::AssertSqlSafe(sql.as_str())).bind(id);
                for (i, seat) in chunk.iter().enumerate() {
                    insert = insert.bind(seat).bind((chunk_index * 500 + i) as i64);
                }
                insert.execute(&mut *tx).await?;
            }
            tx.commit().await?;
            id
        });
        Ok(self.event(id).await?.expect("the event just inserted"))
    }

    /// How many seats the event's map has (0 for plain tickets), `None` for an unknown event.
    async fn seats_of_event(&self, event_id: i64) -> Result<Option<i64>, sqlx::Error> {
        on_pool!(self, pool => sqlx::query_scalar(
            "SELECT (SELECT COUNT(*) FROM seats s WHERE s.event_id = e.id) FROM events e WHERE e.id = $1"
        )
        .bind(event_id)
        .fetch_optional(pool)
        .await)
    }

    /// How many seats the event's map has: 0 for an event sold as plain tickets.
    pub async fn seat_count(&self, event_id: i64) -> Result<i64, sqlx::Error> {
        on_pool!(self, pool => sqlx::query_scalar("SELECT COUNT(*) FROM seats WHERE event_id = $1")
            .bind(event_id)
            .fetch_one(pool)
            .await)
    }

    /// The seats a booking of `event_id` asks for, checked against the event: names well formed,
    /// none twice, at most [`MAX_SEATS_PER_BOOKING`], every one on the map; seats on an event
    /// without a map and none on an event with one are refused too. `Ok(None)`: seats were
    /// named for an unknown event. The seats come back sorted: the one order every lock and row lock is taken in.
    pub async fn check_booking_seats(
        &self,
        event_id: i64,
        seats: Option<&[String]>,
    ) -> Result<Option<Result<Vec<String>, SeatProblem>>, sqlx::Error> {
        // A booking without seats of an event known to have no map costs nothing here: whether
        // an event has a map is settled when it is created (its seats are written in the same
        // transaction) and never changes. Otherwise one indexed count; an unknown event is then
        // the strategy's to answer, as it always was.
        if seats.is_none() && self.known_without_map(event_id) {
            return Ok(Some(Ok(Vec::new())));
        }
        let Some(seat_count) = self.seats_of_event(event_id).await? else {
            return match seats {
                Some(_) => Ok(None),
                None => Ok(Some(Ok(Vec::new()))),
            };
        };
        let has_map = seat_count > 0;
        if !has_map {
            self.remember_without_map(event_id);
        }
        let seats = match (seats, has_map) {
            (None, false) => return Ok(Some(Ok(Vec::new()))),
            (None, true) => return Ok(Some(Err(SeatProblem::SeatsNeeded { event_id }))),
            (Some(_), false) => return Ok(Some(Err(SeatProblem::NoSeatMap { event_id }))),
            (Some(seats), true) => seats,
        };
        if seats.len() > MAX_SEATS_PER_BOOKING {
            return Ok(Some(Err(SeatProblem::TooManyForBooking {
                given: seats.len(),
                most: MAX_SEATS_PER_BOOKING,
            })));
        }
        let mut names = match check_names(seats) {
            Ok(names) if names.is_empty() => {
                return Ok(Some(Err(SeatProblem::SeatsNeeded { event_id })))
            }
            Ok(names) => names,
            Err(problem) => return Ok(Some(Err(problem))),
        };
        let sql = format!(
            "SELECT seat FROM seats WHERE event_id = $1 AND seat IN ({})",
            placeholders(2, names.len())
        );
        let known: Vec<String> = on_pool!(self, pool => {
            let mut query = sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(sql.as_str())).bind(event_id);
            for seat in &names {
                query = query.bind(seat);
            }
            query.fetch_all(pool).await
        })?;
        if let Some(unknown) = names.iter().find(|n| !known.contains(n)) {
            return Ok(Some(Err(SeatProblem::Unknown {
                event_id,
                seat: unknown.clone(),
            })));
        }
        names.sort();
        Ok(Some(Ok(names)))
    }

    /// Which of `seats` some booking holds (the naive booking's read), sorted.
    pub async fn held_seats(
        &self,
        event_id: i64,
        seats: &[String],
    ) -> Result<Vec<String>, sqlx::Error> {
        on_pool!(self, pool => held_seats_in!(pool, event_id, seats))
    }

    /// Writes a seat booking in its own transaction; `None` when `write`'s condition failed
    /// (nothing is written).
    pub async fn write_seat_booking(
        &self,
        booking: NewBooking,
        seats: &[String],
        write: SeatWrite,
    ) -> Result<Option<Booking>, sqlx::Error> {
        let backend = self.backend();
        let id = in_write_transaction!(self, tx => {
            let Some(id) = write_seats_in!(tx, backend, booking, seats, write)? else {
                return Ok(None);
            };
            tx.commit().await?;
            id
        });
        Ok(Some(booking.written(&id)?))
    }

    /// Claims every seat in `seats` for fencing token `token` (each seat's `fence < token`),
    /// all or none.
    pub async fn claim_seat_fences(
        &self,
        event_id: i64,
        seats: &[String],
        token: i64,
    ) -> Result<SeatClaim, sqlx::Error> {
        let n = seats.len();
        let claim = format!(
            "UPDATE seats SET fence = ${} WHERE event_id = $1 AND seat IN ({}) AND fence < ${}",
            n + 2,
            placeholders(2, n),
            n + 2
        );
        let claimed = in_write_transaction!(self, tx => {
            let mut query = sqlx::query(sqlx::AssertSqlSafe(claim.as_str())).bind(event_id);
            for seat in seats {
                query = query.bind(seat);
            }
            let claimed = query.bind(token).execute(&mut *tx).await?.rows_affected() == n as u64;
            if claimed {
                tx.commit().await?;
            }
            claimed
        });
        if claimed {
            return Ok(SeatClaim::Claimed);
        }
        Ok(SeatClaim::Stale {
            newest: self.seat_fence(event_id, seats).await?,
        })
    }

    /// The newest token any of `seats` has been claimed with.
    pub async fn seat_fence(&self, event_id: i64, seats: &[String]) -> Result<i64, sqlx::Error> {
        let newest = format!(
            "SELECT CAST(COALESCE(MAX(fence), 0) AS BIGINT) FROM seats \
             WHERE event_id = $1 AND seat IN ({})",
            placeholders(2, seats.len())
        );
        on_pool!(self, pool => {
            let mut query = sqlx::query_scalar(sqlx::AssertSqlSafe(newest.as_str())).bind(event_id);
            for seat in seats {
                query = query.bind(seat);
            }
            query.fetch_one(pool).await
        })
    }

    /// The seats more than one booking holds, in seat order.
    pub async fn double_booked_seats(&self, event_id: i64) -> Result<Vec<String>, sqlx::Error> {
        on_pool!(self, pool => sqlx::query_scalar(
            "SELECT seat FROM booking_seats WHERE event_id = $1
             GROUP BY seat HAVING COUNT(*) > 1 ORDER BY seat",
        )
        .bind(event_id)
        .fetch_all(pool)
        .await)
    }

    /// The event's seat map with every seat's holders; `None` for an unknown event (an event
    /// without a map has an empty one).
    pub async fn seat_map(&self, event_id: i64) -> Result<Option<SeatMap>, sqlx::Error> {
        if self.read_available(event_id).await?.is_none() {
            return Ok(None);
        }
        type Row = (
            String,
            Option<String>,
            Option<String>,
            Option<String>,
            Option<String>,
        );
        let rows: Vec<Row> = on_pool!(self, pool => sqlx::query_as(
            "SELECT s.seat, CAST(b.id AS TEXT), b.customer, b.strategy, b.instance
             FROM seats s
             LEFT JOIN booking_seats bs ON bs.event_id = s.event_id AND bs.seat = s.seat
             LEFT JOIN bookings b ON b.id = bs.booking_id
             WHERE s.event_id = $1
             ORDER BY s.position, b.created_at, b.id",
        )
        .bind(event_id)
        .fetch_all(pool)
        .await)?;
        let mut seats: Vec<Seat> = Vec::new();
        for (seat, id, customer, strategy, instance) in rows {
            if seats.last().is_none_or(|last| last.seat != seat) {
                seats.push(Seat {
                    seat,
                    holders: Vec::new(),
                });
            }
            let (Some(id), Some(customer), Some(strategy), Some(instance)) =
                (id, customer, strategy, instance)
            else {
                continue;
            };
            let strategy: StrategyName = strategy
                .parse()
                .map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
            let booking_id = Uuid::parse_str(&id).map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
            if let Some(last) = seats.last_mut() {
                last.holders.push(SeatHolder {
                    booking_id,
                    customer,
                    strategy,
                    instance,
                });
            }
        }
        let double_booked = seats
            .iter()
            .filter(|s| s.is_double_booked())
            .map(|s| s.seat.clone())
            .collect();
        Ok(Some(SeatMap {
            event_id,
            seats,
            double_booked,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(seats: &[&str]) -> Vec<String> {
        seats.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_repeated_seat_is_named_in_the_refusal() {
        let problem = check_names(&names(&["A1", " A1 "])).unwrap_err();
        assert_eq!(problem.seat(), Some("A1"));
        assert!(problem.to_string().contains("twice"));
    }

    #[test]
    fn an_empty_seat_name_is_refused_by_its_position() {
        assert_eq!(
            check_names(&names(&["A1", "  "])),
            Err(SeatProblem::Empty { index: 1 })
        );
    }

    #[test]
    fn a_seat_map_without_seats_is_refused() {
        assert!(matches!(
            check_map(&[]),
            Err(SeatProblem::MapSize { given: 0, .. })
        ));
    }

    #[test]
    fn the_seat_write_binds_its_condition_after_the_seats() {
        let sql = SeatWrite::SeatFence(7).sql(Backend::Postgres, 2);
        assert!(
            sql.seats.ends_with("IN ($2, $3) AND fence = $4"),
            "{}",
            sql.seats
        );
        assert!(
            sql.rows.contains("(CAST($1 AS UUID), $2, $4)"),
            "{}",
            sql.rows
        );
        assert!(SeatWrite::SeatsFree
            .sql(Backend::Sqlite, 1)
            .seats
            .ends_with("sold = 0"));
    }
}
