//! The naive booking every strategy wraps: read `available`, wait the race window, write.
//!
//! Left alone it is the textbook check-then-act race: every request that reads before the first
//! write sees the same ticket and books it. The race window makes that certain instead of likely.

use crate::store::Booking;

use super::{
    race_window, tickets_left, BookingContext, BookingError, BookingRequest, StrategyName,
};

pub async fn read_wait_write(
    context: &BookingContext,
    request: &BookingRequest,
    strategy: StrategyName,
) -> Result<Booking, BookingError> {
    let available = context.store.read_available(request.event_id).await?;
    request.trace.read();
    let available = tickets_left(available, request.event_id)?;
    race_window(request.race_window).await;
    let booking = context.new_booking(request, strategy, None);
    request.trace.write_started();
    let written = context.store.write_booking(available - 1, booking).await;
    request.trace.write_done();
    Ok(written?)
}
