//! What the rounds of one endpoint or strategy found, as data (`--json`) and as the table a
//! workshop reads; and the rule that only protected fighters can fail a run.

use std::io::Write;

use serde::Serialize;

use crate::cli::Fighter;
use crate::round::Round;

/// Every round of one fighter.
#[derive(Debug, Serialize)]
pub struct FighterReport {
    /// `no-lock`, `with-lock` or the strategy's name.
    pub endpoint: String,
    /// The booking route, e.g. `/book-no-lock/{id}`.
    pub path: String,
    pub protected: bool,
    pub rounds: Vec<Round>,
    pub oversold_rounds: usize,
    pub lost_update_rounds: usize,
    pub correct_rounds: usize,
}

impl FighterReport {
    pub fn new(fighter: &Fighter, rounds: Vec<Round>) -> FighterReport {
        let count = |f: fn(&Round) -> bool| rounds.iter().filter(|r| f(r)).count();
        FighterReport {
            oversold_rounds: count(|r| r.audit.oversold > 0),
            lost_update_rounds: count(|r| r.audit.lost_updates),
            correct_rounds: count(|r| r.verdict.correct),
            endpoint: fighter.label.clone(),
            path: fighter.route.template(),
            protected: fighter.protected,
            rounds,
        }
    }

    /// A protected fighter must be right every round; an unprotected one teaches by failing.
    pub fn passed(&self) -> bool {
        !self.protected || self.correct_rounds == self.rounds.len()
    }
}

pub fn print_fighter(
    out: &mut impl Write,
    report: &FighterReport,
    header: &str,
) -> std::io::Result<()> {
    let last = report.rounds.last().expect("at least one round");
    let answers = &last.answers;
    let a = &answers.status;
    writeln!(out, "{:<12} {header}", report.endpoint)?;
    write!(
        out,
        "  answers    201 created {:>3} | 409 sold out {:>3} | 409 stale fence {:>3} | 503 {:>3} | other {:>3}",
        a.created, a.sold_out, a.stale_fence, a.unavailable, a.other
    )?;
    writeln!(out)?;
    if !answers.instances.is_empty() {
        let served: Vec<String> = answers
            .instances
            .iter()
            .map(|(i, n)| format!("{i}: {n}"))
            .collect();
        writeln!(out, "  201s from  {}", served.join(", "))?;
    }
    if let Some(other) = &answers.first_other {
        writeln!(out, "  first odd answer: {other}")?;
    }
    let audit = &last.audit;
    writeln!(
        out,
        "  audit      booked {} | available {} | oversold {} | lost updates {}",
        audit.booked,
        audit.available,
        audit.oversold,
        if audit.lost_updates { "yes" } else { "no" }
    )?;
    let note = match (report.protected, last.verdict.correct) {
        (false, false) => "  (no protection: this is the lesson)",
        (false, true) => "  (no protection, but no race this time: more --requests or a longer --race-window-ms make it certain)",
        (true, true) => "",
        (true, false) => "  <-- a protected endpoint got it wrong",
    };
    writeln!(out, "  verdict    {}{note}", last.verdict.text)?;
    if report.rounds.len() > 1 {
        writeln!(
            out,
            "  {} rounds: oversold in {}, lost updates in {}, exactly right in {} (the table shows the last)",
            report.rounds.len(),
            report.oversold_rounds,
            report.lost_update_rounds,
            report.correct_rounds
        )?;
    }
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::Endpoint;
    use oversold_api::verdict::{judge, wanted};
    use oversold_api::{Audit, StrategyName, Tally};

    /// A round of 10 requests at one ticket that ended with `booked` bookings.
    fn round(booked: i64) -> Round {
        let audit = Audit::from_counts(1, 1, 0, booked);
        let answers = Tally::default();
        let verdict = judge(&audit, &answers, wanted(10, 1));
        Round {
            answers,
            audit,
            verdict,
        }
    }

    #[test]
    fn an_unprotected_oversell_is_the_lesson_not_a_failure() {
        let no_lock = FighterReport::new(&Fighter::endpoint(Endpoint::NoLock), vec![round(10)]);
        assert!(no_lock.passed());
        assert_eq!(no_lock.oversold_rounds, 1);
        assert_eq!(no_lock.path, "/book-no-lock/{id}");
    }

    #[test]
    fn a_protected_fighter_fails_when_any_round_is_wrong() {
        let with_lock = Fighter::endpoint(Endpoint::WithLock);
        assert!(FighterReport::new(&with_lock, vec![round(1), round(1)]).passed());
        let report = FighterReport::new(&with_lock, vec![round(1), round(2), round(0)]);
        assert!(!report.passed());
        assert_eq!(
            (
                report.oversold_rounds,
                report.lost_update_rounds,
                report.correct_rounds
            ),
            (1, 2, 1)
        );
        assert!(
            !FighterReport::new(&Fighter::strategy(StrategyName::LocalMutex), vec![round(2)])
                .passed()
        );
    }

    #[test]
    fn the_table_shows_the_audit_and_the_lesson() {
        let report = FighterReport::new(&Fighter::endpoint(Endpoint::NoLock), vec![round(10)]);
        let mut out = Vec::new();
        print_fighter(&mut out, &report, "10 requests").unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("oversold 9"), "{text}");
        assert!(
            text.contains("OVERSOLD by 9  (no protection: this is the lesson)"),
            "{text}"
        );
    }
}

/// What every `--json` document opens with: where the fight went and what it was.
#[derive(Serialize)]
pub struct RunHeader<'a> {
    pub targets: &'a [String],
    pub event: i64,
    pub requests: u32,
    pub capacity: i64,
}

impl<'a> RunHeader<'a> {
    pub fn new(targets: &'a [String], round: &crate::cli::RoundArgs) -> RunHeader<'a> {
        RunHeader {
            targets,
            event: round.event,
            requests: round.requests,
            capacity: round.capacity,
        }
    }
}
