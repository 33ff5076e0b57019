//! Checking availability is not booking (seed 000 §4): at a sold-out event every strategy that
//! takes a lock answers "sold out" from a read, without queueing for the lock, and an unknown
//! event is a 404 the same way. The lock is still taken, and availability read again under it,
//! whenever a ticket seems left: that second look is what the design-table tests rely on.

use serde_json::Value;
use testkit::{on_every_database, spawn_app_with, AppOptions, Backend};

const EVENT: i64 = 1;

/// The strategies that protect the booking with a lock they take before reading.
const LOCKING: &[&str] = &[
    "local-mutex",
    "redis",
    "redlock",
    "fenced",
    "for-update",
    "queue",
];

on_every_database! {
    async fn a_sold_out_event_is_answered_without_taking_any_lock(backend: Backend) {
        let app = spawn_app_with(AppOptions { redis_nodes: 3, ..AppOptions::new(backend) }).await;
        let mut strategies = LOCKING.to_vec();
        if backend == Backend::Postgres {
            strategies.push("pg-advisory");
        }
        for strategy in strategies {
            app.reset(EVENT, 1).await;
            let path = format!("/book/{strategy}/{EVENT}?race_window_ms=0");
            let first = app.post(&path, None).await;
            assert_eq!(first.status().as_u16(), 201, "{strategy} books the one ticket");
            let first: Value = first.json().await.unwrap();
            assert!(
                first["trace"]["lock_acquired_ms"].is_number(),
                "{strategy} took its lock to book: {first}"
            );

            let late = app.post(&path, None).await;
            assert_eq!(late.status().as_u16(), 409, "{strategy}");
            let late: Value = late.json().await.unwrap();
            assert_eq!(late["error"], "sold_out", "{strategy}: {late}");
            assert!(
                late["trace"]["lock_acquired_ms"].is_null(),
                "{strategy} queued for its lock to say sold out: {late}"
            );

            let unknown = app.post(&format!("/book/{strategy}/999999"), None).await;
            assert_eq!(unknown.status().as_u16(), 404, "{strategy}");
            let unknown: Value = unknown.json().await.unwrap();
            assert!(
                unknown["trace"]["lock_acquired_ms"].is_null(),
                "{strategy} locked an event that does not exist: {unknown}"
            );
            assert_eq!(app.audit(EVENT).await.booked, 1, "{strategy}");
        }
    }
}
