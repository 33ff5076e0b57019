//! One cell of the benchmark: one strategy, one scenario, one concurrency, for a fixed time.
//!
//! Each worker books in a loop — the next request leaves as soon as the last is answered — on the
//! hot event (everyone on one) or on its own event (no contention), round-robin over the
//! targets. Every answer is kept with its latency and, from the server's `trace`, how long the
//! lock was held (`released_ms − lock_acquired_ms`). The database then says how many bookings
//! were really made, which must equal the 201s counted here.

use std::sync::Arc;
use std::time::{Duration, Instant};

use benchkit::stats::{handoff_efficiency, mean, per_second, summarize};
use oversold_api::{round_robin, Audit, BookingAnswer, Client, Tally};
use serde::Serialize;

/// Which events a cell books.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scenario {
    /// Every worker on one event with a large capacity: the lock is fought over.
    Hot,
    /// Each worker on its own event: nobody waits for anybody.
    NoContention,
}

impl Scenario {
    pub fn title(self) -> &'static str {
        match self {
            Scenario::Hot => "one hot event",
            Scenario::NoContention => "no contention (an event per client)",
        }
    }
}

/// One answered (or failed) request.
#[derive(Clone, Debug)]
pub struct Sample {
    pub latency_ms: f64,
    pub answer: BookingAnswer,
}

impl Sample {
    /// How long the server held the lock for this request, from its trace.
    pub fn hold_ms(&self) -> Option<f64> {
        self.answer.trace()?.hold_ms()
    }

    fn created(&self) -> bool {
        self.answer.status() == Some(201)
    }
}

/// Sends bookings from `workers` workers for `duration`; worker `i` books `events[i % len]`
/// through `targets[i % len]` at `path` (with `{id}` for the event).
pub async fn run(
    client: &Client,
    path: &str,
    events: &[i64],
    workers: usize,
    duration: Duration,
) -> (Vec<Sample>, Duration) {
    let barrier = Arc::new(tokio::sync::Barrier::new(workers + 1));
    let handles: Vec<_> = (0..workers)
        .map(|worker| {
            let target = round_robin(client.targets(), worker).to_string();
            let path = path.replace("{id}", &events[worker % events.len()].to_string());
            let client = client.clone();
            let barrier = barrier.clone();
            tokio::spawn(async move {
                let customer = format!("bench worker {}", worker + 1);
                let mut samples = Vec::new();
                barrier.wait().await;
                let deadline = Instant::now() + duration;
                while Instant::now() < deadline {
                    let started = Instant::now();
                    let answer = client.book(&target, &path, Some(&customer)).await;
                    samples.push(Sample {
                        latency_ms: started.elapsed().as_secs_f64() * 1000.0,
                        answer,
                    });
                }
                (samples, Instant::now())
            })
        })
        .collect();
    barrier.wait().await;
    let started = Instant::now();
    let mut samples = Vec::new();
    let mut finished = started;
    for handle in handles {
        if let Ok((mut s, at)) = handle.await {
            samples.append(&mut s);
            finished = finished.max(at);
        }
    }
    (samples, finished - started)
}

/// What one cell measured, and what the database says about it.
#[derive(Clone, Debug, Serialize)]
pub struct CellResult {
    pub strategy: String,
    pub scenario: Scenario,
    pub concurrency: usize,
    /// The events booked (reset before the cell, audited after).
    pub events: Vec<i64>,
    pub seconds: f64,
    pub requests: usize,
    /// 201 answers.
    pub booked: usize,
    /// Bookings the audit of the cell's events counted; equal to `booked` when nothing was lost.
    pub db_booked: i64,
    /// Bookings per second (201s).
    pub throughput: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// Mean time the lock was held, when the strategy takes one.
    pub mean_hold_ms: Option<f64>,
    /// Holds per second × mean hold (on the hot event only).
    pub handoff_efficiency: Option<f64>,
    /// Every audit of the cell's events came back clean (no oversell, no lost update).
    pub clean: bool,
    /// Answers by kind, and the first odd one.
    pub answers: Tally,
}

impl CellResult {
    pub fn new(
        strategy: &str,
        scenario: Scenario,
        concurrency: usize,
        samples: Vec<Sample>,
        elapsed: Duration,
        audits: &[(i64, Audit)],
    ) -> CellResult {
        let latencies: Vec<f64> = samples.iter().map(|s| s.latency_ms).collect();
        let holds: Vec<f64> = samples.iter().filter_map(Sample::hold_ms).collect();
        let booked = samples.iter().filter(|s| s.created()).count();
        let latency = summarize(&latencies);
        let mean_hold_ms = mean(&holds);
        let handoff = match (scenario, mean_hold_ms) {
            (Scenario::Hot, Some(hold)) => {
                Some(handoff_efficiency(per_second(holds.len(), elapsed), hold))
            }
            _ => None,
        };
        CellResult {
            strategy: strategy.to_string(),
            scenario,
            concurrency,
            events: audits.iter().map(|(id, _)| *id).collect(),
            seconds: elapsed.as_secs_f64(),
            requests: samples.len(),
            booked,
            db_booked: audits.iter().map(|(_, a)| a.booked).sum(),
            throughput: per_second(booked, elapsed),
            p50_ms: latency.p50_ms,
            p99_ms: latency.p99_ms,
            mean_hold_ms,
            handoff_efficiency: handoff,
            clean: audits.iter().all(|(_, a)| a.clean),
            answers: Tally::of(samples.iter().map(|s| &s.answer)),
        }
    }

    /// The database holds exactly the bookings that were answered 201.
    pub fn consistent(&self) -> bool {
        self.db_booked == self.booked as i64
    }

    pub fn errors(&self) -> usize {
        self.requests - self.booked
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// An answer as the server sends it: a booking on 201, an error body otherwise, each with
    /// its trace (the lock's marks when `hold` is given).
    fn sample(status: u16, latency_ms: f64, hold: Option<(f64, f64)>) -> Sample {
        let trace = match hold {
            Some((taken, released)) => json!({ "instance": "app-1", "lock_acquired_ms": taken,
                                               "released_ms": released, "total_ms": released }),
            None => json!({ "instance": "app-1", "read_ms": 0.1, "total_ms": 0.2 }),
        };
        let body = match status {
            201 => json!({
                "booking": { "id": "0b6f2d2e-8c1f-4d59-9a55-8a3f2d1c9e10", "event_id": 1,
                             "customer": "bench worker 1", "strategy": "redis",
                             "instance": "app-1", "fence_token": null },
                "lock_wait_ms": null, "elapsed_ms": 1.0, "trace": trace }),
            _ => json!({ "error": "lock_timeout", "message": "busy", "trace": trace }),
        };
        Sample {
            latency_ms,
            answer: BookingAnswer::parse(status, body.to_string().as_bytes()),
        }
    }

    fn audit(booked: i64, clean: bool) -> (i64, Audit) {
        let lost = if clean { 0 } else { 1 };
        (
            1,
            Audit::from_counts(1, 1_000_000, 1_000_000 - booked - lost, booked),
        )
    }

    #[test]
    fn the_hold_time_comes_from_the_trace() {
        assert_eq!(sample(201, 5.0, Some((1.5, 4.0))).hold_ms(), Some(2.5));
        assert_eq!(sample(201, 5.0, None).hold_ms(), None);
        let failed = Sample {
            latency_ms: 1.0,
            answer: BookingAnswer::NoAnswer {
                why: oversold_api::NoAnswer::Timeout,
                detail: "timed out".into(),
            },
        };
        assert_eq!(failed.hold_ms(), None);
    }

    #[test]
    fn throughput_counts_bookings_and_handoff_is_the_share_of_time_the_lock_was_held() {
        // Four holds of 100ms in one second: the lock was held 40% of the time.
        let samples = vec![
            sample(201, 150.0, Some((10.0, 110.0))),
            sample(201, 250.0, Some((10.0, 110.0))),
            sample(201, 350.0, Some((10.0, 110.0))),
            sample(503, 450.0, Some((10.0, 110.0))),
        ];
        let cell = CellResult::new(
            "redis",
            Scenario::Hot,
            4,
            samples,
            Duration::from_secs(1),
            &[audit(3, true)],
        );
        assert_eq!((cell.requests, cell.booked, cell.errors()), (4, 3, 1));
        assert_eq!(cell.throughput, 3.0);
        assert_eq!(cell.mean_hold_ms, Some(100.0));
        assert!((cell.handoff_efficiency.unwrap() - 0.4).abs() < 1e-9);
        assert_eq!((cell.p50_ms, cell.p99_ms), (250.0, 450.0));
        assert!(cell.consistent() && cell.clean);
        assert_eq!(cell.answers.status.created, 3);
        assert_eq!(cell.answers.status.unavailable, 1);
    }

    #[test]
    fn without_contention_or_without_a_lock_there_is_no_handoff_figure() {
        let held = vec![sample(201, 1.0, Some((0.1, 0.6)))];
        let spread = CellResult::new(
            "redis",
            Scenario::NoContention,
            1,
            held,
            Duration::from_secs(1),
            &[audit(1, true)],
        );
        assert_eq!(spread.mean_hold_ms, Some(0.5));
        assert_eq!(spread.handoff_efficiency, None);
        let unlocked = CellResult::new(
            "atomic",
            Scenario::Hot,
            1,
            vec![sample(201, 1.0, None)],
            Duration::from_secs(1),
            &[audit(1, true)],
        );
        assert_eq!(unlocked.handoff_efficiency, None);
    }

    #[test]
    fn the_database_count_is_summed_over_the_cells_events_and_checked_against_the_201s() {
        let samples = vec![sample(201, 1.0, None), sample(201, 1.0, None)];
        let cell = CellResult::new(
            "no-lock",
            Scenario::NoContention,
            2,
            samples.clone(),
            Duration::from_secs(1),
            &[audit(1, true), audit(1, true)],
        );
        assert!(cell.consistent());
        let lost = CellResult::new(
            "no-lock",
            Scenario::Hot,
            2,
            samples,
            Duration::from_secs(1),
            &[audit(3, false)],
        );
        assert!(!lost.consistent() && !lost.clean);
    }
}
