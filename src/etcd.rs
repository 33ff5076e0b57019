//! A lease lock on an etcd cluster, the consensus lock the lab puts beside Redlock.
//!
//! etcd keeps one replicated log agreed by a majority of its members (Raft), so a lock taken
//! there is one fact the whole cluster agrees on, not N independent copies whose majority a
//! client has to assemble and whose clocks each decide alone when their copy ends. The lock is
//! a key created in a transaction only while it does not exist (`create_revision == 0`), bound
//! to a lease that the holder keeps alive; when the holder stops renewing (it crashed, it is
//! paused), the leader expires the lease through the log and the key goes with it. The key's
//! revision, which the cluster assigns in log order, is larger for every later holder: it is the
//! fencing token the storage checks, exactly as it checks the tokens of `fenced`.
//!
//! The client speaks etcd's JSON gateway (`/v3/...` over HTTP) with `reqwest`, which the server
//! already uses, rather than gRPC with the `etcd-client` crate: the lock needs five unary calls,
//! the gateway is part of every etcd server, and gRPC would bring tonic, prost and a `protoc` at
//! build time to every machine and container that builds the lab. Each call goes to one member
//! with a short timeout and moves to the next member when that one is down, paused or without a
//! leader; when no member can get an answer agreed by a majority, the caller learns that quorum
//! is unavailable within about one timeout, not after etcd's own five-second request timeout.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::prelude::{Engine, BASE64_STANDARD};
use futures_util::future::join_all;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{json, Value};

use crate::lock::RetryPolicy;

/// How long one member may take to answer one call. A paused member would otherwise hold the
/// caller for as long as it is paused; a member without a leader for etcd's request timeout.
const CALL_TIMEOUT: Duration = Duration::from_millis(1_000);
/// How often the holder renews its lease, as a fraction of the lease's TTL.
const KEEP_ALIVE_DIVISOR: u32 = 3;

/// Why the lock could not be had (or let go), with the numbers that explain it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EtcdError {
    #[error("no etcd endpoints are configured: set --etcd-endpoints (ETCD_ENDPOINTS)")]
    NotConfigured,

    /// No member could get a majority of the cluster to agree within the call's timeout.
    #[error(
        "no etcd member could reach a quorum ({tried} of {members} asked; last: {last}): \
         a majority of the {members} members must be up for the lock to be granted"
    )]
    QuorumUnavailable {
        members: usize,
        tried: usize,
        last: String,
    },

    /// Another holder kept the key for the whole wait budget.
    #[error(
        "{key} is still locked in etcd by another holder after {attempts} attempts in {}ms: \
         try again shortly, or allow a longer wait for the lock",
        waited.as_millis()
    )]
    Locked {
        key: String,
        attempts: u32,
        waited: Duration,
    },

    /// etcd answered, with an error the lock does not expect (a bug, or a misconfigured member).
    #[error("etcd refused the request ({code}): {message}")]
    Refused { code: i64, message: String },
}

impl EtcdError {
    /// How long a client should wait before asking again: contention clears in about one
    /// critical section, a lost quorum needs a person to start members again.
    pub fn retry_after(&self) -> Duration {
        match self {
            EtcdError::Locked { .. } => Duration::from_secs(1),
            EtcdError::QuorumUnavailable { .. } | EtcdError::Refused { .. } => {
                Duration::from_secs(5)
            }
            EtcdError::NotConfigured => Duration::from_secs(60),
        }
    }
}

/// The members of one etcd cluster, by their client URLs. Cheap to clone.
#[derive(Clone)]
pub struct EtcdCluster {
    inner: Arc<Inner>,
}

struct Inner {
    endpoints: Vec<String>,
    http: reqwest::Client,
    /// The member that answered last: asked first next time, so a dead member costs one
    /// refused connection once, not on every call.
    preferred: AtomicUsize,
}

/// What one call to one member ended in.
enum CallError {
    /// Down, paused, or without a leader: another member may do better.
    Unavailable(String),
    /// The member answered with an error that another member would answer too.
    Refused { code: i64, message: String },
}

/// gRPC status codes the gateway reports that mean "this member cannot answer now".
const UNAVAILABLE_CODES: &[i64] = &[
    4,  // DEADLINE_EXCEEDED: the proposal was not committed in time (no quorum)
    14, // UNAVAILABLE: no leader, request timed out, member stopping
];
/// gRPC NOT_FOUND: "requested lease not found", a lease that already expired.
const NOT_FOUND: i64 = 5;

impl EtcdCluster {
    /// A cluster of the members at `endpoints` (`http://host:port`, blanks ignored). No member
    /// is contacted until the first call.
    pub fn new<S: AsRef<str>>(endpoints: &[S]) -> EtcdCluster {
        let endpoints = endpoints
            .iter()
            .map(|e| e.as_ref().trim().trim_end_matches('/').to_string())
            .filter(|e| !e.is_empty())
            .collect();
        EtcdCluster {
            inner: Arc::new(Inner {
                endpoints,
                // No proxy: the members are on this machine or its network, and a proxy from
                // the environment would turn a member that is down into a proxy error.
                http: reqwest::Client::builder()
                    .no_proxy()
                    .build()
                    .expect("an HTTP client without TLS always builds"),
                preferred: AtomicUsize::new(0),
            }),
        }
    }

    pub fn endpoints(&self) -> &[String] {
        &self.inner.endpoints
    }

    pub fn member_count(&self) -> usize {
        self.inner.endpoints.len()
    }

    /// ⌊N/2⌋+1: how many members must be up for the cluster to agree on anything.
    pub fn quorum(&self) -> usize {
        self.member_count() / 2 + 1
    }

    /// One call, to the preferred member first and then to each other member in turn until one
    /// answers for the cluster.
    async fn call<T: DeserializeOwned>(&self, path: &str, body: &Value) -> Result<T, EtcdError> {
        let members = self.member_count();
        if members == 0 {
            return Err(EtcdError::NotConfigured);
        }
        let first = self.inner.preferred.load(Ordering::Relaxed) % members;
        let mut last = String::new();
        for i in 0..members {
            let index = (first + i) % members;
            match self.call_member(index, path, body).await {
                Ok(answer) => {
                    self.inner.preferred.store(index, Ordering::Relaxed);
                    return serde_json::from_value(answer).map_err(|e| EtcdError::Refused {
                        code: -1,
                        message: format!("unexpected answer to {path}: {e}"),
                    });
                }
                Err(CallError::Refused { code, message }) => {
                    return Err(EtcdError::Refused { code, message })
                }
                Err(CallError::Unavailable(why)) => {
                    last = format!("{}: {why}", host(&self.inner.endpoints[index]));
                }
            }
        }
        Err(EtcdError::QuorumUnavailable {
            members,
            tried: members,
            last,
        })
    }

    async fn call_member(
        &self,
        index: usize,
        path: &str,
        body: &Value,
    ) -> Result<Value, CallError> {
        let url = format!("{}{path}", self.inner.endpoints[index]);
        let response = self
            .inner
            .http
            .post(url)
            .json(body)
            .timeout(CALL_TIMEOUT)
            .send()
            .await
            .map_err(|e| CallError::Unavailable(transport_error(e)))?;
        let status = response.status();
        let answer: Value = response
            .json()
            .await
            .map_err(|e| CallError::Unavailable(transport_error(e)))?;
        if status.is_success() {
            return Ok(answer);
        }
        let code = answer["code"].as_i64().unwrap_or(-1);
        let message = answer["message"]
            .as_str()
            .or(answer["error"].as_str())
            .unwrap_or("no message")
            .to_string();
        let lost_quorum = ["no leader", "timed out", "deadline exceeded"]
            .iter()
            .any(|m| message.contains(m));
        if UNAVAILABLE_CODES.contains(&code)
            || lost_quorum
            || status.is_server_error() && code == -1
        {
            Err(CallError::Unavailable(message))
        } else {
            Err(CallError::Refused { code, message })
        }
    }

    /// Takes the lock on `key` for a lease of `ttl` (rounded up to whole seconds, etcd's unit),
    /// waiting for another holder as `retry` allows. The lease is kept alive from the moment it
    /// is granted, while this contender waits and while it holds the lock.
    pub async fn lock(
        &self,
        key: &str,
        ttl: Duration,
        retry: &RetryPolicy,
    ) -> Result<EtcdLock, EtcdError> {
        let started = Instant::now();
        let ttl_secs = ttl.as_secs_f64().ceil().max(1.0) as i64;
        let granted: LeaseGrant = self
            .call("/v3/lease/grant", &json!({ "TTL": ttl_secs }))
            .await?;
        let lease = Lease {
            id: granted.id,
            ttl: Duration::from_secs(granted.ttl.max(1) as u64),
            renewed: Mutex::new(Instant::now()),
            paused: AtomicBool::new(false),
            lost: AtomicBool::new(false),
        };
        let lease = Arc::new(lease);
        let keep_alive = tokio::spawn(keep_alive(self.clone(), lease.clone()));
        // From here on, dropping the guard (a failed wait, or the booking abandoned at its
        // deadline) stops the renewals and revokes the lease, which deletes the key with it.
        let guard = LeaseGuard {
            cluster: self.clone(),
            lease: lease.clone(),
            keep_alive,
            revoked: false,
        };
        let owner = uuid::Uuid::new_v4().simple().to_string();
        let mut attempts = 0;
        loop {
            attempts += 1;
            match self.try_take(key, &owner, lease.id).await? {
                Take::Taken { revision } => {
                    return Ok(EtcdLock {
                        key: key.to_string(),
                        revision,
                        attempts,
                        waited: started.elapsed(),
                        lease,
                        guard: Some(guard),
                    });
                }
                Take::Held => {
                    let wait = retry.delay(attempts);
                    if started.elapsed() + wait > retry.budget {
                        return Err(EtcdError::Locked {
                            key: key.to_string(),
                            attempts,
                            waited: started.elapsed(),
                        });
                    }
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }

    /// One attempt: create `key` bound to `lease` if nobody holds it, else read who does. A
    /// create whose answer was lost (a member timed out after committing it) is found again on
    /// the next attempt by its owner value, so it is never mistaken for someone else's lock.
    async fn try_take(&self, key: &str, owner: &str, lease: i64) -> Result<Take, EtcdError> {
        let key64 = BASE64_STANDARD.encode(key);
        let txn = json!({
            "compare": [{ "target": "CREATE", "key": key64, "createRevision": "0" }],
            "success": [{ "requestPut": {
                "key": key64,
                "value": BASE64_STANDARD.encode(owner),
                "lease": lease.to_string(),
            }}],
            "failure": [{ "requestRange": { "key": key64 } }],
        });
        let answer: TxnAnswer = self.call("/v3/kv/txn", &txn).await?;
        if answer.succeeded {
            // The put is the transaction's only write: its revision is the key's create revision.
            return Ok(Take::Taken {
                revision: answer.header.revision,
            });
        }
        let holder = answer
            .responses
            .into_iter()
            .filter_map(|r| r.response_range)
            .flat_map(|r| r.kvs)
            .next();
        match holder {
            Some(kv) if kv.value == BASE64_STANDARD.encode(owner) => Ok(Take::Taken {
                revision: kv.create_revision,
            }),
            // Held by another, or deleted between the compare and the range: try again.
            _ => Ok(Take::Held),
        }
    }

    /// Renews `lease` once; `Ok(false)` when etcd no longer has it (it expired).
    async fn renew(&self, lease: i64) -> Result<bool, EtcdError> {
        let answer: KeepAliveAnswer = self
            .call("/v3/lease/keepalive", &json!({ "ID": lease.to_string() }))
            .await?;
        Ok(answer.result.is_some_and(|r| r.ttl > 0))
    }

    /// Revokes `lease` (and so deletes the key bound to it).
    async fn revoke(&self, lease: i64) -> Result<Released, EtcdError> {
        match self
            .call::<Value>("/v3/lease/revoke", &json!({ "ID": lease.to_string() }))
            .await
        {
            Ok(_) => Ok(Released::Released),
            Err(EtcdError::Refused { code, .. }) if code == NOT_FOUND => {
                Ok(Released::AlreadyExpired)
            }
            Err(e) => Err(e),
        }
    }

    /// Asks every member, in parallel and each on a clock, for its status: whether it answers,
    /// which member it follows as leader, and how long the answer took.
    pub async fn health(&self) -> ClusterHealth {
        let members =
            join_all((0..self.member_count()).map(|index| self.member_health(index))).await;
        let up = members.iter().filter(|m| m.up).count();
        let leader = members.iter().find(|m| m.is_leader).map(|m| m.url.clone());
        let quorum = self.quorum();
        ClusterHealth {
            quorum_up: up >= quorum && leader.is_some(),
            up,
            quorum,
            leader,
            members,
        }
    }

    async fn member_health(&self, index: usize) -> MemberHealth {
        let url = self.inner.endpoints[index].clone();
        let started = Instant::now();
        match self
            .call_member(index, "/v3/maintenance/status", &json!({}))
            .await
            .map(serde_json::from_value::<StatusAnswer>)
        {
            Ok(Ok(status)) => {
                let has_leader = status.leader != 0 && status.errors.is_empty();
                MemberHealth {
                    url,
                    up: true,
                    latency_ms: Some(started.elapsed().as_secs_f64() * 1000.0),
                    member_id: Some(format!("{:x}", status.header.member_id as u64)),
                    is_leader: has_leader && status.leader == status.header.member_id,
                    has_leader,
                    error: status.errors.first().cloned(),
                }
            }
            Ok(Err(e)) => MemberHealth::down(url, format!("unexpected status answer: {e}")),
            Err(CallError::Unavailable(why) | CallError::Refused { message: why, .. }) => {
                MemberHealth::down(url, why)
            }
        }
    }
}

enum Take {
    Taken { revision: i64 },
    Held,
}

/// A lease and what its keep-alive knows about it.
struct Lease {
    id: i64,
    /// The TTL etcd granted (at least the one asked for, rounded up to seconds).
    ttl: Duration,
    /// When etcd last confirmed the lease: it ends one TTL later unless renewed again.
    renewed: Mutex<Instant>,
    /// Set while the holder is paused: a paused process sends no keep-alives either.
    paused: AtomicBool,
    /// Set when a renewal found the lease gone.
    lost: AtomicBool,
}

/// Renews the lease every third of its TTL until it is aborted or finds the lease gone. A member
/// that does not answer is skipped by [`EtcdCluster::call`]; a cluster without quorum simply
/// costs a renewal, and the next one tries again.
async fn keep_alive(cluster: EtcdCluster, lease: Arc<Lease>) {
    let every = (lease.ttl / KEEP_ALIVE_DIVISOR).max(Duration::from_millis(100));
    loop {
        tokio::time::sleep(every).await;
        if lease.paused.load(Ordering::Acquire) {
            continue;
        }
        let asked = Instant::now();
        match cluster.renew(lease.id).await {
            Ok(true) => *lease.renewed.lock().unwrap_or_else(|p| p.into_inner()) = asked,
            Ok(false) => {
                lease.lost.store(true, Ordering::Release);
                return;
            }
            Err(e) => {
                tracing::warn!(lease = lease.id, error = %e, "could not renew the etcd lease")
            }
        }
    }
}

/// Stops the renewals when dropped and, unless the lease was revoked, revokes it in the
/// background: a booking abandoned at its deadline leaves no lock behind for longer than one
/// round trip.
struct LeaseGuard {
    cluster: EtcdCluster,
    lease: Arc<Lease>,
    keep_alive: tokio::task::JoinHandle<()>,
    revoked: bool,
}

impl Drop for LeaseGuard {
    fn drop(&mut self) {
        self.keep_alive.abort();
        if self.revoked {
            return;
        }
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let (cluster, lease) = (self.cluster.clone(), self.lease.id);
            runtime.spawn(async move {
                let _ = cluster.revoke(lease).await;
            });
        }
    }
}

/// The lock, held: the key, its revision (the fencing token) and the lease that keeps it.
pub struct EtcdLock {
    pub key: String,
    /// The key's create revision: larger for every later holder of any key in the cluster.
    pub revision: i64,
    /// Attempts the lock took, the successful one included.
    pub attempts: u32,
    /// From asking for the lease to holding the lock.
    pub waited: Duration,
    lease: Arc<Lease>,
    guard: Option<LeaseGuard>,
}

/// What releasing found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Released {
    Released,
    /// The lease had already expired: etcd gave the lock to the next contender meanwhile.
    AlreadyExpired,
}

impl EtcdLock {
    pub fn lease_id(&self) -> i64 {
        self.lease.id
    }

    pub fn lease_ttl(&self) -> Duration {
        self.lease.ttl
    }

    /// When the lease ends unless it is renewed again.
    pub fn valid_until(&self) -> Instant {
        *self.lease.renewed.lock().unwrap_or_else(|p| p.into_inner()) + self.lease.ttl
    }

    /// A renewal found the lease gone: someone else may hold the lock now.
    pub fn lost(&self) -> bool {
        self.lease.lost.load(Ordering::Acquire)
    }

    /// Stands for the holder being paused for `pause` (a GC pause, SIGSTOP): the process sleeps
    /// and, being paused, sends no keep-alives either, so a pause longer than the lease lets
    /// etcd expire it and hand the lock to the next contender.
    pub async fn paused_for(&self, pause: Duration) {
        if pause.is_zero() {
            return;
        }
        self.lease.paused.store(true, Ordering::Release);
        tokio::time::sleep(pause).await;
        self.lease.paused.store(false, Ordering::Release);
    }

    /// Revokes the lease, which deletes the key; says when the lease had expired first.
    pub async fn release(mut self) -> Result<Released, EtcdError> {
        let mut guard = self.guard.take().expect("a held lock has its guard");
        guard.keep_alive.abort();
        let released = guard.cluster.revoke(self.lease.id).await;
        // Revoked, or found gone: either way nothing is left to clean up. A revoke that could
        // not reach a quorum leaves it to the guard to try once more.
        guard.revoked = released.is_ok();
        released
    }
}

/// What `/health` and the dashboard show about one member.
#[derive(Debug, Clone, Serialize)]
pub struct MemberHealth {
    pub url: String,
    pub up: bool,
    pub latency_ms: Option<f64>,
    /// The member's id, in hex as `etcdctl` shows it.
    pub member_id: Option<String>,
    /// This member knows a leader (and reports no error).
    pub has_leader: bool,
    pub is_leader: bool,
    pub error: Option<String>,
}

impl MemberHealth {
    fn down(url: String, error: String) -> MemberHealth {
        MemberHealth {
            url,
            up: false,
            latency_ms: None,
            member_id: None,
            has_leader: false,
            is_leader: false,
            error: Some(error),
        }
    }
}

/// The cluster as its members describe it.
#[derive(Debug, Clone, Serialize)]
pub struct ClusterHealth {
    pub members: Vec<MemberHealth>,
    pub up: usize,
    pub quorum: usize,
    /// The URL of the member that reports itself leader.
    pub leader: Option<String>,
    /// A majority answers and one of them leads: the lock can be granted.
    pub quorum_up: bool,
}

/// `host:port` of a URL, for messages (never the credentials a URL may carry).
fn host(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let rest = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
    rest.split('/').next().unwrap_or(rest)
}

fn transport_error(e: reqwest::Error) -> String {
    if e.is_timeout() {
        format!("no answer within {} ms", CALL_TIMEOUT.as_millis())
    } else if e.is_connect() {
        "connection refused".to_string()
    } else {
        e.without_url().to_string()
    }
}

// The gateway's JSON: int64 fields are strings, and fields at their zero value are omitted.

fn int64<'de, D: Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Int {
        Text(String),
        Number(i64),
    }
    match Int::deserialize(deserializer)? {
        Int::Number(n) => Ok(n),
        Int::Text(t) => t.parse().map_err(serde::de::Error::custom),
    }
}

/// Ids are unsigned 64-bit numbers on the wire; kept as the same bits in an i64.
fn uint64<'de, D: Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
    let text = String::deserialize(deserializer)?;
    text.parse::<u64>()
        .map(|n| n as i64)
        .map_err(serde::de::Error::custom)
}

#[derive(Deserialize, Default)]
struct Header {
    #[serde(default, deserialize_with = "int64")]
    revision: i64,
    #[serde(default, deserialize_with = "uint64")]
    member_id: i64,
}

#[derive(Deserialize)]
struct LeaseGrant {
    #[serde(rename = "ID", deserialize_with = "int64")]
    id: i64,
    #[serde(rename = "TTL", deserialize_with = "int64")]
    ttl: i64,
}

#[derive(Deserialize)]
struct KeepAliveAnswer {
    result: Option<KeepAliveResult>,
}

#[derive(Deserialize)]
struct KeepAliveResult {
    #[serde(rename = "TTL", default, deserialize_with = "int64")]
    ttl: i64,
}

#[derive(Deserialize)]
struct TxnAnswer {
    #[serde(default)]
    header: Header,
    #[serde(default)]
    succeeded: bool,
    #[serde(default)]
    responses: Vec<TxnResponse>,
}

#[derive(Deserialize)]
struct TxnResponse {
    response_range: Option<RangeAnswer>,
}

#[derive(Deserialize)]
struct RangeAnswer {
    #[serde(default)]
    kvs: Vec<KeyValue>,
}

#[derive(Deserialize)]
struct KeyValue {
    #[serde(default, deserialize_with = "int64")]
    create_revision: i64,
    #[serde(default)]
    value: String,
}

#[derive(Deserialize)]
struct StatusAnswer {
    #[serde(default)]
    header: Header,
    #[serde(default, deserialize_with = "uint64")]
    leader: i64,
    #[serde(default)]
    errors: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_member_is_named_by_host_and_port_without_credentials() {
        assert_eq!(host("http://user:secret@10.0.0.1:2379/"), "10.0.0.1:2379");
        assert_eq!(host("http://127.0.0.1:7201"), "127.0.0.1:7201");
    }

    #[test]
    fn the_quorum_of_three_members_is_two() {
        let cluster = EtcdCluster::new(&["http://a:1", " ", "http://b:2", "http://c:3"]);
        assert_eq!((cluster.member_count(), cluster.quorum()), (3, 2));
    }

    #[test]
    fn a_gateway_transaction_answer_is_read_with_its_string_numbers() {
        let answer: TxnAnswer = serde_json::from_str(
            r#"{"header":{"cluster_id":"1","member_id":"15438568911348720167","revision":"2"},
                "succeeded":true,"responses":[{"response_put":{"header":{"revision":"2"}}}]}"#,
        )
        .unwrap();
        assert!(answer.succeeded);
        assert_eq!(answer.header.revision, 2);
    }
}
