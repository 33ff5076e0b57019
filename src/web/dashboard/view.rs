//! What the dashboard template shows, shaped and worded in Rust so the template stays markup.

use crate::experiment::{timeline, Answer, Experiment, Summary, Verdict};
use crate::store::{Audit, Event};
use crate::strategy::{Expected, Outcome, Registry, StrategyName};

/// One event in the live table.
pub struct EventRow {
    pub event: Event,
    pub audit: Audit,
}

impl EventRow {
    pub fn new(event: Event) -> EventRow {
        EventRow {
            audit: event.audit(),
            event,
        }
    }

    /// The CSS class that colours the verdict: red oversold, amber lost updates, green clean.
    pub fn verdict_class(&self) -> &'static str {
        let a = &self.audit;
        if a.oversold > 0 || a.negative_available {
            "bad"
        } else if a.lost_updates {
            "warn"
        } else {
            "good"
        }
    }

    pub fn verdict(&self) -> String {
        let a = &self.audit;
        if a.oversold > 0 {
            format!("OVERSOLD by {}", a.oversold)
        } else if a.negative_available {
            "negative availability".to_string()
        } else if a.lost_updates {
            "lost updates".to_string()
        } else {
            "clean".to_string()
        }
    }
}

/// One strategy in the explain panel, with its last result from the history.
pub struct StrategyRow {
    pub name: &'static str,
    pub description: &'static str,
    pub expected: Expected,
    pub supported: bool,
    pub latest: Option<Summary>,
}

impl StrategyRow {
    pub fn all(running: crate::store::Backend, history: &[Summary]) -> Vec<StrategyRow> {
        StrategyName::ALL
            .iter()
            .map(|s| StrategyRow {
                name: s.as_str(),
                description: s.description(),
                expected: s.expected(),
                supported: s.databases().contains(&running),
                latest: history.iter().find(|h| h.strategy == s.as_str()).cloned(),
            })
            .collect()
    }
}

/// The experiment on show: its banner, the strategy's explanation, the timeline and the table.
pub struct ExperimentView {
    pub summary: Summary,
    pub description: &'static str,
    pub tally: Vec<(String, usize)>,
    pub timeline: String,
    pub rows: Vec<AnswerRow>,
}

impl ExperimentView {
    pub fn new(experiment: Experiment) -> ExperimentView {
        let strategy = &experiment.summary.strategy.parse::<StrategyName>().ok();
        ExperimentView {
            description: strategy.map_or("", Registry::description),
            tally: experiment.tally(),
            timeline: timeline::svg(
                &experiment.answers,
                strategy.is_some_and(Registry::checks_its_write),
            ),
            rows: experiment.answers.iter().map(AnswerRow::new).collect(),
            summary: experiment.summary,
        }
    }

    pub fn verdict(&self) -> &Verdict {
        &self.summary.verdict
    }
}

/// One request in the experiment's table, every number already formatted.
pub struct AnswerRow {
    pub number: usize,
    pub instance: String,
    pub outcome: String,
    pub booked: bool,
    pub latency: String,
    pub lock_wait: String,
    pub token: String,
    pub held: String,
    pub write: String,
    pub lease_end: String,
    pub lease_expired: bool,
}

impl AnswerRow {
    fn new(answer: &Answer) -> AnswerRow {
        let trace = answer.trace.as_ref();
        let lease_expired = trace.and_then(|t| t.lease_expired) == Some(true);
        AnswerRow {
            number: answer.index + 1,
            instance: answer.instance().to_string(),
            outcome: answer.outcome(),
            booked: answer.status == 201,
            latency: ms(Some(answer.latency_ms)),
            lock_wait: ms(trace.and_then(|t| t.lock_acquired_ms)),
            token: trace
                .and_then(|t| t.fence_token)
                .map_or_else(|| "–".to_string(), |t| t.to_string()),
            held: ms(trace.and_then(|t| t.hold_ms())),
            write: ms(trace.and_then(|t| Some(t.write_done_ms? - t.write_started_ms?))),
            lease_end: match trace.and_then(|t| t.lease_ends_ms) {
                Some(end) if lease_expired => format!("expired at {end:.0} ms"),
                Some(end) => format!("{end:.0} ms"),
                None => "–".to_string(),
            },
            lease_expired,
        }
    }
}

/// "12 ms", or a dash when the moment did not happen.
fn ms(value: Option<f64>) -> String {
    match value {
        Some(v) if v < 10.0 => format!("{v:.1} ms"),
        Some(v) => format!("{v:.0} ms"),
        None => "–".to_string(),
    }
}

/// "2 instances" or the one instance's URL, for the history.
pub fn targets(summary: &Summary) -> String {
    match summary.targets.as_slice() {
        [one] => one.trim_start_matches("http://").to_string(),
        many => format!("{} instances", many.len()),
    }
}

impl StrategyRow {
    /// The strategy's row of the design table, in words: one instance, two, paused past its TTL.
    pub fn expectations(&self) -> [(&'static str, &'static str); 3] {
        let e = &self.expected;
        [
            ("one instance", expectation(e.one_instance)),
            ("two instances", expectation(e.two_instances)),
            ("paused past TTL", expectation(e.paused_past_ttl)),
        ]
    }
}

fn expectation(expected: Outcome) -> &'static str {
    match expected {
        Outcome::Safe => "safe",
        Outcome::Oversells => "oversells",
        Outcome::StaleRejected => "late holder refused",
    }
}
