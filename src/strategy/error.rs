//! What can go wrong with a booking, in the words of the domain: no HTTP here.
//!
//! Each variant is an outcome a client can act on (sold out, a stale fencing token, a lock that
//! could not be had) or a failure underneath (the database). [`BookingError::code`] is the stable
//! name the wire contract uses for it; the web layer alone decides which HTTP status it becomes.

use std::time::Duration;

use oversold_api::ErrorCode;

use crate::etcd::EtcdError;
use crate::lock::LockError;
use crate::store::UnknownEvent;

#[derive(Debug, thiserror::Error)]
pub enum BookingError {
    #[error(transparent)]
    UnknownEvent(#[from] UnknownEvent),

    #[error("event {event_id} is sold out")]
    SoldOut { event_id: i64 },

    /// Seats another booking holds; nothing was booked (a booking of seats is all or none).
    #[error("seat {} of event {event_id} is already taken; nothing was booked", seats.join(", "))]
    SeatTaken { event_id: i64, seats: Vec<String> },

    /// A writer whose fencing token is older than one the storage has already seen.
    #[error("fencing token {token} is stale: event {event_id} has already seen token {seen}")]
    StaleFence {
        event_id: i64,
        token: i64,
        seen: i64,
    },

    #[error("{0}")]
    Lock(#[from] LockError),

    /// The etcd lock could not be had: no quorum, or held by another for the whole wait.
    #[error("{0}")]
    Etcd(#[from] EtcdError),

    /// Optimistic writes that kept losing to other writers until their attempts ran out.
    #[error(
        "event {event_id} changed under each of {attempts} attempts; optimistic retries at most \
         {most} times and only while another attempt (race window {} ms) still ends within the lock \
         wait (LOCK_WAIT_MS, {} ms); try again",
        race_window.as_millis(),
        budget.as_millis()
    )]
    Contention {
        event_id: i64,
        attempts: u32,
        most: u32,
        race_window: Duration,
        budget: Duration,
    },

    /// The booking ran past the server's deadline and was abandoned, nothing written.
    #[error(
        "the booking of event {event_id} took longer than the server's limit of {} ms and was \
         abandoned, nothing booked; try again, or ask for a shorter race window",
        limit.as_millis()
    )]
    DeadlineExceeded { event_id: i64, limit: Duration },

    #[error("strategy {strategy} needs {needs}; this server runs on {running}")]
    Unsupported {
        strategy: oversold_api::StrategyName,
        needs: String,
        running: String,
    },

    #[error("the database failed: {0}")]
    Database(#[from] sqlx::Error),
}

impl BookingError {
    /// The lock's own error, when the lock is what failed.
    pub fn lock_error(&self) -> Option<&LockError> {
        match self {
            BookingError::Lock(e) => Some(e),
            _ => None,
        }
    }

    /// The stable machine-readable name clients switch on.
    pub fn code(&self) -> ErrorCode {
        match self {
            BookingError::UnknownEvent(_) => ErrorCode::NotFound,
            BookingError::SoldOut { .. } => ErrorCode::SoldOut,
            BookingError::SeatTaken { .. } => ErrorCode::SeatTaken,
            BookingError::StaleFence { .. } => ErrorCode::StaleFence,
            BookingError::Lock(LockError::QuorumNotReached { .. }) => ErrorCode::QuorumUnavailable,
            BookingError::Lock(LockError::Redis { .. } | LockError::InvalidUrl { .. }) => {
                ErrorCode::RedisUnavailable
            }
            BookingError::Lock(LockError::Expired { .. } | LockError::LeaseLost { .. }) => {
                ErrorCode::LockExpired
            }
            BookingError::Lock(LockError::Locked { .. }) => ErrorCode::LockTimeout,
            BookingError::Etcd(EtcdError::Locked { .. }) => ErrorCode::LockTimeout,
            BookingError::Etcd(EtcdError::QuorumUnavailable { .. }) => ErrorCode::QuorumUnavailable,
            BookingError::Etcd(EtcdError::NotConfigured | EtcdError::Refused { .. }) => {
                ErrorCode::EtcdUnavailable
            }
            BookingError::Contention { .. } => ErrorCode::Contention,
            BookingError::DeadlineExceeded { .. } => ErrorCode::BookingTimeout,
            BookingError::Unsupported { .. } => ErrorCode::UnsupportedStrategy,
            BookingError::Database(_) => ErrorCode::DatabaseError,
        }
    }
}
