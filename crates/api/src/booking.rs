//! A booking on the wire: the routes and their knobs, the body sent, the 201 answer with its
//! trace marks, and [`BookingAnswer`], every way one booking request can end as a client sees it.

use serde::{Deserialize, Serialize};

use crate::error::{ErrorBody, ErrorCode};
use crate::strategy::StrategyName;

/// The optional body of `POST /book...`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookBody {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer: Option<String>,
    /// The seats to book, all or none, on an event with a seat map (which needs them; an event
    /// without one refuses them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seats: Option<Vec<String>>,
}

/// A booking row as it was written.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Booking {
    pub id: uuid::Uuid,
    pub event_id: i64,
    pub customer: String,
    pub strategy: StrategyName,
    /// The instance that wrote it.
    pub instance: String,
    pub fence_token: Option<i64>,
}

/// What happened inside one booking, and when (ms since the server took the request). A mark is
/// absent when the strategy has no such moment (`no-lock` takes no lock).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Marks {
    /// The instance that served the request.
    pub instance: String,
    /// The server's wall clock when it took the request: lines up answers from several
    /// instances on one machine, where each one's marks are relative.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<chrono::DateTime<chrono::Utc>>,
    /// When the lock (Redis lease, mutex, row or advisory lock) was ours.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lock_acquired_ms: Option<f64>,
    /// Attempts the lock took, the successful one included (Redis and etcd locks only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lock_attempts: Option<u32>,
    /// When the lease ends if nobody extends or releases it (Redis and etcd locks only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lease_ends_ms: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fence_token: Option<i64>,
    /// When `available` was read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_ms: Option<f64>,
    /// When the write began, after the race window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub write_started_ms: Option<f64>,
    /// When the write committed (or was refused).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub write_done_ms: Option<f64>,
    /// When the lock was let go.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub released_ms: Option<f64>,
    /// The release found the lease already gone: another request may have held the lock too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lease_expired: Option<bool>,
    /// From taking the request to answering it.
    pub total_ms: f64,
}

impl Marks {
    /// How long the lock was held, when it was taken and let go.
    pub fn hold_ms(&self) -> Option<f64> {
        Some(self.released_ms? - self.lock_acquired_ms?)
    }
}

/// The 201 body of a booking.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Booked {
    pub booking: Booking,
    /// From taking the request to holding the lock, when the strategy takes one.
    pub lock_wait_ms: Option<f64>,
    pub elapsed_ms: f64,
    pub trace: Marks,
}

/// The per-request knobs, sent in the query string; `None` leaves the server's default.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Knobs {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub race_window_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl_ms: Option<u64>,
}

impl Knobs {
    /// `?race_window_ms=..&ttl_ms=..` with the knobs that are set, or nothing.
    pub fn query(&self) -> String {
        let knobs: Vec<String> = [
            ("race_window_ms", self.race_window_ms),
            ("ttl_ms", self.ttl_ms),
        ]
        .into_iter()
        .filter_map(|(name, value)| value.map(|v| format!("{name}={v}")))
        .collect();
        if knobs.is_empty() {
            String::new()
        } else {
            format!("?{}", knobs.join("&"))
        }
    }
}

/// The three booking routes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Route {
    /// `POST /book-no-lock/{id}`.
    NoLock,
    /// `POST /book-with-lock/{id}`: the Redis lock (the `redis` strategy).
    WithLock,
    /// `POST /book/{strategy}/{id}`.
    Strategy(StrategyName),
}

impl Route {
    /// The route with `{id}` standing for the event, as the reports show it.
    pub fn template(&self) -> String {
        match self {
            Route::NoLock => "/book-no-lock/{id}".to_string(),
            Route::WithLock => "/book-with-lock/{id}".to_string(),
            Route::Strategy(name) => format!("/book/{name}/{{id}}"),
        }
    }

    /// The path and query of one booking of `event`.
    pub fn path(&self, event: i64, knobs: Knobs) -> String {
        let path = self.template().replace("{id}", &event.to_string());
        format!("{path}{}", knobs.query())
    }

    /// The strategy the server books with on this route.
    pub fn strategy(&self) -> StrategyName {
        match self {
            Route::NoLock => StrategyName::NoLock,
            Route::WithLock => StrategyName::Redis,
            Route::Strategy(name) => *name,
        }
    }
}

/// Why a request got no HTTP answer; the wire words of an experiment's answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoAnswer {
    Timeout,
    /// Nothing listened, or the connection could not be made.
    Unreachable,
    /// The connection broke before a whole answer came.
    BrokenAnswer,
}

impl NoAnswer {
    pub fn of(e: &reqwest::Error) -> NoAnswer {
        if e.is_timeout() {
            NoAnswer::Timeout
        } else if e.is_connect() {
            NoAnswer::Unreachable
        } else {
            NoAnswer::BrokenAnswer
        }
    }
}

/// How one booking request ended, as the client saw it.
#[derive(Clone, Debug, PartialEq)]
pub enum BookingAnswer {
    /// 201 with the booking and its trace.
    Booked(Booked),
    /// An error status with the lab's error body.
    Refused { status: u16, body: ErrorBody },
    /// A status whose body is not one the lab sends (a proxy's page, a cut-off body).
    Unreadable { status: u16 },
    /// No HTTP answer at all; `detail` says why in a few plain words.
    NoAnswer { why: NoAnswer, detail: String },
}

impl BookingAnswer {
    /// Reads a whole response: a 201 must be a booking, anything else an error body.
    pub async fn read(response: reqwest::Response) -> BookingAnswer {
        let status = response.status().as_u16();
        let bytes = match response.bytes().await {
            Ok(bytes) => bytes,
            Err(e) => {
                return BookingAnswer::NoAnswer {
                    why: NoAnswer::of(&e),
                    detail: crate::client::describe(&e),
                }
            }
        };
        BookingAnswer::parse(status, &bytes)
    }

    /// An answer from its status and body.
    pub fn parse(status: u16, body: &[u8]) -> BookingAnswer {
        if status == 201 {
            if let Ok(booked) = serde_json::from_slice(body) {
                return BookingAnswer::Booked(booked);
            }
        } else if let Ok(body) = serde_json::from_slice(body) {
            return BookingAnswer::Refused { status, body };
        }
        BookingAnswer::Unreadable { status }
    }

    /// The HTTP status; `None` when no answer came.
    pub fn status(&self) -> Option<u16> {
        match self {
            BookingAnswer::Booked(_) => Some(201),
            BookingAnswer::Refused { status, .. } | BookingAnswer::Unreadable { status } => {
                Some(*status)
            }
            BookingAnswer::NoAnswer { .. } => None,
        }
    }

    /// The error code of a refused booking.
    pub fn error_code(&self) -> Option<ErrorCode> {
        match self {
            BookingAnswer::Refused { body, .. } => Some(body.error),
            _ => None,
        }
    }

    /// The server's marks, on a 201 and on a refusal alike.
    pub fn trace(&self) -> Option<&Marks> {
        match self {
            BookingAnswer::Booked(booked) => Some(&booked.trace),
            BookingAnswer::Refused { body, .. } => body.trace.as_ref(),
            _ => None,
        }
    }

    pub fn booked(&self) -> Option<&Booked> {
        match self {
            BookingAnswer::Booked(booked) => Some(booked),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 201 exactly as the server answers one (`POST /book/fenced/1`).
    const BOOKED: &str = r#"{"booking":{"id":"0b6f2d2e-8c1f-4d59-9a55-8a3f2d1c9e10","event_id":1,
        "customer":"test_concurrent #1","strategy":"fenced","instance":"app-1","fence_token":7},
        "lock_wait_ms":0.8,"elapsed_ms":210.5,
        "trace":{"instance":"app-1","started_at":"2025-01-02T03:04:05.123456Z",
        "lock_acquired_ms":0.8,"lock_attempts":1,"lease_ends_ms":10000.8,"fence_token":7,
        "read_ms":1.1,"write_started_ms":201.2,"write_done_ms":209.9,"released_ms":210.2,
        "lease_expired":false,"total_ms":210.5}}"#;

    #[test]
    fn a_201_reads_as_a_booking_with_its_trace_and_writes_back_the_same() {
        let answer = BookingAnswer::parse(201, BOOKED.as_bytes());
        let booked = answer.booked().expect("a booking");
        assert_eq!(booked.booking.strategy, StrategyName::Fenced);
        assert_eq!(booked.trace.fence_token, Some(7));
        assert!((booked.trace.hold_ms().unwrap() - 209.4).abs() < 1e-9);
        let again = serde_json::to_value(booked).unwrap();
        assert_eq!(
            again,
            serde_json::from_str::<serde_json::Value>(BOOKED).unwrap()
        );
    }

    #[test]
    fn a_refusal_keeps_its_code_and_a_foreign_body_is_unreadable() {
        let sold_out = BookingAnswer::parse(
            409,
            br#"{"error":"sold_out","message":"event 1 is sold out","trace":{"instance":"a","total_ms":1.0}}"#,
        );
        assert_eq!(sold_out.error_code(), Some(ErrorCode::SoldOut));
        assert_eq!(sold_out.trace().unwrap().instance, "a");
        assert_eq!(
            BookingAnswer::parse(502, b"<html>Bad Gateway</html>"),
            BookingAnswer::Unreadable { status: 502 }
        );
        assert_eq!(
            BookingAnswer::parse(201, b"{}").status(),
            Some(201),
            "a 201 without a booking is still a 201"
        );
    }

    #[test]
    fn knobs_become_a_query_string_only_when_given() {
        let fenced = Route::Strategy(StrategyName::Fenced);
        assert_eq!(fenced.path(3, Knobs::default()), "/book/fenced/3");
        let both = Knobs {
            race_window_ms: Some(500),
            ttl_ms: Some(100),
        };
        assert_eq!(
            fenced.path(3, both),
            "/book/fenced/3?race_window_ms=500&ttl_ms=100"
        );
        let no_wait = Knobs {
            race_window_ms: Some(0),
            ttl_ms: None,
        };
        assert_eq!(
            Route::NoLock.path(1, no_wait),
            "/book-no-lock/1?race_window_ms=0"
        );
        assert_eq!(Route::WithLock.template(), "/book-with-lock/{id}");
        assert_eq!(Route::WithLock.strategy(), StrategyName::Redis);
    }
}
