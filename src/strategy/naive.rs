//! The naive booking every strategy wraps: read `available`, wait the race window, write.
//!
//! Left alone it is the textbook check-then-act race: every request that reads before the first
//! write sees the same ticket and books it. The race window makes that certain instead of likely.

use crate::error::AppError;
use crate::state::AppState;
use crate::store::{Booking, NewBooking};

use super::BookingRequest;

pub async fn read_wait_write(
    state: &AppState,
    request: &BookingRequest,
    strategy: &'static str,
    fence_token: Option<i64>,
) -> Result<Booking, AppError> {
    let available = state
        .store
        .read_available(request.event_id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("event {} does not exist", request.event_id)))?;
    request.trace.read();
    if available <= 0 {
        return Err(AppError::SoldOut {
            event_id: request.event_id,
        });
    }
    tokio::time::sleep(request.race_window).await;
    let booking = NewBooking {
        event_id: request.event_id,
        customer: request.customer.clone(),
        strategy,
        instance: state.instance.clone(),
        fence_token,
    };
    request.trace.write_started();
    let written = state.store.write_booking(available - 1, booking).await;
    request.trace.write_done();
    Ok(written?)
}
