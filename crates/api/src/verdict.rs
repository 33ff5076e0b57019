//! The one audit verdict: what the database says happened to an event, judged once, in the
//! words of each face that shows it.
//!
//! Only the audit decides. [`Finding::of`] reads it (oversold, negative availability, lost
//! updates, or clean with so many bookings); [`judge`] sets that against the bookings a fight
//! should have made and gives the CLI and the tests a [`Kind`] that compares with a strategy's
//! expected [`Outcome`]. [`Banner`] is the shape of an experiment's headline on the wire; the
//! server words the same finding in the reader's language. The answers add colour only: refused
//! stale holders, and "this database cannot run it" (every answer a 501) told apart from a wrong
//! result. A fight that answered 201 once is still oversold when the database holds two bookings.

use serde::{Deserialize, Serialize};

use crate::audit::Audit;
use crate::strategy::Outcome;
use crate::tally::Tally;

/// What the audit alone says, most serious first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Finding {
    /// Seats held by more than one booking (a seat map): each is an oversell of that seat, and
    /// can hide under a total that stays within capacity.
    SeatsSoldTwice { seats: usize },
    /// More bookings than tickets.
    Oversold { by: i64 },
    /// `available` went below zero.
    NegativeAvailable { available: i64 },
    /// The counter and the rows disagree: `counted = capacity - available` is not `booked`.
    LostUpdates { booked: i64, counted: i64 },
    /// A state a correct booking system could produce, with this many bookings.
    Clean { booked: i64 },
}

impl Finding {
    pub fn of(audit: &Audit) -> Finding {
        if !audit.double_booked_seats.is_empty() {
            Finding::SeatsSoldTwice {
                seats: audit.double_booked_seats.len(),
            }
        } else if audit.oversold > 0 {
            Finding::Oversold { by: audit.oversold }
        } else if audit.negative_available {
            Finding::NegativeAvailable {
                available: audit.available,
            }
        } else if audit.lost_updates {
            Finding::LostUpdates {
                booked: audit.booked,
                counted: audit.counted(),
            }
        } else {
            Finding::Clean {
                booked: audit.booked,
            }
        }
    }
}

/// A fight's verdict, in the words the design's table uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Exactly the bookings wanted and a clean audit.
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
    /// The wire name, as `/strategies` gives expected rows.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Safe => "safe",
            Kind::StaleRejected => "stale_rejected",
            Kind::Oversells => "oversells",
            Kind::LostUpdates => "lost_updates",
            Kind::Undersold => "undersold",
            Kind::Unsupported => "unsupported",
        }
    }

    /// The expected outcome this verdict is, when it is one of the table's three.
    pub fn outcome(self) -> Option<Outcome> {
        match self {
            Kind::Safe => Some(Outcome::Safe),
            Kind::StaleRejected => Some(Outcome::StaleRejected),
            Kind::Oversells => Some(Outcome::Oversells),
            Kind::LostUpdates | Kind::Undersold | Kind::Unsupported => None,
        }
    }
}

/// A fight judged: its kind, whether it was exactly right, and the words a table prints.
/// Serialized flat into a report: `"verdict": "OVERSOLD by 9", "kind": "oversells",
/// "correct": false`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Verdict {
    /// "OVERSOLD by 9", "exactly one booking", "LOST UPDATES: 3 booked, the counter says 2", ...
    #[serde(rename = "verdict")]
    pub text: String,
    pub kind: Kind,
    /// Exactly `wanted` booked and nothing wrong: what a protected fight must be.
    pub correct: bool,
}

/// How many bookings a fight of `requests` at `capacity` tickets must make: `min` of the two.
pub fn wanted(requests: u64, capacity: i64) -> i64 {
    capacity.min(i64::try_from(requests).unwrap_or(i64::MAX))
}

/// Judges a fight from the audit; `wanted` is how many bookings it should have made (see
/// [`wanted`]), `tally` how it was answered.
pub fn judge(audit: &Audit, tally: &Tally, wanted: i64) -> Verdict {
    let correct = audit.booked == wanted && audit.clean;
    let (kind, text) = if tally.all_unsupported() && audit.booked == 0 {
        (
            Kind::Unsupported,
            "not supported on this database".to_string(),
        )
    } else {
        match Finding::of(audit) {
            Finding::SeatsSoldTwice { seats } => (
                Kind::Oversells,
                format!("SOLD TWICE: {}", plural(seats as i64, "seat")),
            ),
            Finding::Oversold { by } => (Kind::Oversells, format!("OVERSOLD by {by}")),
            // A negative counter without an oversell is always a lost update too.
            Finding::NegativeAvailable { .. } | Finding::LostUpdates { .. } => (
                Kind::LostUpdates,
                format!(
                    "LOST UPDATES: {} booked, the counter says {}",
                    audit.booked,
                    audit.counted()
                ),
            ),
            Finding::Clean { .. } if correct => {
                let exact = match wanted {
                    1 => "exactly one booking".to_string(),
                    n => format!("exactly {n} booked"),
                };
                match tally.status.stale_fence {
                    0 => (Kind::Safe, exact),
                    n => (
                        Kind::StaleRejected,
                        format!("{exact}, {n} stale holder(s) refused"),
                    ),
                }
            }
            Finding::Clean { booked } => (
                Kind::Undersold,
                format!("UNDERSOLD: {booked} of {wanted} booked"),
            ),
        }
    };
    Verdict {
        kind,
        correct,
        text,
    }
}

/// The banner's colour: red for an oversell, amber for a counter that lies or no booking at all,
/// green for a state a correct booking system could produce.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Tone {
    Bad,
    Warn,
    Good,
}

impl Tone {
    /// The CSS class the dashboard colours it with.
    pub fn class(self) -> &'static str {
        match self {
            Tone::Bad => "bad",
            Tone::Warn => "warn",
            Tone::Good => "good",
        }
    }
}

/// The verdict over an experiment as it is stored and sent (`"verdict"` of an experiment): the
/// audit in words a room reads at a glance.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Banner {
    pub tone: Tone,
    /// "OVERSOLD by 9", "lost updates", "exactly one booking", ...
    pub headline: String,
    /// The numbers behind the headline.
    pub detail: String,
}

/// "A2, A3 and B1"; the first eight of a longer list, then how many more.
pub fn seat_list(seats: &[String]) -> String {
    const SHOWN: usize = 8;
    let shown: Vec<&str> = seats.iter().take(SHOWN).map(String::as_str).collect();
    match (seats.len(), shown.split_last()) {
        (_, None) => String::new(),
        (1, Some((only, _))) => only.to_string(),
        (n, Some((last, rest))) if n <= SHOWN => format!("{} and {last}", rest.join(", ")),
        (n, _) => format!("{} and {} more", shown.join(", "), n - SHOWN),
    }
}

/// "1 seat", "3 seats".
fn plural(n: i64, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;
    use crate::tally::tests::refused;

    fn audit(capacity: i64, available: i64, booked: i64) -> Audit {
        Audit::from_counts(1, capacity, available, booked)
    }

    #[test]
    fn a_seat_sold_twice_is_red_even_when_the_total_stays_within_capacity() {
        // Three bookings of three seats on a map of twelve, two of them sharing A2: nine seat
        // rows, no oversell by the total, the counter in step, and still a seat sold twice.
        let audit = audit(12, 3, 9).with_double_booked_seats(vec!["A2".to_string()]);
        assert_eq!(audit.oversold, 0);
        assert_eq!(Finding::of(&audit), Finding::SeatsSoldTwice { seats: 1 });
        let verdict = judge(&audit, &answered(3, 0), 3);
        assert_eq!((verdict.kind, verdict.correct), (Kind::Oversells, false));
    }

    #[test]
    fn a_long_list_of_seats_names_the_first_eight_and_counts_the_rest() {
        let seats: Vec<String> = (1..=10).map(|i| format!("A{i}")).collect();
        assert_eq!(seat_list(&seats[..1]), "A1");
        assert_eq!(seat_list(&seats[..3]), "A1, A2 and A3");
        assert_eq!(
            seat_list(&seats),
            "A1, A2, A3, A4, A5, A6, A7, A8 and 2 more"
        );
    }

    fn answered(created: u32, sold_out: u32) -> Tally {
        let mut tally = Tally::default();
        tally.status.created = created;
        tally.status.sold_out = sold_out;
        tally
    }

    #[test]
    fn ten_bookings_of_one_ticket_are_oversold_by_nine() {
        let v = judge(&audit(1, 0, 10), &answered(10, 0), 1);
        assert_eq!(
            (v.kind, v.text.as_str(), v.correct),
            (Kind::Oversells, "OVERSOLD by 9", false)
        );
        assert_eq!(v.kind.outcome(), Some(Outcome::Oversells));
    }

    #[test]
    fn one_booking_of_the_last_ticket_is_exactly_one() {
        let v = judge(&audit(1, 0, 1), &answered(1, 9), wanted(10, 1));
        assert_eq!(
            (v.kind, v.text.as_str(), v.correct),
            (Kind::Safe, "exactly one booking", true)
        );
    }

    #[test]
    fn the_audit_wins_over_the_answers() {
        // One 201, but the database holds two bookings (a client timed out on the other).
        let v = judge(&audit(1, 0, 2), &answered(1, 9), 1);
        assert_eq!(v.kind, Kind::Oversells);
    }

    #[test]
    fn refused_stale_holders_are_named_but_still_correct() {
        let mut tally = answered(1, 0);
        tally.status.stale_fence = 9;
        let v = judge(&audit(1, 0, 1), &tally, 1);
        assert_eq!(v.kind, Kind::StaleRejected);
        assert!(v.correct && v.text.contains("9 stale"), "{v:?}");
    }

    #[test]
    fn fewer_requests_than_tickets_expect_one_booking_each() {
        assert_eq!(wanted(10, 100), 10);
        assert!(judge(&audit(100, 90, 10), &answered(10, 0), 10).correct);
        let v = judge(&audit(100, 91, 9), &answered(9, 0), 10);
        assert_eq!((v.kind, v.correct), (Kind::Undersold, false));
        assert_eq!(v.text, "UNDERSOLD: 9 of 10 booked");
    }

    #[test]
    fn a_counter_that_disagrees_with_the_rows_is_lost_updates() {
        let v = judge(&audit(10, 8, 3), &answered(3, 0), 3);
        assert_eq!(v.kind, Kind::LostUpdates);
        assert_eq!(v.text, "LOST UPDATES: 3 booked, the counter says 2");
        assert_eq!(v.kind.outcome(), None);
    }

    #[test]
    fn every_answer_501_means_unsupported_not_undersold() {
        let answers = vec![refused(501, ErrorCode::UnsupportedStrategy); 10];
        let v = judge(&audit(1, 1, 0), &Tally::of(&answers), 1);
        assert_eq!(v.kind, Kind::Unsupported);
    }

    #[test]
    fn a_banner_goes_on_the_wire_as_its_tone_headline_and_detail() {
        // The server words it (locales/*/verdict.ftl); the wire carries it in this shape.
        let banner = Banner {
            tone: Tone::Warn,
            headline: "lost updates".to_string(),
            detail: "3 bookings, but available went down by 1".to_string(),
        };
        let sent = serde_json::to_string(&banner).unwrap();
        assert_eq!(
            sent,
            r#"{"tone":"warn","headline":"lost updates","detail":"3 bookings, but available went down by 1"}"#
        );
        assert_eq!(serde_json::from_str::<Banner>(&sent).unwrap(), banner);
    }
}
