//! Experiments: the fight run by the server itself, started from the dashboard, kept in the database.
//!
//! An experiment creates an event of its own with the capacity it asks for (so two runs, or a run
//! and a load test, can never book the same seats), fires N bookings with one strategy at this
//! instance or at every instance it knows (`--peers`), all released together, then reads the
//! verdict from the audit, and says so when anything but the run touched its event. Each
//! request's answer keeps its `trace`, which the timeline draws. [`spec`] checks the input,
//! [`runner`] fans out, [`storage`] keeps the history in the same database as the events (so every
//! instance shows it, a run in progress included), [`verdict`] words the audit and [`timeline`]
//! draws the SVG.

mod error;
pub mod runner;
pub mod spec;
pub mod storage;
pub mod timeline;
pub mod verdict;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::store::Audit;
use crate::trace::Marks;

pub use error::ExperimentError;
pub use runner::Runner;
pub use spec::{ExperimentInput, SeatPlan, Spec, Target};
pub use verdict::{Banner, Tone};

/// Where a run is: stored when it starts, so a page loaded mid-run can show it and then its result.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunState {
    Running,
    Done,
    /// The run could not finish (the database failed, or the server stopped before the audit).
    Failed,
}

impl RunState {
    pub fn name(self) -> &'static str {
        match self {
            RunState::Running => "running",
            RunState::Done => "done",
            RunState::Failed => "failed",
        }
    }

    pub fn from_name(name: &str) -> RunState {
        match name {
            "running" => RunState::Running,
            "done" => RunState::Done,
            _ => RunState::Failed,
        }
    }
}

/// What touched the run's event besides the run itself, found when it was audited.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interference {
    /// Bookings on the event that none of the run's requests made.
    pub foreign_bookings: i64,
    /// The run's own `201 booked` answers whose booking rows were gone (a reset in between).
    pub missing_bookings: i64,
}

impl Interference {
    pub fn any(&self) -> bool {
        self.foreign_bookings > 0 || self.missing_bookings > 0
    }
}

/// One run without its per-request answers: what the history lists.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Summary {
    pub id: i64,
    pub created_at: DateTime<Utc>,
    pub state: RunState,
    /// The run booked an event created for it (every run since runs stay apart); `false` for
    /// runs recorded before that, which reset a shared event.
    pub own_event: bool,
    pub interference: Interference,
    /// The instance that ran the experiment (the requests went to `targets`).
    pub instance: String,
    pub strategy: String,
    pub event_id: i64,
    pub requests: i64,
    pub capacity: i64,
    pub race_window_ms: i64,
    pub ttl_ms: i64,
    /// Base URLs the requests were spread over, round-robin.
    pub targets: Vec<String>,
    /// From releasing the requests to the last answer.
    pub duration_ms: f64,
    /// The event's audit read from the database right after the last answer.
    pub audit: Audit,
    pub verdict: Banner,
}

impl Summary {
    /// Bookings answered per second, over the whole run.
    /// The run's banner in `lang` (the stored `verdict` is the English one the API carries).
    pub fn verdict_in(&self, lang: &crate::i18n::Lang) -> Banner {
        verdict::of_run(&self.audit, self.state, self.interference, *lang)
    }

    pub fn throughput(&self) -> f64 {
        if self.duration_ms <= 0.0 {
            return 0.0;
        }
        self.requests as f64 * 1000.0 / self.duration_ms
    }

    pub fn running(&self) -> bool {
        self.state == RunState::Running
    }
}

/// One run with every request's answer.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Experiment {
    #[serde(flatten)]
    pub summary: Summary,
    pub answers: Vec<Answer>,
}

/// What one request of an experiment got back.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Answer {
    /// The request's number, from 0, in the order the requests were spread over the targets.
    pub index: usize,
    pub target: String,
    /// The HTTP status; 0 when no answer came (connection refused, timeout).
    pub status: u16,
    /// The error code of a refused booking, or why no answer came.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// When the request was sent, in ms after the first request of the experiment was sent.
    pub sent_ms: f64,
    /// From sending the request to reading the whole answer.
    pub latency_ms: f64,
    /// When the server took the request, on the same clock as `sent_ms`; the trace's marks count
    /// from here.
    pub started_ms: f64,
    /// The server's marks (lock taken, read, write, release, lease end) from the answer's body.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace: Option<Marks>,
    /// The seats the request asked for, on a seat map; empty on plain tickets.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub seats: Vec<String>,
}

impl Answer {
    /// The instance that served the request, as it named itself in the trace.
    pub fn instance(&self) -> &str {
        self.trace
            .as_ref()
            .map(|t| t.instance.as_str())
            .unwrap_or("?")
    }

    /// "201 booked", "409 sold_out", "no answer: timeout": the status with the error code of the
    /// wire contract, which stays as the API spells it in every language; the words around it
    /// ("booked", "no answer") in `lang`.
    pub fn outcome_in(&self, lang: crate::i18n::Lang) -> String {
        match (&self.error, self.status) {
            (None, 201) => lang.t("outcome-booked"),
            (Some(code), 0) => lang.t1("outcome-no-answer", "code", code),
            (Some(code), status) => format!("{status} {code}"),
            (None, status) => status.to_string(),
        }
    }
}

impl Experiment {
    /// How many answers had each outcome, most frequent first: "201 booked × 1, 409 sold_out × 9",
    /// the outcomes in `lang`.
    pub fn tally_in(&self, lang: crate::i18n::Lang) -> Vec<(String, usize)> {
        let mut counts: Vec<(String, usize)> = Vec::new();
        for answer in &self.answers {
            let outcome = answer.outcome_in(lang);
            match counts.iter_mut().find(|(o, _)| *o == outcome) {
                Some((_, n)) => *n += 1,
                None => counts.push((outcome, 1)),
            }
        }
        counts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        counts
    }
}
