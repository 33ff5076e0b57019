//! `redlock`: the naive booking inside a lock granted by a majority of independent Redis nodes.

use crate::store::Booking;

use super::leased::{under_lease, Acquire};
use super::{naive, BookingContext, BookingError, BookingRequest, StrategyName};

pub const DESCRIPTION: &str = "The same SET NX PX lock on N independent Redis nodes, asked in \
    parallel: it is held when a majority (N/2+1) granted it and the time left, TTL minus the time \
    the asking took minus clock drift, is still positive. It keeps working while a minority of \
    nodes is dead or paused, and refuses (503 quorum_unavailable) rather than guess when a \
    majority is gone. It is still a lease: a holder paused past the TTL writes alongside the next \
    holder, exactly like the single-node lock.";

pub async fn book(
    context: &BookingContext,
    request: BookingRequest,
) -> Result<Booking, BookingError> {
    under_lease(
        context,
        &context.redlock,
        Acquire::Plain,
        &request,
        StrategyName::Redlock,
        |_| naive::read_wait_write(context, &request, StrategyName::Redlock),
    )
    .await
}
