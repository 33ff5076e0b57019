//! `optimistic`: read with a version, write only if the version is unchanged, retry a few times.
//!
//! The retries are bounded twice: by a count, and by the server's lock wait (`LOCK_WAIT_MS`), the
//! same budget a lock strategy waits for its lock. Each attempt sleeps the race window, so a
//! count alone would let one request take attempts x race window (50 x 30 s).

use std::time::Instant;

use crate::error::AppError;
use crate::state::AppState;
use crate::store::Booking;
use crate::store::Guarded;

use super::database::{into_outcome, new_booking};
use super::BookingRequest;

pub const DESCRIPTION: &str = "Read the count and a version number, then write only WHERE version \
    is still the one read (compare-and-set); if someone wrote first, read again and retry, a \
    bounded number of times. No lock is held while waiting, so it shines when conflicts are rare \
    and wastes work retrying when everyone wants the same ticket.";

/// Attempts before giving up; each lost attempt means another booking succeeded meanwhile, so
/// with ten contenders for one ticket the loser learns "sold out" long before this runs out.
const ATTEMPTS: u32 = 50;

pub async fn book(state: &AppState, request: BookingRequest) -> Result<Booking, AppError> {
    let budget = state.defaults.retry.budget;
    let started = Instant::now();
    let mut attempts = 0;
    let last = loop {
        attempts += 1;
        let booking = new_booking(state, &request, "optimistic");
        let guarded = state
            .store
            .book_optimistic_once(booking, request.race_window, &request.trace)
            .await?;
        // Another attempt only if it can still end within the budget: the first always runs.
        let another_fits = started.elapsed() + request.race_window <= budget;
        if !matches!(guarded, Guarded::Conflict) || attempts == ATTEMPTS || !another_fits {
            break guarded;
        }
    };
    if matches!(last, Guarded::Conflict) {
        return Err(AppError::Contention(format!(
            "event {} changed under each of {attempts} attempts; optimistic retries at most \
             {ATTEMPTS} times and only while another attempt (race window {} ms) still ends \
             within the lock wait (LOCK_WAIT_MS, {} ms); try again",
            request.event_id,
            request.race_window.as_millis(),
            budget.as_millis()
        )));
    }
    into_outcome(last, request.event_id, attempts)
}
