//! The figures around the strategy cells: the HTTP ceiling, the big waves and the race lesson.
//!
//! - The ceiling: clients in a loop on a trivial route (`GET /strategies`: no database, no
//!   Redis), what the HTTP stack alone costs at each concurrency.
//! - The waves: 10,000 bookings with 2,000 in flight at an event of 100 tickets (all answered,
//!   exactly 100 booked, p99), then the same wave at the now sold-out event, set against a wave
//!   of as many `GET /events/{id}` reads: answering "sold out" should cost about a read.
//! - The race: no-lock, 10 requests at one ticket with `race_window_ms=0`, many rounds: the
//!   share of rounds that oversold, which the README's claim about a zero window rests on.

use std::sync::Arc;
use std::time::{Duration, Instant};

use benchkit::stats::{per_second, summarize};
use oversold_api::{round_robin, Audit, Client, FanOut, Knobs, Route, StrategyName, Tally};
use serde::Serialize;

/// Clients looping on the trivial route.
#[derive(Clone, Debug, Serialize)]
pub struct CeilingCell {
    pub concurrency: usize,
    pub requests: usize,
    /// Answers other than 200.
    pub failed: usize,
    pub per_second: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
}

/// The route the ceiling is measured on.
pub const TRIVIAL_ROUTE: &str = "/strategies";

/// `workers` clients in a loop on GET [`TRIVIAL_ROUTE`] for `duration`, round-robin over the
/// targets.
pub async fn ceiling(client: &Client, workers: usize, duration: Duration) -> CeilingCell {
    let barrier = Arc::new(tokio::sync::Barrier::new(workers + 1));
    let handles: Vec<_> = (0..workers)
        .map(|worker| {
            let url = format!("{}{TRIVIAL_ROUTE}", round_robin(client.targets(), worker));
            let http = client.http().clone();
            let barrier = barrier.clone();
            tokio::spawn(async move {
                let (mut latencies, mut failed) = (Vec::new(), 0);
                barrier.wait().await;
                let deadline = Instant::now() + duration;
                while Instant::now() < deadline {
                    let started = Instant::now();
                    match read(&http, &url).await {
                        Some(200) => latencies.push(started.elapsed().as_secs_f64() * 1000.0),
                        _ => failed += 1,
                    }
                }
                (latencies, failed, Instant::now())
            })
        })
        .collect();
    barrier.wait().await;
    let started = Instant::now();
    let (mut latencies, mut failed, mut finished) = (Vec::new(), 0, started);
    for handle in handles {
        if let Ok((mut l, f, at)) = handle.await {
            latencies.append(&mut l);
            failed += f;
            finished = finished.max(at);
        }
    }
    let summary = summarize(&latencies);
    CeilingCell {
        concurrency: workers,
        requests: latencies.len() + failed,
        failed,
        per_second: per_second(latencies.len(), finished - started),
        p50_ms: summary.p50_ms,
        p99_ms: summary.p99_ms,
    }
}

/// The status of a GET whose body was read in full; `None` when nothing answered.
async fn read(http: &reqwest::Client, url: &str) -> Option<u16> {
    let response = http.get(url).send().await.ok()?;
    let status = response.status().as_u16();
    response.bytes().await.ok()?;
    Some(status)
}

/// One wave of requests, `in_flight` at a time.
#[derive(Clone, Debug, Serialize)]
pub struct Wave {
    pub what: String,
    pub requests: usize,
    pub in_flight: usize,
    pub seconds: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// Every request got an HTTP answer (none timed out or failed to connect).
    pub all_answered: bool,
    /// Bookings by answer, for a booking wave.
    pub answers: Option<Tally>,
    /// The event's audit after a booking wave.
    pub audit: Option<Audit>,
}

/// The waves of one run.
#[derive(Clone, Debug, Serialize)]
pub struct Waves {
    pub strategy: String,
    pub tickets: i64,
    /// The first wave, at an event with `tickets` tickets.
    pub selling: Wave,
    /// The same wave at the event it sold out.
    pub sold_out: Wave,
    /// As many reads of the event.
    pub reads: Wave,
}

impl Waves {
    /// The first wave booked exactly the tickets there were, answered everybody, and the
    /// sold-out wave booked nothing more.
    pub fn correct(&self) -> bool {
        let exact = |w: &Wave, booked: i64| {
            w.all_answered
                && w.audit
                    .as_ref()
                    .is_some_and(|a| a.clean && a.booked == booked)
        };
        exact(&self.selling, self.tickets) && exact(&self.sold_out, self.tickets)
    }
}

/// Resets `event` to `tickets`, then sends the three waves.
pub async fn waves(
    client: &Client,
    event: i64,
    strategy: StrategyName,
    tickets: i64,
    requests: usize,
    in_flight: usize,
) -> anyhow::Result<Waves> {
    client.reset(event, Some(tickets)).await?;
    let knobs = Knobs {
        race_window_ms: Some(0),
        ttl_ms: None,
    };
    let path = Route::Strategy(strategy).path(event, knobs);
    let selling = booking_wave(client, event, &path, requests, in_flight, "selling").await?;
    let sold_out = booking_wave(client, event, &path, requests, in_flight, "sold out").await?;
    let reads = read_wave(client, event, requests, in_flight).await;
    Ok(Waves {
        strategy: strategy.to_string(),
        tickets,
        selling,
        sold_out,
        reads,
    })
}

async fn booking_wave(
    client: &Client,
    event: i64,
    path: &str,
    requests: usize,
    in_flight: usize,
    what: &str,
) -> anyhow::Result<Wave> {
    let started = Instant::now();
    let sent = client
        .fire_together(FanOut {
            targets: client.targets(),
            path,
            requests,
            customer: Some("bench wave #"),
            timeout: None,
            in_flight: Some(in_flight),
        })
        .await;
    let elapsed = started.elapsed();
    let latencies: Vec<f64> = sent
        .iter()
        .map(|s| s.latency.as_secs_f64() * 1000.0)
        .collect();
    let answers = Tally::of(sent.iter().map(|s| &s.answer));
    let all_answered = sent.len() == requests && sent.iter().all(|s| s.answer.status().is_some());
    let summary = summarize(&latencies);
    Ok(Wave {
        what: what.to_string(),
        requests,
        in_flight,
        seconds: elapsed.as_secs_f64(),
        p50_ms: summary.p50_ms,
        p99_ms: summary.p99_ms,
        all_answered,
        answers: Some(answers),
        audit: Some(client.audit(event).await?),
    })
}

async fn read_wave(client: &Client, event: i64, requests: usize, in_flight: usize) -> Wave {
    let slots = Arc::new(tokio::sync::Semaphore::new(in_flight));
    let started = Instant::now();
    let tasks: Vec<_> = (0..requests)
        .map(|index| {
            let url = format!("{}/events/{event}", round_robin(client.targets(), index));
            let http = client.http().clone();
            let slots = slots.clone();
            tokio::spawn(async move {
                let _slot = slots.acquire_owned().await.ok();
                let sent = Instant::now();
                let status = read(&http, &url).await;
                (status, sent.elapsed().as_secs_f64() * 1000.0)
            })
        })
        .collect();
    let mut latencies = Vec::new();
    let mut all_answered = true;
    for task in tasks {
        match task.await {
            Ok((Some(200), latency)) => latencies.push(latency),
            _ => all_answered = false,
        }
    }
    let elapsed = started.elapsed();
    let summary = summarize(&latencies);
    Wave {
        what: "reads".to_string(),
        requests,
        in_flight,
        seconds: elapsed.as_secs_f64(),
        p50_ms: summary.p50_ms,
        p99_ms: summary.p99_ms,
        all_answered,
        answers: None,
        audit: None,
    }
}

/// The no-lock race at a zero window.
#[derive(Clone, Debug, Serialize)]
pub struct Race {
    pub rounds: usize,
    pub requests: usize,
    /// Rounds whose audit showed an oversell.
    pub oversold_rounds: usize,
}

/// `rounds` rounds of `requests` no-lock bookings released together at one ticket, with no race
/// window; each judged by the event's audit.
pub async fn race(
    client: &Client,
    event: i64,
    rounds: usize,
    requests: usize,
) -> anyhow::Result<Race> {
    let knobs = Knobs {
        race_window_ms: Some(0),
        ttl_ms: None,
    };
    let path = Route::Strategy(StrategyName::NoLock).path(event, knobs);
    let mut oversold_rounds = 0;
    for _ in 0..rounds {
        client.reset(event, Some(1)).await?;
        client
            .fire_together(FanOut {
                targets: client.targets(),
                path: &path,
                requests,
                customer: Some("bench race #"),
                timeout: None,
                in_flight: None,
            })
            .await;
        if client.audit(event).await?.oversold > 0 {
            oversold_rounds += 1;
        }
    }
    Ok(Race {
        rounds,
        requests,
        oversold_rounds,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wave(booked: i64, all_answered: bool) -> Wave {
        Wave {
            what: "selling".into(),
            requests: 10,
            in_flight: 2,
            seconds: 1.0,
            p50_ms: 1.0,
            p99_ms: 2.0,
            all_answered,
            answers: None,
            audit: Some(Audit::from_counts(1, 5, 5 - booked, booked)),
        }
    }

    #[test]
    fn waves_are_correct_only_when_the_audit_holds_exactly_the_tickets_and_all_answered() {
        let reads = Wave {
            audit: None,
            ..wave(0, true)
        };
        let waves = |selling, sold_out| Waves {
            strategy: "redis".into(),
            tickets: 5,
            selling,
            sold_out,
            reads: reads.clone(),
        };
        assert!(waves(wave(5, true), wave(5, true)).correct());
        assert!(!waves(wave(4, true), wave(4, true)).correct());
        assert!(!waves(wave(5, false), wave(5, true)).correct());
    }
}
