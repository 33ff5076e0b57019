//! Experiments through the real app: the server fans the fight out itself, over one instance or
//! two, reads the verdict from the audit and keeps the record in the database.
//!
//! The race is certain, as in `booking.rs`: a 300 ms race window is far longer than it takes to
//! send ten requests on loopback, so without a lock every request reads the last ticket.

use oversold::store::Audit;
use serde_json::{json, Value};
use testkit::{on_every_database, spawn_app, Backend, TestApp};

/// Runs an experiment on `app` and returns its JSON, checking it was created.
async fn run(app: &TestApp, body: Value) -> Value {
    let response = app.post("/experiments", Some(body)).await;
    let status = response.status().as_u16();
    let location = response
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_string());
    let experiment: Value = response.json().await.expect("an experiment as JSON");
    assert_eq!(status, 201, "{experiment}");
    assert_eq!(
        location,
        Some(format!("/experiments/{}", experiment["id"])),
        "{experiment}"
    );
    experiment
}

fn stored_audit(experiment: &Value) -> Audit {
    serde_json::from_value(experiment["audit"].clone()).expect("the experiment carries an audit")
}

fn instances(experiment: &Value) -> Vec<String> {
    let mut names: Vec<String> = experiment["answers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["trace"]["instance"].as_str().unwrap_or("?").to_string())
        .collect();
    names.sort();
    names.dedup();
    names
}

fn statuses(experiment: &Value, status: u64) -> usize {
    experiment["answers"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["status"] == status)
        .count()
}

on_every_database! {
    async fn a_no_lock_experiment_over_two_instances_reports_the_oversell_the_audit_finds(backend: Backend) {
        let first = spawn_app(backend).await;
        let second = first.spawn_twin("app-2").await;
        first.post("/book-no-lock/1?race_window_ms=0", None).await; // a leftover the reset removes

        let experiment = run(&second, json!({
            "strategy": "no-lock", "requests": 10, "capacity": 1, "race_window_ms": 300, "target": "all"
        })).await;

        let audit = first.audit(1).await;
        assert_eq!(stored_audit(&experiment), audit, "the stored numbers are the database's");
        assert_eq!((audit.capacity, audit.booked, audit.oversold), (1, 10, 9), "{experiment}");
        assert_eq!(experiment["verdict"]["tone"], "bad");
        assert_eq!(experiment["verdict"]["headline"], "OVERSOLD by 9");
        assert_eq!(instances(&experiment), ["app-1", "app-2"], "spread over both instances");
        assert_eq!(experiment["targets"].as_array().unwrap().len(), 2);
        for answer in experiment["answers"].as_array().unwrap() {
            assert!(answer["trace"]["read_ms"].is_number(), "every answer keeps its trace: {answer}");
            assert!(answer["trace"].get("lock_acquired_ms").is_none(), "no-lock takes no lock: {answer}");
        }

        // The other instance reads the same record from the shared database.
        let id = experiment["id"].as_i64().unwrap();
        let shown: Value = first.get(&format!("/experiments/{id}")).await.json().await.unwrap();
        assert_eq!(shown, experiment);
        let listed: Value = first.get("/experiments").await.json().await.unwrap();
        assert_eq!(listed[0]["id"], id);
        assert_eq!(listed[0]["audit"], experiment["audit"]);
        assert!(listed[0].get("answers").is_none(), "the history leaves the answers out");
    }
}

on_every_database! {
    async fn a_with_lock_experiment_over_two_instances_reports_exactly_one_booking(backend: Backend) {
        let first = spawn_app(backend).await;
        let second = first.spawn_twin("app-2").await;

        let experiment = run(&second, json!({
            "strategy": "redis", "requests": 10, "capacity": 1, "race_window_ms": 300, "target": "all"
        })).await;

        let audit = first.audit(1).await;
        assert_eq!(stored_audit(&experiment), audit);
        assert_eq!((audit.booked, audit.clean), (1, true), "{experiment}");
        assert_eq!(experiment["verdict"]["tone"], "good");
        assert_eq!(experiment["verdict"]["headline"], "exactly one booking");
        assert_eq!(statuses(&experiment, 201), 1, "{experiment}");
        assert_eq!(statuses(&experiment, 409), 9, "{experiment}");
        assert_eq!(instances(&experiment), ["app-1", "app-2"]);
        for answer in experiment["answers"].as_array().unwrap() {
            let trace = &answer["trace"];
            assert!(trace["lock_acquired_ms"].is_number(), "every request held the lock: {answer}");
            assert_eq!(trace["lease_expired"], false, "{answer}");
        }
    }
}

on_every_database! {
    async fn a_holder_paused_past_its_lease_shows_on_the_timeline(backend: Backend) {
        let app = spawn_app(backend).await;
        let experiment = run(&app, json!({
            "strategy": "redis", "requests": 4, "race_window_ms": 500, "ttl_ms": 100
        })).await;
        assert!(stored_audit(&experiment).oversold >= 1, "two holders oversell: {experiment}");
        let expired = experiment["answers"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["trace"]["lease_expired"] == true)
            .count();
        assert!(expired >= 1, "{experiment}");

        let id = experiment["id"].as_i64().unwrap();
        let html = app.get(&format!("/?experiment={id}")).await.text().await.unwrap();
        assert!(html.contains(r#"<svg class="timeline""#), "{html}");
        assert_eq!(html.matches(r#"class="lease-end""#).count(), expired, "one mark per expired lease");
        assert!(html.contains(r#"class="overlap""#), "the two holders overlap: {html}");
        assert!(html.contains("OVERSOLD by"), "{html}");
    }
}

on_every_database! {
    async fn the_dashboard_shows_an_experiment_with_its_explanation_and_the_history(backend: Backend) {
        let app = spawn_app(backend).await;
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        // The form without script: a plain post that lands on the dashboard showing the result.
        let posted = client
            .post(format!("{}/ui/experiments", app.address))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("strategy=atomic&requests=5&capacity=2&race_window_ms=50&ttl_ms=10000&event_id=2&target=this")
            .send()
            .await
            .unwrap();
        assert_eq!(posted.status().as_u16(), 303);
        let location = posted.headers()["location"].to_str().unwrap().to_string();
        assert!(location.starts_with("/?experiment="), "{location}");

        let audit = app.audit(2).await;
        assert_eq!((audit.capacity, audit.booked, audit.clean), (2, 2, true));
        let html = app.get(&location).await.text().await.unwrap();
        assert!(html.contains("2 bookings, none oversold"), "{html}");
        assert!(html.contains("<svg class=\"timeline\""), "{html}");
        let description = oversold::strategy::Registry::description(oversold::strategy::StrategyName::Atomic);
        assert!(html.contains(&description[..40]), "the strategy is explained next to it");
        assert!(html.contains("experiment 1</a>"), "the history links it: {html}");
        assert!(!html.contains(r#"class="overlap""#), "a checked write is never flagged: {html}");
    }
}

on_every_database! {
    async fn bad_experiments_get_a_clear_400_and_nothing_is_reset_or_stored(backend: Backend) {
        let app = spawn_app(backend).await;
        app.post("/book-no-lock/2?race_window_ms=0", None).await;
        let before = app.audit(2).await;

        let refusals = [
            (json!({"strategy": "no-lock", "requests": 201, "event_id": 2}), 400, "requests must be between 1 and 200"),
            (json!({"strategy": "no-lock", "requests": 0, "event_id": 2}), 400, "requests must be between 1 and 200"),
            (json!({"strategy": "redis", "ttl_ms": 5, "event_id": 2}), 400, "ttl_ms must be between 10"),
            (json!({"strategy": "redis", "race_window_ms": 30001, "event_id": 2}), 400, "race_window_ms must be between 0 and 30000"),
            (json!({"strategy": "redis", "capacity": -1, "event_id": 2}), 400, "capacity must be between 0"),
            (json!({"strategy": "mutex", "event_id": 2}), 400, "unknown strategy"),
            (json!({"strategy": "redis", "target": "all", "event_id": 2}), 400, "--peers"),
            (json!({"strategy": "redis", "requests": "ten"}), 400, "not the JSON this route takes"),
            (json!({"strategy": "redis", "event_id": 999}), 404, "event 999 does not exist"),
        ];
        for (body, status, message) in refusals {
            let response = app.post("/experiments", Some(body.clone())).await;
            assert_eq!(response.status().as_u16(), status, "{body}");
            let error: Value = response.json().await.unwrap();
            assert!(error["message"].as_str().unwrap().contains(message), "{body}: {error}");
        }
        assert_eq!(app.post("/experiments", None).await.status().as_u16(), 400);
        assert_eq!(app.get("/experiments/12345").await.status().as_u16(), 404);

        assert_eq!(app.audit(2).await, before, "a refused experiment resets nothing");
        let listed: Value = app.get("/experiments").await.json().await.unwrap();
        assert_eq!(listed, json!([]), "and stores nothing");
    }
}
