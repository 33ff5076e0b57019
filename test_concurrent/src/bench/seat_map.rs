//! The seat-map scenario of `test_concurrent bench`: what lock granularity costs.
//!
//! One event of 1,000 named seats; each client books 2 to 4 seats at random among those it has
//! not yet seen sold, in a loop, until the map is (nearly) sold out or the cell's time is up.
//! The same strategy runs with one lock for the event (`granularity=event`, coarse: every
//! booking waits for every other) and one lock per seat (`granularity=seat`, fine: bookings of
//! different seats proceed together), at each number of clients, and the table shows bookings
//! per second and the fine/coarse ratio. Every cell ends with the audit, which must name no seat
//! sold twice: a faster lock that double-books would be no answer.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use benchkit::stats::{per_second, ratio, summarize};
use benchkit::table::{figure, Table};
use oversold_api::{BookingAnswer, Client, Granularity, NewSeatMap, StrategyName};
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use serde::Serialize;

const NAME: &str = "bench: seat map";
/// Seats on the map.
pub const SEATS: usize = 1_000;
/// Seats per booking, at random in this range.
const PER_BOOKING: std::ops::RangeInclusive<usize> = 2..=4;

/// The strategies the scenario measures when none are named: the lock strategies of the issue.
pub const DEFAULT_STRATEGIES: &[StrategyName] = &[StrategyName::Redis, StrategyName::Redlock];

/// One strategy at one granularity and number of clients.
#[derive(Clone, Debug, Serialize)]
pub struct SeatCell {
    pub strategy: String,
    pub granularity: Granularity,
    pub clients: usize,
    /// 201s, and the seats they sold.
    pub bookings: usize,
    pub seats: usize,
    /// 409 `seat_taken`: another client got there first.
    pub taken: usize,
    /// Any other answer (a lock timeout, no answer at all).
    pub errors: usize,
    pub elapsed_s: f64,
    pub per_second: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// From the audit: seats more than one booking holds (must be none).
    pub sold_twice: Vec<String>,
    /// The audit's seat count equals the seats the 201s sold.
    pub consistent: bool,
}

/// The seat map's id, found by name or created.
pub async fn ensure(client: &Client) -> anyhow::Result<i64> {
    let existing = client.events().await?;
    if let Some(event) = existing.iter().find(|e| e.event.name == NAME) {
        return Ok(event.event.id);
    }
    let new = NewSeatMap {
        name: NAME.to_string(),
        seats: seat_names(),
    };
    Ok(client.create_seat_map(&new).await?.event.id)
}

fn seat_names() -> Vec<String> {
    // Rows of 25 seats, lettered: A1..A25, B1.., the shape a venue's map has.
    (0..SEATS)
        .map(|i| {
            let row = char::from(b'A' + (i / 25 % 26) as u8);
            let lap = i / (25 * 26);
            format!("{row}{}{}", if lap > 0 { "x" } else { "" }, i % 25 + 1)
        })
        .collect()
}

/// One cell: resets the map and books it with `clients` clients for at most `duration`.
pub async fn cell(
    client: &Client,
    event: i64,
    strategy: StrategyName,
    granularity: Granularity,
    clients: usize,
    duration: Duration,
    race_window_ms: u64,
) -> anyhow::Result<SeatCell> {
    client.reset(event, None).await?;
    let path = format!(
        "/book/{strategy}/{event}?race_window_ms={race_window_ms}&granularity={granularity}"
    );
    // Seats this run has not seen sold; a client picks among them, so contention stays real
    // (two clients may pick one seat) without every booking hitting a sold seat near the end.
    let free = Arc::new(Mutex::new(seat_names()));
    let started = Instant::now();
    let tasks: Vec<_> = (0..clients)
        .map(|worker| {
            let (client, free, path) = (client.clone(), free.clone(), path.clone());
            let target = oversold_api::round_robin(client.targets(), worker).to_string();
            tokio::spawn(async move {
                let mut rng = StdRng::seed_from_u64(worker as u64);
                let mut answers = Vec::new();
                while started.elapsed() < duration {
                    let seats: Vec<String> = {
                        let free = free.lock().unwrap_or_else(|p| p.into_inner());
                        let want = rng.random_range(PER_BOOKING);
                        if free.len() < want {
                            break;
                        }
                        free.choose_multiple(&mut rng, want).cloned().collect()
                    };
                    let sent = Instant::now();
                    let answer = client.book_seats(&target, &path, None, &seats).await;
                    let latency = sent.elapsed().as_secs_f64() * 1000.0;
                    if answer.status() == Some(201) {
                        let sold: HashSet<&String> = seats.iter().collect();
                        free.lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .retain(|s| !sold.contains(s));
                    }
                    answers.push((answer, seats.len(), latency));
                }
                answers
            })
        })
        .collect();
    let mut answers = Vec::new();
    for task in tasks {
        answers.extend(task.await.unwrap_or_default());
    }
    let elapsed = started.elapsed();
    let audit = client.audit(event).await?;
    Ok(SeatCell::new(
        strategy,
        granularity,
        clients,
        &answers,
        elapsed,
        audit.booked,
        audit.double_booked_seats,
    ))
}

impl SeatCell {
    fn new(
        strategy: StrategyName,
        granularity: Granularity,
        clients: usize,
        answers: &[(BookingAnswer, usize, f64)],
        elapsed: Duration,
        audited_seats: i64,
        sold_twice: Vec<String>,
    ) -> SeatCell {
        let booked: Vec<&(BookingAnswer, usize, f64)> = answers
            .iter()
            .filter(|(a, _, _)| a.status() == Some(201))
            .collect();
        let taken = answers
            .iter()
            .filter(|(a, _, _)| a.error_code() == Some(oversold_api::ErrorCode::SeatTaken))
            .count();
        let seats: usize = booked.iter().map(|(_, n, _)| n).sum();
        let latencies: Vec<f64> = answers.iter().map(|(_, _, ms)| *ms).collect();
        let summary = summarize(&latencies);
        SeatCell {
            strategy: strategy.to_string(),
            granularity,
            clients,
            bookings: booked.len(),
            seats,
            taken,
            errors: answers.len() - booked.len() - taken,
            elapsed_s: elapsed.as_secs_f64(),
            per_second: per_second(booked.len(), elapsed),
            p50_ms: summary.p50_ms,
            p99_ms: summary.p99_ms,
            consistent: audited_seats == seats as i64,
            sold_twice,
        }
    }

    /// No seat sold twice, and the database's count is the 201s'.
    pub fn ok(&self) -> bool {
        self.sold_twice.is_empty() && self.consistent
    }
}

/// The cells as two markdown tables: every cell, then fine against coarse per strategy and
/// number of clients.
pub fn render(cells: &[SeatCell]) -> String {
    let mut all = Table::new([
        "strategy",
        "granularity",
        "clients",
        "bookings",
        "seats",
        "seat_taken",
        "errors",
        "bookings/s",
        "p50 ms",
        "p99 ms",
        "seats sold twice",
    ]);
    for c in cells {
        all.row([
            c.strategy.clone(),
            c.granularity.to_string(),
            c.clients.to_string(),
            c.bookings.to_string(),
            c.seats.to_string(),
            c.taken.to_string(),
            c.errors.to_string(),
            figure(c.per_second),
            figure(c.p50_ms),
            figure(c.p99_ms),
            match (c.sold_twice.len(), c.consistent) {
                (0, true) => "none".to_string(),
                (0, false) => "none (count differs!)".to_string(),
                (n, _) => format!("{n}: {}", c.sold_twice.join(" ")),
            },
        ]);
    }
    let mut ratios = Table::new(["strategy", "clients", "coarse/s", "fine/s", "fine/coarse"]);
    for fine in cells.iter().filter(|c| c.granularity == Granularity::Seat) {
        let Some(coarse) = cells.iter().find(|c| {
            c.granularity == Granularity::Event
                && c.strategy == fine.strategy
                && c.clients == fine.clients
        }) else {
            continue;
        };
        ratios.row([
            fine.strategy.clone(),
            fine.clients.to_string(),
            figure(coarse.per_second),
            figure(fine.per_second),
            ratio(fine.per_second, coarse.per_second)
                .map_or("-".to_string(), |r| format!("{}×", figure(r))),
        ]);
    }
    format!(
        "Seat map: {SEATS} seats, each booking 2 to 4 at random among those not yet seen sold; \
         coarse = granularity=event (one lock), fine = granularity=seat (one lock per seat).\n\n{}\n{}",
        all.to_markdown(),
        ratios.to_markdown()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(granularity: Granularity, per_second: f64, sold_twice: &[&str]) -> SeatCell {
        SeatCell {
            strategy: "redis".into(),
            granularity,
            clients: 64,
            bookings: 300,
            seats: 900,
            taken: 12,
            errors: 0,
            elapsed_s: 1.0,
            per_second,
            p50_ms: 5.0,
            p99_ms: 20.0,
            sold_twice: sold_twice.iter().map(|s| s.to_string()).collect(),
            consistent: true,
        }
    }

    #[test]
    fn the_table_shows_each_cell_and_the_fine_to_coarse_ratio() {
        let text = render(&[
            cell(Granularity::Event, 50.0, &[]),
            cell(Granularity::Seat, 400.0, &[]),
        ]);
        assert!(text.contains("| redis    | event"), "{text}");
        assert!(text.contains("8.00×"), "{text}");
        assert!(text.contains("none"), "{text}");
    }

    #[test]
    fn a_seat_sold_twice_is_named_and_fails_the_cell() {
        let bad = cell(Granularity::Seat, 400.0, &["A3"]);
        assert!(!bad.ok());
        assert!(render(&[bad]).contains("1: A3"));
    }

    #[test]
    fn the_map_has_a_thousand_distinct_seats() {
        let names = seat_names();
        let distinct: HashSet<&String> = names.iter().collect();
        assert_eq!((names.len(), distinct.len()), (SEATS, SEATS));
        assert_eq!(names[0], "A1");
    }
}
