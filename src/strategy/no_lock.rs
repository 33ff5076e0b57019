//! `no-lock`: the naive booking with no protection at all, the baseline that oversells.

use crate::store::Booking;

use super::{naive, BookingContext, BookingError, BookingRequest, StrategyName};

pub const DESCRIPTION: &str = "No protection. Every request reads how many tickets are left, \
    waits the race window, then writes that number minus one. Requests that read before the first \
    write all see the same last ticket and all book it: the event is oversold, and because each \
    wrote the same new count, the counter loses the updates too. It fails on one instance as much \
    as on many.";

pub async fn book(
    context: &BookingContext,
    request: BookingRequest,
) -> Result<Booking, BookingError> {
    naive::read_wait_write(context, &request, StrategyName::NoLock).await
}
