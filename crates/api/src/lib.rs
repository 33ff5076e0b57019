//! `oversold-api`: the oversold lab's wire contract, and a typed client that speaks it.
//!
//! Everything the server sends and takes over HTTP is typed here once: an event and its
//! [`Audit`], the strategy names ([`StrategyName`]) with their expected rows ([`Expected`] of
//! [`Outcome`]s), the error codes ([`ErrorCode`]) and error body, the booking answer with its
//! trace marks, experiments and health. The server serializes these types, and the CLI
//! (`test_concurrent`), the test harness and the server's own experiments read them, so a wire
//! change is a compile error on both sides instead of a string that silently stops matching.
//!
//! Beside the types live the two pieces of machinery every face of the lab shares: the barrier
//! fan-out ([`Client::fire_together`]: N bookings released together, round-robin over the
//! targets) and the audit verdict ([`verdict`]: what the database says happened, in words).
//!
//! ```
//! use oversold_api::{Expected, Outcome, StrategyName};
//!
//! let name: StrategyName = "local-mutex".parse().unwrap();
//! assert_eq!(name.as_str(), "local-mutex");
//! let row: Expected = serde_json::from_str(
//!     r#"{"one_instance": "safe", "two_instances": "oversells", "paused_past_ttl": "safe"}"#,
//! )
//! .unwrap();
//! assert_eq!(row.two_instances, Outcome::Oversells);
//! ```

mod audit;
mod booking;
mod client;
mod error;
mod event;
mod experiment;
mod health;
mod seats;
mod strategy;
mod tally;
pub mod verdict;

pub use audit::Audit;
pub use booking::{BookBody, Booked, Booking, BookingAnswer, Knobs, Marks, NoAnswer, Route};
pub use client::{describe, round_robin, Client, ClientError, FanOut, Sent, POOL_IDLE};
pub use error::{ErrorBody, ErrorCode, UnknownName};
pub use event::{Event, EventView, NewEvent, Reset};
pub use experiment::{
    Experiment, ExperimentAnswer, ExperimentInput, ExperimentSummary, Failure, Target,
};
pub use health::{
    DatabaseHealth, EtcdHealth, EtcdMemberHealth, Health, HealthStatus, NodeHealth, RedisHealth,
};
pub use seats::{
    Granularity, NewSeatMap, Seat, SeatHolder, SeatMap, MAX_SEATS_PER_BOOKING, MAX_SEATS_PER_EVENT,
};
pub use strategy::{Database, Expected, Outcome, StrategyInfo, StrategyName};
pub use tally::{StatusCounts, Tally};
pub use verdict::{seat_list, Banner, Kind, Tone, Verdict};
