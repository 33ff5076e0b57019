//! The crate-wide error type and its one mapping to HTTP.
//!
//! Every failure a request can meet ends up as an [`AppError`]. `status_code()` and `code()` decide
//! what the client sees, always a JSON body `{"error": code, "message": text}`; the `Display`
//! text is the plain message for users, and the log line carries the source for operators.

use std::time::Duration;

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

use crate::lock::LockError;
use crate::trace::Marks;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Input the API cannot accept; `code` names the kind (`invalid_input`, `invalid_json`, ...).
    #[error("{message}")]
    BadRequest { code: &'static str, message: String },

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

    #[error("event {event_id} is sold out")]
    SoldOut { event_id: i64 },

    /// A writer whose fencing token is older than one the storage has already seen.
    #[error("fencing token {token} is stale: event {event_id} has already seen token {seen}")]
    StaleFence {
        event_id: i64,
        token: i64,
        seen: i64,
    },

    #[error("{0}")]
    Lock(#[from] LockError),

    /// Optimistic writes that kept losing to other writers until their attempts ran out.
    #[error("{0}")]
    Contention(String),

    #[error("strategy {strategy} needs {needs}; this server runs on {running}")]
    Unsupported {
        strategy: String,
        needs: String,
        running: String,
    },

    #[error("the database failed: {0}")]
    Database(#[from] sqlx::Error),
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: &'a str,
    message: String,
    /// What happened inside a booking that failed (booking routes only).
    #[serde(skip_serializing_if = "Option::is_none")]
    trace: Option<&'a Marks>,
}

impl AppError {
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> AppError {
        AppError::BadRequest {
            code,
            message: message.into(),
        }
    }

    /// The stable machine-readable name clients switch on.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::BadRequest { code, .. } => code,
            AppError::NotFound(_) => "not_found",
            AppError::Unauthorized(_) => "unauthorized",
            AppError::Forbidden(_) => "forbidden",
            AppError::MethodNotAllowed { .. } => "method_not_allowed",
            AppError::PayloadTooLarge { .. } => "payload_too_large",
            AppError::SoldOut { .. } => "sold_out",
            AppError::StaleFence { .. } => "stale_fence",
            AppError::Lock(LockError::QuorumNotReached { .. }) => "quorum_unavailable",
            AppError::Lock(LockError::Redis { .. } | LockError::InvalidUrl { .. }) => {
                "redis_unavailable"
            }
            AppError::Lock(LockError::Expired { .. } | LockError::LeaseLost { .. }) => {
                "lock_expired"
            }
            AppError::Lock(LockError::Locked { .. }) => "lock_timeout",
            AppError::Contention(_) => "contention",
            AppError::Unsupported { .. } => "unsupported_strategy",
            AppError::Database(_) => "database_error",
        }
    }

    /// Seconds a client should wait before trying again, for the answers that are worth a retry.
    fn retry_after(&self) -> Option<Duration> {
        match self {
            // Contention clears in about one critical section, so a busy lock asks for a short
            // wait; a missing node needs a person to start it, so node trouble asks for longer.
            AppError::Lock(
                LockError::Locked { .. } | LockError::Expired { .. } | LockError::LeaseLost { .. },
            ) => Some(Duration::from_secs(1)),
            AppError::Lock(LockError::QuorumNotReached { .. } | LockError::Redis { .. }) => {
                Some(Duration::from_secs(5))
            }
            AppError::Lock(LockError::InvalidUrl { .. }) => Some(Duration::from_secs(60)),
            AppError::Contention(_) => Some(Duration::from_secs(1)),
            AppError::Database(e) if is_unavailable(e) => Some(Duration::from_secs(1)),
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

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            AppError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::SoldOut { .. } | AppError::StaleFence { .. } => StatusCode::CONFLICT,
            AppError::Lock(LockError::Expired { .. } | LockError::LeaseLost { .. }) => {
                StatusCode::CONFLICT
            }
            AppError::Lock(_) | AppError::Contention(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Unsupported { .. } => StatusCode::NOT_IMPLEMENTED,
            AppError::Database(e) if is_unavailable(e) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Database(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        self.response(None)
    }
}

impl AppError {
    /// The error as an HTTP response, with the booking's trace in the body when there is one.
    pub fn response(&self, trace: Option<&Marks>) -> HttpResponse {
        let status = self.status_code();
        if status.is_server_error() {
            tracing::error!(error = ?self, code = self.code(), "request failed");
        }
        let message = match self {
            // The user gets a plain sentence; the details went to the log above.
            AppError::Database(_) if status == StatusCode::INTERNAL_SERVER_ERROR => {
                "the database failed; the server log has the details".to_string()
            }
            AppError::Database(_) => {
                "the database is unreachable; check DATABASE_URL and that it runs".to_string()
            }
            other => other.to_string(),
        };
        let mut response = HttpResponse::build(status);
        if let AppError::Unauthorized(_) = self {
            response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        if let Some(after) = self.retry_after() {
            let seconds = after.as_secs_f64().ceil().max(1.0) as u64;
            response.insert_header((header::RETRY_AFTER, HeaderValue::from(seconds)));
        }
        response.json(ErrorBody {
            error: self.code(),
            message,
            trace,
        })
    }
}
