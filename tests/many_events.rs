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
