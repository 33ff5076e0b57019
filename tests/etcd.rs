//! The `etcd` strategy against a real three-member etcd cluster whose members the test kills,
//! pauses and starts again: one member down still books, two down grant nothing and answer a
//! clean 503, and the members coming back bring the bookings back. Verdicts come from the audit.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use testkit::{
    count, fire_together, on_every_database, spawn_app_with, AppOptions, Backend, EtcdCluster,
    TestApp,
};

const EVENT: i64 = 1;
const BOOK: &str = "/book/etcd/1?race_window_ms=50";

async fn app_with_etcd(backend: Backend) -> TestApp {
    spawn_app_with(AppOptions {
        etcd: Some(Arc::new(EtcdCluster::start())),
        ..AppOptions::new(backend)
    })
    .await
}

async fn health(app: &TestApp) -> Value {
    app.get("/health")
        .await
        .json()
        .await
        .expect("health as JSON")
}

/// The index of the member `/health` names as leader.
async fn leader(app: &TestApp) -> usize {
    let health = health(app).await;
    let leader = health["etcd"]["leader"]
        .as_str()
        .expect("a leader")
        .to_string();
    let cluster = app.etcd.as_ref().unwrap();
    cluster
        .endpoints()
        .iter()
        .position(|url| *url == leader)
        .unwrap_or_else(|| panic!("{leader} is not one of the members: {health}"))
}

on_every_database! {
    async fn with_its_leader_killed_the_cluster_still_sells_the_last_ticket_once(backend: Backend) {
        let app = app_with_etcd(backend).await;
        let cluster = app.etcd.clone().unwrap();
        cluster.member(leader(&app).await).kill();
        app.reset(EVENT, 1).await;
        let answers = fire_together(&[&app], 10, BOOK).await;
        let audit = app.audit(EVENT).await;
        assert!(audit.booked == 1 && audit.clean, "{audit:?} {answers:?}");
        assert_eq!(count(&answers, 201), 1, "{answers:?}");
    }
}

on_every_database! {
    async fn with_two_of_three_members_killed_it_answers_503_books_nothing_and_recovers(backend: Backend) {
        let app = app_with_etcd(backend).await;
        let cluster = app.etcd.clone().unwrap();
        app.reset(EVENT, 1).await;
        cluster.member(1).kill();
        cluster.member(2).kill();

        let refused = app.post(BOOK, None).await;
        assert_eq!(refused.status().as_u16(), 503);
        let retry_after: u64 = refused.headers()["retry-after"].to_str().unwrap().parse().unwrap();
        assert!(retry_after >= 1);
        let body: Value = refused.json().await.unwrap();
        assert_eq!(body["error"], "quorum_unavailable", "{body}");
        let audit = app.audit(EVENT).await;
        assert_eq!((audit.booked, audit.available), (0, 1), "{audit:?}");
        assert_eq!(health(&app).await["etcd"]["quorum_up"], false);

        cluster.member(1).start();
        cluster.member(2).start();
        let booked = app.post(BOOK, None).await;
        assert_eq!(booked.status().as_u16(), 201, "{:?}", booked.text().await);
        let audit = app.audit(EVENT).await;
        assert!(audit.booked == 1 && audit.clean, "{audit:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_member_costs_a_timeout_and_not_the_booking() {
    let app = app_with_etcd(Backend::Sqlite).await;
    let cluster = app.etcd.clone().unwrap();
    // The first endpoint is the one the client asks first: pausing it makes every call meet it.
    cluster.member(0).pause();
    app.reset(EVENT, 1).await;
    let answers = fire_together(&[&app], 5, BOOK).await;
    cluster.member(0).resume();
    let audit = app.audit(EVENT).await;
    assert!(audit.booked == 1 && audit.clean, "{audit:?} {answers:?}");
    assert_eq!(count(&answers, 201), 1, "{answers:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_names_every_etcd_member_the_leader_and_whether_quorum_is_up() {
    let app = app_with_etcd(Backend::Sqlite).await;
    let cluster = app.etcd.clone().unwrap();
    let etcd = health(&app).await["etcd"].clone();
    assert_eq!(etcd["members"].as_array().unwrap().len(), 3, "{etcd}");
    assert_eq!(
        (etcd["up"].as_u64(), etcd["quorum"].as_u64()),
        (Some(3), Some(2))
    );
    assert_eq!(etcd["quorum_up"], true, "{etcd}");
    let leaders = etcd["members"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["is_leader"] == true)
        .count();
    assert_eq!(leaders, 1, "{etcd}");

    let dead = leader(&app).await;
    cluster.member(dead).kill();
    // A new leader is elected within a few election timeouts (500 ms each here).
    let mut etcd = Value::Null;
    for _ in 0..50 {
        etcd = health(&app).await["etcd"].clone();
        if etcd["quorum_up"] == true {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(etcd["up"].as_u64(), Some(2), "{etcd}");
    assert_eq!(etcd["members"][dead]["up"], false, "{etcd}");
    assert_eq!(etcd["quorum_up"], true, "{etcd}");
    assert_ne!(etcd["leader"], cluster.endpoints()[dead], "{etcd}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_key_is_gone_from_etcd_once_the_booking_is_answered() {
    let app = app_with_etcd(Backend::Sqlite).await;
    let cluster = app.etcd.clone().unwrap();
    app.reset(EVENT, 3).await;
    let first = app.post(BOOK, None).await;
    assert_eq!(first.status().as_u16(), 201);
    let first: Value = first.json().await.unwrap();
    assert_eq!(cluster.create_revision("lock:event:1").await, None);
    // Every holder's token is the key's new create revision: the second is larger.
    let second: Value = app.post(BOOK, None).await.json().await.unwrap();
    let token = |b: &Value| b["trace"]["fence_token"].as_i64().expect("a fencing token");
    assert!(token(&second) > token(&first), "{first} {second}");
    let audit = app.audit(EVENT).await;
    assert!(audit.booked == 2 && audit.clean, "{audit:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_shows_each_etcd_member_the_leader_and_the_quorum() {
    let app = app_with_etcd(Backend::Sqlite).await;
    let cluster = app.etcd.clone().unwrap();
    let leader = cluster.endpoints()[leader(&app).await].clone();
    let page = app.get("/").await.text().await.unwrap();
    assert!(page.contains("etcd members"), "{page}");
    assert!(page.contains("3 of 3</strong> up"), "{page}");
    assert!(
        page.contains("data-field=\"etcd-quorum\">quorum is up"),
        "{page}"
    );
    assert!(
        page.contains(&format!(
            "<code>{leader}</code> <small data-field=\"role\">(leader)</small>"
        )),
        "{page}"
    );
    for url in cluster.endpoints() {
        assert!(page.contains(&url), "{url} missing");
    }
    // The strategy cards carry the fault cells of the rows that have them.
    let etcd_row = "node restarts empty: <strong>safe</strong> · clock jump (early expiry): <strong>late holder refused</strong>";
    assert!(page.contains(etcd_row), "{page}");
    assert!(
        page.contains("node restarts empty: <strong>oversells</strong>"),
        "redlock's: {page}"
    );
}
