//! Experiments through the real app: the server fans the fight out itself, over one instance or
//! two, on an event made for the run, reads the verdict from the audit and keeps the record in
//! the database. Two runs at once never mix, and a run whose event something else touched says
//! so instead of blaming the strategy.
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

/// The event the run made for itself.
fn own_event(experiment: &Value) -> i64 {
    experiment["event_id"]
        .as_i64()
        .expect("the experiment names its event")
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
        first.post("/book-no-lock/1?race_window_ms=0", None).await; // a booking the run leaves alone

        let experiment = run(&second, json!({
            "strategy": "no-lock", "requests": 10, "capacity": 1, "race_window_ms": 300, "target": "all"
        })).await;

        assert_ne!(own_event(&experiment), 1, "the run books an event of its own");
        assert_eq!(first.audit(1).await.booked, 1, "and leaves the shared event as it was");
        assert_eq!(experiment["interference"]["foreign_bookings"], 0);
        let audit = first.audit(own_event(&experiment)).await;
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

        let audit = first.audit(own_event(&experiment)).await;
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

        let id: i64 = location["/?experiment=".len()..]
            .split('&')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        let stored: Value = app.get(&format!("/experiments/{id}")).await.json().await.unwrap();
        let audit = app.audit(own_event(&stored)).await;
        assert_eq!((audit.capacity, audit.booked, audit.clean), (2, 2, true));
        assert_eq!(app.audit(2).await.booked, 0, "event 2 only lent its name");
        let html = app.get(&location).await.text().await.unwrap();
        assert!(html.contains("2 bookings, none oversold"), "{html}");
        assert!(html.contains("<svg class=\"timeline\""), "{html}");
        let description = oversold::strategy::Registry::description(oversold::strategy::StrategyName::Atomic);
        assert!(html.contains(&description[..40]), "the strategy is explained next to it");
        assert!(html.contains("experiment 1</a>"), "the history links it: {html}");
        // The form shows the run's settings again, and the URL that landed here carries them.
        assert!(location.contains("strategy=atomic&requests=5&capacity=2&race_window_ms=50"), "{location}");
        assert!(html.contains(r#"<option value="atomic" selected>"#), "{html}");
        assert!(html.contains(r#"id="race_window_ms" name="race_window_ms" type="number" min="0" max="30000" value="50""#), "{html}");
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

on_every_database! {
    async fn two_runs_started_together_from_both_instances_each_get_their_own_strategys_verdict(backend: Backend) {
        let first = spawn_app(backend).await;
        let second = first.spawn_twin("app-2").await;
        // A load test on the shared event at the same time: it must not leak into either run.
        let both = [&first, &second];
        let load = testkit::fire_together(&both, 10, "/book-no-lock/1?race_window_ms=300");

        // The first instance knows no peer; the second spreads its run over both.
        let (no_lock, redis, _) = tokio::join!(
            run(&second, json!({
                "strategy": "no-lock", "requests": 10, "capacity": 1, "race_window_ms": 300, "target": "all"
            })),
            run(&first, json!({
                "strategy": "redis", "requests": 10, "capacity": 1, "race_window_ms": 300, "target": "this"
            })),
            load,
        );

        assert_ne!(own_event(&no_lock), own_event(&redis), "each run has its own event");
        let no_lock_audit = first.audit(own_event(&no_lock)).await;
        assert_eq!(stored_audit(&no_lock), no_lock_audit);
        assert_eq!((no_lock_audit.booked, no_lock_audit.oversold), (10, 9), "{no_lock}");
        assert_eq!(no_lock["verdict"]["headline"], "OVERSOLD by 9");
        let redis_audit = first.audit(own_event(&redis)).await;
        assert_eq!(stored_audit(&redis), redis_audit);
        assert_eq!((redis_audit.booked, redis_audit.clean), (1, true), "{redis}");
        assert_eq!(redis["verdict"]["headline"], "exactly one booking");
        for run in [&no_lock, &redis] {
            assert_eq!(run["interference"], json!({"foreign_bookings": 0, "missing_bookings": 0}));
        }
        assert_eq!(first.audit(1).await.booked, 10, "the load test booked only the shared event");
    }
}

on_every_database! {
    async fn a_run_whose_event_someone_else_books_into_says_so_instead_of_blaming_the_strategy(backend: Backend) {
        let app = spawn_app(backend).await;
        // The run's event will be the next one created; a stranger books it while the run's
        // requests sit in their 1.5 s race window under the lock.
        let next = app.get("/events").await.json::<Value>().await.unwrap()
            .as_array().unwrap().iter().map(|e| e["id"].as_i64().unwrap()).max().unwrap() + 1;
        let stranger = async {
            for _ in 0..100 {
                let answer = app.post(&format!("/book-no-lock/{next}?race_window_ms=0"), None).await;
                if answer.status().as_u16() != 404 {
                    return answer.status().as_u16();
                }
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
            panic!("the run's event never appeared");
        };
        let (experiment, status) = tokio::join!(
            run(&app, json!({"strategy": "redis", "requests": 3, "race_window_ms": 1500})),
            stranger,
        );
        assert_eq!(status, 201, "the stranger booked the run's seat");
        assert_eq!(own_event(&experiment), next);
        assert_eq!(experiment["interference"]["foreign_bookings"], 1, "{experiment}");
        assert_eq!(experiment["verdict"]["tone"], "warn");
        let headline = experiment["verdict"]["headline"].as_str().unwrap();
        assert!(headline.starts_with("disturbed"), "{headline}");
        assert!(experiment["verdict"]["detail"].as_str().unwrap().contains("1 booking made by someone else"));
    }
}

on_every_database! {
    async fn a_run_is_stored_as_running_while_it_runs_and_shows_its_result_when_done(backend: Backend) {
        let app = spawn_app(backend).await;
        let started = run(&app, json!({"strategy": "no-lock", "requests": 2, "race_window_ms": 1500}));
        let watch = async {
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
            loop {
                let listed: Value = app.get("/experiments").await.json().await.unwrap();
                if let Some(first) = listed.as_array().unwrap().first() {
                    return first.clone();
                }
                assert!(std::time::Instant::now() < deadline, "the run never appeared");
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
        };
        let (finished, seen) = tokio::join!(started, watch);
        assert_eq!(seen["state"], "running", "{seen}");
        assert_eq!(seen["id"], finished["id"]);
        let html = app.get("/").await.text().await.unwrap();
        assert!(!html.contains("data-running"), "done now: {html}");
        assert_eq!(finished["state"], "done");
    }
}

on_every_database! {
    async fn a_new_session_resets_every_event_and_clears_the_history_and_the_runs_events(backend: Backend) {
        let app = spawn_app(backend).await;
        let experiment = run(&app, json!({"strategy": "atomic", "requests": 2})).await;
        app.post("/book-no-lock/1?race_window_ms=0", None).await;
        let events_before = app.get("/events").await.json::<Value>().await.unwrap();

        let answer = app.post("/new-session", None).await;
        assert_eq!(answer.status().as_u16(), 200);
        let listed: Value = app.get("/experiments").await.json().await.unwrap();
        assert_eq!(listed, json!([]), "the history is empty");
        assert_eq!(app.audit(1).await.booked, 0, "every event is reset");
        let events: Value = app.get("/events").await.json().await.unwrap();
        assert_eq!(events.as_array().unwrap().len(), events_before.as_array().unwrap().len() - 1);
        assert!(events.as_array().unwrap().iter().all(|e| e["id"] != experiment["event_id"]),
                "the run's own event is gone: {events}");
    }
}
