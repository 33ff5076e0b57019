//! A typed client over one or more app instances, and the one barrier fan-out.
//!
//! Reads and admin calls go to the first target; bookings go where the caller says. The fan-out
//! ([`Client::fire_together`]) builds every request first, then holds each on a barrier so they
//! all leave together and the server's race window decides the rest, not the scheduler. It
//! spreads them round-robin over the targets and hands back every answer, typed, in request
//! order, with when it was sent: what the CLI tallies, what the tests count and what the
//! server's experiments draw their timeline from.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::Serialize;
use tokio::sync::Barrier;

use crate::audit::Audit;
use crate::booking::{BookBody, BookingAnswer, NoAnswer};
use crate::error::ErrorBody;
use crate::event::{EventView, NewEvent, Reset};
use crate::experiment::{Experiment, ExperimentInput, ExperimentSummary};
use crate::health::Health;
use crate::seats::{NewSeatMap, SeatMap};
use crate::strategy::StrategyInfo;

/// Why a call to the lab did not give what was asked.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// Nothing answers at a target.
    #[error("cannot reach {target} ({reason}). Is the lab running? Start it with ./start.sh")]
    Unreachable { target: String, reason: String },
    /// The lab answered but refused what we asked (unknown event, a reset without the admin
    /// token, ...), or answered something that is not the lab's JSON.
    #[error("{0}")]
    Refused(String),
    /// The HTTP client itself could not be built.
    #[error("could not build the HTTP client: {0}")]
    Build(#[source] reqwest::Error),
}

/// The lab at one or more base URLs (`http://127.0.0.1:8080`, no trailing slash).
#[derive(Clone, Debug)]
pub struct Client {
    http: reqwest::Client,
    targets: Vec<String>,
    /// Sent as `Authorization: Bearer` on the admin routes (resets, new events, experiments).
    admin_token: Option<String>,
}

/// `n` bookings to release together.
#[derive(Clone, Copy, Debug)]
pub struct FanOut<'a> {
    /// Request `i` goes to `targets[i % targets.len()]`.
    pub targets: &'a [String],
    /// The booking's path and query, e.g. from [`Route::path`](crate::Route::path).
    pub path: &'a str,
    pub requests: usize,
    /// Request `i` books as customer `"{customer}{i + 1}"`; without it no body is sent and the
    /// server names a guest.
    pub customer: Option<&'a str>,
    /// A deadline per request, over the client's own.
    pub timeout: Option<Duration>,
    /// At most this many requests outstanding at once: the first `in_flight` leave together
    /// from the barrier and each answer lets the next one go. `None`: all of them together.
    pub in_flight: Option<usize>,
}

/// One request of a fan-out: where it went, when, and how it was answered.
#[derive(Clone, Debug)]
pub struct Sent {
    /// The request's number, from 0.
    pub index: usize,
    pub target: String,
    /// When it left (the barrier released it), on this process's clock and on the wall clock.
    pub sent_at: Instant,
    pub sent_wall: DateTime<Utc>,
    /// From leaving to the whole answer read.
    pub latency: Duration,
    pub answer: BookingAnswer,
}

/// The target request `index` goes to: round-robin, so `n` requests over `k` targets put
/// `n / k` (or one more) on each.
pub fn round_robin(targets: &[String], index: usize) -> &str {
    &targets[index % targets.len()]
}

impl Client {
    /// A client with its own connection pool; `timeout` bounds every request.
    pub fn new(targets: Vec<String>, timeout: Duration) -> Result<Client, ClientError> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(Duration::from_secs(3))
            .pool_idle_timeout(POOL_IDLE)
            .build()
            .map_err(ClientError::Build)?;
        Ok(Client::with_http(http, targets))
    }

    /// A client over an HTTP client the caller built (its own pool size, timeouts).
    pub fn with_http(http: reqwest::Client, targets: Vec<String>) -> Client {
        assert!(!targets.is_empty(), "a client needs at least one target");
        Client {
            http,
            targets,
            admin_token: None,
        }
    }

    pub fn with_admin_token(mut self, token: Option<String>) -> Client {
        self.admin_token = token.filter(|t| !t.is_empty());
        self
    }

    pub fn targets(&self) -> &[String] {
        &self.targets
    }

    /// Where reads, resets and audits go.
    pub fn first(&self) -> &str {
        &self.targets[0]
    }

    /// The HTTP client every request of this client shares.
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// Asks every target's `/health`; any answer (even 503) means something listens.
    pub async fn check_reachable(&self) -> Result<(), ClientError> {
        for target in &self.targets {
            self.http
                .get(format!("{target}/health"))
                .send()
                .await
                .map_err(|e| unreachable(target, &e))?;
        }
        Ok(())
    }

    /// `GET /health` of `target`, 200 and 503 alike (the body says what is down).
    pub async fn health_of(&self, target: &str) -> Result<Health, ClientError> {
        let url = format!("{target}/health");
        let response = self
            .http
            .get(&url)
            .send()
            .await
            .map_err(|e| unreachable(target, &e))?;
        let status = response.status();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| unreachable(target, &e))?;
        serde_json::from_slice(&bytes).map_err(|e| not_the_lab("GET", &url, status, target, &e))
    }

    /// The strategies in the server's order, with their expected rows.
    pub async fn strategies(&self) -> Result<Vec<StrategyInfo>, ClientError> {
        self.get(self.first(), "/strategies").await
    }

    /// Every event, page after page (`GET /events` answers at most a page, and a `Link`
    /// header to the next while there are more).
    pub async fn events(&self) -> Result<Vec<EventView>, ClientError> {
        let mut all = Vec::new();
        let mut path = format!("/events?limit={EVENTS_PAGE}");
        loop {
            let url = format!("{}{path}", self.first());
            let response = self
                .http
                .get(&url)
                .send()
                .await
                .map_err(|e| unreachable(self.first(), &e))?;
            let next = response
                .headers()
                .get(reqwest::header::LINK)
                .and_then(|v| v.to_str().ok())
                .and_then(next_link);
            let status = response.status();
            let bytes = response
                .bytes()
                .await
                .map_err(|e| unreachable(self.first(), &e))?;
            if !status.is_success() {
                return Err(ClientError::Refused(format!("GET {url} answered {status}")));
            }
            let page: Vec<EventView> = serde_json::from_slice(&bytes)
                .map_err(|e| not_the_lab("GET", &url, status, self.first(), &e))?;
            all.extend(page);
            match next {
                Some(next) => path = next,
                None => return Ok(all),
            }
        }
    }

    pub async fn event(&self, id: i64) -> Result<EventView, ClientError> {
        self.get(self.first(), &format!("/events/{id}")).await
    }

    /// The event's audit, from the first target.
    pub async fn audit(&self, id: i64) -> Result<Audit, ClientError> {
        self.audit_on(self.first(), id).await
    }

    /// The event's audit from `target` (any instance reads the same database).
    pub async fn audit_on(&self, target: &str, id: i64) -> Result<Audit, ClientError> {
        let view: EventView = self.get(target, &format!("/events/{id}")).await?;
        Ok(view.audit)
    }

    pub async fn create_event(&self, new: &NewEvent) -> Result<EventView, ClientError> {
        self.admin_post(self.first(), "/events", Some(new)).await
    }

    /// `POST /events` with named seats: an event whose capacity is its number of seats.
    pub async fn create_seat_map(&self, new: &NewSeatMap) -> Result<EventView, ClientError> {
        self.admin_post(self.first(), "/events", Some(new)).await
    }

    /// `GET /events/{id}/seats`: every seat with the bookings that hold it.
    pub async fn seat_map(&self, id: i64) -> Result<SeatMap, ClientError> {
        self.get(self.first(), &format!("/events/{id}/seats")).await
    }

    /// One booking of `seats` at `target`, all or none; like [`book`](Self::book), a failure of
    /// any kind is an answer.
    pub async fn book_seats(
        &self,
        target: &str,
        path: &str,
        customer: Option<&str>,
        seats: &[String],
    ) -> BookingAnswer {
        let body = BookBody {
            customer: customer.map(str::to_string),
            seats: Some(seats.to_vec()),
        };
        send(self.http.post(format!("{target}{path}")).json(&body)).await
    }

    /// `POST /reset/{id}` on the first target: no bookings, `capacity` tickets (or as many as
    /// the event had).
    pub async fn reset(&self, id: i64, capacity: Option<i64>) -> Result<EventView, ClientError> {
        self.reset_on(self.first(), id, capacity).await
    }

    pub async fn reset_on(
        &self,
        target: &str,
        id: i64,
        capacity: Option<i64>,
    ) -> Result<EventView, ClientError> {
        let body = Reset { capacity };
        self.admin_post(target, &format!("/reset/{id}"), Some(&body))
            .await
    }

    /// One booking at `target`; a failure of any kind is an answer, not an error.
    pub async fn book(&self, target: &str, path: &str, customer: Option<&str>) -> BookingAnswer {
        let request = self.booking(target, path, customer.map(str::to_string));
        send(request).await
    }

    pub async fn experiments(&self) -> Result<Vec<ExperimentSummary>, ClientError> {
        self.get(self.first(), "/experiments").await
    }

    pub async fn experiment(&self, id: i64) -> Result<Experiment, ClientError> {
        self.get(self.first(), &format!("/experiments/{id}")).await
    }

    /// `POST /experiments` on the first target: the server runs it and answers when it is done.
    pub async fn run_experiment(&self, input: &ExperimentInput) -> Result<Experiment, ClientError> {
        self.admin_post(self.first(), "/experiments", Some(input))
            .await
    }

    /// Sends `fan_out.requests` bookings, round-robin over its targets, released together (or
    /// `in_flight` at a time, the first wave together), and returns every answer in request
    /// order.
    pub async fn fire_together(&self, fan_out: FanOut<'_>) -> Vec<Sent> {
        let in_flight = fan_out
            .in_flight
            .unwrap_or(fan_out.requests)
            .clamp(1, fan_out.requests.max(1));
        // A permit per request in flight: each answer frees one for the next request.
        let barrier = Arc::new(Barrier::new(in_flight));
        let slots = Arc::new(tokio::sync::Semaphore::new(in_flight));
        let tasks = (0..fan_out.requests).map(|index| {
            let target = round_robin(fan_out.targets, index).to_string();
            let customer = fan_out.customer.map(|c| format!("{c}{}", index + 1));
            let mut request = self.booking(&target, fan_out.path, customer);
            if let Some(timeout) = fan_out.timeout {
                request = request.timeout(timeout);
            }
            let barrier = barrier.clone();
            let slots = slots.clone();
            // The first wave's permits are taken here, in request order, so exactly requests
            // 0..in_flight meet at the barrier; the rest queue for a freed one in the task.
            let first_wave = (index < in_flight).then(|| {
                slots
                    .clone()
                    .try_acquire_owned()
                    .expect("a permit for every request of the first wave")
            });
            tokio::spawn(async move {
                let _slot = match first_wave {
                    Some(permit) => {
                        barrier.wait().await;
                        Some(permit)
                    }
                    None => slots.acquire_owned().await.ok(),
                };
                let (sent_at, sent_wall) = (Instant::now(), Utc::now());
                let answer = send(request).await;
                Sent {
                    index,
                    target,
                    sent_at,
                    sent_wall,
                    latency: sent_at.elapsed(),
                    answer,
                }
            })
        });
        let joined = futures_util::future::join_all(tasks.collect::<Vec<_>>()).await;
        joined
            .into_iter()
            // A request task only panics when the runtime shuts down; the caller ends with it.
            .filter_map(Result::ok)
            .collect()
    }

    fn booking(
        &self,
        target: &str,
        path: &str,
        customer: Option<String>,
    ) -> reqwest::RequestBuilder {
        let request = self.http.post(format!("{target}{path}"));
        match customer {
            Some(customer) => request.json(&BookBody {
                customer: Some(customer),
                ..BookBody::default()
            }),
            None => request,
        }
    }

    async fn get<T: DeserializeOwned>(&self, target: &str, path: &str) -> Result<T, ClientError> {
        let url = format!("{target}{path}");
        let request = self.http.get(&url);
        read(request, "GET", &url, target).await
    }

    async fn admin_post<B: Serialize, T: DeserializeOwned>(
        &self,
        target: &str,
        path: &str,
        body: Option<&B>,
    ) -> Result<T, ClientError> {
        let url = format!("{target}{path}");
        let mut request = self.http.post(&url);
        if let Some(body) = body {
            request = request.json(body);
        }
        if let Some(token) = &self.admin_token {
            request = request.bearer_auth(token);
        }
        read(request, "POST", &url, target).await
    }
}

/// How long a pooled connection may sit idle: less than the server's keep-alive (actix's 5 s),
/// so the client never sends a booking on a connection the server is closing, which would come
/// back as "connection closed before message completed" with the booking's fate unknown.
pub const POOL_IDLE: Duration = Duration::from_secs(3);

/// How many events one page of [`Client::events`] asks for (the server's most).
const EVENTS_PAGE: usize = 1000;

/// The path of the `rel="next"` link of a `Link` header, e.g. `</events?after=3>; rel="next"`.
fn next_link(header: &str) -> Option<String> {
    header.split(',').find_map(|link| {
        let (target, params) = link.split_once(';')?;
        params
            .split(';')
            .any(|p| p.trim() == "rel=\"next\"")
            .then(|| {
                target
                    .trim()
                    .trim_start_matches('<')
                    .trim_end_matches('>')
                    .to_string()
            })
    })
}

/// Sends one booking and reads its answer, whatever it is.
async fn send(request: reqwest::RequestBuilder) -> BookingAnswer {
    match request.send().await {
        Ok(response) => BookingAnswer::read(response).await,
        Err(e) => BookingAnswer::NoAnswer {
            why: NoAnswer::of(&e),
            detail: describe(&e),
        },
    }
}

/// A successful answer as `T`; a refusal with the server's message.
async fn read<T: DeserializeOwned>(
    request: reqwest::RequestBuilder,
    method: &str,
    url: &str,
    target: &str,
) -> Result<T, ClientError> {
    let response = request.send().await.map_err(|e| unreachable(target, &e))?;
    let status = response.status();
    let bytes = response
        .bytes()
        .await
        .map_err(|e| unreachable(target, &e))?;
    if !status.is_success() {
        return Err(match serde_json::from_slice::<ErrorBody>(&bytes) {
            Ok(body) => ClientError::Refused(format!(
                "{method} {url} answered {status}: {}",
                body.message
            )),
            Err(_) => ClientError::Refused(format!(
                "{method} {url} answered {status} without JSON; is {target} the oversold lab?"
            )),
        });
    }
    serde_json::from_slice(&bytes).map_err(|e| not_the_lab(method, url, status, target, &e))
}

fn not_the_lab(
    method: &str,
    url: &str,
    status: reqwest::StatusCode,
    target: &str,
    e: &serde_json::Error,
) -> ClientError {
    ClientError::Refused(format!(
        "{method} {url} answered {status} with a body this client does not read ({e}); \
         is {target} the oversold lab, of this version?"
    ))
}

fn unreachable(target: &str, e: &reqwest::Error) -> ClientError {
    ClientError::Unreachable {
        target: target.to_string(),
        reason: describe(e),
    }
}

/// Why a request got no answer, in a few plain words: "connection refused", "timed out", ...
///
/// reqwest's own message is "error sending request"; the deepest cause says what happened.
pub fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        return "timed out".to_string();
    }
    let mut deepest = e.to_string();
    let mut source: Option<&dyn std::error::Error> = std::error::Error::source(e);
    while let Some(cause) = source {
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            match io.kind() {
                std::io::ErrorKind::ConnectionRefused => return "connection refused".to_string(),
                std::io::ErrorKind::ConnectionReset => return "connection reset".to_string(),
                std::io::ErrorKind::TimedOut => return "timed out".to_string(),
                _ => {}
            }
        }
        deepest = cause.to_string();
        source = cause.source();
    }
    plain(&deepest)
}

/// "Connection refused (os error 111)" -> "connection refused".
fn plain(message: &str) -> String {
    let message = match message.rfind(" (os error ") {
        Some(at) if message.ends_with(')') => &message[..at],
        _ => message,
    };
    let mut chars = message.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_go_round_robin_over_the_targets() {
        let targets = vec!["http://a".to_string(), "http://b".to_string()];
        let went: Vec<&str> = (0..5).map(|i| round_robin(&targets, i)).collect();
        assert_eq!(
            went,
            ["http://a", "http://b", "http://a", "http://b", "http://a"]
        );
        assert_eq!(round_robin(&targets[..1], 7), "http://a");
    }

    #[test]
    fn the_next_page_is_read_from_the_link_header() {
        assert_eq!(
            next_link(r#"</events?limit=100&after=100>; rel="next""#).as_deref(),
            Some("/events?limit=100&after=100")
        );
        assert_eq!(
            next_link(r#"</a>; rel="prev", </b>; rel="next""#).as_deref(),
            Some("/b")
        );
        assert_eq!(next_link(r#"</a>; rel="prev""#), None);
    }

    #[test]
    fn os_errors_read_as_plain_words() {
        assert_eq!(
            plain("Connection refused (os error 111)"),
            "connection refused"
        );
        assert_eq!(
            plain("failed to lookup address information: Name or service not known"),
            "failed to lookup address information: Name or service not known"
        );
    }

    #[test]
    fn an_unreachable_target_says_how_to_start_the_lab() {
        let e = ClientError::Unreachable {
            target: "http://127.0.0.1:8080".into(),
            reason: "connection refused".into(),
        };
        assert_eq!(
            e.to_string(),
            "cannot reach http://127.0.0.1:8080 (connection refused). \
             Is the lab running? Start it with ./start.sh"
        );
    }
}
