//! `redis` (also `/book-with-lock`): the naive booking inside a single-node Redis lock.

use crate::store::Booking;

use super::leased::{under_lease, Acquire};
use super::{naive, BookingContext, BookingError, BookingRequest, StrategyName};

pub const DESCRIPTION: &str = "A lock on one Redis node: SET lock:event:{id} <random value> NX PX \
    ttl, released by a script that deletes the key only if it still holds our value. Requests for \
    the same event take turns, across every app instance that shares the node, so the last ticket \
    is sold once. It breaks when a holder is paused longer than the lock's TTL: the key expires, a \
    second request takes the lock, and both write. And the one node is a single point of failure.";

pub async fn book(
    context: &BookingContext,
    request: BookingRequest,
) -> Result<Booking, BookingError> {
    under_lease(
        context,
        &context.single_node,
        Acquire::Plain,
        &request,
        StrategyName::Redis,
        |_| naive::read_wait_write(context, &request, StrategyName::Redis),
    )
    .await
}
