//! Percentiles, rates and ratios over measured samples, and the handoff efficiency of a lock.
//!
//! Percentiles use the nearest-rank definition (the smallest sample with at least p% of the
//! samples at or below it), so a reported p99 is always a latency that really happened.

use std::time::Duration;

/// Latency figures of one measurement, in milliseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Summary {
    pub count: usize,
    pub mean_ms: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
}

/// The nearest-rank `p`th percentile (0 < p ≤ 100) of samples sorted ascending; `None` when empty.
pub fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (p.clamp(0.0, 100.0) / 100.0 * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

/// Count, mean, p50 and p99 of `samples` (milliseconds, any order); zeros when there are none.
pub fn summarize(samples: &[f64]) -> Summary {
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    Summary {
        count: sorted.len(),
        mean_ms: mean(&sorted).unwrap_or(0.0),
        p50_ms: percentile(&sorted, 50.0).unwrap_or(0.0),
        p99_ms: percentile(&sorted, 99.0).unwrap_or(0.0),
    }
}

/// The middle value of `values` (any order; the mean of the two middle ones for an even count):
/// the figure of a measurement taken in rounds. `None` when empty.
pub fn median(values: &[f64]) -> Option<f64> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(sorted[n / 2]),
        _ => Some((sorted[n / 2 - 1] + sorted[n / 2]) / 2.0),
    }
}

pub fn mean(samples: &[f64]) -> Option<f64> {
    (!samples.is_empty()).then(|| samples.iter().sum::<f64>() / samples.len() as f64)
}

/// Events per second; zero for an empty interval rather than infinity.
pub fn per_second(count: usize, elapsed: Duration) -> f64 {
    if elapsed.is_zero() {
        0.0
    } else {
        count as f64 / elapsed.as_secs_f64()
    }
}

/// `a / b`, or `None` when `b` is zero (a baseline that measured nothing has no ratio).
pub fn ratio(a: f64, b: f64) -> Option<f64> {
    (b > 0.0).then(|| a / b)
}

/// Handoff efficiency of a lock: holds per second × mean hold time, i.e. the share of the
/// wall-clock time during which somebody held the lock. Under contention 1.0 means the lock was
/// never idle while someone waited; what is missing is time lost between a release and the next
/// acquisition (a waiter asleep in its backoff, a round trip to Redis).
pub fn handoff_efficiency(holds_per_second: f64, mean_hold_ms: f64) -> f64 {
    holds_per_second * mean_hold_ms / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_samples_that_really_happened() {
        let sorted: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&sorted, 50.0), Some(50.0));
        assert_eq!(percentile(&sorted, 99.0), Some(99.0));
        assert_eq!(percentile(&sorted, 100.0), Some(100.0));
        assert_eq!(percentile(&[7.0], 99.0), Some(7.0));
        assert_eq!(percentile(&[1.0, 2.0, 3.0], 50.0), Some(2.0));
        assert_eq!(percentile(&[], 50.0), None);
    }

    #[test]
    fn a_rare_slow_sample_shows_in_p99_but_not_in_p50() {
        let mut samples = vec![1.0; 98];
        samples.extend([250.0, 300.0]);
        let summary = summarize(&samples);
        assert_eq!(summary.count, 100);
        assert_eq!(summary.p50_ms, 1.0);
        assert_eq!(summary.p99_ms, 250.0);
        assert!((summary.mean_ms - 6.48).abs() < 1e-9, "{summary:?}");
    }

    #[test]
    fn summarize_sorts_its_input_itself() {
        let summary = summarize(&[5.0, 1.0, 3.0, 2.0, 4.0]);
        assert_eq!((summary.p50_ms, summary.p99_ms), (3.0, 5.0));
        assert_eq!(summarize(&[]), Summary::default());
    }

    #[test]
    fn a_lock_held_back_to_back_is_fully_efficient() {
        // 500 holds a second of 2ms each fill the whole second.
        assert!((handoff_efficiency(500.0, 2.0) - 1.0).abs() < 1e-12);
        // 200 holds a second of 2ms: held 40% of the time, idle the rest.
        assert!((handoff_efficiency(200.0, 2.0) - 0.4).abs() < 1e-12);
        assert_eq!(handoff_efficiency(0.0, 2.0), 0.0);
    }

    #[test]
    fn rates_and_ratios_refuse_to_divide_by_zero() {
        assert_eq!(per_second(10, Duration::from_millis(500)), 20.0);
        assert_eq!(per_second(10, Duration::ZERO), 0.0);
        assert_eq!(ratio(3.0, 2.0), Some(1.5));
        assert_eq!(ratio(3.0, 0.0), None);
    }
}
