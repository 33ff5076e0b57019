//! The audit: what the database says happened to an event, the source of every verdict.
//!
//! HTTP responses can lie (a client times out after the server booked; a lost update answers 201
//! and leaves no trace in `available`), so the lab never counts them. It counts booking rows
//! (on a seat map, one per seat held) and compares them with the event's counters, and on a seat
//! map names every seat that more than one booking holds.

use super::{on_pool, Store};

pub use oversold_api::Audit;

impl Store {
    /// Reads the event's counters and counts its bookings in one statement, so both come from
    /// the same snapshot. `None` when the event does not exist.
    pub async fn audit(&self, event_id: i64) -> Result<Option<Audit>, sqlx::Error> {
        let row: Option<(i64, i64, i64)> = on_pool!(self, pool => sqlx::query_as(
            "SELECT e.capacity, e.available,
                    (SELECT COUNT(*) FROM bookings b
                       LEFT JOIN booking_seats s ON s.booking_id = b.id
                      WHERE b.event_id = e.id)
             FROM events e WHERE e.id = $1",
        )
        .bind(event_id)
        .fetch_optional(pool)
        .await)?;
        let Some((capacity, available, booked)) = row else {
            return Ok(None);
        };
        // A second statement, so a booking committed between the two could show in one and not
        // the other; the counts above are one snapshot, and a seat sold twice stays sold twice.
        let double_booked = self.double_booked_seats(event_id).await?;
        Ok(Some(
            Audit::from_counts(event_id, capacity, available, booked)
                .with_double_booked_seats(double_booked),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::Audit;

    #[test]
    fn one_booking_of_the_last_ticket_is_clean() {
        let audit = Audit::from_counts(1, 1, 0, 1);
        assert!(audit.clean);
        assert_eq!(audit.oversold, 0);
    }

    #[test]
    fn ten_bookings_of_one_ticket_that_each_wrote_zero_are_oversold_and_lost() {
        let audit = Audit::from_counts(1, 1, 0, 10);
        assert_eq!(audit.oversold, 9);
        assert!(audit.lost_updates);
        assert!(!audit.clean);
    }

    #[test]
    fn a_negative_counter_is_reported_even_when_the_rows_agree() {
        let audit = Audit::from_counts(1, 1, -1, 2);
        assert!(audit.negative_available);
        assert!(!audit.lost_updates);
        assert_eq!(audit.oversold, 1);
    }
}
