//! The storage half of fencing: the event row remembers the newest fencing token it has seen.
//!
//! A lock alone cannot stop a holder that was paused past its lease; the storage can, if every
//! access carries the holder's token. The read *claims* the row (`fence = token` only while
//! `fence < token`) and the write goes through only while `fence` is still that token. Claiming
//! on the read, not only on the write, is what matters for a read-check-write booking: a newer
//! holder that read before an older holder's late write would otherwise pass a `fence < token`
//! check on its own write and sell the ticket again.

use super::bookings::insert_booking;
use super::{in_write_transaction, on_pool, Booking, NewBooking, Store};

/// What claiming an event's fence found.
#[derive(Debug, PartialEq, Eq)]
pub enum FenceClaim {
    /// The row now carries our token; this many tickets are left.
    Claimed {
        available: i64,
    },
    /// A newer token already claimed the row: we are a stale holder.
    Stale {
        newest: i64,
    },
    NotFound,
}

impl Store {
    /// Claims `event_id` for `token` and reads what is left, in one statement.
    pub async fn claim_fence(&self, event_id: i64, token: i64) -> Result<FenceClaim, sqlx::Error> {
        let one_writer = self.one_writer().await;
        let claimed: Option<i64> = on_pool!(self, pool => sqlx::query_scalar(
            "UPDATE events SET fence = $1 WHERE id = $2 AND fence < $1 RETURNING available",
        )
        .bind(token)
        .bind(event_id)
        .fetch_optional(pool)
        .await)?;
        drop(one_writer);
        if let Some(available) = claimed {
            return Ok(FenceClaim::Claimed { available });
        }
        let newest = self.fence(event_id).await?;
        Ok(newest.map_or(FenceClaim::NotFound, |newest| FenceClaim::Stale { newest }))
    }

    /// The newest token the event has seen; `None` for an unknown event.
    pub async fn fence(&self, event_id: i64) -> Result<Option<i64>, sqlx::Error> {
        self.event_number("SELECT fence FROM events WHERE id = $1", event_id)
            .await
    }

    /// Writes `available` and the booking only while the row's fence is still the booking's
    /// token; `None` when a newer holder claimed the row in the meantime (nothing is written).
    pub async fn write_booking_fenced(
        &self,
        available: i64,
        booking: NewBooking,
    ) -> Result<Option<Booking>, sqlx::Error> {
        let id = in_write_transaction!(self, tx => {
            let written = sqlx::query(
                "UPDATE events SET available = $1, version = version + 1
                 WHERE id = $2 AND fence = $3",
            )
            .bind(available)
            .bind(booking.event_id)
            .bind(booking.fence_token)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if written == 0 {
                return Ok(None);
            }
            let id = insert_booking!(tx, booking)?;
            tx.commit().await?;
            id
        });
        Ok(Some(booking.written(&id)?))
    }
}
