//! One round of a fight: reset the event, release the requests together, read the audit, judge.
//!
//! A round serializes flat: the answers (`status`, `instances`), the audit's numbers and the
//! verdict, e.g. `{"status": {...}, "instances": {"app-1": 1}, "booked": 1, "available": 0, ...,
//! "clean": true, "verdict": "exactly one booking", "kind": "safe", "correct": true}`.

use serde::Serialize;

use crate::answers::Answers;
use crate::lab::{Audit, Lab, LabError};
use crate::verdict::{self, Verdict};

#[derive(Clone, Debug, Serialize)]
pub struct Round {
    #[serde(flatten)]
    pub answers: Answers,
    #[serde(flatten)]
    pub audit: Audit,
    #[serde(flatten)]
    pub verdict: Verdict,
}

/// What every round of a run shares.
#[derive(Clone, Copy, Debug)]
pub struct Setup {
    pub event: i64,
    pub requests: u32,
    pub capacity: i64,
}

impl Round {
    /// Resets the event (on the first target), sends `setup.requests` POSTs to `path` spread over
    /// `targets`, then judges what the first target's audit says.
    pub async fn play(
        lab: &Lab,
        setup: Setup,
        targets: &[String],
        path: &str,
    ) -> Result<Round, LabError> {
        lab.reset(setup.event, setup.capacity).await?;
        let answers = lab.fight(targets, setup.requests, path).await;
        let audit = lab.audit(setup.event).await?;
        let verdict = verdict::judge(&audit, &answers, setup.requests, setup.capacity);
        Ok(Round {
            answers,
            audit,
            verdict,
        })
    }
}
