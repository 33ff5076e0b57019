//! `fenced`: a lease with a fencing token, and storage that turns away every older token.
//!
//! The lock (Redlock over every configured node) mints a token that strictly increases for
//! successive holders of the event. The booking claims the event row with it before reading and
//! writes only while the row still carries it (`store::fenced`), so a holder paused past its
//! lease finds a newer token there and is refused with 409 `stale_fence` instead of overselling.

use crate::error::AppError;
use crate::lock::Lock;
use crate::state::AppState;
use crate::store::{Booking, FenceClaim, NewBooking};

use super::leased::{under_lease, Acquire};
use super::BookingRequest;

pub const DESCRIPTION: &str = "Redlock plus a fencing token: every acquisition mints a number \
    larger than any earlier holder's, and the event row keeps the largest it has seen. The \
    booking claims the row with its token before reading and writes only while the row still \
    carries that token. A holder paused past its TTL comes back to find a newer token and is \
    refused (409 stale_fence) instead of selling the ticket again: the lock is allowed to fail, \
    the storage is not. The cost is that the storage must take part.";

pub async fn book(state: &AppState, request: BookingRequest) -> Result<Booking, AppError> {
    under_lease(
        state,
        &state.redlock,
        Acquire::Fenced,
        &request,
        "fenced",
        |lock| fenced_read_wait_write(state, &request, lock),
    )
    .await
}

async fn fenced_read_wait_write(
    state: &AppState,
    request: &BookingRequest,
    lock: Lock,
) -> Result<Booking, AppError> {
    let event_id = request.event_id;
    let token = lock.token.expect("acquire_fenced always mints a token").0 as i64;
    let claim = state.store.claim_fence(event_id, token).await?;
    request.trace.read();
    let available = match claim {
        FenceClaim::Claimed { available } => available,
        FenceClaim::Stale { newest } => {
            return Err(AppError::StaleFence {
                event_id,
                token,
                seen: newest,
            })
        }
        FenceClaim::NotFound => {
            return Err(AppError::NotFound(format!(
                "event {event_id} does not exist"
            )))
        }
    };
    if available <= 0 {
        return Err(AppError::SoldOut { event_id });
    }
    tokio::time::sleep(request.race_window).await;
    let booking = NewBooking {
        event_id,
        customer: request.customer.clone(),
        strategy: "fenced",
        instance: state.instance.clone(),
        fence_token: Some(token),
    };
    request.trace.write_started();
    let written = state
        .store
        .write_booking_fenced(available - 1, booking)
        .await;
    request.trace.write_done();
    match written? {
        Some(booking) => Ok(booking),
        None => Err(AppError::StaleFence {
            event_id,
            token,
            seen: state.store.fence(event_id).await?.unwrap_or(token),
        }),
    }
}
