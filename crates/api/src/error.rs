//! The error codes clients switch on, and the JSON body every failure answers with:
//! `{"error": code, "message": text}`, plus `"trace"` on the booking routes.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::booking::Marks;

/// Every code the server answers with; the wire form is the snake_case name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// 400: a field out of range or malformed (`POST /events`, resets, experiments).
    InvalidInput,
    /// 400: a body that is not JSON, or JSON of the wrong shape.
    InvalidJson,
    /// 400: a body that could not be read.
    InvalidBody,
    /// 400: a path segment that is not a number where one is needed.
    InvalidPath,
    /// 400: a query string that does not parse.
    InvalidQuery,
    /// 400: a knob (`race_window_ms`, `ttl_ms`) out of its range.
    InvalidKnob,
    /// 400: a dashboard form that does not parse.
    InvalidForm,
    /// 400: a seat a booking or a new seat map names is unknown, repeated, empty or one too
    /// many, or seats where the event has no map (the message names the seat and why).
    InvalidSeat,
    /// 401: an admin route without the admin token.
    Unauthorized,
    /// 403: an admin route with a token that is not the admin token.
    Forbidden,
    /// 404: no such event, strategy, experiment or route.
    NotFound,
    MethodNotAllowed,
    PayloadTooLarge,
    /// 415: a body of a type the route does not take (a form or text/plain on a JSON route).
    UnsupportedMediaType,
    /// 409: no ticket left.
    SoldOut,
    /// 409: a seat the booking names is already held (the message names it); nothing booked.
    SeatTaken,
    /// 409: a late lock holder turned away by the fencing check.
    StaleFence,
    /// 409: the lock's lease ran out while it was held.
    LockExpired,
    /// 503: the lock could not be had within its wait budget.
    LockTimeout,
    /// 503: fewer Redlock nodes than a quorum answered.
    QuorumUnavailable,
    /// 503: the Redis node could not be reached.
    RedisUnavailable,
    /// 503: no etcd endpoint is configured, or etcd refused the lock's request.
    EtcdUnavailable,
    /// 503: optimistic writes kept losing until their attempts ran out.
    Contention,
    /// 503: the booking ran past the server's deadline and was abandoned, nothing booked.
    BookingTimeout,
    /// 501: the strategy cannot run on this server's database.
    UnsupportedStrategy,
    /// 500 (or 503 when the database cannot be reached).
    DatabaseError,
    /// 403: a room action by a browser that has not joined the room (`/join`).
    NotJoined,
    /// 409: a tap when no round of the room is open.
    RoundClosed,
    /// 409: a second tap by the same participant in one round.
    AlreadyTapped,
}

impl ErrorCode {
    pub const ALL: &'static [ErrorCode] = &[
        ErrorCode::InvalidInput,
        ErrorCode::InvalidJson,
        ErrorCode::InvalidBody,
        ErrorCode::InvalidPath,
        ErrorCode::InvalidQuery,
        ErrorCode::InvalidKnob,
        ErrorCode::InvalidForm,
        ErrorCode::InvalidSeat,
        ErrorCode::Unauthorized,
        ErrorCode::Forbidden,
        ErrorCode::NotFound,
        ErrorCode::MethodNotAllowed,
        ErrorCode::PayloadTooLarge,
        ErrorCode::UnsupportedMediaType,
        ErrorCode::SoldOut,
        ErrorCode::SeatTaken,
        ErrorCode::StaleFence,
        ErrorCode::LockExpired,
        ErrorCode::LockTimeout,
        ErrorCode::QuorumUnavailable,
        ErrorCode::RedisUnavailable,
        ErrorCode::EtcdUnavailable,
        ErrorCode::Contention,
        ErrorCode::BookingTimeout,
        ErrorCode::UnsupportedStrategy,
        ErrorCode::DatabaseError,
        ErrorCode::NotJoined,
        ErrorCode::RoundClosed,
        ErrorCode::AlreadyTapped,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidInput => "invalid_input",
            ErrorCode::InvalidJson => "invalid_json",
            ErrorCode::InvalidBody => "invalid_body",
            ErrorCode::InvalidPath => "invalid_path",
            ErrorCode::InvalidQuery => "invalid_query",
            ErrorCode::InvalidKnob => "invalid_knob",
            ErrorCode::InvalidForm => "invalid_form",
            ErrorCode::InvalidSeat => "invalid_seat",
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::NotFound => "not_found",
            ErrorCode::MethodNotAllowed => "method_not_allowed",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::UnsupportedMediaType => "unsupported_media_type",
            ErrorCode::SoldOut => "sold_out",
            ErrorCode::SeatTaken => "seat_taken",
            ErrorCode::StaleFence => "stale_fence",
            ErrorCode::LockExpired => "lock_expired",
            ErrorCode::LockTimeout => "lock_timeout",
            ErrorCode::QuorumUnavailable => "quorum_unavailable",
            ErrorCode::RedisUnavailable => "redis_unavailable",
            ErrorCode::EtcdUnavailable => "etcd_unavailable",
            ErrorCode::Contention => "contention",
            ErrorCode::BookingTimeout => "booking_timeout",
            ErrorCode::UnsupportedStrategy => "unsupported_strategy",
            ErrorCode::DatabaseError => "database_error",
            ErrorCode::NotJoined => "not_joined",
            ErrorCode::RoundClosed => "round_closed",
            ErrorCode::AlreadyTapped => "already_tapped",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ErrorCode {
    type Err = UnknownName;

    fn from_str(code: &str) -> Result<ErrorCode, UnknownName> {
        ErrorCode::ALL
            .iter()
            .copied()
            .find(|c| c.as_str() == code)
            .ok_or_else(|| {
                UnknownName::new(
                    "error code",
                    code,
                    ErrorCode::ALL.iter().map(|c| c.as_str()),
                )
            })
    }
}

/// Every error answer's body.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: ErrorCode,
    pub message: String,
    /// What happened inside a booking that failed (booking routes only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace: Option<Marks>,
}

/// A name that is none of the known ones; the message lists them.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} {given:?}; choose one of: {known}")]
pub struct UnknownName {
    what: &'static str,
    given: String,
    known: String,
}

impl UnknownName {
    pub(crate) fn new<'a>(
        what: &'static str,
        given: &str,
        known: impl Iterator<Item = &'a str>,
    ) -> UnknownName {
        UnknownName {
            what,
            given: given.to_string(),
            known: known.collect::<Vec<_>>().join(", "),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_reads_and_prints_as_its_wire_name() {
        for code in ErrorCode::ALL {
            let wire = serde_json::to_string(code).unwrap();
            assert_eq!(wire, format!("\"{code}\""));
            assert_eq!(code.as_str().parse::<ErrorCode>().unwrap(), *code);
            assert_eq!(serde_json::from_str::<ErrorCode>(&wire).unwrap(), *code);
        }
    }

    #[test]
    fn a_refused_booking_body_reads_with_its_trace_and_others_without() {
        let sold_out: ErrorBody = serde_json::from_str(
            r#"{"error":"sold_out","message":"event 1 is sold out",
                "trace":{"instance":"app-1","read_ms":0.4,"total_ms":1.2}}"#,
        )
        .unwrap();
        assert_eq!(sold_out.error, ErrorCode::SoldOut);
        assert_eq!(sold_out.trace.unwrap().instance, "app-1");
        let not_found: ErrorBody =
            serde_json::from_str(r#"{"error":"not_found","message":"event 9 does not exist"}"#)
                .unwrap();
        assert_eq!(not_found.trace, None);
        let again = serde_json::to_string(&not_found).unwrap();
        assert_eq!(
            again,
            r#"{"error":"not_found","message":"event 9 does not exist"}"#
        );
    }
}
