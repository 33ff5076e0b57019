//! Who may change the lab and who may touch a lock.
//!
//! Bound off loopback (here `0.0.0.0`, every interface of this machine, reached over 127.0.0.1),
//! the admin routes need the token: 401 without it, 403 with a wrong one, and the database
//! stays as it was. And no request of any kind can release or extend a lock someone holds: the
//! only way a lock key leaves Redis early is its holder's release.

use std::net::TcpListener;
use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};
use testkit::{on_every_database, spawn_app, spawn_app_with, AppOptions, Backend, TestApp};

const TOKEN: &str = "s3cret-admin-token";
const FORM: &str = "application/x-www-form-urlencoded";

async fn off_loopback(backend: Backend) -> TestApp {
    let mut options = AppOptions::new(backend);
    options.bind = "0.0.0.0:0".to_string();
    options.admin_token = Some(TOKEN.to_string());
    spawn_app_with(options).await
}

async fn snapshot(app: &TestApp) -> Value {
    let events = app.store.list_events().await.unwrap();
    let audits: Vec<_> = events.iter().map(|e| e.audit()).collect();
    json!({ "events": events, "audits": audits })
}

/// The admin routes, each with a body it accepts.
fn admin_requests() -> Vec<(&'static str, &'static str, &'static str)> {
    vec![
        ("/reset", "application/json", ""),
        ("/reset/1", "application/json", r#"{"capacity": 4}"#),
        (
            "/events",
            "application/json",
            r#"{"name": "Intruder", "capacity": 9}"#,
        ),
        ("/ui/reset", "application/x-www-form-urlencoded", ""),
        (
            "/ui/reset/1",
            "application/x-www-form-urlencoded",
            "capacity=4",
        ),
        (
            "/experiments",
            "application/json",
            r#"{"strategy": "atomic", "requests": 2, "event_id": 2, "capacity": 1}"#,
        ),
        (
            "/ui/experiments",
            "application/x-www-form-urlencoded",
            "strategy=atomic&requests=2&event_id=3&capacity=1",
        ),
    ]
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

on_every_database! {
    async fn off_loopback_admin_routes_refuse_without_the_token(backend: Backend) {
        let app = off_loopback(backend).await;
        app.post("/book-no-lock/1?race_window_ms=0", None).await;
        let before = snapshot(&app).await;
        let client = no_redirects();

        for (path, content_type, body) in admin_requests() {
            let url = format!("{}{path}", app.address);
            let post = || client.post(&url).header("content-type", content_type).body(body);
            for (request, status, code) in [
                (post(), 401, "unauthorized"),
                (post().bearer_auth("wrong-token"), 403, "forbidden"),
                (post().bearer_auth(format!("{TOKEN}x")), 403, "forbidden"),
                (post().header("authorization", format!("Basic {TOKEN}")), 401, "unauthorized"),
                (post().header("cookie", "oversold_admin=wrong"), 403, "forbidden"),
            ] {
                let response = request.send().await.unwrap();
                assert_eq!(response.status().as_u16(), status, "POST {path}");
                if status == 401 {
                    assert_eq!(response.headers()["www-authenticate"], "Bearer");
                }
                let error: Value = response.json().await.unwrap();
                assert_eq!(error["error"], code, "POST {path}: {error}");
            }
        }
        assert_eq!(snapshot(&app).await, before, "a refused admin request changed the database");

        // Reading and booking need no token.
        assert_eq!(app.get("/events").await.status().as_u16(), 200);
        assert_eq!(app.get("/metrics").await.status().as_u16(), 200);
        assert_eq!(app.post("/book/atomic/2", None).await.status().as_u16(), 201);

        // With the token every admin route works: a bearer header...
        for (path, content_type, body) in admin_requests() {
            let response = client
                .post(format!("{}{path}", app.address))
                .header("content-type", content_type)
                .bearer_auth(TOKEN)
                .body(body)
                .send()
                .await
                .unwrap();
            assert!(matches!(response.status().as_u16(), 200 | 201 | 303), "POST {path}: {}", response.status());
        }
        assert_eq!(app.audit(1).await.capacity, 4);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_browser_signs_in_with_the_form_and_resets_with_the_cookie() {
    let app = off_loopback(Backend::Sqlite).await;
    let client = no_redirects();
    let login = format!("{}/ui/login", app.address);
    let page = client.get(&login).send().await.unwrap();
    assert!(page.text().await.unwrap().contains("needs the admin token"));

    let wrong = client
        .post(&login)
        .header("content-type", FORM)
        .body("token=guess")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status().as_u16(), 403);
    assert!(wrong.headers().get("set-cookie").is_none());

    let signed_in = client
        .post(&login)
        .header("content-type", FORM)
        .body(format!("token={TOKEN}"))
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status().as_u16(), 303);
    let cookie = signed_in.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let cookie = cookie.split(';').next().unwrap().to_string();

    app.post("/book-no-lock/1?race_window_ms=0", None).await;
    let reset = client
        .post(format!("{}/ui/reset/1", app.address))
        .header("cookie", &cookie)
        .header("content-type", FORM)
        .body("capacity=")
        .send()
        .await
        .unwrap();
    assert_eq!(reset.status().as_u16(), 303);
    assert_eq!(app.audit(1).await.booked, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_refuses_to_listen_off_loopback_without_a_token() {
    let database = testkit::TestDatabase::create(Backend::Sqlite).await;
    let mut config = <oversold::Config as clap::Parser>::parse_from(["oversold"]);
    config.database_url = database.url.clone();
    config.redis_urls = vec![format!("redis://127.0.0.1:{}", testkit::free_port())];
    // --bind says loopback, but the listener it is handed is not: the listener decides.
    let listener = TcpListener::bind("0.0.0.0:0").unwrap();
    let err = oversold::run(config, listener)
        .await
        .err()
        .expect("refused");
    assert!(err.to_string().contains("--admin-token"), "{err}");
}

/// What Redis holds under the key right now: (value, PTTL ms).
fn lock_state(app: &TestApp, key: &str) -> (Option<String>, i64) {
    let value = app.redis[0].query(&["GET", key]);
    let pttl = app.redis[0].query(&["PTTL", key]);
    (value, pttl)
}

on_every_database! {
    async fn nothing_an_outsider_sends_releases_or_extends_a_held_lock(backend: Backend) {
        let app = spawn_app(backend).await;
        let key = "lock:event:1";
        let holder = {
            let url = format!("{}/book-with-lock/1?race_window_ms=2500&ttl_ms=5000", app.address);
            let client = app.client.clone();
            tokio::spawn(async move { client.post(url).send().await.unwrap().status().as_u16() })
        };
        tokio::time::sleep(Duration::from_millis(300)).await;
        let (held, first_pttl) = lock_state(&app, key);
        let value = held.clone().expect("the booking holds the lock");
        assert_eq!(value.len(), 32, "128 random bits as hex: {held:?}");
        assert!(value.chars().all(|c| c.is_ascii_hexdigit()), "{held:?}");
        assert!(first_pttl > 4000, "{first_pttl}");

        // Everything an outsider could try: every route and method, the key and the value in
        // paths, queries and bodies, and what a release or extend route might be called.
        let mut paths: Vec<String> = [
            "/", "/events", "/events/1", "/reset", "/reset/2", "/strategies", "/health", "/metrics",
            "/ui/reset/2", "/book-with-lock/1", "/book/redis/1", "/book/queue/1", "/book/fenced/1",
        ]
        .map(String::from)
        .to_vec();
        for verb in ["release", "unlock", "extend", "lock", "locks", "lease", "renew"] {
            paths.push(format!("/{verb}/1"));
            paths.push(format!("/{verb}/{key}"));
            paths.push(format!("/{verb}?key={key}&value={value}"));
            paths.push(format!("/book/redis/1/{verb}"));
        }
        let body = json!({"key": key, "value": value, "ttl_ms": 60000, "token": value}).to_string();
        for path in &paths {
            for method in ["GET", "POST", "PUT", "DELETE", "PATCH"] {
                let url = format!("{}{path}", app.address);
                let method = Method::from_bytes(method.as_bytes()).unwrap();
                let _ = app
                    .client
                    .request(method, url)
                    .header("content-type", "application/json")
                    .body(body.clone())
                    .timeout(Duration::from_secs(1))
                    .send()
                    .await;
            }
        }

        let (still, pttl) = lock_state(&app, key);
        assert_eq!(still, held, "the lock changed hands or was released");
        assert!(pttl <= first_pttl && pttl > 0, "extended or gone: {first_pttl} then {pttl}");
        assert_eq!(holder.await.unwrap(), 201);
        assert_eq!(app.redis[0].query::<i64>(&["EXISTS", key]), 0, "the holder released it");

        // Another holder gets a value of its own.
        let second = {
            let url = format!("{}/book-with-lock/2?race_window_ms=800", app.address);
            let client = app.client.clone();
            tokio::spawn(async move { client.post(url).send().await.unwrap().status().as_u16() })
        };
        tokio::time::sleep(Duration::from_millis(300)).await;
        let (other, _) = lock_state(&app, "lock:event:2");
        let other = other.expect("the second booking holds its lock");
        assert!(other.len() == 32 && other != value, "{other} vs {value}");
        assert_eq!(second.await.unwrap(), 201);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_loopback_admin_routes_need_no_token() {
    let app = spawn_app(Backend::Sqlite).await;
    assert_eq!(app.post("/reset", None).await.status().as_u16(), 200);
}
