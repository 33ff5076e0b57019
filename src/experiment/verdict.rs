//! The banner over an experiment: the audit in words a room reads at a glance.
//!
//! Only the audit decides (the rows in `bookings` against the event's counters), as the wire
//! contract's [`Finding::of`] reads it; the answers the requests got are shown beside it, never
//! counted into it. A run whose event was touched by anything else gets a banner that says so
//! rather than one that blames (or praises) the strategy. The banner is the wire's [`Banner`]
//! (what `"verdict"` of an experiment carries); every word of it is in
//! `locales/<lang>/verdict.ftl`. The JSON API carries the English one, the pages the reader's.

use oversold_api::verdict::Finding;
pub use oversold_api::{Banner, Tone};

use crate::i18n::Lang;
use crate::store::Audit;

use super::{Interference, RunState};

/// The audit's banner in `lang`.
pub fn of_audit(audit: &Audit, lang: Lang) -> Banner {
    let n = |x: i64| lang.number(x);
    let seats = lang.t1("verdict-seats", "n", n(audit.capacity));
    let bookings = lang.t1("verdict-bookings", "n", n(audit.booked));
    let (tone, headline, detail) = match Finding::of(audit) {
        // A seat sold twice is an oversell of that seat, even when the total stays within
        // capacity (the finding checks it first).
        Finding::SeatsSoldTwice { seats: twice } => (
            Tone::Bad,
            lang.t1(
                "verdict-sold-twice",
                "seats",
                lang.t1("verdict-seats", "n", n(twice as i64)),
            ),
            lang.t_args(
                "verdict-sold-twice-detail",
                &[
                    ("list", &oversold_api::seat_list(&audit.double_booked_seats)),
                    ("bookings", &bookings),
                    ("seats", &seats),
                ],
            ),
        ),
        Finding::Oversold { by } => (
            Tone::Bad,
            lang.t1("verdict-oversold", "n", n(by)),
            lang.t2("verdict-for", "bookings", &bookings, "seats", &seats),
        ),
        Finding::NegativeAvailable { available } => (
            Tone::Bad,
            lang.t("verdict-negative"),
            lang.t1("verdict-negative-detail", "available", n(available)),
        ),
        Finding::LostUpdates { counted, .. } => (
            Tone::Warn,
            lang.t("verdict-lost-updates"),
            lang.t2(
                "verdict-lost-updates-detail",
                "bookings",
                &bookings,
                "down",
                n(counted),
            ),
        ),
        Finding::Clean { booked: 0 } => (
            Tone::Warn,
            lang.t("verdict-no-booking"),
            if audit.capacity == 1 {
                lang.t("verdict-nobody-got-the-seat")
            } else {
                lang.t1("verdict-nobody-got-any", "seats", &seats)
            },
        ),
        Finding::Clean { booked: 1 } => (
            Tone::Good,
            lang.t("verdict-exactly-one"),
            lang.t1("verdict-exactly-one-detail", "seats", &seats),
        ),
        Finding::Clean { .. } => (
            Tone::Good,
            lang.t1("verdict-none-oversold", "bookings", &bookings),
            lang.t2(
                "verdict-counter-agrees",
                "bookings",
                &bookings,
                "seats",
                &seats,
            ),
        ),
    };
    Banner {
        tone,
        headline,
        detail,
    }
}

/// The banner of a stored run in `lang`: the audit's, unless the run is still going, did not
/// finish, or shared its event with something else.
pub fn of_run(audit: &Audit, state: RunState, interference: Interference, lang: Lang) -> Banner {
    let said = |tone, headline: &str, detail: String| Banner {
        tone,
        headline: lang.t(headline),
        detail,
    };
    match state {
        RunState::Running => {
            return said(
                Tone::Warn,
                "verdict-running",
                lang.t("verdict-running-detail"),
            )
        }
        RunState::Failed => {
            return said(
                Tone::Warn,
                "verdict-failed",
                lang.t("verdict-failed-detail"),
            )
        }
        RunState::Done => {}
    }
    if !interference.any() {
        return of_audit(audit, lang);
    }
    let bookings = |count: i64| lang.t1("verdict-bookings", "n", lang.number(count));
    let mut what = Vec::new();
    if interference.foreign_bookings > 0 {
        let foreign = bookings(interference.foreign_bookings);
        what.push(lang.t1("verdict-foreign", "bookings", foreign));
    }
    if interference.missing_bookings > 0 {
        let missing = bookings(interference.missing_bookings);
        what.push(lang.t1("verdict-missing", "bookings", missing));
    }
    let audit_says = of_audit(audit, lang).headline;
    let detail = lang.t2(
        "verdict-disturbed-detail",
        "what",
        what.join(", "),
        "audit",
        audit_says,
    );
    said(Tone::Warn, "verdict-disturbed", detail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seat_sold_twice_gets_a_red_banner_even_within_capacity() {
        let audit = Audit::from_counts(1, 12, 3, 9).with_double_booked_seats(vec!["A2".into()]);
        let v = of_audit(&audit, Lang::En);
        assert_eq!(v.tone, Tone::Bad);
        assert_eq!(v.headline, "SOLD TWICE: 1 seat");
        assert_eq!(
            v.detail,
            "A2 held by two bookings or more; 9 bookings for 12 seats"
        );
    }

    #[test]
    fn ten_bookings_of_one_seat_read_oversold_by_nine_in_red() {
        let v = of_audit(&Audit::from_counts(1, 1, 0, 10), Lang::En);
        assert_eq!((v.tone, v.headline.as_str()), (Tone::Bad, "OVERSOLD by 9"));
        assert_eq!(v.detail, "10 bookings for 1 seat");
    }

    #[test]
    fn one_booking_of_the_last_seat_reads_exactly_one_in_green() {
        let v = of_audit(&Audit::from_counts(1, 1, 0, 1), Lang::En);
        assert_eq!(
            (v.tone, v.headline.as_str()),
            (Tone::Good, "exactly one booking")
        );
    }

    #[test]
    fn a_counter_out_of_step_without_an_oversell_is_amber() {
        let v = of_audit(&Audit::from_counts(2, 10, 9, 3), Lang::En);
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
        let v = of_run(&audit, RunState::Done, touched, Lang::En);
        assert_eq!(v.tone, Tone::Warn);
        assert!(v.headline.starts_with("disturbed"), "{v:?}");
        assert!(
            v.detail.contains("10 bookings made by someone else"),
            "{v:?}"
        );
        let clean = of_run(&audit, RunState::Done, Interference::default(), Lang::En);
        assert_eq!(clean.headline, "OVERSOLD by 10");
    }

    #[test]
    fn no_booking_at_all_is_amber_not_green() {
        let v = of_audit(&Audit::from_counts(1, 1, 1, 0), Lang::En);
        assert_eq!(v.tone, Tone::Warn);
    }
}
