//! One round of a fight: reset the event, release the requests together, read the audit, judge.
//!
//! A round serializes flat: the tally (`status`, `instances`), the audit's numbers and the
//! verdict, e.g. `{"status": {...}, "instances": {"app-1": 1}, "booked": 1, "available": 0, ...,
//! "clean": true, "verdict": "exactly one booking", "kind": "safe", "correct": true}`.

use oversold_api::verdict::{judge, wanted};
use oversold_api::{Audit, Client, ClientError, FanOut, Tally, Verdict};
use serde::Serialize;

use crate::cli::RoundArgs;

#[derive(Clone, Debug, Serialize)]
pub struct Round {
    #[serde(flatten)]
    pub answers: Tally,
    #[serde(flatten)]
    pub audit: Audit,
    #[serde(flatten)]
    pub verdict: Verdict,
}

impl Round {
    /// Resets the event (on the first target), sends `setup.requests` POSTs to `path` spread over
    /// `targets`, then judges what the first target's audit says.
    pub async fn play(
        client: &Client,
        setup: RoundArgs,
        targets: &[String],
        path: &str,
    ) -> Result<Round, ClientError> {
        client.reset(setup.event, Some(setup.capacity)).await?;
        let sent = client
            .fire_together(FanOut {
                targets,
                path,
                requests: setup.requests as usize,
                customer: Some("test_concurrent #"),
                timeout: None,
                in_flight: setup.in_flight.map(|n| n as usize),
            })
            .await;
        let answers = Tally::of(sent.iter().map(|s| &s.answer));
        let audit = client.audit(setup.event).await?;
        let verdict = judge(
            &audit,
            &answers,
            wanted(setup.requests.into(), setup.capacity),
        );
        Ok(Round {
            answers,
            audit,
            verdict,
        })
    }
}
