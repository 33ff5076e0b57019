//! `GET /metrics` after known traffic: every booking request is counted once by strategy and
//! outcome, lock waits, holds and retries move with it, and the per-event gauges are the audit.

use std::collections::BTreeMap;

use serde_json::json;
use testkit::{fire_together, on_every_database, spawn_app, Backend, TestApp};

/// `name{labels}` → value, from the exposition text.
async fn scrape(app: &TestApp) -> BTreeMap<String, f64> {
    let response = app.get("/metrics").await;
    assert_eq!(response.status().as_u16(), 200);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        content_type.starts_with("application/openmetrics-text"),
        "{content_type}"
    );
    let text = response.text().await.unwrap();
    assert!(text.trim_end().ends_with("# EOF"), "{text}");
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| {
            let (name, value) = l.rsplit_once(' ').unwrap();
            (name.to_string(), value.parse().unwrap())
        })
        .collect()
}

fn get(metrics: &BTreeMap<String, f64>, key: &str) -> f64 {
    *metrics
        .get(key)
        .unwrap_or_else(|| panic!("{key} is not in {:#?}", metrics.keys().collect::<Vec<_>>()))
}

on_every_database! {
    async fn metrics_count_exactly_the_bookings_sent(backend: Backend) {
        let app = spawn_app(backend).await;
        app.reset(1, 3).await;

        for _ in 0..5 {
            app.post("/book-with-lock/1?race_window_ms=0", None).await;
        }
        for _ in 0..2 {
            app.post("/book/atomic/2", None).await;
        }
        app.post("/book/redis/1?ttl_ms=1", None).await;
        // Four at once on one lock held 100 ms each: three of them must retry.
        let answers = fire_together(&[&app], 4, "/book/redis/3?race_window_ms=100").await;
        assert_eq!(testkit::count(&answers, 201), 4);

        let m = scrape(&app).await;
        let bookings = |strategy: &str, outcome: &str| {
            get(&m, &format!(r#"oversold_bookings_total{{strategy="{strategy}",outcome="{outcome}"}}"#))
        };
        assert_eq!(bookings("redis", "booked"), 3.0 + 4.0);
        assert_eq!(bookings("redis", "sold_out"), 2.0);
        assert_eq!(bookings("redis", "invalid_knob"), 1.0);
        assert_eq!(bookings("atomic", "booked"), 2.0);
        let total: f64 = m.iter().filter(|(k, _)| k.starts_with("oversold_bookings_total{")).map(|(_, v)| v).sum();
        assert_eq!(total, 12.0, "one count per request sent");

        // The sold-out answers came from a read, without the lock (checking is not booking), and
        // the invalid one never asked for it: only the seven bookings took the lock.
        assert_eq!(get(&m, r#"oversold_lock_acquire_seconds_count{strategy="redis",outcome="acquired"}"#), 7.0);
        assert_eq!(get(&m, r#"oversold_lock_held_seconds_count{strategy="redis"}"#), 7.0);
        assert!(get(&m, r#"oversold_lock_held_seconds_sum{strategy="redis"}"#) >= 0.4, "four 100 ms race windows under the lock");
        assert!(get(&m, r#"oversold_lock_retries_total{strategy="redis"}"#) >= 3.0);
        assert!(!m.keys().any(|k| k.contains("lock_") && k.contains(r#"strategy="atomic""#)), "atomic takes no lock");
        assert_eq!(get(&m, r#"oversold_booking_duration_seconds_count{strategy="redis",outcome="booked"}"#), 7.0);
        assert!(!m.keys().any(|k| k.starts_with("oversold_lock_failures_total{")), "no lock trouble yet");

        let node = format!(r#"oversold_redis_node_up{{node="{}"}}"#, app.redis[0].url());
        assert_eq!(get(&m, &node), 1.0);
        assert_eq!(get(&m, "oversold_redis_quorum_up"), 1.0);
        assert_eq!(get(&m, "oversold_database_up"), 1.0);
    }
}

on_every_database! {
    async fn event_gauges_are_the_audit_and_node_gauges_follow_the_nodes(backend: Backend) {
        let app = spawn_app(backend).await;
        app.reset(2, 1).await;
        fire_together(&[&app], 5, "/book-no-lock/2?race_window_ms=200").await;
        let audit = app.audit(2).await;
        assert!(audit.oversold >= 1, "{audit:?}");

        let m = scrape(&app).await;
        assert_eq!(get(&m, r#"oversold_event_oversold{event="2"}"#), audit.oversold as f64);
        assert_eq!(
            get(&m, r#"oversold_event_lost_updates{event="2"}"#),
            (audit.capacity - audit.available - audit.booked).abs() as f64
        );
        assert!(get(&m, r#"oversold_event_lost_updates{event="2"}"#) >= 1.0);
        assert_eq!(get(&m, r#"oversold_event_booked{event="2"}"#), audit.booked as f64);
        assert_eq!(get(&m, r#"oversold_event_oversold{event="1"}"#), 0.0);

        // A node that is gone reads 0, and without it a Redis booking is lock trouble.
        app.redis[0].stop();
        let refused = app.post("/book/redis/1", Some(json!({"customer": "x"}))).await;
        assert_eq!(refused.status().as_u16(), 503);
        let m = scrape(&app).await;
        let node = format!(r#"oversold_redis_node_up{{node="{}"}}"#, app.redis[0].url());
        assert_eq!(get(&m, &node), 0.0);
        assert_eq!(get(&m, "oversold_redis_quorum_up"), 0.0);
        assert_eq!(
            get(&m, r#"oversold_lock_failures_total{strategy="redis",reason="redis_unavailable"}"#),
            1.0
        );
    }
}
