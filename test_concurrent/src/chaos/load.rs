//! The load of a chaos run: rounds per strategy on its own event, each judged by the audit.
//!
//! A round resets the event, lets `concurrency` workers book until each is told sold out, waits
//! for every request in flight, and only then reads the audit, so no reset or late write of the
//! run itself can make an event look wrong. Requests go round-robin over the targets; one that
//! is down (killed by the injector) costs a "no answer" and a short pause, not the round.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use oversold_api::{Audit, BookingAnswer, Client, ErrorCode, Knobs, NewEvent, Route, StrategyName};
use serde::Serialize;
use tokio::task::JoinHandle;

use super::blame::{self, Span};
use super::faults::Fault;

#[derive(Clone, Copy, Debug)]
pub struct Settings {
    pub capacity: i64,
    pub concurrency: u32,
    pub race_window_ms: u64,
    pub ttl_ms: u64,
    /// When the run started: the 503s' spans are measured from it, as the faults are.
    pub started: Instant,
}

/// The event a strategy plays its rounds on.
#[derive(Clone, Debug)]
pub struct ChaosEvent {
    pub strategy: StrategyName,
    pub id: i64,
}

/// What one strategy's requests and rounds came to.
#[derive(Clone, Debug, Default, Serialize)]
pub struct StrategyStats {
    pub sent: u64,
    pub answered: u64,
    /// No HTTP answer: the instance was down or was killed mid-request.
    pub no_answer: u64,
    pub created: u64,
    pub sold_out: u64,
    pub stale_fence: u64,
    /// 503: the lock or the database could not be had (a quorum gone, a node paused).
    pub unavailable: u64,
    /// Of those, the 503s no fault on a part the strategy relies on explains (see `blame`).
    pub unavailable_on_healthy_nodes: u64,
    /// When each 503 was asked for and answered, for `blame`.
    #[serde(skip)]
    pub unavailable_spans: Vec<Span>,
    pub other: u64,
    pub rounds: u64,
    /// Booking rows over all rounds, from the audits.
    pub booked: i64,
    /// Rounds whose audit was not clean.
    pub violations: u64,
    pub oversold: i64,
    /// Rounds that ended without an audit (no instance answered for a minute).
    pub unaudited: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_violation: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_other: Option<String>,
}

/// Every strategy's numbers, shared by the workers, the progress line and the report.
#[derive(Clone)]
pub struct Stats(Arc<Mutex<BTreeMap<String, StrategyStats>>>);

impl Stats {
    pub fn new(strategies: &[StrategyName]) -> Stats {
        Stats(Arc::new(Mutex::new(
            strategies
                .iter()
                .map(|s| (s.to_string(), StrategyStats::default()))
                .collect(),
        )))
    }

    pub fn snapshot(&self) -> BTreeMap<String, StrategyStats> {
        self.0.lock().unwrap().clone()
    }

    /// Counts each strategy's 503s on healthy nodes against the `faults` of the run.
    pub fn blame(&self, faults: &[Fault], first_node: u16) {
        for (name, stats) in self.0.lock().unwrap().iter_mut() {
            let Ok(strategy) = name.parse::<StrategyName>() else {
                continue;
            };
            stats.unavailable_on_healthy_nodes =
                blame::on_healthy_nodes(&stats.unavailable_spans, faults, |target| {
                    blame::relies_on(strategy, target, first_node)
                });
        }
    }

    fn update(&self, strategy: StrategyName, f: impl FnOnce(&mut StrategyStats)) {
        f(self
            .0
            .lock()
            .unwrap()
            .entry(strategy.to_string())
            .or_default());
    }
}

/// Finds each strategy's event ("chaos: <strategy>") or creates it.
pub async fn prepare_events(
    client: &Client,
    strategies: &[StrategyName],
    capacity: i64,
) -> anyhow::Result<Vec<ChaosEvent>> {
    let existing = client.events().await?;
    let mut events = Vec::new();
    for &strategy in strategies {
        let name = format!("chaos: {strategy}");
        let found = existing.iter().find(|e| e.event.name == name);
        let id = match found {
            Some(view) => view.event.id,
            None => {
                let new = NewEvent { name, capacity };
                client
                    .create_event(&new)
                    .await
                    .context("could not create a chaos event (off loopback, give --admin-token)")?
                    .event
                    .id
            }
        };
        events.push(ChaosEvent { strategy, id });
    }
    Ok(events)
}

/// Starts one task per strategy; each ends after `stop` once its round is judged.
pub fn start(
    client: &Client,
    events: &[ChaosEvent],
    settings: Settings,
    stats: Stats,
    stop: Arc<AtomicBool>,
) -> Vec<JoinHandle<()>> {
    let next_target = Arc::new(AtomicUsize::new(0));
    events
        .iter()
        .map(|event| {
            let player = Player {
                client: client.clone(),
                event: event.clone(),
                settings,
                stats: stats.clone(),
                stop: stop.clone(),
                next_target: next_target.clone(),
            };
            tokio::spawn(player.play())
        })
        .collect()
}

#[derive(Clone)]
struct Player {
    client: Client,
    event: ChaosEvent,
    settings: Settings,
    stats: Stats,
    stop: Arc<AtomicBool>,
    next_target: Arc<AtomicUsize>,
}

impl Player {
    fn stopped(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    fn target(&self) -> &str {
        let n = self.next_target.fetch_add(1, Ordering::Relaxed);
        oversold_api::round_robin(self.client.targets(), n)
    }

    async fn play(self) {
        while !self.stopped() {
            if !self.reset().await {
                tokio::time::sleep(Duration::from_millis(200)).await;
                continue;
            }
            let workers: Vec<_> = (0..self.settings.concurrency)
                .map(|_| tokio::spawn(self.clone().book_until_sold_out()))
                .collect();
            for worker in workers {
                let _ = worker.await;
            }
            let strategy = self.event.strategy;
            match self.audit().await {
                Some(audit) => self.stats.update(strategy, |s| {
                    s.rounds += 1;
                    s.booked += audit.booked;
                    if !audit.clean {
                        s.violations += 1;
                        s.oversold += audit.oversold;
                        s.first_violation.get_or_insert_with(|| {
                            format!(
                                "event {}: capacity {}, booked {}, available {}, oversold {}, lost updates {}",
                                self.event.id, audit.capacity, audit.booked, audit.available,
                                audit.oversold, audit.lost_updates
                            )
                        });
                    }
                }),
                None => self.stats.update(strategy, |s| s.unaudited += 1),
            }
        }
    }

    /// Resets the event through whichever target answers; false when none did.
    async fn reset(&self) -> bool {
        for _ in 0..self.client.targets().len() {
            let reset = self
                .client
                .reset_on(self.target(), self.event.id, Some(self.settings.capacity))
                .await;
            if reset.is_ok() {
                return true;
            }
        }
        false
    }

    /// The event's audit from whichever target answers, trying for up to a minute.
    async fn audit(&self) -> Option<Audit> {
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if let Ok(audit) = self.client.audit_on(self.target(), self.event.id).await {
                return Some(audit);
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        None
    }

    async fn book_until_sold_out(self) {
        let knobs = Knobs {
            race_window_ms: Some(self.settings.race_window_ms),
            ttl_ms: Some(self.settings.ttl_ms),
        };
        let path = Route::Strategy(self.event.strategy).path(self.event.id, knobs);
        let strategy = self.event.strategy;
        while !self.stopped() {
            self.stats.update(strategy, |s| s.sent += 1);
            let sent_s = self.settings.started.elapsed().as_secs_f64();
            let answer = self.client.book(self.target(), &path, None).await;
            let answered_s = self.settings.started.elapsed().as_secs_f64();
            let mut sold_out = false;
            let mut back_off = false;
            self.stats.update(strategy, |s| match &answer {
                BookingAnswer::NoAnswer { detail, .. } => {
                    s.no_answer += 1;
                    back_off = true;
                    s.first_other.get_or_insert(format!("no answer: {detail}"));
                }
                answered => {
                    s.answered += 1;
                    match (answered.status(), answered.error_code()) {
                        (Some(201), _) => s.created += 1,
                        (Some(409), Some(ErrorCode::SoldOut)) => {
                            s.sold_out += 1;
                            sold_out = true;
                        }
                        (Some(409), Some(ErrorCode::StaleFence)) => s.stale_fence += 1,
                        (Some(503), _) => {
                            s.unavailable += 1;
                            s.unavailable_spans.push(Span { sent_s, answered_s });
                            back_off = true;
                        }
                        (status, code) => {
                            s.other += 1;
                            back_off = true;
                            s.first_other.get_or_insert_with(|| {
                                format!(
                                    "{} {}",
                                    status.unwrap_or_default(),
                                    code.map_or("(no error code)", ErrorCode::as_str)
                                )
                            });
                        }
                    }
                }
            });
            if sold_out {
                return;
            }
            if back_off {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}
