//! The booking strategies and the registry that finds one by name.
//!
//! Every strategy runs the same naive booking ([`naive::read_wait_write`]) inside its own
//! protection, except where the strategy *is* a different write (`atomic`, `optimistic`); only
//! the protection differs, which is the lesson. A strategy is a variant of [`Strategy`], its code
//! one file in this folder, and its explanation the text `/strategies` and the dashboard show.

mod database;
mod local_mutex;
mod naive;
mod no_lock;
mod redis;

use std::time::Duration;

use serde::Serialize;

pub use local_mutex::LocalLocks;

use crate::error::AppError;
use crate::state::AppState;
use crate::store::{Backend, Booking};

/// One booking attempt, with the knobs already checked.
#[derive(Clone, Debug)]
pub struct BookingRequest {
    pub event_id: i64,
    pub customer: String,
    pub race_window: Duration,
    pub ttl: Duration,
}

/// A booking that was made, and what it cost to get there.
#[derive(Debug, Serialize)]
pub struct Outcome {
    pub booking: Booking,
    /// Time spent waiting for the lock, when the strategy takes one.
    pub lock_wait_ms: Option<f64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strategy {
    NoLock,
    LocalMutex,
    Redis,
    PgAdvisory,
    ForUpdate,
    Optimistic,
    Atomic,
}

/// What `/strategies` says about one strategy.
#[derive(Serialize)]
pub struct StrategyInfo {
    pub name: &'static str,
    pub description: &'static str,
    pub databases: &'static [Backend],
}

const EVERY_DATABASE: &[Backend] = &[Backend::Sqlite, Backend::Postgres];

impl Strategy {
    pub const ALL: &'static [Strategy] = &[
        Strategy::NoLock,
        Strategy::LocalMutex,
        Strategy::Redis,
        Strategy::PgAdvisory,
        Strategy::ForUpdate,
        Strategy::Optimistic,
        Strategy::Atomic,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Strategy::NoLock => "no-lock",
            Strategy::LocalMutex => "local-mutex",
            Strategy::Redis => "redis",
            Strategy::PgAdvisory => "pg-advisory",
            Strategy::ForUpdate => "for-update",
            Strategy::Optimistic => "optimistic",
            Strategy::Atomic => "atomic",
        }
    }

    pub fn from_name(name: &str) -> Option<Strategy> {
        Strategy::ALL.iter().copied().find(|s| s.name() == name)
    }

    pub fn description(self) -> &'static str {
        match self {
            Strategy::NoLock => no_lock::DESCRIPTION,
            Strategy::LocalMutex => local_mutex::DESCRIPTION,
            Strategy::Redis => redis::DESCRIPTION,
            Strategy::PgAdvisory => database::PG_ADVISORY,
            Strategy::ForUpdate => database::FOR_UPDATE,
            Strategy::Optimistic => database::OPTIMISTIC,
            Strategy::Atomic => database::ATOMIC,
        }
    }

    pub fn databases(self) -> &'static [Backend] {
        match self {
            Strategy::PgAdvisory => &[Backend::Postgres],
            _ => EVERY_DATABASE,
        }
    }

    pub fn info(self) -> StrategyInfo {
        StrategyInfo {
            name: self.name(),
            description: self.description(),
            databases: self.databases(),
        }
    }

    pub async fn book(
        self,
        state: &AppState,
        request: BookingRequest,
    ) -> Result<Outcome, AppError> {
        let running = state.store.backend();
        if !self.databases().contains(&running) {
            let needs: Vec<String> = self.databases().iter().map(|b| b.to_string()).collect();
            return Err(AppError::Unsupported {
                strategy: self.name().to_string(),
                needs: needs.join(" or "),
                running: running.to_string(),
            });
        }
        match self {
            Strategy::NoLock => no_lock::book(state, request).await,
            Strategy::LocalMutex => local_mutex::book(state, request).await,
            Strategy::Redis => redis::book(state, request).await,
            Strategy::PgAdvisory => database::pg_advisory(state, request).await,
            Strategy::ForUpdate => database::for_update(state, request).await,
            Strategy::Optimistic => database::optimistic(state, request).await,
            Strategy::Atomic => database::atomic(state, request).await,
        }
    }
}
