//! Ten requests at the last ticket: the race without a lock, its cure with one, on one instance
//! and on two, on SQLite and on Postgres. Every verdict is read from the database (`audit`).
//!
//! The race is made certain, not likely: the race window (300 ms) is far longer than it takes
//! to send ten requests on loopback, so all ten read `available = 1` before any of them writes.

use testkit::{count, fire_together, on_every_database, spawn_app, AppOptions, Backend};

const LAST_TICKET: i64 = 1;

on_every_database! {
    async fn ten_requests_without_a_lock_oversell_the_last_ticket(backend: Backend) {
        let app = spawn_app(backend).await;
        app.reset(LAST_TICKET, 1).await;

        fire_together(&[&app], 10, "/book-no-lock/1?race_window_ms=300").await;

        let audit = app.audit(LAST_TICKET).await;
        assert!(audit.oversold >= 1, "no-lock should oversell: {audit:?}");
        assert!(audit.lost_updates, "every writer wrote available = 0: {audit:?}");
        assert_eq!(audit.available, 0);
    }
}

on_every_database! {
    async fn ten_requests_with_a_lock_book_the_last_ticket_exactly_once(backend: Backend) {
        let app = spawn_app(backend).await;
        app.reset(LAST_TICKET, 1).await;

        let statuses = fire_together(&[&app], 10, "/book-with-lock/1?race_window_ms=300").await;

        let audit = app.audit(LAST_TICKET).await;
        assert_eq!(audit.booked, 1, "{audit:?}");
        assert!(audit.clean, "{audit:?}");
        assert_eq!(count(&statuses, 201), 1, "{statuses:?}");
        assert_eq!(count(&statuses, 409), 9, "every other request is told sold out: {statuses:?}");
    }
}

on_every_database! {
    async fn two_instances_without_a_lock_oversell_and_both_sell(backend: Backend) {
        let first = spawn_app(backend).await;
        let second = first.spawn_twin("app-2").await;
        first.reset(LAST_TICKET, 1).await;

        fire_together(&[&first, &second], 10, "/book-no-lock/1?race_window_ms=300").await;

        let audit = first.audit(LAST_TICKET).await;
        assert!(audit.oversold >= 1, "{audit:?}");
        let instances = first.bookings_by_instance(LAST_TICKET).await;
        assert!(instances.contains(&"app-1".to_string()), "{instances:?}");
        assert!(instances.contains(&"app-2".to_string()), "{instances:?}");
    }
}

on_every_database! {
    async fn two_instances_with_a_lock_book_the_last_ticket_exactly_once(backend: Backend) {
        let first = spawn_app(backend).await;
        let second = first.spawn_twin("app-2").await;
        first.reset(LAST_TICKET, 1).await;

        let statuses =
            fire_together(&[&first, &second], 10, "/book-with-lock/1?race_window_ms=300").await;

        let audit = first.audit(LAST_TICKET).await;
        assert_eq!(audit.booked, 1, "{audit:?}");
        assert!(audit.clean, "{audit:?}");
        assert_eq!(count(&statuses, 409), 9, "{statuses:?}");
    }
}

on_every_database! {
    async fn with_a_lock_ten_tickets_go_to_ten_requests_and_no_more(backend: Backend) {
        let app = spawn_app(backend).await;
        app.reset(LAST_TICKET, 10).await;

        fire_together(&[&app], 12, "/book-with-lock/1?race_window_ms=20").await;

        let audit = app.audit(LAST_TICKET).await;
        assert_eq!(audit.booked, 10, "{audit:?}");
        assert_eq!(audit.available, 0);
        assert!(audit.clean, "{audit:?}");
    }
}

on_every_database! {
    async fn with_redis_unreachable_the_lock_answers_503_and_books_nothing(backend: Backend) {
        let nowhere = format!("redis://127.0.0.1:{}", testkit::free_port());
        let mut options = AppOptions::new(backend);
        options.redis_urls = Some(vec![nowhere]);
        let app = testkit::spawn_app_with(options).await;
        app.reset(LAST_TICKET, 1).await;

        let response = app.post("/book-with-lock/1", None).await;

        assert_eq!(response.status().as_u16(), 503);
        assert!(response.headers().contains_key("retry-after"));
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["error"], "redis_unavailable");
        assert!(body["message"].as_str().unwrap().contains("Redis"), "{body}");
        assert_eq!(app.audit(LAST_TICKET).await.booked, 0);

        // The lesson goes on without Redis: no-lock does not need it.
        let response = app.post("/book-no-lock/1?race_window_ms=0", None).await;
        assert_eq!(response.status().as_u16(), 201);
        assert_eq!(app.audit(LAST_TICKET).await.booked, 1);
    }
}

on_every_database! {
    async fn a_booking_records_the_instance_and_strategy_that_made_it(backend: Backend) {
        let app = spawn_app(backend).await;
        app.reset(LAST_TICKET, 1).await;

        let response = app
            .post("/book-with-lock/1", Some(serde_json::json!({"customer": "Ada"})))
            .await;

        assert_eq!(response.status().as_u16(), 201);
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["booking"]["customer"], "Ada");
        assert_eq!(body["booking"]["strategy"], "redis");
        assert_eq!(body["booking"]["instance"], "app-1");
        assert_eq!(app.bookings_by_instance(LAST_TICKET).await, vec!["app-1"]);
    }
}

on_every_database! {
    async fn a_lock_taken_by_another_client_on_the_same_key_blocks_booking_until_it_expires(
        backend: Backend
    ) {
        let app = spawn_app(backend).await;
        app.reset(LAST_TICKET, 1).await;
        // What redis-py's Lock or node-redlock would write: a plain key with a TTL.
        let redis = app.redis[0].clone();
        assert_eq!(redis.query::<String>(&["SET", "lock:event:1", "other-client", "NX", "PX", "1500"]), "OK");

        let booking = {
            let (client, url) = (app.client.clone(), format!("{}/book-with-lock/1?race_window_ms=0", app.address));
            tokio::spawn(async move { client.post(url).send().await.unwrap().status() })
        };
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        assert_eq!(redis.query::<Option<String>>(&["GET", "lock:event:1"]).as_deref(), Some("other-client"));
        assert!(!booking.is_finished(), "booked through someone else's lock");
        assert_eq!(app.audit(LAST_TICKET).await.booked, 0);

        // Another event's lock is another key: it is not blocked.
        let other = app.post("/book-with-lock/2?race_window_ms=0", None).await;
        assert_eq!(other.status().as_u16(), 201);

        assert_eq!(booking.await.unwrap().as_u16(), 201);
        assert_eq!(redis.query::<i64>(&["EXISTS", "lock:event:1"]), 0);
        let audit = app.audit(LAST_TICKET).await;
        assert!(audit.booked == 1 && audit.clean, "{audit:?}");
    }
}

on_every_database! {
    async fn every_booking_answer_carries_its_trace_the_losers_too(backend: Backend) {
        let app = spawn_app(backend).await;
        app.reset(LAST_TICKET, 1).await;

        // The loser arrives while the winner is inside its window (300 ms), so its first read
        // still sees the ticket and it queues for the lock; it learns "sold out" under the lock.
        let winner = {
            let (client, url) = (app.client.clone(), format!("{}/book/fenced/1?race_window_ms=300", app.address));
            tokio::spawn(async move { client.post(url).send().await.unwrap().json::<serde_json::Value>().await.unwrap() })
        };
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        let lost = app.post("/book/fenced/1?race_window_ms=50", None).await;
        assert_eq!(lost.status().as_u16(), 409);
        let lost: serde_json::Value = lost.json().await.unwrap();
        let won = winner.await.unwrap();

        let t = &won["trace"];
        let at = |name: &str| t[name].as_f64().unwrap_or_else(|| panic!("{name} in {t}"));
        assert_eq!(t["instance"], "app-1");
        assert!(at("lock_acquired_ms") <= at("read_ms"), "{t}");
        assert!(at("write_started_ms") - at("read_ms") >= 50.0, "the race window: {t}");
        assert!(at("write_done_ms") <= at("released_ms") && at("released_ms") <= at("total_ms"), "{t}");
        assert_eq!(t["lease_expired"], false);
        assert!(at("lease_ends_ms") > at("released_ms"), "{t}");
        assert_eq!(t["fence_token"], won["booking"]["fence_token"]);

        // Sold out after holding the lock: no write, but the lock was held and let go.
        assert_eq!(lost["error"], "sold_out");
        let t = &lost["trace"];
        assert!(t["lock_acquired_ms"].is_number() && t["released_ms"].is_number(), "{t}");
        assert!(t.get("write_started_ms").is_none(), "{t}");
        assert!(t["fence_token"].as_i64() > won["trace"]["fence_token"].as_i64(), "{t}");
    }
}
