//! The two faults that settle the Redlock debate, choreographed step by step at the server level
//! for `redlock`, `fenced` and `etcd`, and judged by the audit.
//!
//! Holder A books the last ticket with a long race window (its pause between reading and
//! writing) and a lease that outlives it, while a minority of the lock's nodes is unreachable, so
//! A's lock rests on a bare majority. While A is inside its window, one of A's nodes loses A's
//! lock, and B books:
//! - **a node restarts empty**: the Redis node restarts without its data (the lab's nodes keep
//!   nothing on disk), so B assembles a majority from it and the two nodes A never reached.
//!   etcd's counterpart is a member killed and started again as a crash leaves it: it keeps the
//!   log it fsynced before it acknowledged anything, so there is nothing for it to forget.
//! - **a node's clock jumps forward**, labelled for what the lab can honestly do: an *early
//!   expiry standing in for the jump*. On Redis the node's copy of the key is expired at once
//!   (`PEXPIRE key 1`), which is what a clock that ran ahead would do to it. An etcd lease is one
//!   object timed by the leader alone and ended through the replicated log, so the same stand-in
//!   ends A's lease for the whole cluster (a revoke), as a leader whose clock ran ahead would.
//!
//! Expected: `redlock` sells the ticket twice; `fenced` refuses A's stale write; `etcd` books
//! exactly once (B waits for A after the restart; A's write is refused after the expiry).

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;
use testkit::{spawn_app_with, AppOptions, Backend, EtcdCluster, TestApp};

const EVENT: i64 = 1;
const KEY: &str = "lock:event:1";
/// A's pause between its read and its write: room for the whole choreography.
const HOLDER: &str = "race_window_ms=5000&ttl_ms=30000";
/// B writes as soon as it reads.
const SECOND: &str = "race_window_ms=0&ttl_ms=30000";

#[derive(Clone, Copy, Debug)]
enum Fault {
    /// One of A's nodes restarts without its data.
    RestartEmpty,
    /// One of A's nodes lets A's lock expire early, standing in for its clock jumping forward.
    EarlyExpiry,
}

/// A booking's status and error code.
#[derive(Debug)]
struct Outcome {
    status: u16,
    error: Option<String>,
    /// Attempts the lock took, from the answer's trace: more than one means it had to wait.
    lock_attempts: Option<u64>,
}

async fn book(app: &TestApp, strategy: &str, query: &str) -> Outcome {
    let response = app
        .post(&format!("/book/{strategy}/{EVENT}?{query}"), None)
        .await;
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    Outcome {
        status,
        error: body["error"].as_str().map(str::to_string),
        lock_attempts: body["trace"]["lock_attempts"].as_u64(),
    }
}

/// Starts A's booking in the background.
fn start_holder(app: &Arc<TestApp>, strategy: &'static str) -> tokio::task::JoinHandle<Outcome> {
    let app = app.clone();
    tokio::spawn(async move { book(&app, strategy, HOLDER).await })
}

async fn until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !done() {
        assert!(
            Instant::now() < deadline,
            "{what} did not happen within 10 s"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// The Redis choreography on five nodes: nodes 3 and 4 are down when A takes its lock on 0, 1
/// and 2; node 2 then loses A's key (`fault`), 3 and 4 come back empty, and B books while A is
/// still inside its window. Returns (A, B).
async fn redis_choreography(
    strategy: &'static str,
    fault: Fault,
) -> (Arc<TestApp>, Outcome, Outcome) {
    let app = Arc::new(
        spawn_app_with(AppOptions {
            redis_nodes: 5,
            ..AppOptions::new(Backend::Sqlite)
        })
        .await,
    );
    app.reset(EVENT, 1).await;
    app.redis[3].stop();
    app.redis[4].stop();
    let holder = start_holder(&app, strategy);
    let nodes = app.redis.clone();
    until("A holding the lock on nodes 0, 1 and 2", || {
        (0..3).all(|n| nodes[n].query::<i64>(&["EXISTS", KEY]) == 1)
    })
    .await;
    match fault {
        Fault::RestartEmpty => app.redis[2].restart(),
        Fault::EarlyExpiry => {
            assert_eq!(app.redis[2].query::<i64>(&["PEXPIRE", KEY, "1"]), 1);
        }
    }
    app.redis[3].restart();
    app.redis[4].restart();
    until("node 2 forgetting A's lock", || {
        nodes[2].query::<i64>(&["EXISTS", KEY]) == 0
    })
    .await;
    assert!(
        !holder.is_finished(),
        "A must still be inside its window when B books"
    );
    let second = book(&app, strategy, SECOND).await;
    assert!(
        !holder.is_finished(),
        "B must be answered while A still waits to write"
    );
    let first = holder.await.expect("A's request finishes");
    (app, first, second)
}

/// The etcd choreography on three members: member 2 is down when A takes its lock (on a bare
/// majority, 0 and 1); member 1 then loses A's lock as `fault` says, member 2 comes back, and B
/// books while A is still inside its window. Returns (A, B).
async fn etcd_choreography(fault: Fault) -> (Arc<TestApp>, Outcome, Outcome) {
    let cluster = Arc::new(EtcdCluster::start());
    let app = Arc::new(
        spawn_app_with(AppOptions {
            etcd: Some(cluster.clone()),
            ..AppOptions::new(Backend::Sqlite)
        })
        .await,
    );
    app.reset(EVENT, 1).await;
    cluster.member(2).kill();
    cluster.wait_for_leader(Duration::from_secs(20)).await;
    let holder = start_holder(&app, "etcd");
    cluster.wait_for_key(KEY, Duration::from_secs(10)).await;
    match fault {
        Fault::RestartEmpty => {
            cluster.member(1).kill();
            cluster.member(1).start();
        }
        Fault::EarlyExpiry => {
            let lease = cluster.lease_of(KEY).await.expect("A's key has a lease");
            assert!(cluster.revoke(&lease).await, "revoke A's lease");
        }
    }
    cluster.member(2).start();
    assert!(
        !holder.is_finished(),
        "A must still be inside its window when B books"
    );
    let second = book(&app, "etcd", SECOND).await;
    let first = holder.await.expect("A's request finishes");
    (app, first, second)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redlock_sells_the_ticket_twice_when_a_node_restarts_empty() {
    let (app, a, b) = redis_choreography("redlock", Fault::RestartEmpty).await;
    let audit = app.audit(EVENT).await;
    assert_eq!((a.status, b.status), (201, 201), "{a:?} {b:?}");
    assert_eq!((audit.booked, audit.oversold), (2, 1), "{audit:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redlock_sells_the_ticket_twice_when_a_nodes_lock_expires_early_standing_in_for_a_clock_jump(
) {
    let (app, a, b) = redis_choreography("redlock", Fault::EarlyExpiry).await;
    let audit = app.audit(EVENT).await;
    assert_eq!((a.status, b.status), (201, 201), "{a:?} {b:?}");
    assert_eq!((audit.booked, audit.oversold), (2, 1), "{audit:?}");
}

/// Both holders believed they held the lock; the storage let only the newer one write.
fn assert_stale_write_refused(a: &Outcome, b: &Outcome, audit: &oversold::store::Audit) {
    assert_eq!(b.status, 201, "B, the newer holder, books: {b:?}");
    assert_eq!(
        (a.status, a.error.as_deref()),
        (409, Some("stale_fence")),
        "A's late write is refused: {a:?}"
    );
    assert!(audit.booked == 1 && audit.clean, "{audit:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fenced_refuses_the_stale_write_when_a_node_restarts_empty() {
    let (app, a, b) = redis_choreography("fenced", Fault::RestartEmpty).await;
    assert_stale_write_refused(&a, &b, &app.audit(EVENT).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fenced_refuses_the_stale_write_when_a_nodes_lock_expires_early_standing_in_for_a_clock_jump(
) {
    let (app, a, b) = redis_choreography("fenced", Fault::EarlyExpiry).await;
    assert_stale_write_refused(&a, &b, &app.audit(EVENT).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn etcd_books_exactly_once_when_a_member_restarts_because_it_keeps_its_log() {
    let (app, a, b) = etcd_choreography(Fault::RestartEmpty).await;
    let audit = app.audit(EVENT).await;
    assert_eq!(a.status, 201, "A keeps its lock through the restart: {a:?}");
    assert_eq!(
        (b.status, b.error.as_deref()),
        (409, Some("sold_out")),
        "B waited for A's lock and then found the ticket gone: {b:?}"
    );
    assert!(b.lock_attempts > Some(1), "B had to wait for A: {b:?}");
    assert!(audit.booked == 1 && audit.clean, "{audit:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn etcd_books_exactly_once_when_the_lease_expires_early_standing_in_for_a_clock_jump() {
    let (app, a, b) = etcd_choreography(Fault::EarlyExpiry).await;
    assert_stale_write_refused(&a, &b, &app.audit(EVENT).await);
}
