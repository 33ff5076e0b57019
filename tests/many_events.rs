//! A lab with 100,000 events: `GET /events`, the dashboard `/` and `/metrics` stay bounded.
//!
//! The events are inserted in bulk through the store (one statement), not by 100,000 HTTP
//! calls. Each answer must be at most 1 MB; `GET /events` pages (a default page, the total in
//! `X-Total-Count`, a `Link` to the next page) and `/metrics` keeps a series per event only for
//! the few worth watching, plus totals over all of them. Sizes only: speed lives in the bench.

use testkit::{fire_together, on_every_database, spawn_app, Backend};

const EVENTS: i64 = 100_000;
const ONE_MB: usize = 1 << 20;

on_every_database! {
    async fn with_a_hundred_thousand_events_events_the_dashboard_and_metrics_each_stay_under_a_megabyte(backend: Backend) {
        let app = spawn_app(backend).await;
        let inserted = app.store.create_events_bulk("imported event ", EVENTS, 10).await.unwrap();
        assert_eq!(inserted, EVENTS as u64);
        // One of them oversold, so the metrics must pick it out of the crowd.
        // Two no-lock bookings of the last ticket inside the default race window: both sell it.
        let answers = fire_together(&[&app], 2, "/book-no-lock/1").await;
        assert_eq!(testkit::count(&answers, 201), 2);
        let total = EVENTS + 3;

        let events = app.get("/events").await;
        assert_eq!(events.status().as_u16(), 200);
        assert_eq!(events.headers()["x-total-count"].to_str().unwrap(), total.to_string());
        let next = events.headers()["link"].to_str().unwrap().to_string();
        assert_eq!(next, r#"</events?limit=100&after=100>; rel="next""#);
        let body = events.bytes().await.unwrap();
        assert!(body.len() <= ONE_MB, "GET /events is {} bytes", body.len());
        let page: Vec<serde_json::Value> = serde_json::from_slice(&body).unwrap();
        assert_eq!(page.len(), 100, "the default page");
        assert_eq!(page[0]["id"], 1);

        // The largest page is still under a megabyte, and the last page has no next link.
        let largest = app.get("/events?limit=1000&after=50000").await;
        assert!(largest.headers().contains_key("link"));
        let body = largest.bytes().await.unwrap();
        assert!(body.len() <= ONE_MB, "a page of 1000 is {} bytes", body.len());
        let last = app.get(&format!("/events?limit=1000&after={}", total - 10)).await;
        assert!(!last.headers().contains_key("link"));
        assert_eq!(last.json::<Vec<serde_json::Value>>().await.unwrap().len(), 10);
        assert_eq!(app.get("/events?limit=1001").await.status().as_u16(), 400);

        let dashboard = app.get("/").await;
        assert_eq!(dashboard.status().as_u16(), 200);
        let body = dashboard.bytes().await.unwrap();
        assert!(body.len() <= ONE_MB, "the dashboard is {} bytes", body.len());

        let metrics = app.get("/metrics").await;
        assert_eq!(metrics.status().as_u16(), 200);
        let text = metrics.text().await.unwrap();
        assert!(text.len() <= ONE_MB, "/metrics is {} bytes", text.len());
        let series = text.lines().filter(|l| l.starts_with("oversold_event_booked{")).count();
        assert!(series <= 20, "{series} series of event_booked");
        assert!(text.contains(r#"oversold_event_oversold{event="1"} 1"#), "the oversold event has its series");
        assert!(text.contains(&format!("oversold_events {total}")), "the total counts every event");
        assert!(text.contains("oversold_events_oversold 1"), "one booking beyond capacity in all");
        assert!(text.contains("oversold_events_booked 2"));
    }
}

on_every_database! {
    async fn the_metrics_totals_are_the_sums_over_every_event_however_the_events_changed(backend: Backend) {
        let app = spawn_app(backend).await;
        app.store.create_events_bulk("imported event ", 2_000, 10).await.unwrap();
        // A capacity changed by a reset, an oversell, bookings that sold out an event, a counter
        // moved with no booking (a lost update in the raw), a new event and deleted ones: each
        // changes the totals in its own way.
        app.reset(5, 3).await;
        app.reset(7, 1).await;
        let answers = fire_together(&[&app], 3, "/book-no-lock/7").await;
        assert_eq!(testkit::count(&answers, 201), 3);
        for _ in 0..12 {
            app.post("/book/atomic/1000", None).await;
        }
        let created = app.post("/events", Some(serde_json::json!({"name": "late", "capacity": 40}))).await;
        assert_eq!(created.status().as_u16(), 201);
        let raw = |sql: &'static str| {
            let store = app.store.clone();
            async move {
                match store.pool() {
                    oversold::store::Pool::Sqlite(pool) => sqlx::query(sql).execute(pool).await.map(|_| ()),
                    oversold::store::Pool::Postgres(pool) => sqlx::query(sql).execute(pool).await.map(|_| ()),
                }
                .unwrap()
            }
        };
        raw("UPDATE events SET available = available - 2 WHERE id = 1500").await;
        raw("DELETE FROM events WHERE id BETWEEN 1990 AND 1999").await;

        // The sums the slow way: every event read and audited one by one.
        let every = app.store.list_events().await.unwrap();
        let audits: Vec<_> = every.iter().map(|e| e.audit()).collect();
        let expected = [
            ("oversold_events", every.len() as i64),
            ("oversold_events_capacity", every.iter().map(|e| e.capacity).sum()),
            ("oversold_events_available", every.iter().map(|e| e.available).sum()),
            ("oversold_events_booked", audits.iter().map(|a| a.booked).sum()),
            ("oversold_events_oversold", audits.iter().map(|a| a.oversold).sum()),
            ("oversold_events_unclean", audits.iter().filter(|a| !a.clean).count() as i64),
        ];
        assert_eq!(expected[0].1, 2_000 + 3 + 1 - 10);
        assert_eq!(expected[4].1, 2, "event 7 sold 3 of 1");
        assert_eq!(expected[5].1, 2, "event 7 and the counter moved without a booking");

        let text = app.get("/metrics").await.text().await.unwrap();
        for (name, value) in expected {
            assert!(text.lines().any(|l| l == format!("{name} {value}")), "{name} {value} in\n{}",
                text.lines().filter(|l| l.starts_with("oversold_events")).collect::<Vec<_>>().join("\n"));
        }
        for event in [7, 1500] {
            assert!(text.contains(&format!(r#"oversold_event_lost_updates{{event="{event}"}}"#)), "event {event} has its series");
        }
        let events = app.get("/events").await;
        assert_eq!(events.headers()["x-total-count"].to_str().unwrap(), every.len().to_string());
    }
}
