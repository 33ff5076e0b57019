//! What the bookings of this instance did, counted for `GET /metrics` (Prometheus).
//!
//! Everything here is recorded once per booking from its [`Marks`] (the trace every answer
//! carries) and its outcome, so the lock library stays free of metrics and the numbers on a
//! Grafana panel are the same moments a participant sees in a booking's `"trace"`. Values that
//! only make sense at scrape time (Redis nodes up, each event's audit) are read by the scrape
//! itself, in `web/metrics.rs`, and added to the [`Registry`] this module hands out.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

use crate::lock::LockError;
use crate::trace::Marks;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StrategyOutcome {
    pub strategy: String,
    pub outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StrategyLabel {
    pub strategy: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StrategyReason {
    pub strategy: String,
    pub reason: String,
}

type Histograms<L> = Family<L, Histogram, fn() -> Histogram>;

/// 0.5 ms to about 16 s, doubling: a lock on loopback takes well under a millisecond, a lock
/// queued behind ten holders with a 300 ms race window takes seconds.
fn seconds_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.0005, 2.0, 16))
}

/// The recorded families. Cheap to clone: every clone counts into the same numbers.
#[derive(Clone)]
pub struct Metrics {
    bookings: Family<StrategyOutcome, Counter>,
    booking_seconds: Histograms<StrategyOutcome>,
    lock_acquire_seconds: Histograms<StrategyOutcome>,
    lock_retries: Family<StrategyLabel, Counter>,
    lock_held_seconds: Histograms<StrategyLabel>,
    lock_failures: Family<StrategyReason, Counter>,
}

impl Default for Metrics {
    fn default() -> Metrics {
        Metrics {
            bookings: Family::default(),
            booking_seconds: Family::new_with_constructor(seconds_histogram),
            lock_acquire_seconds: Family::new_with_constructor(seconds_histogram),
            lock_retries: Family::default(),
            lock_held_seconds: Family::new_with_constructor(seconds_histogram),
            lock_failures: Family::default(),
        }
    }
}

impl Metrics {
    /// Counts one booking request of `strategy` that ended in `outcome` (`booked`, or the error
    /// code its answer carried), with the lock error when the lock was what failed.
    pub fn record_booking(
        &self,
        strategy: &str,
        marks: &Marks,
        outcome: &str,
        lock_error: Option<&LockError>,
    ) {
        let labels = StrategyOutcome {
            strategy: strategy.to_string(),
            outcome: outcome.to_string(),
        };
        self.bookings.get_or_create(&labels).inc();
        self.booking_seconds
            .get_or_create(&labels)
            .observe(marks.total_ms / 1000.0);

        let by_strategy = StrategyLabel {
            strategy: strategy.to_string(),
        };
        match (marks.lock_acquired_ms, lock_error) {
            (Some(acquired_ms), _) => {
                let acquired = StrategyOutcome {
                    strategy: strategy.to_string(),
                    outcome: "acquired".to_string(),
                };
                self.lock_acquire_seconds
                    .get_or_create(&acquired)
                    .observe(acquired_ms / 1000.0);
            }
            // Gave up without the lock: the whole request was the wait.
            (None, Some(_)) => {
                self.lock_acquire_seconds
                    .get_or_create(&labels)
                    .observe(marks.total_ms / 1000.0);
            }
            (None, None) => {}
        }
        let attempts = marks
            .lock_attempts
            .or_else(|| lock_error.and_then(attempts));
        if let Some(attempts) = attempts.filter(|a| *a > 1) {
            self.lock_retries
                .get_or_create(&by_strategy)
                .inc_by(u64::from(attempts - 1));
        }
        if let Some(held_ms) = marks.hold_ms() {
            self.lock_held_seconds
                .get_or_create(&by_strategy)
                .observe(held_ms / 1000.0);
        }
        let failure = match (lock_error, marks.lease_expired) {
            (Some(_), _) => Some(outcome),
            // Held, but the lease ran out before the release: another holder may have had it.
            (None, Some(true)) => Some("lease_expired_before_release"),
            _ => None,
        };
        if let Some(reason) = failure {
            self.lock_failures
                .get_or_create(&StrategyReason {
                    strategy: strategy.to_string(),
                    reason: reason.to_string(),
                })
                .inc();
        }
    }

    /// A registry holding the recorded families, for a scrape to add its own gauges to.
    pub fn registry(&self) -> Registry {
        let mut registry = Registry::with_prefix("oversold");
        registry.register(
            "bookings",
            "Booking requests by strategy and outcome (booked, or the error code answered)",
            self.bookings.clone(),
        );
        registry.register(
            "booking_duration_seconds",
            "From taking a booking request to answering it",
            self.booking_seconds.clone(),
        );
        registry.register(
            "lock_acquire_seconds",
            "From taking the request to holding the lock (outcome acquired), or to giving up \
             (outcome: the lock error answered)",
            self.lock_acquire_seconds.clone(),
        );
        registry.register(
            "lock_retries",
            "Lock attempts beyond the first, summed over bookings",
            self.lock_retries.clone(),
        );
        registry.register(
            "lock_held_seconds",
            "From taking the lock to letting it go",
            self.lock_held_seconds.clone(),
        );
        registry.register(
            "lock_failures",
            "Lock trouble by reason: the lock error answered, or lease_expired_before_release",
            self.lock_failures.clone(),
        );
        registry
    }
}

/// The attempts a lock error reports, when it counts them.
fn attempts(error: &LockError) -> Option<u32> {
    match error {
        LockError::Locked { attempts, .. } | LockError::QuorumNotReached { attempts, .. } => {
            Some(*attempts)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::strategy::BookingError;
    use prometheus_client::encoding::text::encode;
    use std::time::Duration;

    fn text(metrics: &Metrics) -> String {
        let mut out = String::new();
        encode(&mut out, &metrics.registry()).unwrap();
        out
    }

    #[test]
    fn a_booked_request_with_a_lock_counts_its_wait_hold_and_retries() {
        let metrics = Metrics::default();
        let marks = Marks {
            lock_acquired_ms: Some(20.0),
            lock_attempts: Some(3),
            released_ms: Some(70.0),
            lease_expired: Some(false),
            total_ms: 71.0,
            ..Marks::default()
        };
        metrics.record_booking("redis", &marks, "booked", None);
        let out = text(&metrics);
        assert!(
            out.contains(r#"oversold_bookings_total{strategy="redis",outcome="booked"} 1"#),
            "{out}"
        );
        assert!(
            out.contains(r#"oversold_lock_retries_total{strategy="redis"} 2"#),
            "{out}"
        );
        assert!(
            out.contains(r#"oversold_lock_held_seconds_sum{strategy="redis"} 0.05"#),
            "{out}"
        );
        assert!(
            out.contains(
                r#"oversold_lock_acquire_seconds_count{strategy="redis",outcome="acquired"} 1"#
            ),
            "{out}"
        );
        assert!(!out.contains("oversold_lock_failures_total{"), "{out}");
    }

    #[test]
    fn a_lock_that_could_not_be_had_is_a_failure_by_reason_with_its_retries() {
        let metrics = Metrics::default();
        let error = BookingError::Lock(LockError::Locked {
            resources: vec!["lock:event:1".into()],
            attempts: 4,
            waited: Duration::from_millis(900),
        });
        let marks = Marks {
            total_ms: 900.0,
            ..Marks::default()
        };
        metrics.record_booking("redlock", &marks, error.code().as_str(), error.lock_error());
        let out = text(&metrics);
        assert!(
            out.contains(
                r#"oversold_lock_failures_total{strategy="redlock",reason="lock_timeout"} 1"#
            ),
            "{out}"
        );
        assert!(
            out.contains(r#"oversold_lock_acquire_seconds_sum{strategy="redlock",outcome="lock_timeout"} 0.9"#),
            "{out}"
        );
        assert!(
            out.contains(r#"oversold_lock_retries_total{strategy="redlock"} 3"#),
            "{out}"
        );
    }

    #[test]
    fn a_lease_that_ran_out_before_its_release_is_lock_trouble() {
        let metrics = Metrics::default();
        let marks = Marks {
            lock_acquired_ms: Some(1.0),
            lock_attempts: Some(1),
            released_ms: Some(500.0),
            lease_expired: Some(true),
            total_ms: 501.0,
            ..Marks::default()
        };
        metrics.record_booking("redis", &marks, "booked", None);
        let out = text(&metrics);
        assert!(
            out.contains(r#"reason="lease_expired_before_release"} 1"#),
            "{out}"
        );
        assert!(!out.contains("oversold_lock_retries_total{"), "{out}");
    }
}
