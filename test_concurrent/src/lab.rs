//! Talking to the running lab over HTTP: reachability, strategies, resets, audits and the fight.
//!
//! A fight releases every request at once: each task builds its request and waits on a barrier,
//! so the requests leave together and the server's race window decides the rest. Answers are
//! tallied for the table, but the verdict is read afterwards from the event's audit.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, Context};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tokio::sync::Barrier;

use crate::answers::Answers;

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

impl std::error::Error for LabError {}

/// The event's audit as the server reports it (the numbers every verdict comes from).
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
pub struct Audit {
    pub capacity: i64,
    pub available: i64,
    pub booked: i64,
    pub oversold: i64,
    pub lost_updates: bool,
    /// `available` went below zero (older servers may not report it).
    #[serde(default)]
    pub negative_available: bool,
    pub clean: bool,
}

#[derive(Clone)]
pub struct Lab {
    client: reqwest::Client,
    pub targets: Vec<String>,
    /// Sent as `Authorization: Bearer` on resets, which need it on a lab reachable from other
    /// machines.
    admin_token: Option<String>,
}

impl Lab {
    pub fn new(targets: Vec<String>, timeout: Duration) -> anyhow::Result<Lab> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(Duration::from_secs(3))
            .build()
            .context("could not build the HTTP client")?;
        Ok(Lab {
            client,
            targets,
            admin_token: None,
        })
    }

    pub fn with_admin_token(mut self, token: Option<String>) -> Lab {
        self.admin_token = token.filter(|t| !t.is_empty());
        self
    }

    /// A POST to an admin route of `target`, with the admin token when there is one.
    pub fn admin_post(&self, target: &str, path: &str) -> reqwest::RequestBuilder {
        let request = self.client.post(format!("{target}{path}"));
        match &self.admin_token {
            Some(token) => request.bearer_auth(token),
            None => request,
        }
    }

    /// The HTTP client every request of the run shares.
    pub fn client(&self) -> &reqwest::Client {
        &self.client
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
            .admin_post(self.first(), &format!("/reset/{event}"))
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
        let mut outcomes = Vec::with_capacity(tasks.len());
        for task in tasks {
            outcomes.push(task.await.map_err(|e| e.to_string()).and_then(|r| r));
        }
        Answers::tally(outcomes)
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
        let body: Value = response.json().await.map_err(|_| {
            LabError::Refused(format!(
                "GET {url} answered {status} without JSON; is {} the oversold lab?",
                self.first()
            ))
        })?;
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

/// Why a request got no answer, in a few plain words: "connection refused", "timed out", ...
///
/// reqwest's own message is "error sending request"; the deepest cause says what happened.
pub fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        return "timed out".to_string();
    }
    let mut deepest = e.to_string();
    let mut source: Option<&dyn std::error::Error> = std::error::Error::source(e);
    while let Some(cause) = source {
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            match io.kind() {
                std::io::ErrorKind::ConnectionRefused => return "connection refused".to_string(),
                std::io::ErrorKind::ConnectionReset => return "connection reset".to_string(),
                std::io::ErrorKind::TimedOut => return "timed out".to_string(),
                _ => {}
            }
        }
        deepest = cause.to_string();
        source = cause.source();
    }
    plain(&deepest)
}

/// "Connection refused (os error 111)" -> "connection refused".
fn plain(message: &str) -> String {
    let message = match message.rfind(" (os error ") {
        Some(at) if message.ends_with(')') => &message[..at],
        _ => message,
    };
    let mut chars = message.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn os_errors_read_as_plain_words() {
        assert_eq!(
            plain("Connection refused (os error 111)"),
            "connection refused"
        );
        assert_eq!(
            plain("failed to lookup address information: Name or service not known"),
            "failed to lookup address information: Name or service not known"
        );
    }

    #[test]
    fn an_unreachable_target_says_how_to_start_the_lab() {
        let e = LabError::Unreachable {
            target: "http://127.0.0.1:8080".into(),
            reason: "connection refused".into(),
        };
        assert_eq!(
            e.to_string(),
            "cannot reach http://127.0.0.1:8080 (connection refused). \
             Is the lab running? Start it with ./start.sh"
        );
    }
}
