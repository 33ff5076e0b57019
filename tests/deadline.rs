//! The server's own bound on a booking (`--booking-deadline-ms`): actix keeps running a handler
//! after its client has gone, so without it one slow request could hold the database's write
//! lock or a Redis lease for as long as it liked. Past the deadline the booking is abandoned: it
//! answers 503 `booking_timeout`, writes nothing, and lets go of what it held, which the next
//! booking shows by getting in long before the abandoned one's race window would have ended.

use serde_json::Value;
use testkit::{on_every_database, spawn_app_with, AppOptions, Backend, TestApp};

const EVENT: i64 = 1;
/// The abandoned booking asks for this window, ten times the deadline.
const SLOW_WINDOW_MS: u64 = 20_000;
/// Long enough that the quick booking after it fits even on a busy machine.
const DEADLINE_MS: u64 = 2_000;
/// The app's lock TTL (testkit's default): a lease left behind would block for what is left of it.
const TTL_MS: u64 = 10_000;

async fn app_with_a_short_deadline(backend: Backend) -> TestApp {
    spawn_app_with(AppOptions {
        booking_deadline_ms: DEADLINE_MS,
        ..AppOptions::new(backend)
    })
    .await
}

/// Books `path` and returns the status and the JSON body.
async fn book(app: &TestApp, path: &str) -> (u16, Value) {
    let response = app.post(path, None).await;
    let status = response.status().as_u16();
    (status, response.json().await.expect("a JSON answer"))
}

/// The slow booking is cut off, then a quick one takes the ticket. Had the slow one held on to
/// the database, the quick one would wait past its own deadline; had it left its lease behind,
/// the quick one would wait for what is left of the TTL. It waits for neither.
async fn slow_then_quick(app: &TestApp, route: &str) {
    app.reset(EVENT, 1).await;
    let (status, body) = book(app, &format!("{route}?race_window_ms={SLOW_WINDOW_MS}")).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["error"], "booking_timeout", "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("2000 ms"),
        "the message names the limit: {body}"
    );

    let (status, body) = book(app, &format!("{route}?race_window_ms=0")).await;
    assert_eq!(status, 201, "the next booking gets in: {body}");
    let waited = body["trace"]["lock_acquired_ms"]
        .as_f64()
        .expect("the trace says when the lock was taken");
    let left_of_a_leaked_lease = (TTL_MS - DEADLINE_MS) as f64;
    assert!(
        waited < left_of_a_leaked_lease / 2.0,
        "waited {waited} ms for a lock the abandoned booking should have let go: {body}"
    );

    let audit = app.audit(EVENT).await;
    assert_eq!(
        audit.booked, 1,
        "the abandoned booking wrote nothing: {audit:?}"
    );
    assert!(audit.clean, "{audit:?}");
}

on_every_database! {
    async fn a_for_update_booking_past_the_deadline_is_abandoned_and_frees_the_database(
        backend: Backend
    ) {
        let app = app_with_a_short_deadline(backend).await;
        slow_then_quick(&app, "/book/for-update/1").await;
    }
}

on_every_database! {
    async fn a_locked_booking_past_the_deadline_is_abandoned_and_releases_its_lease(
        backend: Backend
    ) {
        let app = app_with_a_short_deadline(backend).await;
        slow_then_quick(&app, "/book-with-lock/1").await;
    }
}
