//! The fan-out: reset the event, fire every request at once over real HTTP, audit, store.
//!
//! The requests go through the same routes a client uses (`POST /book/{strategy}/{id}`), to this
//! instance's own address or spread over it and its `--peers`, so an experiment measures exactly
//! what `test_concurrent` does. A barrier holds every request until all are ready, so they leave
//! together and the race is the strategy's, not the scheduler's.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use tokio::sync::{Barrier, Mutex};
use tracing::info;

use crate::store::UnknownEvent;
use crate::strategy::{BookingContext, Registry};
use crate::trace::Marks;

use super::storage::{self, NewExperiment};
use super::{Answer, Experiment, ExperimentError, Spec, Target};

/// Runs experiments for one instance. Lives in the app state.
pub struct Runner {
    client: reqwest::Client,
    /// This instance's base URL as it can reach itself (loopback when bound to every address).
    self_url: String,
    /// The other instances' base URLs, without a trailing slash.
    peers: Vec<String>,
    /// The lab's admin token, which the bookings carry (see [`Runner::new`]).
    admin_token: Option<String>,
    /// One experiment at a time per instance: two runs resetting one event would mix.
    running: Mutex<()>,
}

/// One request's result before the clocks are lined up.
struct Sent {
    index: usize,
    target: String,
    at: Instant,
    wall: DateTime<Utc>,
    latency: Duration,
    status: u16,
    body: Value,
}

impl Runner {
    /// `admin_token`: the bookings carry it, so that an experiment's knobs are not capped like a
    /// stranger's (the peers of a lab share one `ADMIN_TOKEN`).
    pub fn new(self_url: String, peers: &[String], admin_token: Option<String>) -> Runner {
        let peers = peers
            .iter()
            .map(|p| p.trim().trim_end_matches('/').to_string())
            .filter(|p| !p.is_empty())
            .collect();
        Runner {
            client: reqwest::Client::new(),
            self_url,
            peers,
            admin_token: admin_token.filter(|t| !t.is_empty()),
            running: Mutex::new(()),
        }
    }

    pub fn peers(&self) -> &[String] {
        &self.peers
    }

    /// The base URLs a run spreads its requests over, this instance first.
    pub fn targets(&self, target: Target) -> Result<Vec<String>, ExperimentError> {
        let mut targets = vec![self.self_url.clone()];
        if target == Target::All {
            if self.peers.is_empty() {
                return Err(ExperimentError::Invalid(
                    "this instance knows no other instance: start it with --peers (PEERS), \
                     or send the requests to this instance"
                        .into(),
                ));
            }
            targets.extend(self.peers.iter().cloned());
        }
        Ok(targets)
    }

    /// Resets the event to the spec's capacity, fires the requests, and stores the result.
    pub async fn run(
        &self,
        context: &BookingContext,
        spec: Spec,
    ) -> Result<Experiment, ExperimentError> {
        let targets = self.targets(spec.target)?;
        spec.strategy.check_supported(context.store.backend())?;
        let _one_at_a_time = self.running.lock().await;
        context
            .store
            .reset_event(spec.event_id, Some(spec.capacity))
            .await?
            .ok_or(UnknownEvent(spec.event_id))?;
        info!(
            strategy = spec.strategy.as_str(),
            requests = spec.requests,
            event_id = spec.event_id,
            capacity = spec.capacity,
            targets = targets.len(),
            "experiment started"
        );
        // Long enough for the slowest request the server would still answer: the whole lock
        // wait, then its own hold.
        let timeout = context.retry.budget
            + Duration::from_millis(spec.race_window_ms)
            + Duration::from_secs(30);
        let created_at = Utc::now();
        // The bookings carry the admin token the experiment was started with, so that its knobs
        // are not capped like a stranger's (the peers of a lab share one ADMIN_TOKEN).
        let sent = self
            .fire(&spec, &targets, timeout, self.admin_token.as_deref())
            .await;
        let answers = line_up(sent);
        let duration_ms = answers
            .iter()
            .map(|a| a.sent_ms + a.latency_ms)
            .fold(0.0, f64::max);
        let audit = context
            .store
            .audit(spec.event_id)
            .await?
            .ok_or(UnknownEvent(spec.event_id))?;
        let experiment = storage::save(
            &context.store,
            NewExperiment {
                created_at,
                instance: &context.instance,
                strategy: spec.strategy.as_str(),
                requests: spec.requests as i64,
                race_window_ms: spec.race_window_ms as i64,
                ttl_ms: spec.ttl_ms as i64,
                targets: &targets,
                duration_ms,
                audit: &audit,
                answers: &answers,
            },
        )
        .await?;
        info!(
            id = experiment.summary.id,
            strategy = spec.strategy.as_str(),
            booked = audit.booked,
            oversold = audit.oversold,
            verdict = %experiment.summary.verdict.headline,
            "experiment finished"
        );
        Ok(experiment)
    }

    async fn fire(
        &self,
        spec: &Spec,
        targets: &[String],
        timeout: Duration,
        token: Option<&str>,
    ) -> Vec<Sent> {
        let barrier = Arc::new(Barrier::new(spec.requests));
        let path = format!(
            "/book/{}/{}?race_window_ms={}&ttl_ms={}",
            spec.strategy.as_str(),
            spec.event_id,
            spec.race_window_ms,
            spec.ttl_ms
        );
        let tasks: Vec<_> = (0..spec.requests)
            .map(|index| {
                let target = targets[index % targets.len()].clone();
                let mut request = self
                    .client
                    .post(format!("{target}{path}"))
                    .json(&json!({ "customer": format!("experiment request {}", index + 1) }))
                    .timeout(timeout);
                if let Some(token) = token {
                    request = request.bearer_auth(token);
                }
                let barrier = barrier.clone();
                tokio::spawn(async move {
                    barrier.wait().await;
                    let (at, wall) = (Instant::now(), Utc::now());
                    let (status, body) = match request.send().await {
                        Ok(response) => {
                            let status = response.status().as_u16();
                            (status, response.json().await.unwrap_or(Value::Null))
                        }
                        Err(e) => (0, json!({ "error": no_answer(&e) })),
                    };
                    Sent {
                        index,
                        target,
                        at,
                        wall,
                        latency: at.elapsed(),
                        status,
                        body,
                    }
                })
            })
            .collect();
        let mut sent = Vec::with_capacity(tasks.len());
        for task in tasks {
            // A request task only panics if the runtime is shutting down; the run ends with it.
            if let Ok(one) = task.await {
                sent.push(one);
            }
        }
        sent
    }
}

/// Puts every request on one clock that starts when the first request was sent.
fn line_up(sent: Vec<Sent>) -> Vec<Answer> {
    let Some(first) = sent.iter().map(|s| s.at).min() else {
        return Vec::new();
    };
    sent.into_iter()
        .map(|s| {
            let trace = serde_json::from_value::<Marks>(s.body["trace"].clone()).ok();
            let sent_ms = ms(s.at.duration_since(first));
            let latency_ms = ms(s.latency);
            Answer {
                index: s.index,
                target: s.target,
                status: s.status,
                error: s.body["error"].as_str().map(str::to_string),
                started_ms: sent_ms + server_delay(s.wall, latency_ms, trace.as_ref()),
                sent_ms,
                latency_ms,
                trace,
            }
        })
        .collect()
}

/// How long after sending the request the server took it. The server's wall clock says so
/// precisely when it shares the machine; it can never be less than zero nor more than the time
/// the answer spent outside the server, so that bounds it (and stands in, halved, without a clock).
fn server_delay(sent: DateTime<Utc>, latency_ms: f64, trace: Option<&Marks>) -> f64 {
    let Some(trace) = trace else {
        return 0.0;
    };
    let outside = (latency_ms - trace.total_ms).max(0.0);
    let delay = match trace.started_at {
        Some(started) => (started - sent)
            .num_microseconds()
            .map_or(outside / 2.0, |us| us as f64 / 1000.0),
        None => outside / 2.0,
    };
    delay.clamp(0.0, outside)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Why a request got no HTTP answer, in a word the table can show.
fn no_answer(e: &reqwest::Error) -> &'static str {
    if e.is_timeout() {
        "timeout"
    } else if e.is_connect() {
        "unreachable"
    } else {
        "broken_answer"
    }
}
