//! Judging a round from the audit: the words the table prints and the rule behind the exit code.
//!
//! Only the audit decides. The answers add colour ("3 late holders turned away with
//! stale_fence"), and tell "this database cannot run the strategy" (every answer a 501) apart
//! from a wrong result, but a round that answered 201 once is still oversold when the database
//! holds two bookings.

use serde::Serialize;

use crate::answers::Answers;
use crate::lab::Audit;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Exactly min(requests, capacity) bookings and a clean audit.
    Safe,
    /// Safe, and at least one late holder was refused by the fencing check.
    StaleRejected,
    /// More bookings than tickets.
    Oversells,
    /// No oversell, but the counter and the bookings disagree.
    LostUpdates,
    /// Fewer bookings than there were tickets and requests for.
    Undersold,
    /// The server cannot run this strategy on its database (every answer 501).
    Unsupported,
}

impl Kind {
    /// The name the design's table uses, as `/strategies` gives expected rows.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Safe => "safe",
            Kind::StaleRejected => "stale_rejected",
            Kind::Oversells => "oversells",
            Kind::LostUpdates => "lost_updates",
            Kind::Undersold => "undersold",
            Kind::Unsupported => "unsupported",
        }
    }
}

/// Serialized flat into a round: `"verdict": "OVERSOLD by 9", "kind": "oversells", "correct": false`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Verdict {
    /// The words the table prints.
    #[serde(rename = "verdict")]
    pub text: String,
    pub kind: Kind,
    /// Exactly min(requests, capacity) booked and nothing wrong: what a protected round must be.
    pub correct: bool,
}

pub fn judge(audit: &Audit, answers: &Answers, requests: u32, capacity: i64) -> Verdict {
    let expected = capacity.min(i64::from(requests));
    let correct = audit.booked == expected && audit.clean;
    let all_501 = answers.status.other == answers.total()
        && answers
            .first_other
            .as_deref()
            .is_some_and(|o| o.starts_with("501"));
    let (kind, text) = if all_501 && audit.booked == 0 {
        (
            Kind::Unsupported,
            "not supported on this database".to_string(),
        )
    } else if audit.oversold > 0 {
        (Kind::Oversells, format!("OVERSOLD by {}", audit.oversold))
    } else if audit.lost_updates {
        let counted = audit.capacity - audit.available;
        (
            Kind::LostUpdates,
            format!(
                "LOST UPDATES: {} booked, the counter says {counted}",
                audit.booked
            ),
        )
    } else if correct {
        let exact = match expected {
            1 => "exactly one booking".to_string(),
            n => format!("exactly {n} booked"),
        };
        match answers.status.stale_fence {
            0 => (Kind::Safe, exact),
            n => (
                Kind::StaleRejected,
                format!("{exact}, {n} stale holder(s) refused"),
            ),
        }
    } else {
        (
            Kind::Undersold,
            format!("UNDERSOLD: {} of {expected} booked", audit.booked),
        )
    };
    Verdict {
        kind,
        text,
        correct,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn audit(capacity: i64, available: i64, booked: i64) -> Audit {
        let oversold = (booked - capacity).max(0);
        let lost_updates = capacity - available != booked;
        Audit {
            capacity,
            available,
            booked,
            oversold,
            lost_updates,
            negative_available: available < 0,
            clean: oversold == 0 && !lost_updates && available >= 0,
        }
    }

    fn answers(created: u32, sold_out: u32) -> Answers {
        let mut answers = Answers::default();
        answers.status.created = created;
        answers.status.sold_out = sold_out;
        answers
    }

    #[test]
    fn ten_bookings_of_one_ticket_are_oversold_by_nine() {
        let v = judge(&audit(1, 0, 10), &answers(10, 0), 10, 1);
        assert_eq!(
            (v.kind, v.text.as_str(), v.correct),
            (Kind::Oversells, "OVERSOLD by 9", false)
        );
    }

    #[test]
    fn one_booking_of_the_last_ticket_is_exactly_one() {
        let v = judge(&audit(1, 0, 1), &answers(1, 9), 10, 1);
        assert_eq!(
            (v.kind, v.text.as_str(), v.correct),
            (Kind::Safe, "exactly one booking", true)
        );
    }

    #[test]
    fn the_audit_wins_over_the_answers() {
        // One 201, but the database holds two bookings (a client timed out on the other).
        let v = judge(&audit(1, 0, 2), &answers(1, 9), 10, 1);
        assert_eq!(v.kind, Kind::Oversells);
    }

    #[test]
    fn refused_stale_holders_are_named_but_still_correct() {
        let mut a = answers(1, 0);
        a.status.stale_fence = 9;
        let v = judge(&audit(1, 0, 1), &a, 10, 1);
        assert_eq!(v.kind, Kind::StaleRejected);
        assert!(v.correct && v.text.contains("9 stale"), "{v:?}");
    }

    #[test]
    fn fewer_requests_than_tickets_expect_one_booking_each() {
        assert!(judge(&audit(100, 90, 10), &answers(10, 0), 10, 100).correct);
        let v = judge(&audit(100, 91, 9), &answers(9, 0), 10, 100);
        assert_eq!((v.kind, v.correct), (Kind::Undersold, false));
    }

    #[test]
    fn a_counter_that_disagrees_with_the_rows_is_lost_updates() {
        let v = judge(&audit(10, 8, 3), &answers(3, 0), 3, 10);
        assert_eq!(v.kind, Kind::LostUpdates);
    }

    #[test]
    fn every_answer_501_means_unsupported_not_undersold() {
        let mut a = Answers::default();
        a.status.other = 10;
        a.first_other = Some("501: pg-advisory needs Postgres".into());
        assert_eq!(judge(&audit(1, 1, 0), &a, 10, 1).kind, Kind::Unsupported);
    }
}
