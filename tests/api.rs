//! The API's contract outside the race: events, resets, health, the dashboard, and bad input.
//!
//! Bad input must get a JSON 4xx and leave the database exactly as it was, so each bad-input
//! test compares the audit before and after.

use serde_json::{json, Value};
use testkit::{on_every_database, spawn_app, Backend, TestApp};

async fn all_audits(app: &TestApp) -> Vec<oversold::store::Audit> {
    let events = app.store.list_events().await.unwrap();
    events.iter().map(|e| e.audit()).collect()
}

/// Checks that a response refused the request with `status` and a JSON error body naming `code`.
async fn assert_refused(response: reqwest::Response, status: u16, code: &str) {
    assert_eq!(response.status().as_u16(), status, "for {}", response.url());
    let body: Value = response.json().await.expect("a JSON error body");
    assert_eq!(body["error"], code, "{body}");
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
}

on_every_database! {
    async fn bad_input_gets_a_json_4xx_and_changes_nothing(backend: Backend) {
        let app = spawn_app(backend).await;
        app.post("/book-no-lock/1?race_window_ms=0", None).await;
        let before = all_audits(&app).await;

        assert_refused(app.post("/book-with-lock/999999", None).await, 404, "not_found").await;
        assert_refused(app.post("/book-no-lock/abc", None).await, 400, "invalid_path").await;
        assert_refused(app.get("/events/99999999999999999999999").await, 400, "invalid_path").await;
        assert_refused(app.post_raw("/book-no-lock/2", "{not json").await, 400, "invalid_json").await;
        assert_refused(app.post_raw("/book-no-lock/2", r#"{"customer": 7}"#).await, 400, "invalid_json").await;
        assert_refused(app.post_raw("/reset/2", r#"{"capacity": "ten"}"#).await, 400, "invalid_json").await;
        assert_refused(app.post("/book-no-lock/2?race_window_ms=999999", None).await, 400, "invalid_knob").await;
        assert_refused(app.post("/book-with-lock/2?ttl_ms=1", None).await, 400, "invalid_knob").await;
        assert_refused(app.post("/book-no-lock/2?race_window_ms=-5", None).await, 400, "invalid_query").await;
        assert_refused(app.post("/book-no-lock/2?race_window=5", None).await, 400, "invalid_query").await;
        assert_refused(app.post("/reset/2", Some(json!({"capacity": -1}))).await, 400, "invalid_input").await;
        assert_refused(app.post("/events", Some(json!({"name": "x", "capacity": -3}))).await, 400, "invalid_input").await;
        assert_refused(app.post("/events", Some(json!({"name": "  ", "capacity": 3}))).await, 400, "invalid_input").await;
        assert_refused(app.post("/book-no-lock/2", Some(json!({"customer": "a\u{0}b"}))).await, 400, "invalid_input").await;
        let oversized = format!(r#"{{"customer": "{}"}}"#, "x".repeat(64 * 1024));
        assert_refused(app.post_raw("/book-no-lock/2", oversized).await, 413, "payload_too_large").await;
        assert_refused(app.get("/book-no-lock/2").await, 405, "method_not_allowed").await;
        assert_refused(app.get("/no/such/route").await, 404, "not_found").await;
        assert_refused(app.post("/book/no-such-strategy/2", None).await, 404, "not_found").await;

        assert_eq!(all_audits(&app).await, before, "bad input changed the database");
    }
}

on_every_database! {
    async fn events_list_their_audit_and_a_reset_restores_them(backend: Backend) {
        let app = spawn_app(backend).await;
        let events: Value = app.get("/events").await.json().await.unwrap();
        let first = &events[0];
        assert_eq!(first["id"], 1);
        assert_eq!(first["capacity"], 1, "the first seeded event has exactly one ticket");
        assert_eq!(first["audit"]["clean"], true);

        app.post("/book-no-lock/2?race_window_ms=0", None).await;
        let event = app.get_event(2).await;
        assert_eq!(event["audit"]["booked"], 1);
        assert_eq!(event["available"], event["capacity"].as_i64().unwrap() - 1);

        let reset = app.post("/reset/2", Some(json!({"capacity": 3}))).await;
        assert_eq!(reset.status().as_u16(), 200);
        let audit = app.audit(2).await;
        assert_eq!((audit.capacity, audit.available, audit.booked), (3, 3, 0));

        app.post("/book-no-lock/3?race_window_ms=0", None).await;
        assert_eq!(app.post("/reset", None).await.status().as_u16(), 200);
        assert_eq!(app.audit(3).await.booked, 0);
    }
}

on_every_database! {
    async fn a_created_event_can_be_booked_until_it_sells_out(backend: Backend) {
        let app = spawn_app(backend).await;
        let created = app.post("/events", Some(json!({"name": "Pop-up gig", "capacity": 2}))).await;
        assert_eq!(created.status().as_u16(), 201);
        let id = created.json::<Value>().await.unwrap()["id"].as_i64().unwrap();

        for _ in 0..2 {
            let booked = app.post(&format!("/book-with-lock/{id}?race_window_ms=0"), None).await;
            assert_eq!(booked.status().as_u16(), 201);
        }
        let sold_out = app.post(&format!("/book-with-lock/{id}"), None).await;
        assert_eq!(sold_out.status().as_u16(), 409);
        assert_eq!(sold_out.json::<Value>().await.unwrap()["error"], "sold_out");
        let audit = app.audit(id).await;
        assert_eq!((audit.booked, audit.available, audit.clean), (2, 0, true));
    }
}

on_every_database! {
    async fn health_names_the_database_and_every_redis_node(backend: Backend) {
        let app = spawn_app(backend).await;
        let response = app.get("/health").await;
        assert_eq!(response.status().as_u16(), 200);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["database"]["up"], true);
        assert_eq!(body["redis"]["nodes"][0]["up"], true);
        assert_eq!(body["redis"]["quorum_up"], true);

        app.redis[0].stop();
        let response = app.get("/health").await;
        assert_eq!(response.status().as_u16(), 503, "no Redis, no with-lock booking");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["redis"]["nodes"][0]["up"], false);
    }
}

on_every_database! {
    async fn the_dashboard_shows_the_audit_of_every_event(backend: Backend) {
        let app = spawn_app(backend).await;
        testkit::fire_together(&[&app], 5, "/book-no-lock/1?race_window_ms=300").await;
        let oversold = app.audit(1).await.oversold;
        assert!(oversold >= 1);

        let response = app.get("/").await;
        assert_eq!(response.status().as_u16(), 200);
        let html = response.text().await.unwrap();
        assert!(html.contains("The last ticket"), "{html}");
        assert!(html.contains(&format!("OVERSOLD by {oversold}")), "{html}");

        // The reset button is a plain form post that lands back on the dashboard.
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let reset = client
            .post(format!("{}/ui/reset/1", app.address))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("capacity=")
            .send()
            .await
            .unwrap();
        assert_eq!(reset.status().as_u16(), 303);
        assert!(app.audit(1).await.clean);
        let html = app.get("/").await.text().await.unwrap();
        // What the page shows, without the words its script may need (they include "OVERSOLD by").
        let shown = match html.split_once(r#"<script type="application/json" id="i18n">"#) {
            Some((before, rest)) => format!("{before}{}", rest.split_once("</script>").map_or("", |(_, after)| after)),
            None => html.clone(),
        };
        assert!(!shown.contains("OVERSOLD"), "{shown}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_is_503_when_the_database_is_gone() {
    use sqlx::Connection;
    let app = spawn_app(Backend::Postgres).await;
    assert_eq!(app.get("/health").await.status().as_u16(), 200);

    let admin_url =
        std::env::var("TEST_DATABASE_URL").expect("TEST_DATABASE_URL (./test.sh sets it)");
    let name = app
        .database
        .url
        .rsplit('/')
        .next()
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_string();
    let mut admin = sqlx::PgConnection::connect(&admin_url).await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE {name} WITH (FORCE)"
    )))
    .execute(&mut admin)
    .await
    .unwrap();

    let response = app.get("/health").await;
    assert_eq!(response.status().as_u16(), 503, "no database, no booking");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["database"]["up"], false);
    assert!(
        body["database"]["error"]
            .as_str()
            .is_some_and(|e| !e.is_empty()),
        "{body}"
    );
    assert_eq!(body["redis"]["nodes"][0]["up"], true, "{body}");
    assert!(
        body["redis"]["nodes"][0]["latency_ms"].is_number(),
        "{body}"
    );
}
