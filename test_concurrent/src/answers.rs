//! Tallying how the requests of one round were answered: by status, by error code, by instance.
//!
//! The tally is colour for the table (who was told "sold out", which instance sold), never the
//! verdict: that comes from the audit. Every request lands in exactly one count, so
//! `created + sold_out + stale_fence + unavailable + other` is always the number sent.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

/// Answers per kind; together they add up to the requests sent.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct Status {
    /// 201: a booking was made.
    pub created: u32,
    /// 409 `sold_out`: no ticket left.
    pub sold_out: u32,
    /// 409 `stale_fence`: a late lock holder turned away by the fencing check.
    pub stale_fence: u32,
    /// 503: the lock (or the database) could not be had in time (`lock_timeout`,
    /// `quorum_unavailable`, `redis_unavailable`, `contention`, ...).
    pub unavailable: u32,
    /// Anything else: other 4xx/5xx answers (e.g. 409 `lock_expired`, 501), timeouts, broken
    /// connections.
    pub other: u32,
}

/// How one round was answered.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct Answers {
    pub status: Status,
    /// 201s per instance that served them (the booking's `instance`).
    pub instances: BTreeMap<String, u32>,
    /// The first answer counted as `other`, to show why something went wrong.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_other: Option<String>,
}

/// One request's outcome: the HTTP status and JSON body, or why no answer came.
pub type Outcome = Result<(u16, Value), String>;

impl Answers {
    pub fn tally(outcomes: impl IntoIterator<Item = Outcome>) -> Answers {
        let mut answers = Answers::default();
        for outcome in outcomes {
            answers.add(outcome);
        }
        answers
    }

    pub fn total(&self) -> u32 {
        let s = &self.status;
        s.created + s.sold_out + s.stale_fence + s.unavailable + s.other
    }

    fn add(&mut self, outcome: Outcome) {
        let s = &mut self.status;
        match outcome {
            Ok((201, body)) => {
                s.created += 1;
                let instance = body["booking"]["instance"].as_str().unwrap_or("?");
                *self.instances.entry(instance.to_string()).or_default() += 1;
            }
            Ok((409, body)) if body["error"] == "sold_out" => s.sold_out += 1,
            Ok((409, body)) if body["error"] == "stale_fence" => s.stale_fence += 1,
            Ok((503, _)) => s.unavailable += 1,
            Ok((status, body)) => {
                s.other += 1;
                let why = body["message"]
                    .as_str()
                    .or(body["error"].as_str())
                    .unwrap_or("no message");
                self.first_other
                    .get_or_insert_with(|| format!("{status}: {why}"));
            }
            Err(reason) => {
                s.other += 1;
                self.first_other.get_or_insert(reason);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn error(status: u16, code: &str) -> Outcome {
        Ok((
            status,
            json!({"error": code, "message": format!("{code} happened")}),
        ))
    }

    fn booked(instance: &str) -> Outcome {
        Ok((
            201,
            json!({"booking": {"instance": instance}, "elapsed_ms": 1.0}),
        ))
    }

    #[test]
    fn every_answer_is_counted_once_and_201s_by_instance() {
        let answers = Answers::tally([
            booked("app-1"),
            booked("app-2"),
            booked("app-1"),
            error(409, "sold_out"),
            error(409, "stale_fence"),
            error(503, "lock_timeout"),
            error(503, "quorum_unavailable"),
            error(409, "lock_expired"),
            Err("timed out".to_string()),
        ]);
        assert_eq!(
            answers.status,
            Status {
                created: 3,
                sold_out: 1,
                stale_fence: 1,
                unavailable: 2,
                other: 2,
            }
        );
        assert_eq!(answers.total(), 9);
        assert_eq!(answers.instances["app-1"], 2);
        assert_eq!(answers.instances["app-2"], 1);
        assert_eq!(
            answers.first_other.as_deref(),
            Some("409: lock_expired happened")
        );
    }

    #[test]
    fn a_201_without_an_instance_is_still_a_booking() {
        let answers = Answers::tally([Ok((201, Value::Null))]);
        assert_eq!(answers.status.created, 1);
        assert_eq!(answers.instances["?"], 1);
    }
}
