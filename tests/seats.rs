//! Seat maps: bookings of several named seats, all or none, across two instances on SQLite and
//! Postgres, judged by `booking_seats` and the audit (never by counting 201s).
//!
//! Twenty bookings of three seeded random seats out of ten, released together with a race
//! window, must leave no seat in two bookings for every safe strategy at every granularity it
//! takes, and `no-lock` must sell a seat twice. Two bookings of the same seats named in opposite
//! orders must both finish (one wins, one hears `seat_taken`) rather than deadlock. Bad input is
//! a 400 that names the seat, with nothing booked.

use std::sync::Arc;

use oversold_api::{BookingAnswer, Client, ErrorCode, NewSeatMap, SeatMap};
use rand::rngs::StdRng;
use rand::seq::index::sample;
use rand::SeedableRng;
use serde_json::{json, Value};
use testkit::{on_every_database, spawn_app, spawn_app_with, AppOptions, Backend, TestApp};
use tokio::sync::Barrier;

/// Seats on the map, bookings fired together, seats per booking.
const SEATS: usize = 10;
const BOOKINGS: usize = 20;
const PER_BOOKING: usize = 3;
/// Wide enough that every unprotected booking reads before the first one writes.
const RACE: &str = "race_window_ms=150";

fn seat_names(n: usize) -> Vec<String> {
    (1..=n).map(|i| format!("S{i}")).collect()
}

async fn new_seat_map(app: &TestApp, name: &str, seats: &[String]) -> i64 {
    let client = Client::with_http(app.client.clone(), vec![app.address.clone()]);
    let view = client
        .create_seat_map(&NewSeatMap {
            name: name.to_string(),
            seats: seats.to_vec(),
        })
        .await
        .expect("the seat map is created");
    assert_eq!(view.event.capacity, seats.len() as i64);
    view.event.id
}

/// The same twenty picks of three seats every run: seeded, so a failure reproduces.
fn picks() -> Vec<Vec<String>> {
    let names = seat_names(SEATS);
    let mut rng = StdRng::seed_from_u64(16);
    (0..BOOKINGS)
        .map(|_| {
            sample(&mut rng, SEATS, PER_BOOKING)
                .into_iter()
                .map(|i| names[i].clone())
                .collect()
        })
        .collect()
}

/// Fires one booking per entry of `seats` at `path`, round-robin over `apps`, all released
/// together, and returns the answers in order.
async fn fire_seats(apps: &[&TestApp], path: &str, seats: Vec<Vec<String>>) -> Vec<BookingAnswer> {
    let targets: Vec<String> = apps.iter().map(|a| a.address.clone()).collect();
    let client = Arc::new(Client::with_http(apps[0].client.clone(), targets.clone()));
    let barrier = Arc::new(Barrier::new(seats.len()));
    let tasks: Vec<_> = seats
        .into_iter()
        .enumerate()
        .map(|(i, seats)| {
            let (client, barrier) = (client.clone(), barrier.clone());
            let target = targets[i % targets.len()].clone();
            let path = path.to_string();
            tokio::spawn(async move {
                barrier.wait().await;
                client
                    .book_seats(&target, &path, Some(&format!("c{i}")), &seats)
                    .await
            })
        })
        .collect();
    let mut answers = Vec::new();
    for task in tasks {
        answers.push(task.await.expect("the booking task finishes"));
    }
    answers
}

/// The seats `booking_seats` holds more than once, read from the database itself.
async fn seats_in_two_bookings(app: &TestApp, event: i64) -> Vec<String> {
    let sql = "SELECT seat FROM booking_seats WHERE event_id = $1
               GROUP BY seat HAVING COUNT(*) > 1 ORDER BY seat";
    match app.store.pool() {
        oversold::store::Pool::Sqlite(pool) => {
            sqlx::query_scalar(sql).bind(event).fetch_all(pool).await
        }
        oversold::store::Pool::Postgres(pool) => {
            sqlx::query_scalar(sql).bind(event).fetch_all(pool).await
        }
    }
    .expect("the booking_seats query runs")
}

/// The twenty bookings through `strategy` at `granularity` over `apps`; returns the answers and
/// the seats sold twice.
async fn seat_fight(
    apps: &[&TestApp],
    event: i64,
    strategy: &str,
    granularity: &str,
) -> (Vec<BookingAnswer>, Vec<String>) {
    apps[0].reset(event, SEATS as i64).await;
    let path = format!("/book/{strategy}/{event}?{RACE}&granularity={granularity}");
    let answers = fire_seats(apps, &path, picks()).await;
    let twice = seats_in_two_bookings(apps[0], event).await;
    let audit = apps[0].audit(event).await;
    assert_eq!(
        audit.double_booked_seats, twice,
        "the audit names the same seats"
    );
    (answers, twice)
}

/// A safe strategy's fight: no seat twice, every answer a booking or `seat_taken`, the counter
/// and the rows agree.
async fn assert_safe(apps: &[&TestApp], event: i64, strategy: &str, granularity: &str) {
    let (answers, twice) = seat_fight(apps, event, strategy, granularity).await;
    let context = format!(
        "{strategy} granularity={granularity} on {} instance(s)",
        apps.len()
    );
    assert!(twice.is_empty(), "{context}: seats sold twice {twice:?}");
    let booked = answers.iter().filter(|a| a.status() == Some(201)).count();
    assert!(booked >= 1, "{context}: nothing booked {answers:?}");
    for answer in &answers {
        assert!(
            answer.status() == Some(201) || answer.error_code() == Some(ErrorCode::SeatTaken),
            "{context}: {answer:?}"
        );
    }
    let audit = apps[0].audit(event).await;
    assert!(audit.clean, "{context}: {audit:?}");
    assert_eq!(audit.booked, (booked * PER_BOOKING) as i64, "{context}");
}

/// Two instances over one database and three Redis nodes (a real Redlock quorum).
async fn twins(backend: Backend) -> (TestApp, TestApp) {
    let first = spawn_app_with(AppOptions {
        redis_nodes: 3,
        ..AppOptions::new(backend)
    })
    .await;
    let second = first.spawn_twin("app-2").await;
    (first, second)
}

on_every_database! {
    async fn no_lock_sells_a_seat_twice_across_two_instances(backend: Backend) {
        let (first, second) = twins(backend).await;
        let event = new_seat_map(&first, "No lock", &seat_names(SEATS)).await;
        let (_, twice) = seat_fight(&[&first, &second], event, "no-lock", "event").await;
        assert!(!twice.is_empty(), "no-lock sold no seat twice");
        assert!(!first.audit(event).await.clean);
    }
}

on_every_database! {
    async fn every_lock_strategy_sells_each_seat_once_per_event_and_per_seat(backend: Backend) {
        let (first, second) = twins(backend).await;
        let event = new_seat_map(&first, "Locks", &seat_names(SEATS)).await;
        let mut strategies = vec!["redis", "redlock", "fenced", "for-update"];
        if backend == Backend::Postgres {
            strategies.push("pg-advisory");
        }
        for strategy in strategies {
            for granularity in ["event", "seat"] {
                assert_safe(&[&first, &second], event, strategy, granularity).await;
            }
        }
    }
}

on_every_database! {
    async fn the_strategies_without_a_lock_per_seat_sell_each_seat_once(backend: Backend) {
        let (first, second) = twins(backend).await;
        let event = new_seat_map(&first, "Writes", &seat_names(SEATS)).await;
        for strategy in ["atomic", "optimistic", "batched", "queue"] {
            assert_safe(&[&first, &second], event, strategy, "event").await;
        }
    }
}

on_every_database! {
    async fn local_mutex_sells_each_seat_once_on_one_instance(backend: Backend) {
        let app = spawn_app(backend).await;
        let event = new_seat_map(&app, "Mutex", &seat_names(SEATS)).await;
        for granularity in ["event", "seat"] {
            assert_safe(&[&app], event, "local-mutex", granularity).await;
        }
    }
}

on_every_database! {
    async fn the_same_seats_named_in_opposite_orders_never_deadlock(backend: Backend) {
        let (first, second) = twins(backend).await;
        let event = new_seat_map(&first, "Orders", &seat_names(SEATS)).await;
        let forward: Vec<String> = ["S1", "S2", "S3"].map(String::from).to_vec();
        let backward: Vec<String> = forward.iter().rev().cloned().collect();
        let mut strategies = vec!["redis", "redlock", "fenced", "for-update", "local-mutex"];
        if backend == Backend::Postgres {
            strategies.push("pg-advisory");
        }
        for strategy in strategies {
            // local-mutex is one process's lock: both bookings go to one instance.
            let apps: Vec<&TestApp> = if strategy == "local-mutex" {
                vec![&first]
            } else {
                vec![&first, &second]
            };
            first.reset(event, SEATS as i64).await;
            let path = format!("/book/{strategy}/{event}?{RACE}&granularity=seat");
            let answers = fire_seats(&apps, &path, vec![forward.clone(), backward.clone()]).await;
            let context = format!("{strategy}: {answers:?}");
            let won = answers.iter().filter(|a| a.status() == Some(201)).count();
            let lost = answers
                .iter()
                .filter(|a| a.error_code() == Some(ErrorCode::SeatTaken))
                .count();
            assert_eq!((won, lost), (1, 1), "{context}");
            assert!(first.audit(event).await.clean, "{context}");
        }
    }
}

/// POSTs a booking body and returns the status and the JSON error body.
async fn book_raw(app: &TestApp, path: &str, body: Value) -> (u16, Value) {
    let response = app.post(path, Some(body)).await;
    let status = response.status().as_u16();
    (status, response.json().await.expect("a JSON body"))
}

on_every_database! {
    async fn bad_seats_are_refused_by_name_and_nothing_is_booked(backend: Backend) {
        let app = spawn_app(backend).await;
        let event = new_seat_map(&app, "Bad input", &seat_names(SEATS)).await;
        let many: Vec<String> = seat_names(17);
        let path = format!("/book/redis/{event}");
        let cases: Vec<(Value, &str)> = vec![
            (json!({"seats": ["S1", "Z9"]}), "\"Z9\""),
            (json!({"seats": ["S1", "S2", "S1"]}), "\"S1\" is named twice"),
            (json!({"seats": ["S1", "  "]}), "seat 1 (counting from 0) has an empty name"),
            (json!({"seats": many}), "at most 16 seats"),
            (json!({"seats": []}), "name the seats"),
            (json!({}), "name the seats"),
        ];
        for (body, says) in cases {
            let (status, error) = book_raw(&app, &path, body.clone()).await;
            assert_eq!(status, 400, "{body}: {error}");
            assert_eq!(error["error"], "invalid_seat", "{body}: {error}");
            let message = error["message"].as_str().unwrap();
            assert!(message.contains(says), "{body}: {message}");
        }
        // granularity=seat where no strategy lock per seat exists.
        let (status, error) = book_raw(
            &app,
            &format!("/book/queue/{event}?granularity=seat"),
            json!({"seats": ["S1"]}),
        )
        .await;
        assert_eq!((status, error["error"].as_str()), (400, Some("invalid_knob")), "{error}");
        // Seats on an event sold as plain tickets (the seeded event 1).
        let (status, error) = book_raw(&app, "/book/redis/1", json!({"seats": ["S1"]})).await;
        assert_eq!(status, 400, "{error}");
        assert!(error["message"].as_str().unwrap().contains("has no seat map"), "{error}");
        let audit = app.audit(event).await;
        assert_eq!((audit.booked, audit.available), (0, SEATS as i64), "{audit:?}");
        assert_eq!(app.audit(1).await.booked, 0);
    }
}

on_every_database! {
    async fn a_seat_map_is_created_shown_with_its_holders_and_freed_by_a_reset(backend: Backend) {
        let app = spawn_app(backend).await;
        for bad in [
            json!({"name": "x", "seats": []}),
            json!({"name": "x", "seats": ["A1", "A1"]}),
            json!({"name": "x", "seats": ["A1"], "capacity": 1}),
        ] {
            let response = app.post("/events", Some(bad.clone())).await;
            assert_eq!(response.status().as_u16(), 400, "{bad}");
        }
        let event = new_seat_map(&app, "Hotel", &["101/2026-01-20".into(), "101/2026-01-21".into()])
            .await;
        let (status, booked) = book_raw(
            &app,
            &format!("/book/atomic/{event}?race_window_ms=0"),
            json!({"customer": "Ada", "seats": ["101/2026-01-21"]}),
        )
        .await;
        assert_eq!(status, 201, "{booked}");
        let (status, taken) = book_raw(
            &app,
            &format!("/book/atomic/{event}?race_window_ms=0"),
            json!({"seats": ["101/2026-01-20", "101/2026-01-21"]}),
        )
        .await;
        assert_eq!((status, taken["error"].as_str()), (409, Some("seat_taken")), "{taken}");
        assert!(taken["message"].as_str().unwrap().contains("101/2026-01-21"), "{taken}");
        let map: SeatMap = app
            .get(&format!("/events/{event}/seats"))
            .await
            .json()
            .await
            .unwrap();
        assert!(map.seats[0].is_free(), "{map:?}");
        assert_eq!(map.seats[1].holders[0].customer, "Ada", "{map:?}");
        assert_eq!(app.audit(event).await.booked, 1);
        app.reset(event, 2).await;
        let map: SeatMap = app
            .get(&format!("/events/{event}/seats"))
            .await
            .json()
            .await
            .unwrap();
        assert!(map.seats.iter().all(|s| s.is_free()), "{map:?}");
        let response = app
            .post(&format!("/reset/{event}"), Some(json!({"capacity": 5})))
            .await;
        assert_eq!(response.status().as_u16(), 400, "a seat map's capacity is its seats");
    }
}

/// Runs an experiment on a ten-seat map and returns the dashboard's HTML for it.
async fn experiment_page(app: &TestApp, strategy: &str) -> String {
    let body = json!({"strategy": strategy, "requests": 10, "seat_map": 10,
                      "seats_per_request": 3, "race_window_ms": 150});
    let response = app.post("/experiments", Some(body)).await;
    assert_eq!(response.status().as_u16(), 201, "the experiment runs");
    let run: Value = response.json().await.unwrap();
    let id = run["id"].as_i64().expect("an experiment id");
    app.get(&format!("/?experiment={id}"))
        .await
        .text()
        .await
        .unwrap()
}

on_every_database! {
    async fn the_dashboard_draws_a_red_seat_for_no_lock_and_none_for_a_per_seat_lock(backend: Backend) {
        let app = spawn_app(backend).await;
        let unlocked = experiment_page(&app, "no-lock").await;
        assert!(unlocked.contains(r#"class="seat double-booked""#), "no red seat for no-lock");
        let locked = experiment_page(&app, "redis").await;
        assert!(locked.contains(r#"class="seat booked""#), "no booked seat for redis");
        assert!(!locked.contains("double-booked"), "a red seat for redis");
    }
}

on_every_database! {
    async fn a_stored_run_keeps_the_seats_its_audit_found_sold_twice_and_its_verdict_names_them(backend: Backend) {
        let app = spawn_app(backend).await;
        let body = json!({"strategy": "no-lock", "requests": 10, "seat_map": 10,
                          "seats_per_request": 3, "race_window_ms": 150});
        let run: Value = app.post("/experiments", Some(body)).await.json().await.unwrap();
        let id = run["id"].as_i64().expect("an experiment id");
        // Read back from the database, as the history and every later page read it.
        let stored: Value = app.get(&format!("/experiments/{id}")).await.json().await.unwrap();
        let event = app.get_event(stored["event_id"].as_i64().unwrap()).await;
        let sold_twice = &event["audit"]["double_booked_seats"];
        assert!(sold_twice.as_array().is_some_and(|s| !s.is_empty()), "{event}");
        assert_eq!(&stored["audit"]["double_booked_seats"], sold_twice);
        let headline = stored["verdict"]["headline"].as_str().unwrap();
        assert!(headline.starts_with("SOLD TWICE"), "{headline}");
    }
}
