//! The banner over an experiment: the audit in words a room reads at a glance.
//!
//! Only the audit decides (the rows in `bookings` against the event's counters); the answers the
//! requests got are shown beside it, never counted into it. A run whose event was touched by
//! anything else gets a banner that says so rather than one that blames (or praises) the strategy.
//! Every word of the banner is in `locales/<lang>/verdict.ftl`; the JSON API carries the English
//! one ([`Verdict::from_audit`]), the pages the reader's ([`Verdict::from_audit_in`]).

use serde::{Deserialize, Serialize};

use crate::i18n::Lang;
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
    /// The banner in English, as the JSON API and the CLI carry it.
    pub fn from_audit(audit: &Audit) -> Verdict {
        Verdict::from_audit_in(audit, Lang::En)
    }

    /// The banner in `lang`: every word comes from `locales/<lang>/verdict.ftl`.
    pub fn from_audit_in(audit: &Audit, lang: Lang) -> Verdict {
        let n = |x: i64| lang.number(x);
        let seats = lang.t1("verdict-seats", "n", n(audit.capacity));
        let bookings = lang.t1("verdict-bookings", "n", n(audit.booked));
        let (tone, headline, detail) = if !audit.double_booked_seats.is_empty() {
            // Checked first: a seat sold twice is an oversell of that seat, even when the total
            // stays within capacity.
            (
                Tone::Bad,
                lang.t1(
                    "verdict-sold-twice",
                    "seats",
                    lang.t1(
                        "verdict-seats",
                        "n",
                        n(audit.double_booked_seats.len() as i64),
                    ),
                ),
                lang.t_args(
                    "verdict-sold-twice-detail",
                    &[
                        ("list", &oversold_api::seat_list(&audit.double_booked_seats)),
                        ("bookings", &bookings),
                        ("seats", &seats),
                    ],
                ),
            )
        } else if audit.oversold > 0 {
            (
                Tone::Bad,
                lang.t1("verdict-oversold", "n", n(audit.oversold)),
                lang.t2("verdict-for", "bookings", &bookings, "seats", &seats),
            )
        } else if audit.negative_available {
            (
                Tone::Bad,
                lang.t("verdict-negative"),
                lang.t1("verdict-negative-detail", "available", n(audit.available)),
            )
        } else if audit.lost_updates {
            (
                Tone::Warn,
                lang.t("verdict-lost-updates"),
                lang.t2(
                    "verdict-lost-updates-detail",
                    "bookings",
                    &bookings,
                    "down",
                    n(audit.capacity - audit.available),
                ),
            )
        } else if audit.booked == 0 {
            (
                Tone::Warn,
                lang.t("verdict-no-booking"),
                if audit.capacity == 1 {
                    lang.t("verdict-nobody-got-the-seat")
                } else {
                    lang.t1("verdict-nobody-got-any", "seats", &seats)
                },
            )
        } else if audit.booked == 1 {
            (
                Tone::Good,
                lang.t("verdict-exactly-one"),
                lang.t1("verdict-exactly-one-detail", "seats", &seats),
            )
        } else {
            (
                Tone::Good,
                lang.t1("verdict-none-oversold", "bookings", &bookings),
                lang.t2(
                    "verdict-counter-agrees",
                    "bookings",
                    &bookings,
                    "seats",
                    &seats,
                ),
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
    /// The banner of a stored run, in English (the JSON API's).
    pub fn for_run(audit: &Audit, state: RunState, interference: Interference) -> Verdict {
        Verdict::for_run_in(audit, state, interference, Lang::En)
    }

    /// The banner of a stored run in `lang`: the audit's verdict, unless the run is still going,
    /// did not finish, or shared its event with something else.
    pub fn for_run_in(
        audit: &Audit,
        state: RunState,
        interference: Interference,
        lang: Lang,
    ) -> Verdict {
        match state {
            RunState::Running => {
                return Verdict {
                    tone: Tone::Warn,
                    headline: lang.t("verdict-running"),
                    detail: lang.t("verdict-running-detail"),
                }
            }
            RunState::Failed => {
                return Verdict {
                    tone: Tone::Warn,
                    headline: lang.t("verdict-failed"),
                    detail: lang.t("verdict-failed-detail"),
                }
            }
            RunState::Done => {}
        }
        if interference.any() {
            let mut what = Vec::new();
            if interference.foreign_bookings > 0 {
                what.push(lang.t1(
                    "verdict-foreign",
                    "bookings",
                    lang.t1(
                        "verdict-bookings",
                        "n",
                        lang.number(interference.foreign_bookings),
                    ),
                ));
            }
            if interference.missing_bookings > 0 {
                what.push(lang.t1(
                    "verdict-missing",
                    "bookings",
                    lang.t1(
                        "verdict-bookings",
                        "n",
                        lang.number(interference.missing_bookings),
                    ),
                ));
            }
            let audit_says = Verdict::from_audit_in(audit, lang).headline;
            return Verdict {
                tone: Tone::Warn,
                headline: lang.t("verdict-disturbed"),
                detail: lang.t2(
                    "verdict-disturbed-detail",
                    "what",
                    what.join(", "),
                    "audit",
                    audit_says,
                ),
            };
        }
        Verdict::from_audit_in(audit, lang)
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
