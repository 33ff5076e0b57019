//! `queue`: the naive booking inside a fair lock that serves waiters in arrival order.

use crate::store::Booking;

use super::leased::{under_lease, Acquire};
use super::{naive, BookingContext, BookingError, BookingRequest, StrategyName};

pub const DESCRIPTION: &str = "A fair FIFO lock on the first Redis node: each request takes a \
    ticket, waits its turn asleep, and is woken when the holder hands the lock on, instead of \
    every waiter polling with backoff. Nobody starves and nobody burns round trips while waiting. \
    It is still a lease: a holder paused past the TTL is skipped, the next in line is woken, and \
    the two write together, unless the storage checks fencing tokens.";

pub async fn book(
    context: &BookingContext,
    request: BookingRequest,
) -> Result<Booking, BookingError> {
    under_lease(
        context,
        &context.single_node,
        Acquire::Fair,
        &request,
        StrategyName::Queue,
        |_| naive::read_wait_write(context, &request, StrategyName::Queue),
    )
    .await
}
