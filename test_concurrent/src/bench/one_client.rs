//! One client's booking time next to one client's trivial request, measured in turn.
//!
//! At one client the figure is a latency, and a latency on a shared two-core machine drifts by
//! a factor of three between minutes (the trivial route's p50 was seen at 0.06 ms in one run
//! and 0.19 ms in the next). Measured minutes apart, the two sides of the ratio met different
//! machines. So they are measured here in short alternating rounds, booking then trivial route
//! then booking again, every other round in the opposite order, and the ratio is taken within
//! each round: the figure is the median round, and the range over the rounds says how much the
//! machine moved.

use std::time::Duration;

use benchkit::stats::{median, summarize};
use oversold_api::Client;
use serde::Serialize;

use super::{cell, waves};

/// The ratios of the rounds.
#[derive(Clone, Debug, Serialize)]
pub struct OneClient {
    /// Booking p50 / trivial route p50, one per round.
    pub ratios: Vec<f64>,
    pub booking_p50_ms: Vec<f64>,
    pub trivial_p50_ms: Vec<f64>,
    pub round_seconds: f64,
}

impl OneClient {
    pub fn median(&self) -> Option<f64> {
        median(&self.ratios)
    }

    /// The smallest and largest round's ratio.
    pub fn range(&self) -> Option<(f64, f64)> {
        let low = self.ratios.iter().copied().reduce(f64::min)?;
        let high = self.ratios.iter().copied().reduce(f64::max)?;
        Some((low, high))
    }
}

/// `rounds` rounds of one client booking `event` at `path` for `each`, and one client on the
/// trivial route for as long.
pub async fn measure(
    client: &Client,
    path: &str,
    event: i64,
    rounds: usize,
    each: Duration,
) -> OneClient {
    let mut one = OneClient {
        ratios: Vec::new(),
        booking_p50_ms: Vec::new(),
        trivial_p50_ms: Vec::new(),
        round_seconds: each.as_secs_f64(),
    };
    for round in 0..rounds {
        let (booking, trivial) = if round % 2 == 0 {
            let booking = booking_p50(client, path, event, each).await;
            (booking, waves::ceiling(client, 1, each).await.p50_ms)
        } else {
            let trivial = waves::ceiling(client, 1, each).await.p50_ms;
            (booking_p50(client, path, event, each).await, trivial)
        };
        if let Some(booking) = booking.filter(|_| trivial > 0.0) {
            one.ratios.push(booking / trivial);
            one.booking_p50_ms.push(booking);
            one.trivial_p50_ms.push(trivial);
        }
    }
    one
}

/// The p50 of the 201s of one client booking for `each`; `None` when none was booked.
async fn booking_p50(client: &Client, path: &str, event: i64, each: Duration) -> Option<f64> {
    let (samples, _) = cell::run(client, path, &[event], 1, each).await;
    let booked: Vec<f64> = samples
        .iter()
        .filter(|s| s.answer.status() == Some(201))
        .map(|s| s.latency_ms)
        .collect();
    (!booked.is_empty()).then(|| summarize(&booked).p50_ms)
}

#[cfg(test)]
mod tests {
    use super::OneClient;

    fn rounds(ratios: &[f64]) -> OneClient {
        OneClient {
            ratios: ratios.to_vec(),
            booking_p50_ms: Vec::new(),
            trivial_p50_ms: Vec::new(),
            round_seconds: 0.5,
        }
    }

    #[test]
    fn the_figure_is_the_median_round_and_the_range_is_every_round() {
        let one = rounds(&[4.0, 9.0, 3.0, 5.0, 4.5]);
        assert_eq!(one.median(), Some(4.5));
        assert_eq!(one.range(), Some((3.0, 9.0)));
        assert_eq!(rounds(&[2.0, 4.0]).median(), Some(3.0));
    }

    #[test]
    fn no_round_is_no_figure() {
        assert_eq!(rounds(&[]).median(), None);
        assert_eq!(rounds(&[]).range(), None);
    }
}
