//! Experiments: the fight the server runs itself. The input of `POST /experiments`, and a run as
//! `GET /experiments` (summaries) and `GET /experiments/{id}` (with every answer) return it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::audit::Audit;
use crate::booking::{Marks, NoAnswer};
use crate::error::ErrorCode;
use crate::strategy::StrategyName;
use crate::verdict::Banner;

/// Where an experiment's requests go.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    /// Only the instance that runs the experiment.
    #[default]
    This,
    /// That instance and every `--peers` URL, round-robin.
    All,
}

/// The body of `POST /experiments`; every field but `strategy` has a server default.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExperimentInput {
    pub strategy: StrategyName,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requests: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub race_window_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<Target>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_id: Option<i64>,
    /// Run on a seat map of this many seats (1 to 100) instead of plain tickets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seat_map: Option<u64>,
    /// On a seat map, the seats each request books (at random, seeded by the run).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seats_per_request: Option<u64>,
}

impl ExperimentInput {
    /// The strategy alone, everything else the server's default.
    pub fn new(strategy: StrategyName) -> ExperimentInput {
        ExperimentInput {
            strategy,
            requests: None,
            capacity: None,
            race_window_ms: None,
            ttl_ms: None,
            target: None,
            event_id: None,
            seat_map: None,
            seats_per_request: None,
        }
    }
}

/// One run without its per-request answers: what the history lists.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExperimentSummary {
    pub id: i64,
    pub created_at: DateTime<Utc>,
    /// The instance that ran the experiment (the requests went to `targets`).
    pub instance: String,
    pub strategy: StrategyName,
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

/// One run with every request's answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Experiment {
    #[serde(flatten)]
    pub summary: ExperimentSummary,
    pub answers: Vec<ExperimentAnswer>,
}

/// Why a request of an experiment did not book: the error code of its refusal, or why no
/// answer came. Both are plain words on the wire (`"sold_out"`, `"timeout"`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Failure {
    Refused(ErrorCode),
    NoAnswer(NoAnswer),
}

/// What one request of an experiment got back.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExperimentAnswer {
    /// The request's number, from 0, in the order the requests were spread over the targets.
    pub index: usize,
    pub target: String,
    /// The HTTP status; 0 when no answer came (connection refused, timeout).
    pub status: u16,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<Failure>,
    /// When the request was sent, in ms after the first request of the experiment was sent.
    pub sent_ms: f64,
    /// From sending the request to reading the whole answer.
    pub latency_ms: f64,
    /// When the server took the request, on the same clock as `sent_ms`.
    pub started_ms: f64,
    /// The server's marks (lock taken, read, write, release, lease end) from the answer's body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace: Option<Marks>,
    /// The seats the request asked for, on a seat map; empty on plain tickets.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub seats: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `GET /experiments/{id}` as the server answers it for a no-lock run over two instances.
    const SHOWN: &str = r#"{"id":4,"created_at":"2025-01-02T03:04:05.123456Z","instance":"app-1",
        "strategy":"no-lock","event_id":1,"requests":3,"capacity":1,"race_window_ms":200,
        "ttl_ms":10000,"targets":["http://127.0.0.1:8080","http://127.0.0.1:8081"],
        "duration_ms":215.5,
        "audit":{"event_id":1,"capacity":1,"available":0,"booked":2,"oversold":1,
                 "lost_updates":true,"negative_available":false,"clean":false},
        "verdict":{"tone":"bad","headline":"OVERSOLD by 1","detail":"2 bookings for 1 seat"},
        "answers":[
          {"index":0,"target":"http://127.0.0.1:8080","status":201,"sent_ms":0.0,
           "latency_ms":210.0,"started_ms":0.4,"trace":{"instance":"app-1","read_ms":0.2,"total_ms":205.0}},
          {"index":1,"target":"http://127.0.0.1:8081","status":409,"error":"sold_out",
           "sent_ms":0.1,"latency_ms":3.0,"started_ms":0.5,"trace":{"instance":"app-2","total_ms":2.0}},
          {"index":2,"target":"http://127.0.0.1:8081","status":0,"error":"timeout",
           "sent_ms":0.2,"latency_ms":3000.0,"started_ms":0.2}]}"#;

    #[test]
    fn a_stored_experiment_reads_with_typed_failures_and_writes_back_the_same() {
        let experiment: Experiment = serde_json::from_str(SHOWN).unwrap();
        assert_eq!(experiment.summary.strategy, StrategyName::NoLock);
        assert_eq!(
            experiment.answers[1].error,
            Some(Failure::Refused(ErrorCode::SoldOut))
        );
        assert_eq!(
            experiment.answers[2].error,
            Some(Failure::NoAnswer(NoAnswer::Timeout))
        );
        let again = serde_json::to_value(&experiment).unwrap();
        assert_eq!(
            again,
            serde_json::from_str::<serde_json::Value>(SHOWN).unwrap()
        );
    }

    #[test]
    fn an_input_sends_only_what_was_chosen() {
        let input = ExperimentInput {
            target: Some(Target::All),
            ..ExperimentInput::new(StrategyName::Redis)
        };
        assert_eq!(
            serde_json::to_string(&input).unwrap(),
            r#"{"strategy":"redis","target":"all"}"#
        );
    }
}
