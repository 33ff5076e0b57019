//! The audit: what the database says happened to an event, the source of every verdict.
//!
//! The server computes it from the event's counters and its booking rows; every client reads it
//! as `"audit"` inside an event (`GET /events/{id}`) and inside an experiment.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Audit {
    pub event_id: i64,
    pub capacity: i64,
    pub available: i64,
    /// Tickets sold, as booking rows say: one per booking, or one per seat a booking holds on an
    /// event with a seat map (where the capacity is the number of seats).
    pub booked: i64,
    /// Bookings beyond capacity: `max(0, booked - capacity)`.
    pub oversold: i64,
    /// The counter and the rows disagree: `capacity - available != booked`. Two writers read the
    /// same `available` and both wrote `available - 1`, so one decrement was lost.
    pub lost_updates: bool,
    pub negative_available: bool,
    /// Seats held by more than one booking (events with a seat map only), in seat order. Absent
    /// from the JSON when there are none, so older clients and stored audits read the same.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub double_booked_seats: Vec<String>,
    /// None of the above: the event is in a state a correct booking system could produce.
    pub clean: bool,
}

impl Audit {
    /// The audit of an event with these counters and this many booking rows.
    pub fn from_counts(event_id: i64, capacity: i64, available: i64, booked: i64) -> Audit {
        let oversold = (booked - capacity).max(0);
        let lost_updates = capacity - available != booked;
        let negative_available = available < 0;
        Audit {
            event_id,
            capacity,
            available,
            booked,
            oversold,
            lost_updates,
            negative_available,
            double_booked_seats: Vec::new(),
            clean: oversold == 0 && !lost_updates && !negative_available,
        }
    }

    /// The same audit, with the seats booking rows hold more than once: any makes it unclean.
    pub fn with_double_booked_seats(mut self, seats: Vec<String>) -> Audit {
        self.clean = self.clean && seats.is_empty();
        self.double_booked_seats = seats;
        self
    }

    /// What the counter says was sold: `capacity - available`.
    pub fn counted(&self) -> i64 {
        self.capacity - self.available
    }
}

#[cfg(test)]
mod tests {
    use super::Audit;

    #[test]
    fn ten_bookings_of_one_ticket_that_each_wrote_zero_are_oversold_and_lost() {
        let audit = Audit::from_counts(1, 1, 0, 10);
        assert_eq!(audit.oversold, 9);
        assert!(audit.lost_updates && !audit.clean);
    }

    #[test]
    fn a_seat_sold_twice_makes_an_otherwise_clean_audit_unclean() {
        let audit = Audit::from_counts(1, 10, 4, 6).with_double_booked_seats(vec!["A3".into()]);
        assert!(!audit.clean && audit.oversold == 0 && !audit.lost_updates);
        let wire = serde_json::to_value(&audit).unwrap();
        assert_eq!(wire["double_booked_seats"], serde_json::json!(["A3"]));
    }

    #[test]
    fn the_audit_the_server_sends_reads_back_the_same() {
        let sent = r#"{"event_id":1,"capacity":1,"available":0,"booked":1,"oversold":0,
                       "lost_updates":false,"negative_available":false,"clean":true}"#;
        let audit: Audit = serde_json::from_str(sent).unwrap();
        assert_eq!(audit, Audit::from_counts(1, 1, 0, 1));
        let again: serde_json::Value = serde_json::to_value(&audit).unwrap();
        assert_eq!(
            again,
            serde_json::from_str::<serde_json::Value>(sent).unwrap()
        );
    }
}
