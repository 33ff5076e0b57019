//! Talking to the running lab over HTTP: reachability, strategies, resets, audits and the fight.
//!
//! A fight releases every request at once: each task builds its request and waits on a barrier,
//! so the requests leave together and the server's race window decides the rest. Answers are
//! tallied for the table, but the verdict is read afterwards from the event's audit.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, Context};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tokio::sync::Barrier;

/// Why the run cannot go on; both end with exit status 2.
#[derive(Debug)]
pub enum LabError {
    /// Nothing answers at a target.
    Unreachable { target: String, reason: String },
    /// The lab answered but refused what we asked (unknown event, unknown strategy, ...).
    Refused(String),
}

impl std::fmt::Display for LabError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LabError::Unreachable { target, reason } => write!(
                f,
                "cannot reach {target} ({reason}). Is the lab running? Start it with ./start.sh"
            ),
            LabError::Refused(message) => f.write_str(message),
        }
    }
}

/// The event's audit as the server reports it (the numbers every verdict comes from).
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
pub struct Audit {
    pub capacity: i64,
    pub available: i64,
    pub booked: i64,
    pub oversold: i64,
    pub lost_updates: bool,
    pub clean: bool,
}

/// How the requests of one round were answered.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct Answers {
    pub created: u32,
    pub sold_out: u32,
    /// 409 `stale_fence`: a late holder turned away by the fencing check.
    pub stale_fence: u32,
    pub unavailable: u32,
    pub other: u32,
    /// 201s per instance that served them.
    pub instances: BTreeMap<String, u32>,
    /// The first unexpected answer, to show why something went wrong.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_other: Option<String>,
}

#[derive(Clone)]
pub struct Lab {
    client: reqwest::Client,
    pub targets: Vec<String>,
}

impl Lab {
    pub fn new(targets: Vec<String>, timeout: Duration) -> anyhow::Result<Lab> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(Duration::from_secs(3))
            .build()
            .context("could not build the HTTP client")?;
        Ok(Lab { client, targets })
    }

    fn first(&self) -> &str {
        &self.targets[0]
    }

    /// Asks every target's `/health`; any answer (even 503) means something listens.
    pub async fn check_reachable(&self) -> Result<(), LabError> {
        for target in &self.targets {
            self.client
                .get(format!("{target}/health"))
                .send()
                .await
                .map_err(|e| LabError::Unreachable {
                    target: target.clone(),
                    reason: describe(&e),
                })?;
        }
        Ok(())
    }

    /// Strategy names in the server's order, with each one's expected row when it gives one.
    pub async fn strategies(&self) -> Result<Vec<Value>, LabError> {
        let body = self.get_json("/strategies").await?;
        body.as_array().cloned().ok_or_else(|| {
            LabError::Refused(format!("GET /strategies did not return a list: {body}"))
        })
    }

    pub async fn reset(&self, event: i64, capacity: i64) -> Result<(), LabError> {
        let url = format!("{}/reset/{event}", self.first());
        let response = self
            .client
            .post(&url)
            .json(&json!({ "capacity": capacity }))
            .send()
            .await
            .map_err(|e| self.unreachable(&e))?;
        if !response.status().is_success() {
            let status = response.status();
            let body: Value = response.json().await.unwrap_or(Value::Null);
            return Err(LabError::Refused(format!(
                "POST {url} answered {status}: {}",
                body["message"].as_str().unwrap_or("no message")
            )));
        }
        Ok(())
    }

    pub async fn audit(&self, event: i64) -> Result<Audit, LabError> {
        let body = self.get_json(&format!("/events/{event}")).await?;
        serde_json::from_value(body["audit"].clone()).map_err(|e| {
            LabError::Refused(format!(
                "GET /events/{event} has no usable audit ({e}): {body}"
            ))
        })
    }

    /// Sends `n` POSTs to `path_and_query`, round-robin over `targets`, released together.
    pub async fn fight(&self, targets: &[String], n: u32, path_and_query: &str) -> Answers {
        let barrier = Arc::new(Barrier::new(n as usize));
        let tasks: Vec<_> = (0..n as usize)
            .map(|i| {
                let request = self
                    .client
                    .post(format!("{}{path_and_query}", targets[i % targets.len()]))
                    .json(&json!({ "customer": format!("test_concurrent #{}", i + 1) }));
                let barrier = barrier.clone();
                tokio::spawn(async move {
                    barrier.wait().await;
                    match request.send().await {
                        Ok(response) => {
                            let status = response.status().as_u16();
                            let body: Value = response.json().await.unwrap_or(Value::Null);
                            Ok((status, body))
                        }
                        Err(e) => Err(describe(&e)),
                    }
                })
            })
            .collect();
        let mut answers = Answers::default();
        for task in tasks {
            match task.await.map_err(|e| e.to_string()).and_then(|r| r) {
                Ok((201, body)) => {
                    answers.created += 1;
                    let instance = body["booking"]["instance"].as_str().unwrap_or("?");
                    *answers.instances.entry(instance.to_string()).or_default() += 1;
                }
                Ok((409, body)) if body["error"] == "stale_fence" => answers.stale_fence += 1,
                Ok((409, _)) => answers.sold_out += 1,
                Ok((503, _)) => answers.unavailable += 1,
                Ok((status, body)) => {
                    answers.other += 1;
                    answers.first_other.get_or_insert_with(|| {
                        format!(
                            "{status}: {}",
                            body["message"].as_str().unwrap_or("no message")
                        )
                    });
                }
                Err(reason) => {
                    answers.other += 1;
                    answers.first_other.get_or_insert(reason);
                }
            }
        }
        answers
    }

    async fn get_json(&self, path: &str) -> Result<Value, LabError> {
        let url = format!("{}{path}", self.first());
        let response = self
            .client
            .get(&url)
            .send()
            .await
            .map_err(|e| self.unreachable(&e))?;
        let status = response.status();
        let body: Value = response
            .json()
            .await
            .map_err(|e| LabError::Refused(format!("GET {url} did not answer JSON: {e}")))?;
        if !status.is_success() {
            return Err(LabError::Refused(format!(
                "GET {url} answered {status}: {}",
                body["message"].as_str().unwrap_or("no message")
            )));
        }
        Ok(body)
    }

    fn unreachable(&self, e: &reqwest::Error) -> LabError {
        LabError::Unreachable {
            target: self.first().to_string(),
            reason: describe(e),
        }
    }
}

/// reqwest's top-level message is "error sending request"; the cause says what happened.
fn describe(e: &reqwest::Error) -> String {
    let mut source: Option<&dyn std::error::Error> = std::error::Error::source(e);
    let mut deepest = e.to_string();
    while let Some(cause) = source {
        deepest = cause.to_string();
        source = cause.source();
    }
    if e.is_timeout() {
        return "timed out".to_string();
    }
    deepest
}

pub fn strategy_names(list: &[Value]) -> anyhow::Result<Vec<String>> {
    list.iter()
        .map(|s| {
            s["name"]
                .as_str()
                .map(str::to_string)
                .ok_or_else(|| anyhow!("a strategy without a name: {s}"))
        })
        .collect()
}
