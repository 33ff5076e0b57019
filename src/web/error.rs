//! The one HTTP error type and its one mapping to status codes, inside the web layer.
//!
//! Every failure a request can meet ends up as an [`ApiError`]: input the routes refuse, and the
//! domain's [`BookingError`] and [`ExperimentError`] wrapped as they are. `status_code()` and
//! `code()` decide what the client sees, always a JSON body `{"error": code, "message": text}`;
//! the `Display` text is the plain message for users, and the log line carries the source for
//! operators.

use std::time::Duration;

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use oversold_api::{ErrorBody, ErrorCode};

use crate::experiment::ExperimentError;
use crate::lock::LockError;
use crate::room::RoomError;
use crate::store::UnknownEvent;
use crate::strategy::BookingError;
use crate::trace::Marks;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// Input the API cannot accept; `code` names the kind (`invalid_input`, `invalid_json`, ...).
    #[error("{message}")]
    BadRequest { code: ErrorCode, message: String },

    #[error("{0}")]
    NotFound(String),

    /// An admin route asked for without the admin token.
    #[error("{0}")]
    Unauthorized(String),

    /// An admin route asked for with a token that is not the admin token.
    #[error("{0}")]
    Forbidden(String),

    #[error("method {method} is not allowed on {path}")]
    MethodNotAllowed { method: String, path: String },

    #[error("the request body is larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },

    /// A body of a media type the route does not take (a form or text/plain on a JSON route).
    #[error("{0}")]
    UnsupportedMediaType(String),

    #[error(transparent)]
    Booking(#[from] BookingError),

    #[error("the database failed: {0}")]
    Database(#[from] sqlx::Error),

    /// A refused room action (a bad name, no open round, a second tap).
    #[error("{0}")]
    Room(RoomError),
}

impl From<RoomError> for ApiError {
    fn from(error: RoomError) -> ApiError {
        match error {
            RoomError::Booking(e) => ApiError::Booking(e),
            RoomError::Database(e) => ApiError::Database(e),
            other => ApiError::Room(other),
        }
    }
}

impl From<UnknownEvent> for ApiError {
    fn from(unknown: UnknownEvent) -> ApiError {
        ApiError::NotFound(format!("{unknown}; GET /events lists the events"))
    }
}

impl From<ExperimentError> for ApiError {
    fn from(error: ExperimentError) -> ApiError {
        match error {
            ExperimentError::Invalid(message) => {
                ApiError::bad_request(ErrorCode::InvalidInput, message)
            }
            ExperimentError::UnknownEvent(unknown) => unknown.into(),
            ExperimentError::Booking(e) => ApiError::Booking(e),
            ExperimentError::Database(e) => ApiError::Database(e),
        }
    }
}

impl ApiError {
    pub fn bad_request(code: ErrorCode, message: impl Into<String>) -> ApiError {
        ApiError::BadRequest {
            code,
            message: message.into(),
        }
    }

    /// The stable machine-readable name clients switch on.
    pub fn code(&self) -> ErrorCode {
        match self {
            ApiError::BadRequest { code, .. } => *code,
            ApiError::NotFound(_) => ErrorCode::NotFound,
            ApiError::Unauthorized(_) => ErrorCode::Unauthorized,
            ApiError::Forbidden(_) => ErrorCode::Forbidden,
            ApiError::MethodNotAllowed { .. } => ErrorCode::MethodNotAllowed,
            ApiError::PayloadTooLarge { .. } => ErrorCode::PayloadTooLarge,
            ApiError::UnsupportedMediaType(_) => ErrorCode::UnsupportedMediaType,
            ApiError::Booking(e) => e.code(),
            ApiError::Database(_) => ErrorCode::DatabaseError,
            ApiError::Room(e) => match e {
                RoomError::NotJoined => ErrorCode::NotJoined,
                RoomError::NoOpenRound => ErrorCode::RoundClosed,
                RoomError::AlreadyTapped { .. } => ErrorCode::AlreadyTapped,
                RoomError::Booking(e) => e.code(),
                RoomError::Database(_) => ErrorCode::DatabaseError,
                RoomError::InvalidName | RoomError::Full | RoomError::Invalid(_) => {
                    ErrorCode::InvalidInput
                }
            },
        }
    }

    /// The lock's own error, when a booking failed for want of its lock.
    pub fn lock_error(&self) -> Option<&LockError> {
        match self {
            ApiError::Booking(e) => e.lock_error(),
            _ => None,
        }
    }

    /// Seconds a client should wait before trying again, for the answers that are worth a retry.
    fn retry_after(&self) -> Option<Duration> {
        match self {
            // Contention clears in about one critical section, so a busy lock asks for a short
            // wait; a missing node needs a person to start it, so node trouble asks for longer.
            ApiError::Booking(BookingError::Lock(
                LockError::Locked { .. } | LockError::Expired { .. } | LockError::LeaseLost { .. },
            )) => Some(Duration::from_secs(1)),
            ApiError::Booking(BookingError::Lock(
                LockError::QuorumNotReached { .. } | LockError::Redis { .. },
            )) => Some(Duration::from_secs(5)),
            ApiError::Booking(BookingError::Lock(LockError::InvalidUrl { .. })) => {
                Some(Duration::from_secs(60))
            }
            ApiError::Booking(BookingError::Etcd(e)) => Some(e.retry_after()),
            ApiError::Booking(
                BookingError::Contention { .. } | BookingError::DeadlineExceeded { .. },
            ) => Some(Duration::from_secs(1)),
            ApiError::Booking(BookingError::Database(e)) | ApiError::Database(e)
                if is_unavailable(e) =>
            {
                Some(Duration::from_secs(1))
            }
            _ => None,
        }
    }
}

/// A database that cannot be reached is a 503 (try again), not a bug in the app (500).
fn is_unavailable(e: &sqlx::Error) -> bool {
    matches!(
        e,
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_)
    )
}

/// The HTTP face of each booking outcome: the design's table of status codes.
fn booking_status(error: &BookingError) -> StatusCode {
    match error {
        BookingError::UnknownEvent(_) => StatusCode::NOT_FOUND,
        BookingError::SoldOut { .. }
        | BookingError::SeatTaken { .. }
        | BookingError::StaleFence { .. } => StatusCode::CONFLICT,
        BookingError::Lock(LockError::Expired { .. } | LockError::LeaseLost { .. }) => {
            StatusCode::CONFLICT
        }
        BookingError::Lock(_)
        | BookingError::Etcd(_)
        | BookingError::Contention { .. }
        | BookingError::DeadlineExceeded { .. } => StatusCode::SERVICE_UNAVAILABLE,
        BookingError::Unsupported { .. } => StatusCode::NOT_IMPLEMENTED,
        BookingError::Database(e) if is_unavailable(e) => StatusCode::SERVICE_UNAVAILABLE,
        BookingError::Database(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Booking(e) => booking_status(e),
            ApiError::Database(e) if is_unavailable(e) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Database(_) => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::Room(e) => match e {
                RoomError::NotJoined => StatusCode::FORBIDDEN,
                RoomError::NoOpenRound | RoomError::AlreadyTapped { .. } => StatusCode::CONFLICT,
                RoomError::Booking(e) => booking_status(e),
                RoomError::Database(_) => StatusCode::INTERNAL_SERVER_ERROR,
                RoomError::InvalidName | RoomError::Full | RoomError::Invalid(_) => {
                    StatusCode::BAD_REQUEST
                }
            },
        }
    }

    fn error_response(&self) -> HttpResponse {
        self.response(None)
    }
}

impl ApiError {
    /// The error as an HTTP response, with the booking's trace in the body when there is one.
    pub fn response(&self, trace: Option<&Marks>) -> HttpResponse {
        let status = self.status_code();
        if status.is_server_error() {
            tracing::error!(error = ?self, code = %self.code(), "request failed");
        }
        let message = match self {
            // The user gets a plain sentence; the details went to the log above.
            ApiError::Database(_) | ApiError::Booking(BookingError::Database(_))
                if status == StatusCode::INTERNAL_SERVER_ERROR =>
            {
                "the database failed; the server log has the details".to_string()
            }
            ApiError::Database(_) | ApiError::Booking(BookingError::Database(_)) => {
                "the database is unreachable; check DATABASE_URL and that it runs".to_string()
            }
            ApiError::Booking(BookingError::UnknownEvent(unknown)) => {
                ApiError::from(*unknown).to_string()
            }
            other => other.to_string(),
        };
        let mut response = HttpResponse::build(status);
        if let ApiError::Unauthorized(_) = self {
            response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        if let Some(after) = self.retry_after() {
            let seconds = after.as_secs_f64().ceil().max(1.0) as u64;
            response.insert_header((header::RETRY_AFTER, HeaderValue::from(seconds)));
        }
        response.json(ErrorBody {
            error: self.code(),
            message,
            trace: trace.cloned(),
        })
    }
}
