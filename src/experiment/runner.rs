//! The fan-out: create the run's own event, fire every request at once over real HTTP, audit,
//! store.
//!
//! The requests go through the same routes a client uses (`POST /book/{strategy}/{id}`), to this
//! instance's own address or spread over it and its `--peers`, so an experiment measures exactly
//! what `test_concurrent` does. A barrier holds every request until all are ready, so they leave
//! together and the race is the strategy's, not the scheduler's.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use tokio::sync::Barrier;
use tracing::info;

use crate::store::UnknownEvent;
use crate::strategy::{BookingContext, Registry};
use crate::trace::Marks;

use super::storage::{self, Finished, NewRun};
use super::{Answer, Experiment, ExperimentError, Interference, SeatPlan, Spec, Target};

/// Runs experiments for one instance. Lives in the app state.
pub struct Runner {
    client: reqwest::Client,
    /// This instance's base URL as it can reach itself (loopback when bound to every address).
    self_url: String,
    /// The other instances' base URLs, without a trailing slash.
    peers: Vec<String>,
    /// The lab's admin token, which the bookings carry (see [`Runner::new`]).
    admin_token: Option<String>,
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
    seats: Vec<String>,
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

    /// Creates the run's own event with the spec's capacity, fires the requests, audits the event
    /// and stores the result. Nobody else books an event made a moment ago for one run, so two
    /// runs (from two people, two instances, or a load test on the shared events) never mix;
    /// should anything touch it all the same, the stored verdict says so.
    pub async fn run(
        &self,
        context: &BookingContext,
        spec: Spec,
    ) -> Result<Experiment, ExperimentError> {
        let targets = self.targets(spec.target)?;
        spec.strategy.check_supported(context.store.backend())?;
        let name = match spec.event_id {
            Some(id) => {
                let like = context.store.event(id).await?.ok_or(UnknownEvent(id))?;
                format!("{} (experiment)", like.name)
            }
            None => format!("experiment: {}", spec.strategy.as_str()),
        };
        let event = match spec.seats {
            None => context.store.create_event(&name, spec.capacity).await?,
            Some(plan) => {
                let names = seat_names(plan.seats);
                context.store.create_seat_map(&name, &names).await?
            }
        };
        let created_at = Utc::now();
        let id = storage::start(
            &context.store,
            NewRun {
                created_at,
                instance: &context.instance,
                strategy: spec.strategy.as_str(),
                event_id: event.id,
                requests: spec.requests as i64,
                capacity: spec.capacity,
                race_window_ms: spec.race_window_ms as i64,
                ttl_ms: spec.ttl_ms as i64,
                targets: &targets,
            },
        )
        .await?;
        let finished = self
            .fire_and_audit(context, &spec, id, event.id, &targets)
            .await;
        if finished.is_err() {
            // The page that waits for this run is told it will not finish; the error is the
            // caller's to show.
            let _ = storage::fail(&context.store, id).await;
        }
        finished
    }

    async fn fire_and_audit(
        &self,
        context: &BookingContext,
        spec: &Spec,
        id: i64,
        event_id: i64,
        targets: &[String],
    ) -> Result<Experiment, ExperimentError> {
        info!(
            id,
            strategy = spec.strategy.as_str(),
            requests = spec.requests,
            event_id,
            capacity = spec.capacity,
            targets = targets.len(),
            "experiment started"
        );
        // Long enough for the slowest request the server would still answer: the whole lock
        // wait, then its own hold.
        let timeout = context.retry.budget
            + Duration::from_millis(spec.race_window_ms)
            + Duration::from_secs(30);
        // Every booking names the run, so that the audit can tell the run's bookings from
        // anyone else's.
        let customer = format!("experiment {id} request");
        // The bookings carry the admin token the experiment was started with, so that its knobs
        // are not capped like a stranger's (the peers of a lab share one ADMIN_TOKEN).
        let sent = self
            .fire(
                spec,
                event_id,
                &customer,
                targets,
                timeout,
                self.admin_token.as_deref(),
            )
            .await;
        let answers = line_up(sent);
        let duration_ms = answers
            .iter()
            .map(|a| a.sent_ms + a.latency_ms)
            .fold(0.0, f64::max);
        let audit = context
            .store
            .audit(event_id)
            .await?
            .ok_or(UnknownEvent(event_id))?;
        let customers = storage::customers(&context.store, event_id).await?;
        let interference = interference(&customers, &customer, &answers);
        let experiment = storage::finish(
            &context.store,
            id,
            Finished {
                duration_ms,
                audit: &audit,
                answers: &answers,
                interference,
            },
        )
        .await?;
        info!(
            id,
            strategy = spec.strategy.as_str(),
            booked = audit.booked,
            oversold = audit.oversold,
            verdict = %experiment.summary.verdict.headline,
            "experiment finished"
        );
        Ok(experiment)
    }

    /// Sends the spec's requests for `event_id` at once, request `i` booking as `{customer} i`.
    async fn fire(
        &self,
        spec: &Spec,
        event_id: i64,
        customer: &str,
        targets: &[String],
        timeout: Duration,
        token: Option<&str>,
    ) -> Vec<Sent> {
        let barrier = Arc::new(Barrier::new(spec.requests));
        // On a seat map a strategy that can lock per seat does (the fine lock the map is for).
        let granularity = match spec.seats {
            Some(_) if spec.strategy.locks_per_seat() => "&granularity=seat",
            _ => "",
        };
        let path = format!(
            "/book/{}/{}?race_window_ms={}&ttl_ms={}{granularity}",
            spec.strategy.as_str(),
            event_id,
            spec.race_window_ms,
            spec.ttl_ms
        );
        let picks = spec.seats.map(|plan| picks(plan, spec.requests, event_id));
        let tasks: Vec<_> = (0..spec.requests)
            .map(|index| {
                let target = targets[index % targets.len()].clone();
                let mut body = json!({ "customer": format!("{customer} {}", index + 1) });
                let seats = picks.as_ref().map(|p| p[index].clone()).unwrap_or_default();
                if picks.is_some() {
                    body["seats"] = json!(seats);
                }
                let mut request = self
                    .client
                    .post(format!("{target}{path}"))
                    .json(&body)
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
                        seats,
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

/// The seats of an experiment's map: rows of ten, `A1`..`A10`, `B1`.., as a venue names them.
pub fn seat_names(seats: usize) -> Vec<String> {
    (0..seats)
        .map(|i| format!("{}{}", char::from(b'A' + (i / 10 % 26) as u8), i % 10 + 1))
        .collect()
}

/// Each request's seats: `plan.per_request` of the map at random, seeded by the run's event so
/// that a run is reproducible from its id, and overlapping, which is what a race needs.
fn picks(plan: SeatPlan, requests: usize, seed: i64) -> Vec<Vec<String>> {
    use rand::{seq::index::sample, SeedableRng};
    let names = seat_names(plan.seats);
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed as u64);
    (0..requests)
        .map(|_| {
            sample(&mut rng, plan.seats, plan.per_request)
                .into_iter()
                .map(|i| names[i].clone())
                .collect()
        })
        .collect()
}

/// What the audit found beside the run's own bookings: rows someone else made, and the run's own
/// `201 booked` answers whose rows are gone.
fn interference(customers: &[String], own: &str, answers: &[Answer]) -> Interference {
    let prefix = format!("{own} ");
    let mine = customers.iter().filter(|c| c.starts_with(&prefix)).count() as i64;
    let booked = answers.iter().filter(|a| a.status == 201).count() as i64;
    Interference {
        foreign_bookings: customers.len() as i64 - mine,
        missing_bookings: (booked - mine).max(0),
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
                seats: s.seats,
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
