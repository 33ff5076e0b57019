//! `optimistic`: read with a version, write only if the version is unchanged, retry a few times.

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
    let mut last = Guarded::Conflict;
    for _ in 0..ATTEMPTS {
        let booking = new_booking(state, &request, "optimistic");
        last = state
            .store
            .book_optimistic_once(booking, request.race_window, &request.trace)
            .await?;
        if !matches!(last, Guarded::Conflict) {
            break;
        }
    }
    into_outcome(last, request.event_id, ATTEMPTS)
}
