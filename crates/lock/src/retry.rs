//! How long to wait between attempts: exponential backoff with jitter, inside a wait budget.
//!
//! Contenders that fail together must not retry together, or they collide again and again (the
//! thundering herd), so each wait is drawn at random from the upper half of a ceiling that doubles
//! with every failure. The upper half, not the whole range, so that no contender spins against
//! Redis with near-zero waits. The budget bounds the whole acquisition: a caller never waits
//! longer than it chose to, however busy the lock.

use std::time::Duration;

use rand::Rng;

/// How patiently [`LockManager::acquire`](super::LockManager::acquire) retries a busy lock.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// The ceiling of the first wait; each further failure doubles it.
    pub base_delay: Duration,
    /// No single wait is longer than this, however many attempts failed.
    pub max_delay: Duration,
    /// The total time acquisition may take before it gives up with
    /// [`LockError::Locked`](super::LockError::Locked). Zero means one attempt.
    pub budget: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            base_delay: Duration::from_millis(5),
            max_delay: Duration::from_millis(100),
            budget: Duration::from_secs(10),
        }
    }
}

/// Even a policy with a zero base delay waits this long, so a misconfiguration cannot turn the
/// retry loop into a busy loop against Redis.
const MIN_DELAY: Duration = Duration::from_millis(1);

impl RetryPolicy {
    /// One attempt and no waiting, for callers that would rather fail than queue.
    pub fn no_wait() -> RetryPolicy {
        RetryPolicy {
            budget: Duration::ZERO,
            ..RetryPolicy::default()
        }
    }

    /// The longest wait after the `failures`-th failed attempt (counting from 1):
    /// `base_delay · 2^(failures − 1)`, capped at `max_delay`.
    pub fn ceiling(&self, failures: u32) -> Duration {
        let doubling = 2u32.saturating_pow(failures.saturating_sub(1));
        self.base_delay
            .saturating_mul(doubling)
            .min(self.max_delay)
            .max(MIN_DELAY)
    }

    /// A random wait in `[ceiling / 2, ceiling]` after the `failures`-th failed attempt.
    pub fn delay(&self, failures: u32) -> Duration {
        self.delay_with_jitter(failures, rand::rng().random::<f64>())
    }

    /// The wait before the next attempt, or `None` when the budget is spent. The last wait is
    /// cut short to end with the budget, so one final attempt happens right at its end.
    pub(crate) fn next_wait(&self, failures: u32, waited: Duration) -> Option<Duration> {
        self.next_wait_with_jitter(failures, waited, rand::rng().random::<f64>())
    }

    fn delay_with_jitter(&self, failures: u32, jitter: f64) -> Duration {
        let ceiling = self.ceiling(failures);
        ceiling / 2 + (ceiling / 2).mul_f64(jitter.clamp(0.0, 1.0))
    }

    fn next_wait_with_jitter(
        &self,
        failures: u32,
        waited: Duration,
        jitter: f64,
    ) -> Option<Duration> {
        let remaining = self.budget.checked_sub(waited).filter(|r| !r.is_zero())?;
        Some(self.delay_with_jitter(failures, jitter).min(remaining))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn the_ceiling_doubles_with_each_failure_until_the_cap() {
        let policy = RetryPolicy::default();
        let ceilings: Vec<u64> = (1..=7)
            .map(|f| policy.ceiling(f).as_millis() as u64)
            .collect();
        assert_eq!(ceilings, [5, 10, 20, 40, 80, 100, 100]);
    }

    #[test]
    fn the_ceiling_does_not_overflow_after_very_many_failures() {
        assert_eq!(RetryPolicy::default().ceiling(u32::MAX), ms(100));
    }

    #[test]
    fn every_random_delay_lies_in_the_upper_half_of_its_ceiling() {
        let policy = RetryPolicy::default();
        for failures in 1..=10 {
            let ceiling = policy.ceiling(failures);
            for _ in 0..200 {
                let delay = policy.delay(failures);
                assert!(
                    delay >= ceiling / 2 && delay <= ceiling,
                    "{delay:?} vs {ceiling:?}"
                );
            }
        }
    }

    #[test]
    fn jitter_spreads_the_delays_of_contenders_that_failed_together() {
        let policy = RetryPolicy::default();
        let delays: std::collections::HashSet<Duration> =
            (0..50).map(|_| policy.delay(5)).collect();
        assert!(delays.len() > 10, "only {} distinct delays", delays.len());
    }

    #[test]
    fn the_jitter_bounds_are_exactly_half_and_all_of_the_ceiling() {
        let policy = RetryPolicy::default();
        assert_eq!(policy.delay_with_jitter(3, 0.0), ms(10));
        assert_eq!(policy.delay_with_jitter(3, 1.0), ms(20));
    }

    #[test]
    fn a_zero_base_delay_still_waits_a_little() {
        let policy = RetryPolicy {
            base_delay: Duration::ZERO,
            ..RetryPolicy::default()
        };
        assert!(policy.delay_with_jitter(1, 1.0) >= MIN_DELAY);
    }

    #[test]
    fn the_last_wait_is_cut_short_to_end_with_the_budget() {
        let policy = RetryPolicy {
            budget: ms(1000),
            ..RetryPolicy::default()
        };
        assert_eq!(policy.next_wait_with_jitter(7, ms(980), 1.0), Some(ms(20)));
        assert_eq!(policy.next_wait_with_jitter(7, ms(500), 1.0), Some(ms(100)));
    }

    #[test]
    fn no_wait_is_offered_once_the_budget_is_spent() {
        let policy = RetryPolicy {
            budget: ms(1000),
            ..RetryPolicy::default()
        };
        assert_eq!(policy.next_wait_with_jitter(1, ms(1000), 0.5), None);
        assert_eq!(policy.next_wait_with_jitter(1, ms(1500), 0.5), None);
        assert_eq!(RetryPolicy::no_wait().next_wait(1, Duration::ZERO), None);
    }

    #[test]
    fn the_waits_of_a_whole_acquisition_never_add_up_past_the_budget() {
        let policy = RetryPolicy {
            budget: ms(250),
            ..RetryPolicy::default()
        };
        let mut waited = Duration::ZERO;
        let mut failures = 0;
        while let Some(wait) = policy.next_wait(failures + 1, waited) {
            failures += 1;
            waited += wait;
        }
        assert_eq!(waited, ms(250));
        assert!(
            failures > 3,
            "only {failures} attempts fitted in the budget"
        );
    }
}
