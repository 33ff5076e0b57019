//! What an experiment may ask for, checked before anything is reset or sent.
//!
//! The same input arrives as JSON (`POST /experiments`, the dashboard's script) or as a plain form
//! (`POST /ui/experiments`, the dashboard without script); both become a [`Spec`] here, with the
//! knob bounds of `crate::config` and a clear 400 for anything out of range.

use std::ops::RangeInclusive;

use serde::Deserialize;

use crate::config::{check_range, CAPACITY, RACE_WINDOW_MS, TTL_MS};
use crate::strategy::Defaults;

use super::ExperimentError;
use crate::strategy::StrategyName;

/// How many requests one experiment may fire: enough for a room to see a crowd, few enough that
/// the timeline stays readable and a run never floods the machine.
pub const REQUESTS: RangeInclusive<u64> = 1..=200;

/// The experiment's input as sent; every field but `strategy` has a default.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExperimentInput {
    pub strategy: String,
    pub requests: Option<u64>,
    pub capacity: Option<i64>,
    pub race_window_ms: Option<u64>,
    pub ttl_ms: Option<u64>,
    /// `this` (the default) or `all`.
    pub target: Option<String>,
    /// An event to take the name from. The run never books it: it books a fresh event of its
    /// own, named after this one, with `capacity` seats.
    pub event_id: Option<i64>,
    /// Run on a seat map of this many named seats instead of `capacity` plain tickets (0 or
    /// absent: plain tickets).
    pub seat_map: Option<u64>,
    /// On a seat map, how many seats each request books (chosen at random, seeded by the run).
    pub seats_per_request: Option<u64>,
}

/// The most seats an experiment's map may have: what a dashboard can draw and a room can read.
pub const SEAT_MAP: RangeInclusive<u64> = 1..=100;

/// An experiment on a seat map.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SeatPlan {
    /// Seats on the map.
    pub seats: usize,
    /// Seats each request books.
    pub per_request: usize,
}

/// Where the requests go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// Only the instance that runs the experiment.
    This,
    /// This instance and every `--peers` URL, round-robin.
    All,
}

/// A checked experiment.
#[derive(Clone, Debug)]
pub struct Spec {
    pub strategy: StrategyName,
    pub requests: usize,
    pub capacity: i64,
    pub race_window_ms: u64,
    pub ttl_ms: u64,
    pub target: Target,
    /// The event whose name the run's own event borrows (see [`ExperimentInput::event_id`]).
    pub event_id: Option<i64>,
    /// A seat map instead of plain tickets; `capacity` is then its number of seats.
    pub seats: Option<SeatPlan>,
}

fn invalid(message: impl Into<String>) -> ExperimentError {
    ExperimentError::Invalid(message.into())
}

impl ExperimentInput {
    /// Checks every field; the first problem found is the 400's message.
    pub fn check(self, defaults: &Defaults) -> Result<Spec, ExperimentError> {
        let strategy: StrategyName = self
            .strategy
            .trim()
            .parse()
            .map_err(|unknown: oversold_api::UnknownName| invalid(unknown.to_string()))?;
        let requests = check_range("requests", self.requests.unwrap_or(10), &REQUESTS)
            .map_err(invalid)? as usize;
        let capacity =
            check_range("capacity", self.capacity.unwrap_or(1), &CAPACITY).map_err(invalid)?;
        let race_window_ms = self
            .race_window_ms
            .unwrap_or(defaults.race_window.as_millis() as u64);
        let race_window_ms =
            check_range("race_window_ms", race_window_ms, &RACE_WINDOW_MS).map_err(invalid)?;
        let ttl_ms = self.ttl_ms.unwrap_or(defaults.ttl.as_millis() as u64);
        let ttl_ms = check_range("ttl_ms", ttl_ms, &TTL_MS).map_err(invalid)?;
        let target = match self.target.as_deref().map(str::trim) {
            None | Some("") | Some("this") => Target::This,
            Some("all") => Target::All,
            Some(other) => {
                return Err(invalid(format!(
                    "target must be \"this\" (this instance) or \"all\" (this instance and its \
                     --peers), not {other:?}"
                )))
            }
        };
        let seats = match self.seat_map.unwrap_or(0) {
            0 => None,
            map => {
                let seats = check_range("seat_map", map, &SEAT_MAP).map_err(invalid)?;
                let most = seats.min(oversold_api::MAX_SEATS_PER_BOOKING as u64);
                let per = self.seats_per_request.unwrap_or(2);
                let per = check_range("seats_per_request", per, &(1..=most)).map_err(invalid)?;
                Some(SeatPlan {
                    seats: seats as usize,
                    per_request: per as usize,
                })
            }
        };
        let capacity = seats.map_or(capacity, |plan| plan.seats as i64);
        Ok(Spec {
            seats,
            strategy,
            requests,
            capacity,
            race_window_ms,
            ttl_ms,
            target,
            event_id: self.event_id,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn defaults() -> Defaults {
        Defaults {
            race_window: Duration::from_millis(200),
            ttl: Duration::from_millis(10_000),
        }
    }

    fn input(strategy: &str) -> ExperimentInput {
        ExperimentInput {
            strategy: strategy.to_string(),
            ..ExperimentInput::default()
        }
    }

    fn refusal(input: ExperimentInput) -> String {
        match input.check(&defaults()) {
            Err(ExperimentError::Invalid(message)) => message,
            other => panic!("expected a 400, got {other:?}"),
        }
    }

    #[test]
    fn a_bare_strategy_takes_the_server_defaults() {
        let spec = input("no-lock").check(&defaults()).unwrap();
        assert_eq!(spec.strategy, StrategyName::NoLock);
        assert_eq!((spec.requests, spec.capacity, spec.event_id), (10, 1, None));
        assert_eq!((spec.race_window_ms, spec.ttl_ms), (200, 10_000));
        assert_eq!(spec.target, Target::This);
    }

    #[test]
    fn sizes_and_knobs_out_of_range_are_refused_with_the_bounds() {
        let too_many = ExperimentInput {
            requests: Some(201),
            ..input("redis")
        };
        assert_eq!(
            refusal(too_many),
            "requests must be between 1 and 200 (got 201)"
        );
        let none = ExperimentInput {
            requests: Some(0),
            ..input("redis")
        };
        assert!(refusal(none).contains("between 1 and 200"));
        let short_ttl = ExperimentInput {
            ttl_ms: Some(1),
            ..input("redis")
        };
        assert!(refusal(short_ttl).starts_with("ttl_ms must be between 10"));
        let negative = ExperimentInput {
            capacity: Some(-1),
            ..input("redis")
        };
        assert!(refusal(negative).starts_with("capacity must be between 0"));
    }

    #[test]
    fn an_unknown_strategy_or_target_names_the_choices() {
        assert!(refusal(input("mutex")).contains("no-lock, local-mutex, redis"));
        let elsewhere = ExperimentInput {
            target: Some("peers".into()),
            ..input("redis")
        };
        assert!(refusal(elsewhere).contains("\"this\""));
    }
}

#[cfg(test)]
mod seat_tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_seat_map_sets_the_capacity_and_bounds_the_seats_per_request() {
        let defaults = Defaults {
            race_window: Duration::from_millis(200),
            ttl: Duration::from_millis(10_000),
        };
        let input = |map, per| ExperimentInput {
            strategy: "no-lock".into(),
            seat_map: Some(map),
            seats_per_request: per,
            ..ExperimentInput::default()
        };
        let spec = input(10, Some(3)).check(&defaults).unwrap();
        assert_eq!(
            spec.seats,
            Some(SeatPlan {
                seats: 10,
                per_request: 3
            })
        );
        assert_eq!(spec.capacity, 10);
        assert!(input(3, Some(4)).check(&defaults).is_err());
        assert!(input(101, None).check(&defaults).is_err());
        assert_eq!(input(0, Some(3)).check(&defaults).unwrap().seats, None);
    }
}
