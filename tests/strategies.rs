//! Each strategy's row of the design's table, measured through `audit`: one instance, two
//! instances over one database, and a holder paused past its lock's TTL (race window > ttl).
//!
//! Redis-backed strategies that need several nodes have their own tests; here every app has one
//! private Redis node.

use serde_json::Value;
use testkit::{count, fire_together, on_every_database, spawn_app, Backend, TestApp};

const EVENT: i64 = 1;

/// Ten requests at one ticket through `strategy`, spread over `apps`; returns the audit.
async fn fight(apps: &[&TestApp], strategy: &str, query: &str) -> oversold::store::Audit {
    apps[0].reset(EVENT, 1).await;
    let path = format!("/book/{strategy}/{EVENT}?{query}");
    fire_together(apps, 10, &path).await;
    apps[0].audit(EVENT).await
}

const SAFE_EVERYWHERE: &[&str] = &["for-update", "optimistic", "atomic"];

on_every_database! {
    async fn database_strategies_sell_the_last_ticket_once_on_two_instances(backend: Backend) {
        let first = spawn_app(backend).await;
        let second = first.spawn_twin("app-2").await;
        for strategy in SAFE_EVERYWHERE {
            let audit = fight(&[&first, &second], strategy, "race_window_ms=200").await;
            assert_eq!(audit.booked, 1, "{strategy}: {audit:?}");
            assert!(audit.clean, "{strategy}: {audit:?}");
        }
    }
}

on_every_database! {
    async fn database_strategies_hold_when_the_holder_is_paused_past_the_ttl(backend: Backend) {
        let app = spawn_app(backend).await;
        for strategy in SAFE_EVERYWHERE.iter().chain(&["local-mutex"]) {
            let audit = fight(&[&app], strategy, "race_window_ms=300&ttl_ms=50").await;
            assert_eq!(audit.booked, 1, "{strategy}: {audit:?}");
            assert!(audit.clean, "{strategy}: {audit:?}");
        }
    }
}

on_every_database! {
    async fn a_local_mutex_is_safe_on_one_instance_and_oversells_on_two(backend: Backend) {
        let first = spawn_app(backend).await;
        let audit = fight(&[&first], "local-mutex", "race_window_ms=200").await;
        assert!(audit.clean && audit.booked == 1, "one instance: {audit:?}");

        let second = first.spawn_twin("app-2").await;
        let audit = fight(&[&first, &second], "local-mutex", "race_window_ms=300").await;
        assert_eq!(audit.booked, 2, "one per instance gets in: {audit:?}");
        assert_eq!(audit.oversold, 1, "{audit:?}");
    }
}

on_every_database! {
    async fn with_ten_tickets_every_safe_strategy_sells_exactly_ten(backend: Backend) {
        let app = spawn_app(backend).await;
        for strategy in SAFE_EVERYWHERE.iter().chain(&["local-mutex", "redis"]) {
            app.reset(EVENT, 10).await;
            let path = format!("/book/{strategy}/{EVENT}?race_window_ms=10");
            let statuses = fire_together(&[&app], 14, &path).await;
            let audit = app.audit(EVENT).await;
            assert_eq!((audit.booked, audit.available), (10, 0), "{strategy}: {audit:?}");
            assert!(audit.clean, "{strategy}: {audit:?}");
            assert_eq!(count(&statuses, 409), 4, "{strategy}: {statuses:?}");
        }
    }
}

#[tokio::test]
async fn pg_advisory_is_safe_on_two_postgres_instances() {
    let first = spawn_app(Backend::Postgres).await;
    let second = first.spawn_twin("app-2").await;
    let audit = fight(
        &[&first, &second],
        "pg-advisory",
        "race_window_ms=300&ttl_ms=50",
    )
    .await;
    assert_eq!(audit.booked, 1, "{audit:?}");
    assert!(audit.clean, "{audit:?}");
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
    for expected in [
        "no-lock",
        "local-mutex",
        "redis",
        "for-update",
        "optimistic",
        "atomic",
        "pg-advisory",
    ] {
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
