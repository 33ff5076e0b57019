//! `fenced`: a lease with a fencing token, and storage that turns away every older token.
//!
//! The lock (Redlock over every configured node) mints a token that strictly increases for
//! successive holders of the event. The booking claims the event row with it before reading and
//! writes only while the row still carries it (`store::fenced`), so a holder paused past its
//! lease finds a newer token there and is refused with 409 `stale_fence` instead of overselling.

use std::future::Future;

use crate::store::{Booking, FenceClaim, SeatClaim, SeatWrite, UnknownEvent};

use super::leased::{under_lease, Acquire};
use super::{
    race_window, seats, BookingContext, BookingError, BookingRequest, Granularity, StrategyName,
};

pub const DESCRIPTION: &str = "Redlock plus a fencing token: every acquisition mints a number \
    larger than any earlier holder's, and the event row keeps the largest it has seen. The \
    booking claims the row with its token before reading and writes only while the row still \
    carries that token. A holder paused past its TTL comes back to find a newer token and is \
    refused (409 stale_fence) instead of selling the ticket again: the lock is allowed to fail, \
    the storage is not. The cost is that the storage must take part.";

pub async fn book(
    context: &BookingContext,
    request: BookingRequest,
) -> Result<Booking, BookingError> {
    under_lease(
        context,
        &context.redlock,
        Acquire::Fenced,
        &request,
        StrategyName::Fenced,
        |lock| {
            let token = lock.token.expect("acquire_fenced always mints a token").0 as i64;
            fenced_read_wait_write(
                context,
                &request,
                StrategyName::Fenced,
                token,
                race_window(request.race_window),
            )
        },
    )
    .await
}

/// The fenced booking under a lock whose fencing token is `token`: claim the row, read, wait
/// `window` (the race window, however the strategy spends it), write while the row still carries
/// the token. `etcd` runs it too, with the key's revision as the token.
pub(super) async fn fenced_read_wait_write(
    context: &BookingContext,
    request: &BookingRequest,
    strategy: StrategyName,
    token: i64,
    window: impl Future<Output = ()>,
) -> Result<Booking, BookingError> {
    if !request.seats.is_empty() {
        return fenced_seats(context, request, strategy, token, window).await;
    }
    let event_id = request.event_id;
    let claim = context.store.claim_fence(event_id, token).await?;
    request.trace.read();
    let available = match claim {
        FenceClaim::Claimed { available } => available,
        FenceClaim::Stale { newest } => {
            return Err(BookingError::StaleFence {
                event_id,
                token,
                seen: newest,
            })
        }
        FenceClaim::NotFound => return Err(UnknownEvent(event_id).into()),
    };
    if available <= 0 {
        return Err(BookingError::SoldOut { event_id });
    }
    window.await;
    let booking = context.new_booking(request, strategy, Some(token));
    request.trace.write_started();
    let written = context
        .store
        .write_booking_fenced(available - 1, booking)
        .await;
    request.trace.write_done();
    match written? {
        Some(booking) => Ok(booking),
        None => Err(BookingError::StaleFence {
            event_id,
            token,
            seen: context.store.fence(event_id).await?.unwrap_or(token),
        }),
    }
}

/// The fenced booking of seats. Under one lock for the event the event row carries the token,
/// as for tickets; under one lock per seat every seat row does (bookings of other seats hold
/// other locks and tokens at the same time, so the event row cannot be everyone's fence). Claim,
/// check the seats are free, wait, write while every claimed row still carries the token.
async fn fenced_seats(
    context: &BookingContext,
    request: &BookingRequest,
    strategy: StrategyName,
    token: i64,
    window: impl Future<Output = ()>,
) -> Result<Booking, BookingError> {
    let (event_id, store) = (request.event_id, &context.store);
    let stale = |seen: i64| BookingError::StaleFence {
        event_id,
        token,
        seen,
    };
    let per_seat = request.granularity == Granularity::Seat;
    let write = if per_seat {
        match store
            .claim_seat_fences(event_id, &request.seats, token)
            .await?
        {
            SeatClaim::Claimed => SeatWrite::SeatFence(token),
            SeatClaim::Stale { newest } => return Err(stale(newest)),
        }
    } else {
        match store.claim_fence(event_id, token).await? {
            FenceClaim::Claimed { .. } => SeatWrite::EventFence(token),
            FenceClaim::Stale { newest } => return Err(stale(newest)),
            FenceClaim::NotFound => return Err(UnknownEvent(event_id).into()),
        }
    };
    let held = store.held_seats(event_id, &request.seats).await?;
    request.trace.read();
    seats::taken(event_id, held)?;
    window.await;
    let booking = context.new_booking(request, strategy, Some(token));
    request.trace.write_started();
    let written = store
        .write_seat_booking(booking, &request.seats, write)
        .await;
    request.trace.write_done();
    match written? {
        Some(booking) => Ok(booking),
        // A newer holder claimed a row meanwhile; it has the newest token, ours is stale.
        None => Err(stale(match write {
            SeatWrite::EventFence(_) => store.fence(event_id).await?.unwrap_or(token),
            _ => store.seat_fence(event_id, &request.seats).await?,
        })),
    }
}
