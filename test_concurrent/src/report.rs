//! What a run found, as data (`--json`) and as the tables a workshop reads.

use std::io::Write;

use serde::Serialize;

use crate::lab::{Answers, Audit};
use crate::verdict::Verdict;

#[derive(Clone, Debug, Serialize)]
pub struct Round {
    pub status: Answers,
    #[serde(flatten)]
    pub audit: Audit,
    pub verdict: Verdict,
}

/// Every round of one fighter.
#[derive(Debug, Serialize)]
pub struct FighterReport {
    pub endpoint: String,
    pub path: String,
    pub protected: bool,
    pub rounds: Vec<Round>,
    pub oversold_rounds: usize,
    pub lost_update_rounds: usize,
    pub correct_rounds: usize,
}

impl FighterReport {
    pub fn new(
        endpoint: String,
        path: String,
        protected: bool,
        rounds: Vec<Round>,
    ) -> FighterReport {
        let count = |f: fn(&Round) -> bool| rounds.iter().filter(|r| f(r)).count();
        FighterReport {
            oversold_rounds: count(|r| r.audit.oversold > 0),
            lost_update_rounds: count(|r| r.audit.lost_updates),
            correct_rounds: count(|r| r.verdict.correct),
            endpoint,
            path,
            protected,
            rounds,
        }
    }

    /// A protected fighter must be right every round; an unprotected one teaches by failing.
    pub fn passed(&self) -> bool {
        !self.protected || self.correct_rounds == self.rounds.len()
    }
}

/// One cell of the matrix: a round and what the strategy's row says it should be.
#[derive(Debug, Serialize)]
pub struct Cell {
    pub expected: Option<String>,
    pub matches: bool,
    #[serde(flatten)]
    pub round: Option<Round>,
    /// Why the cell was not measured (e.g. only one target for "two instances").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct MatrixRow {
    pub strategy: String,
    pub one_instance: Cell,
    pub two_instances: Cell,
    pub paused_past_ttl: Cell,
}

pub fn print_fighter(
    out: &mut impl Write,
    report: &FighterReport,
    header: &str,
) -> std::io::Result<()> {
    let last = report.rounds.last().expect("at least one round");
    let a = &last.status;
    writeln!(out, "{:<12} {header}", report.endpoint)?;
    write!(
        out,
        "  answers    201 created {:>3} | 409 sold out {:>3} | 409 stale fence {:>3} | 503 {:>3} | other {:>3}",
        a.created, a.sold_out, a.stale_fence, a.unavailable, a.other
    )?;
    writeln!(out)?;
    if !a.instances.is_empty() {
        let served: Vec<String> = a
            .instances
            .iter()
            .map(|(i, n)| format!("{i}: {n}"))
            .collect();
        writeln!(out, "  201s from  {}", served.join(", "))?;
    }
    if let Some(other) = &a.first_other {
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
        (false, _) => "  (no protection: this is the lesson)",
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

pub fn print_matrix(out: &mut impl Write, rows: &[MatrixRow], paused: &str) -> std::io::Result<()> {
    let columns = [
        "one instance",
        "two instances",
        &format!("paused past TTL ({paused})"),
    ];
    writeln!(
        out,
        "{:<12} {:<34} {:<34} {}",
        "strategy", columns[0], columns[1], columns[2]
    )?;
    for row in rows {
        let cells = [&row.one_instance, &row.two_instances, &row.paused_past_ttl].map(describe);
        writeln!(
            out,
            "{:<12} {:<34} {:<34} {}",
            row.strategy, cells[0], cells[1], cells[2]
        )?;
    }
    let wrong = rows
        .iter()
        .flat_map(|r| [&r.one_instance, &r.two_instances, &r.paused_past_ttl])
        .filter(|c| !c.matches)
        .count();
    writeln!(out)?;
    match wrong {
        0 => writeln!(out, "every cell matches the strategy's expected row"),
        n => writeln!(
            out,
            "{n} cell(s) did not match the expected row (marked '!= expected')"
        ),
    }
}

fn describe(cell: &Cell) -> String {
    match (&cell.round, &cell.skipped) {
        (_, Some(why)) => format!("- ({why})"),
        (Some(round), None) if cell.matches => format!("{} ok", round.verdict.text),
        (Some(round), None) => format!(
            "{} != expected {}",
            round.verdict.text,
            cell.expected.as_deref().unwrap_or("?")
        ),
        (None, None) => "-".to_string(),
    }
}
