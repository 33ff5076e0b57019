//! SIGTERM to the real `oversold` binary in the middle of locked bookings: the server stops
//! taking connections, lets the bookings it took finish, and leaves no lock behind in Redis,
//! also when the shutdown timeout cuts a request off. Locks here live 30 s, so a key that is
//! gone a moment after the exit was released, not expired.

use std::path::Path;
use std::time::Duration;

use serde_json::{json, Value};
use testkit::{on_every_database, redis_query, AppProcess, Backend, RunDir, TestDatabase};

const BINARY: &str = env!("CARGO_BIN_EXE_oversold");

async fn post(url: String) -> Result<(u16, Value), String> {
    let response = reqwest::Client::new()
        .post(url)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = response.status().as_u16();
    Ok((status, response.json().await.unwrap_or(Value::Null)))
}

fn lock_keys(redis_port: u16) -> Vec<String> {
    redis_query(redis_port, &["KEYS", "lock:*"])
}

/// The real binary over its own database and one Redis node, with 30 s locks and `extra`
/// settings; returns the app and the node's port.
async fn start_app(
    run: &RunDir,
    database: &TestDatabase,
    extra: &[(&str, &str)],
) -> (AppProcess, u16) {
    let redis = run.start_redis();
    let redis_url = format!("redis://127.0.0.1:{redis}");
    let mut env = vec![
        ("DATABASE_URL", database.url.as_str()),
        ("REDIS_URLS", redis_url.as_str()),
        ("LOCK_TTL_MS", "30000"),
    ];
    env.extend_from_slice(extra);
    (run.start_app(Path::new(BINARY), &env).await, redis)
}

on_every_database! {
    async fn sigterm_lets_locked_bookings_finish_and_leaves_no_lock_held(backend: Backend) {
        let database = TestDatabase::create(backend).await;
        let run = RunDir::new();
        let (mut app, redis) = start_app(&run, &database, &[]).await;
        let client = reqwest::Client::new();
        for event in [1, 2, 3] {
            let reset = client
                .post(format!("{}/reset/{event}", app.url))
                .json(&json!({"capacity": 5}))
                .send()
                .await
                .unwrap();
            assert_eq!(reset.status().as_u16(), 200);
        }

        // Two bookings per event: the first holds the lock through a 600 ms race window, the
        // second waits for it; SIGTERM arrives while all of that is going on.
        let bookings: Vec<_> = [1, 1, 2, 2, 3, 3]
            .into_iter()
            .map(|event| {
                tokio::spawn(post(format!("{}/book-with-lock/{event}?race_window_ms=600", app.url)))
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(lock_keys(redis).iter().any(|k| k.starts_with("lock:event:")), "locks are held: {:?}", lock_keys(redis));
        app.terminate();

        let mut booked = 0;
        for booking in bookings {
            let (status, body) = booking.await.unwrap().unwrap_or_else(|e| {
                panic!("an in-flight booking got no answer ({e}):\n{}", run.log(app.port))
            });
            assert_eq!(status, 201, "{body}");
            booked += 1;
        }
        let exit = app.wait_exit(Duration::from_secs(20)).await;
        assert!(exit.is_some_and(|s| s.success()), "exit {exit:?}:\n{}", run.log(app.port));
        assert_eq!(booked, 6);
        assert_eq!(lock_keys(redis), Vec::<String>::new(), "no lock is left held");

        let store = oversold::store::Store::connect(&database.url).await.unwrap();
        for event in [1, 2, 3] {
            let audit = store.audit(event).await.unwrap().unwrap();
            assert!(audit.clean && audit.booked == 2, "{audit:?}");
        }
        let refused = reqwest::Client::new().get(format!("{}/health", app.url)).send().await;
        assert!(refused.is_err(), "the stopped server still answers");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_booking_cut_off_by_the_shutdown_timeout_still_releases_its_lock() {
    let database = TestDatabase::create(Backend::Sqlite).await;
    let run = RunDir::new();
    let (mut app, redis) = start_app(&run, &database, &[("SHUTDOWN_TIMEOUT_SECS", "1")]).await;

    // A 20 s race window: the booking is still inside its lock when the 1 s timeout runs out.
    let booking = tokio::spawn(post(format!(
        "{}/book-with-lock/2?race_window_ms=20000",
        app.url
    )));
    tokio::time::sleep(Duration::from_millis(400)).await;
    let ttl: i64 = redis_query(redis, &["PTTL", "lock:event:2"]);
    assert!(ttl > 25_000, "the booking holds the lock: PTTL {ttl}");
    app.terminate();

    let exit = app.wait_exit(Duration::from_secs(15)).await;
    assert!(
        exit.is_some_and(|s| s.success()),
        "exit {exit:?}:\n{}",
        run.log(app.port)
    );
    assert_eq!(
        lock_keys(redis),
        Vec::<String>::new(),
        "the cut-off booking's lock was released, not left for its 30 s TTL:\n{}",
        run.log(app.port)
    );
    assert!(
        booking.await.unwrap().is_err(),
        "the cut-off request got no answer"
    );
    let store = oversold::store::Store::connect(&database.url)
        .await
        .unwrap();
    let audit = store.audit(2).await.unwrap().unwrap();
    assert!(audit.clean && audit.booked == 0, "{audit:?}");
    assert!(
        run.log(app.port).contains("released a lock left behind"),
        "{}",
        run.log(app.port)
    );
}
