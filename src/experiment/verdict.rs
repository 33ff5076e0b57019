//! The banner over an experiment: the audit in words a room reads at a glance.
//!
//! Only the audit decides (the rows in `bookings` against the event's counters); the answers the
//! requests got are shown beside it, never counted into it. A run whose event was touched by
//! anything else gets a banner that says so rather than one that blames (or praises) the strategy.
//! Every word of the banner is here, in one place, for the translation to come.

use serde::{Deserialize, Serialize};

use crate::store::Audit;

use super::{Interference, RunState};

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

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdict {
    pub tone: Tone,
    /// "OVERSOLD by 9", "lost updates", "exactly one booking", ...
    pub headline: String,
    /// The numbers behind the headline.
    pub detail: String,
}

impl Verdict {
    pub fn from_audit(audit: &Audit) -> Verdict {
        let seats = plural(audit.capacity, "seat");
        let bookings = plural(audit.booked, "booking");
        let (tone, headline, detail) = if !audit.double_booked_seats.is_empty() {
            // Checked first: a seat sold twice is an oversell of that seat, even when the total
            // stays within capacity.
            (
                Tone::Bad,
                format!(
                    "SOLD TWICE: {}",
                    plural(audit.double_booked_seats.len() as i64, "seat")
                ),
                format!(
                    "{} held by two bookings or more; {bookings} for {seats}",
                    oversold_api::seat_list(&audit.double_booked_seats)
                ),
            )
        } else if audit.oversold > 0 {
            (
                Tone::Bad,
                format!("OVERSOLD by {}", audit.oversold),
                format!("{bookings} for {seats}"),
            )
        } else if audit.negative_available {
            (
                Tone::Bad,
                "negative availability".to_string(),
                format!("available is {}", audit.available),
            )
        } else if audit.lost_updates {
            (
                Tone::Warn,
                "lost updates".to_string(),
                format!(
                    "{bookings}, but available went down by {}",
                    audit.capacity - audit.available
                ),
            )
        } else if audit.booked == 0 {
            (
                Tone::Warn,
                "no booking".to_string(),
                if audit.capacity == 1 {
                    "nobody got the seat: see the answers".to_string()
                } else {
                    format!("nobody got any of the {seats}: see the answers")
                },
            )
        } else if audit.booked == 1 {
            (
                Tone::Good,
                "exactly one booking".to_string(),
                format!("1 booking for {seats}; the seat counter agrees"),
            )
        } else {
            (
                Tone::Good,
                format!("{bookings}, none oversold"),
                format!("{bookings} for {seats}; the seat counter agrees"),
            )
        };
        Verdict {
            tone,
            headline,
            detail,
        }
    }
}

impl Verdict {
    /// The banner of a stored run: the audit's verdict, unless the run is still going, did not
    /// finish, or shared its event with something else.
    pub fn for_run(audit: &Audit, state: RunState, interference: Interference) -> Verdict {
        match state {
            RunState::Running => {
                return Verdict {
                    tone: Tone::Warn,
                    headline: "running…".to_string(),
                    detail: "the requests are out; the verdict comes from the audit when the \
                             last one is answered"
                        .to_string(),
                }
            }
            RunState::Failed => {
                return Verdict {
                    tone: Tone::Warn,
                    headline: "did not finish".to_string(),
                    detail: "the run stopped before its audit (see the server's log)".to_string(),
                }
            }
            RunState::Done => {}
        }
        if interference.any() {
            let mut what = Vec::new();
            if interference.foreign_bookings > 0 {
                what.push(format!(
                    "{} made by someone else",
                    plural(interference.foreign_bookings, "booking")
                ));
            }
            if interference.missing_bookings > 0 {
                what.push(format!(
                    "{} of this run's deleted by a reset",
                    plural(interference.missing_bookings, "booking")
                ));
            }
            let audit_says = Verdict::from_audit(audit).headline;
            return Verdict {
                tone: Tone::Warn,
                headline: "disturbed: not the strategy's verdict".to_string(),
                detail: format!(
                    "the run's event was touched from outside ({}); the audit reads \
                     \"{audit_says}\", but that is not what the strategy did: run it again",
                    what.join(", ")
                ),
            };
        }
        Verdict::from_audit(audit)
    }
}

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

    #[test]
    fn a_seat_sold_twice_gets_a_red_banner_even_within_capacity() {
        let audit = Audit::from_counts(1, 12, 3, 9).with_double_booked_seats(vec!["A2".into()]);
        let v = Verdict::from_audit(&audit);
        assert_eq!(v.tone, Tone::Bad);
        assert_eq!(v.headline, "SOLD TWICE: 1 seat");
        assert_eq!(
            v.detail,
            "A2 held by two bookings or more; 9 bookings for 12 seats"
        );
    }

    #[test]
    fn ten_bookings_of_one_seat_read_oversold_by_nine_in_red() {
        let v = Verdict::from_audit(&Audit::from_counts(1, 1, 0, 10));
        assert_eq!((v.tone, v.headline.as_str()), (Tone::Bad, "OVERSOLD by 9"));
        assert_eq!(v.detail, "10 bookings for 1 seat");
    }

    #[test]
    fn one_booking_of_the_last_seat_reads_exactly_one_in_green() {
        let v = Verdict::from_audit(&Audit::from_counts(1, 1, 0, 1));
        assert_eq!(
            (v.tone, v.headline.as_str()),
            (Tone::Good, "exactly one booking")
        );
    }

    #[test]
    fn a_counter_out_of_step_without_an_oversell_is_amber() {
        let v = Verdict::from_audit(&Audit::from_counts(2, 10, 9, 3));
        assert_eq!((v.tone, v.headline.as_str()), (Tone::Warn, "lost updates"));
        assert_eq!(v.detail, "3 bookings, but available went down by 1");
    }

    #[test]
    fn a_run_someone_else_booked_into_is_not_blamed_on_the_strategy() {
        let audit = Audit::from_counts(1, 1, 0, 11);
        let touched = Interference {
            foreign_bookings: 10,
            missing_bookings: 0,
        };
        let v = Verdict::for_run(&audit, RunState::Done, touched);
        assert_eq!(v.tone, Tone::Warn);
        assert!(v.headline.starts_with("disturbed"), "{v:?}");
        assert!(
            v.detail.contains("10 bookings made by someone else"),
            "{v:?}"
        );
        let clean = Verdict::for_run(&audit, RunState::Done, Interference::default());
        assert_eq!(clean.headline, "OVERSOLD by 10");
    }

    #[test]
    fn no_booking_at_all_is_amber_not_green() {
        let v = Verdict::from_audit(&Audit::from_counts(1, 1, 1, 0));
        assert_eq!(v.tone, Tone::Warn);
    }
}
