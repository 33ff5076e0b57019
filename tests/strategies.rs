//! Each strategy's row of the design's table, measured through `audit`: one instance, two
//! instances over one database, and a holder paused past its lock's TTL (race window > ttl).
//!
//! Every app here has three private Redis nodes, so `redlock` and `fenced` use a real quorum, and
//! `etcd`'s row runs against a real three-member etcd cluster; node and member failures have their
//! own tests in `redlock.rs`, `etcd.rs` and `faults.rs`.

use std::sync::Arc;

use serde_json::Value;
use testkit::{
    count, count_errors, fire_together, on_every_database, spawn_app, spawn_app_with, AppOptions,
    Backend, EtcdCluster, TestApp,
};

const EVENT: i64 = 1;

/// What ten requests at the last ticket end in, read from the audit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Verdict {
    /// Exactly one booking, the counter agrees.
    Safe,
    /// More than one booking of the one ticket.
    Oversold,
    /// Exactly one booking, and at least one late holder was turned away with `stale_fence`.
    StaleRejected,
}
use Verdict::*;

/// One row of the design's strategy table.
struct Row {
    strategy: &'static str,
    one_instance: Verdict,
    two_instances: Verdict,
    paused_past_ttl: Verdict,
}

#[rustfmt::skip]
const TABLE: &[Row] = &[
    Row { strategy: "no-lock",     one_instance: Oversold, two_instances: Oversold, paused_past_ttl: Oversold },
    Row { strategy: "local-mutex", one_instance: Safe,     two_instances: Oversold, paused_past_ttl: Safe },
    Row { strategy: "redis",       one_instance: Safe,     two_instances: Safe,     paused_past_ttl: Oversold },
    Row { strategy: "redlock",     one_instance: Safe,     two_instances: Safe,     paused_past_ttl: Oversold },
    Row { strategy: "fenced",      one_instance: Safe,     two_instances: Safe,     paused_past_ttl: StaleRejected },
    Row { strategy: "pg-advisory", one_instance: Safe,     two_instances: Safe,     paused_past_ttl: Safe },
    Row { strategy: "for-update",  one_instance: Safe,     two_instances: Safe,     paused_past_ttl: Safe },
    Row { strategy: "optimistic",  one_instance: Safe,     two_instances: Safe,     paused_past_ttl: Safe },
    Row { strategy: "atomic",      one_instance: Safe,     two_instances: Safe,     paused_past_ttl: Safe },
    Row { strategy: "queue",       one_instance: Safe,     two_instances: Safe,     paused_past_ttl: Oversold },
    Row { strategy: "batched",     one_instance: Safe,     two_instances: Safe,     paused_past_ttl: Safe },
    Row { strategy: "etcd",        one_instance: Safe,     two_instances: Safe,     paused_past_ttl: StaleRejected },
];

/// Wide enough that every request reads before the first write when nothing protects the read.
const RACE: &str = "race_window_ms=200";
/// The holder sleeps five lease lengths between its read and its write: the lock expires
/// mid-booking and the next contender takes it while the first still means to write.
const PAUSED: &str = "race_window_ms=500&ttl_ms=100";
/// The same for `etcd`, whose leases are whole seconds (a 100 ms TTL is granted as one second):
/// the holder sleeps past a one-second lease and the half second etcd may take to expire it.
const PAUSED_ETCD: &str = "race_window_ms=2500&ttl_ms=1000";

/// Ten requests at one ticket through `strategy`, spread over `apps`, checked against `expected`.
async fn fight(apps: &[&TestApp], strategy: &str, query: &str, expected: Verdict) {
    apps[0].reset(EVENT, 1).await;
    let path = format!("/book/{strategy}/{EVENT}?{query}");
    let answers = fire_together(apps, 10, &path).await;
    let audit = apps[0].audit(EVENT).await;
    let context = format!(
        "{strategy} on {} instance(s), {query}: {audit:?} {answers:?}",
        apps.len()
    );
    match expected {
        Safe => {
            assert!(audit.booked == 1 && audit.clean, "{context}");
            assert_eq!(count(&answers, 201), 1, "{context}");
        }
        Oversold => assert!(audit.oversold >= 1, "{context}"),
        StaleRejected => {
            assert!(audit.booked == 1 && audit.clean, "{context}");
            assert!(count_errors(&answers, "stale_fence") >= 1, "{context}");
        }
    }
}

/// Checks every column of `strategy`'s row on one backend, with three Redis nodes behind the
/// app (so `redlock` and `fenced` use a real quorum) and a twin over the same database and nodes.
async fn check_row(strategy: &str, backend: Backend) {
    let row = TABLE.iter().find(|r| r.strategy == strategy).unwrap();
    let first = spawn_app_with(AppOptions {
        redis_nodes: 3,
        // Three etcd processes only for the strategy that uses them.
        etcd: (strategy == "etcd").then(|| Arc::new(EtcdCluster::start())),
        ..AppOptions::new(backend)
    })
    .await;
    let second = first.spawn_twin("app-2").await;
    let paused = if strategy == "etcd" {
        PAUSED_ETCD
    } else {
        PAUSED
    };
    fight(&[&first], strategy, RACE, row.one_instance).await;
    fight(&[&first, &second], strategy, RACE, row.two_instances).await;
    fight(&[&first], strategy, paused, row.paused_past_ttl).await;
}

macro_rules! table_row {
    ($($test:ident: $strategy:literal;)*) => {$(
        on_every_database! {
            async fn $test(backend: Backend) {
                check_row($strategy, backend).await
            }
        }
    )*};
}

table_row! {
    no_lock_oversells_on_one_instance_on_two_and_when_paused: "no-lock";
    local_mutex_holds_on_one_instance_and_oversells_on_two: "local-mutex";
    redis_holds_on_two_instances_but_gets_two_holders_when_paused: "redis";
    redlock_holds_on_two_instances_but_gets_two_holders_when_paused: "redlock";
    fenced_turns_away_the_paused_holder_with_stale_fence: "fenced";
    for_update_holds_everywhere: "for-update";
    optimistic_holds_everywhere: "optimistic";
    atomic_holds_everywhere: "atomic";
    queue_holds_on_two_instances_but_gets_two_holders_when_paused: "queue";
    batched_holds_everywhere: "batched";
    etcd_holds_on_two_instances_and_turns_away_the_paused_holder_with_stale_fence: "etcd";
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pg_advisory_holds_everywhere_on_postgres() {
    check_row("pg-advisory", Backend::Postgres).await
}

const SAFE: &[&str] = &[
    "local-mutex",
    "redis",
    "redlock",
    "fenced",
    "for-update",
    "optimistic",
    "atomic",
    "queue",
    "batched",
];

on_every_database! {
    async fn with_ten_tickets_every_safe_strategy_sells_exactly_ten(backend: Backend) {
        let app = spawn_app(backend).await;
        for strategy in SAFE {
            app.reset(EVENT, 10).await;
            let path = format!("/book/{strategy}/{EVENT}?race_window_ms=10");
            let answers = fire_together(&[&app], 14, &path).await;
            let audit = app.audit(EVENT).await;
            assert_eq!((audit.booked, audit.available), (10, 0), "{strategy}: {audit:?}");
            assert!(audit.clean, "{strategy}: {audit:?}");
            assert_eq!(count_errors(&answers, "sold_out"), 4, "{strategy}: {answers:?}");
        }
    }
}

#[tokio::test]
async fn pg_advisory_on_sqlite_answers_501_naming_postgres() {
    let app = spawn_app(Backend::Sqlite).await;
    let response = app.post("/book/pg-advisory/1", None).await;
    assert_eq!(response.status().as_u16(), 501);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "unsupported_strategy");
    assert!(
        body["message"].as_str().unwrap().contains("Postgres"),
        "{body}"
    );
    assert_eq!(app.audit(1).await.booked, 0);
}

#[tokio::test]
async fn strategies_lists_every_strategy_with_its_databases() {
    let app = spawn_app(Backend::Sqlite).await;
    let list: Value = app.get("/strategies").await.json().await.unwrap();
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), TABLE.len(), "{names:?}");
    for expected in TABLE.iter().map(|row| row.strategy) {
        assert!(
            names.contains(&expected),
            "{expected} missing from {names:?}"
        );
    }
    let advisory = list
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "pg-advisory")
        .unwrap();
    assert_eq!(advisory["databases"], serde_json::json!(["postgres"]));
}

on_every_database! {
    async fn batched_serves_a_crowd_with_a_transaction_or_two_not_one_each(backend: Backend) {
        let app = spawn_app(backend).await;
        app.reset(EVENT, 10).await;
        // Everyone arrives within the first batch's window (200 ms), so the crowd is the first
        // batch (whoever came first) and the second (everyone else). Every batch moves the
        // event's version by one; one transaction per booking would move it ten times.
        let answers = fire_together(&[&app], 14, &format!("/book/batched/{EVENT}?race_window_ms=200")).await;
        let audit = app.audit(EVENT).await;
        assert_eq!((audit.booked, audit.available), (10, 0), "{audit:?}");
        assert!(audit.clean, "{audit:?}");
        assert_eq!(count(&answers, 201), 10, "{answers:?}");
        assert_eq!(count_errors(&answers, "sold_out"), 4, "{answers:?}");
        let version = app.get_event(EVENT).await["version"].as_i64().expect("the event's version");
        assert!((1..=2).contains(&version), "{version} transactions for one crowd");
    }
}
