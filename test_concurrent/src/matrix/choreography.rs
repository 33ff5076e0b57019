//! The matrix's two fault columns, played step by step against the lab's own processes: a lock
//! node restarts empty, and a node's clock jumps forward (played as an early expiry).
//!
//! Holder A books the last ticket with a long race window and a lease that outlives it, while a
//! minority of the lock's nodes is down, so A's lock rests on a bare majority. While A is inside
//! its window, one of A's nodes loses A's lock, the minority comes back, and B books at once:
//! - **a node restarts empty**: the Redis node is killed and started again without its data (the
//!   lab's nodes keep nothing on disk), so B can assemble a majority from it and the nodes A
//!   never reached. etcd's counterpart is a member killed and started again as a crash leaves
//!   it: it keeps the log it fsynced before acknowledging anything, so it forgets nothing.
//! - **a node's clock jumps forward**, labelled for what the lab can honestly do: an *early
//!   expiry standing in for the jump*. On Redis the node's copy of A's key is expired at once
//!   (`PEXPIRE key 1`), which is what a clock that ran ahead would do to it. An etcd lease is one
//!   object timed by the leader and ended through the replicated log, so the stand-in ends A's
//!   lease for the whole cluster (a revoke), as a leader whose clock ran ahead would.
//!
//! Nodes are found by the pidfiles `start.sh` writes (see `crate::processes`). The verdict is the
//! audit's, judged like every other cell: both bookings of A and B are the round's answers.

use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use base64::prelude::{Engine, BASE64_STANDARD};
use oversold_api::verdict::{judge, wanted};
use oversold_api::{Client, Knobs, Route};
use serde::Serialize;
use serde_json::{json, Value};

use crate::processes::Processes;
use crate::round::Round;

/// A's race window: room for the whole choreography (an etcd member's restart included).
pub const HOLDER_RACE_WINDOW_MS: u64 = 5_000;
/// A's and B's lock TTL: far longer than anything here, so only the fault can end A's lock.
pub const HOLDER_TTL_MS: u64 = 30_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Fault {
    /// One of A's nodes restarts without its data.
    RestartEmpty,
    /// One of A's nodes lets A's lock expire early, standing in for its clock jumping forward.
    ClockJump,
}

/// Where a cell's choreography runs: the first target, its event, the lock's processes.
pub struct Stage<'a> {
    pub client: &'a Client,
    pub event: i64,
    pub route: Route,
}

/// What the run found of the lab's lock processes: each side, or why it cannot be faulted.
pub struct Lab {
    pub redis: Result<Processes, String>,
    pub etcd: Result<Processes, String>,
    http: reqwest::Client,
}

impl Lab {
    pub fn new(redis: Result<Processes, String>, etcd: Result<Processes, String>) -> Lab {
        Lab {
            redis,
            etcd,
            http: reqwest::Client::builder()
                .no_proxy()
                .timeout(Duration::from_secs(2))
                .build()
                .expect("a plain HTTP client"),
        }
    }
}

/// The lock key of `event`, on Redis and in etcd alike.
fn lock_key(event: i64) -> String {
    format!("lock:event:{event}")
}

/// Plays `fault` for a strategy locked on Redis nodes (`redlock`, `fenced`).
pub async fn on_redis(stage: &Stage<'_>, redis: &Processes, fault: Fault) -> anyhow::Result<Round> {
    let nodes = redis.redis_ports();
    let n = nodes.len();
    if n.is_multiple_of(2) {
        bail!("needs an odd number of Redis nodes (the lab has {n}): with an even number the second holder cannot reach a majority");
    }
    let quorum = n / 2 + 1;
    let key = lock_key(stage.event);
    stage.client.reset(stage.event, Some(1)).await?;
    // A's lock rests on the first `quorum` nodes; the others are down while it takes it.
    for &port in &nodes[quorum..] {
        redis.kill_redis(port).await?;
    }
    let holder = start_holder(stage);
    let on_node = &|port: u16| redis_int(port, vec!["EXISTS".into(), key.clone()]);
    let majority = &nodes[..quorum];
    wait_for("A holding the lock on a bare majority", || async move {
        let mut all = true;
        for &port in majority {
            all &= on_node(port).await? == 1;
        }
        Ok(all)
    })
    .await?;
    let victim = nodes[quorum - 1];
    match fault {
        Fault::RestartEmpty => {
            redis.kill_redis(victim).await?;
            redis.restart_redis(victim).await?;
        }
        Fault::ClockJump => {
            let expired = redis_int(victim, vec!["PEXPIRE".into(), key.clone(), "1".into()]);
            if expired.await? != 1 {
                bail!("A's key was gone from node {victim} before its early expiry");
            }
        }
    }
    for &port in &nodes[quorum..] {
        redis.restart_redis(port).await?;
    }
    let forgot = format!("node {victim} forgetting A's lock");
    wait_for(&forgot, || async move { Ok(on_node(victim).await? == 0) }).await?;
    finish(stage, holder).await
}

/// Plays `fault` for the `etcd` strategy on the lab's three members.
pub async fn on_etcd(
    lab: &Lab,
    stage: &Stage<'_>,
    etcd: &Processes,
    fault: Fault,
) -> anyhow::Result<Round> {
    let members = etcd.etcd_ports();
    if members.len() < 3 {
        bail!(
            "needs an etcd cluster of three members or more (the lab has {})",
            members.len()
        );
    }
    let key = &lock_key(stage.event);
    let members = &members;
    stage.client.reset(stage.event, Some(1)).await?;
    let last = members[members.len() - 1];
    let down = etcd.kill_etcd(last).await?;
    // Killing a member may take the leader with it: A waits for no election.
    wait_for("the running members electing a leader", || async move {
        Ok(lab.range(members, "leader-probe").await.is_some())
    })
    .await?;
    let holder = start_holder(stage);
    wait_for("A holding the lock", || async move {
        Ok(lab
            .range(members, key)
            .await
            .is_some_and(|kv| !kv.is_null()))
    })
    .await?;
    match fault {
        Fault::RestartEmpty => {
            let victim = members[members.len() - 2];
            let command = etcd.kill_etcd(victim).await?;
            etcd.restart_etcd(victim, &command, true).await?;
        }
        Fault::ClockJump => {
            let kv = lab.range(members, key).await.unwrap_or(Value::Null);
            let Some(lease) = kv["lease"].as_str().map(str::to_string) else {
                bail!("A's key has no lease: {kv}");
            };
            if lab
                .call(members, "/v3/lease/revoke", json!({ "ID": lease }))
                .await
                .is_none()
            {
                bail!("no etcd member revoked A's lease");
            }
        }
    }
    etcd.restart_etcd(last, &down, true).await?;
    finish(stage, holder).await
}

type Holder = tokio::task::JoinHandle<oversold_api::BookingAnswer>;

/// Starts A's booking in the background, on the first target.
fn start_holder(stage: &Stage<'_>) -> Holder {
    let client = stage.client.clone();
    let path = stage.route.path(
        stage.event,
        Knobs {
            race_window_ms: Some(HOLDER_RACE_WINDOW_MS),
            ttl_ms: Some(HOLDER_TTL_MS),
        },
    );
    tokio::spawn(async move {
        let first = client.first().to_string();
        client.book(&first, &path, Some("test_concurrent A")).await
    })
}

/// B books at once while A still waits to write; then both answers and the audit are the round.
/// B may have to wait for A (etcd after a restart, which forgot nothing): the verdict says so.
/// B may have to wait for A (etcd after a restart, which forgot nothing): the verdict says so.
async fn finish(stage: &Stage<'_>, holder: Holder) -> anyhow::Result<Round> {
    if holder.is_finished() {
        bail!(
            "A finished before B booked: the choreography took longer than A's race window \
             ({HOLDER_RACE_WINDOW_MS} ms) on this machine"
        );
    }
    let path = stage.route.path(
        stage.event,
        Knobs {
            race_window_ms: Some(0),
            ttl_ms: Some(HOLDER_TTL_MS),
        },
    );
    let client = stage.client;
    let second = client
        .book(client.first(), &path, Some("test_concurrent B"))
        .await;
    let first = holder.await.context("A's booking task panicked")?;
    let answers = oversold_api::Tally::of([&first, &second]);
    let audit = client.audit(stage.event).await?;
    let verdict = judge(&audit, &answers, wanted(2, 1));
    Ok(Round {
        answers,
        audit,
        verdict,
    })
}

impl Lab {
    /// One call to the JSON gateway of the first member that answers it.
    async fn call(&self, members: &[u16], path: &str, body: Value) -> Option<Value> {
        for port in members {
            let answer = self
                .http
                .post(format!("http://127.0.0.1:{port}{path}"))
                .json(&body)
                .send()
                .await;
            if let Ok(answer) = answer {
                if answer.status().is_success() {
                    return answer.json().await.ok();
                }
            }
        }
        None
    }

    /// A linearizable read of `key`: `Some(kv)` when a majority answered (`null` when the key
    /// does not exist), `None` when no member could answer.
    async fn range(&self, members: &[u16], key: &str) -> Option<Value> {
        let answer = self
            .call(
                members,
                "/v3/kv/range",
                json!({ "key": BASE64_STANDARD.encode(key) }),
            )
            .await?;
        Some(answer["kvs"][0].clone())
    }
}

/// A Redis command on the lab's node at 127.0.0.1:`port` that answers an integer.
async fn redis_int(port: u16, args: Vec<String>) -> anyhow::Result<i64> {
    tokio::task::spawn_blocking(move || {
        let client = redis::Client::open(format!("redis://127.0.0.1:{port}"))?;
        let mut connection = client.get_connection_with_timeout(Duration::from_secs(2))?;
        connection.set_read_timeout(Some(Duration::from_secs(2)))?;
        let mut command = redis::cmd(&args[0]);
        for arg in &args[1..] {
            command.arg(arg);
        }
        let answer: i64 = command.query(&mut connection)?;
        Ok(answer)
    })
    .await
    .context("a Redis command panicked")?
}

/// Polls `done` every 10 ms for up to 10 s.
async fn wait_for<F, Fut>(what: &str, mut done: F) -> anyhow::Result<()>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<bool>>,
{
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if done().await? {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("{what} did not happen within 10 s");
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
