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
        ("/new-session", "application/json", ""),
        ("/ui/new-session", "application/x-www-form-urlencoded", ""),
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
        (
            "/room/rounds",
            "application/json",
            r#"{"strategy": "no-lock"}"#,
        ),
        (
            "/ui/room/rounds",
            "application/x-www-form-urlencoded",
            "strategy=no-lock&race_window_ms=1000&round_secs=10",
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

/// A loopback app (as behind a reverse proxy on the same host) that has an admin token.
async fn on_loopback_with_a_token(backend: Backend) -> TestApp {
    let mut options = AppOptions::new(backend);
    options.admin_token = Some(TOKEN.to_string());
    spawn_app_with(options).await
}

on_every_database! {
    async fn a_configured_token_is_required_on_loopback_too(backend: Backend) {
        let app = on_loopback_with_a_token(backend).await;
        app.post("/book-no-lock/1?race_window_ms=0", None).await;
        let before = snapshot(&app).await;
        let client = no_redirects();
        for (path, content_type, body) in admin_requests() {
            let response = client
                .post(format!("{}{path}", app.address))
                .header("content-type", content_type)
                .body(body)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status().as_u16(), 401, "POST {path} without the token");
        }
        assert_eq!(snapshot(&app).await, before, "a refused admin request changed the database");
        let with_token = client
            .post(format!("{}/reset/1", app.address))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap();
        assert_eq!(with_token.status().as_u16(), 200);
        assert_eq!(app.audit(1).await.booked, 0);
    }
}

/// Requests a hostile page in the instructor's browser could make, each with what it must get.
fn cross_site_attempts(app: &TestApp) -> Vec<(reqwest::RequestBuilder, u16, &'static str)> {
    let client = no_redirects();
    let url = |path: &str| format!("{}{path}", app.address);
    vec![
        // A form or fetch from another site: the browser says so.
        (
            client
                .post(url("/reset"))
                .header("sec-fetch-site", "cross-site"),
            403,
            "Sec-Fetch-Site: cross-site",
        ),
        (
            client
                .post(url("/ui/reset"))
                .header("sec-fetch-site", "cross-site")
                .header("content-type", FORM)
                .body(""),
            403,
            "a cross-site form post",
        ),
        // An older browser sends only the Origin.
        (
            client
                .post(url("/reset/1"))
                .header("origin", "http://evil.example"),
            403,
            "a foreign Origin",
        ),
        (
            client
                .post(url("/reset/1"))
                .header("origin", format!("http://127.0.0.1:{}", app.port + 1)),
            403,
            "another port of this host",
        ),
        (
            client.post(url("/reset")).header("origin", "null"),
            403,
            "an opaque Origin (sandboxed frame)",
        ),
        // The text/plain form trick: the last duplicate key wins in a lenient parser.
        (
            client
                .post(url("/experiments"))
                .header("content-type", "text/plain")
                .body(r#"{"strategy":"=","strategy":"atomic","event_id":1,"capacity":7}"#),
            415,
            "a text/plain body on a JSON route",
        ),
        (
            client
                .post(url("/reset/1"))
                .header("content-type", FORM)
                .body("capacity=7"),
            415,
            "a form body on a JSON route",
        ),
        (
            client
                .post(url("/reset/1"))
                .header("content-type", FORM)
                .body(""),
            415,
            "an empty form post on a JSON route",
        ),
        (
            client
                .post(url("/ui/reset/1"))
                .header("content-type", "text/plain")
                .body("capacity=7"),
            415,
            "a text/plain body on a form route",
        ),
        // Even typed as JSON, a duplicate key is refused rather than resolved.
        (
            client
                .post(url("/experiments"))
                .header("content-type", "application/json")
                .body(r#"{"strategy":"no-lock","strategy":"atomic","event_id":1,"capacity":7}"#),
            400,
            "a duplicate key in JSON",
        ),
    ]
}

on_every_database! {
    async fn cross_site_requests_cannot_change_the_lab(backend: Backend) {
        // On loopback with no token: the open lab a workshop runs, whose instructor browses.
        let app = spawn_app(backend).await;
        app.post("/book-no-lock/1?race_window_ms=0", None).await;
        let before = snapshot(&app).await;
        for (request, status, what) in cross_site_attempts(&app) {
            let response = request.send().await.unwrap();
            assert_eq!(response.status().as_u16(), status, "{what}");
            let error: Value = response.json().await.unwrap();
            assert!(error["error"].is_string() && error["message"].is_string(), "{what}: {error}");
        }
        assert_eq!(snapshot(&app).await, before, "a cross-site request changed the database");

        // The dashboard's own script (same origin, JSON) and scripts (no Origin) still work.
        let own = app
            .client
            .post(format!("{}/reset/1", app.address))
            .header("origin", format!("http://127.0.0.1:{}", app.port))
            .header("sec-fetch-site", "same-origin")
            .json(&json!({"capacity": 3}))
            .send()
            .await
            .unwrap();
        assert_eq!(own.status().as_u16(), 200);
        assert_eq!(app.audit(1).await.capacity, 3);
        let typed = app
            .client
            .post(format!("{}/reset/1", app.address))
            .header("content-type", "application/json; charset=utf-8")
            .body(r#"{"capacity": 4}"#)
            .send()
            .await
            .unwrap();
        assert_eq!(typed.status().as_u16(), 200);
        assert_eq!(app.audit(1).await.capacity, 4);
        assert_eq!(app.post("/book/atomic/1", None).await.status().as_u16(), 201);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_response_forbids_framing_and_sniffing() {
    let app = spawn_app(Backend::Sqlite).await;
    let client = no_redirects();
    for (method, path) in [
        ("GET", "/"),
        ("GET", "/ui/login"),
        ("GET", "/static/dashboard.js"),
        ("GET", "/static/style.css"),
        ("GET", "/events"),
        ("GET", "/no/such/route"),
        ("DELETE", "/events"),
        ("POST", "/book/atomic/1"),
        ("POST", "/reset/abc"),
        ("PUT", "/reset"),
    ] {
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        let response = client
            .request(method.clone(), format!("{}{path}", app.address))
            // The refusals too: the PUT and the POSTs are cross-site (403), the GETs are not.
            .header("sec-fetch-site", "cross-site")
            .send()
            .await
            .unwrap();
        let headers = response.headers();
        let what = format!("{method} {path} ({})", response.status());
        assert_eq!(
            headers.get("x-frame-options").map(|v| v.to_str().unwrap()),
            Some("DENY"),
            "{what}"
        );
        assert_eq!(
            headers
                .get("x-content-type-options")
                .map(|v| v.to_str().unwrap()),
            Some("nosniff"),
            "{what}"
        );
        let csp = headers
            .get("content-security-policy")
            .unwrap_or_else(|| panic!("{what}: no CSP"))
            .to_str()
            .unwrap();
        assert!(csp.contains("frame-ancestors 'none'"), "{what}: {csp}");
        assert!(csp.contains("default-src 'self'"), "{what}: {csp}");
        assert!(!csp.contains("unsafe-inline"), "{what}: {csp}");
    }
}

/// Signs in with the form and returns the `name=value` part of the session cookie and the
/// whole `Set-Cookie` line.
async fn sign_in(app: &TestApp) -> (String, String) {
    let response = no_redirects()
        .post(format!("{}/ui/login", app.address))
        .header("content-type", FORM)
        .body(format!("token={TOKEN}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303);
    let line = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_string();
    (line.split(';').next().unwrap().to_string(), line)
}

async fn reset_with_cookie(app: &TestApp, cookie: &str) -> u16 {
    no_redirects()
        .post(format!("{}/reset/1", app.address))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_issues_an_expiring_session_never_the_token_and_logout_revokes_it() {
    let app = off_loopback(Backend::Sqlite).await;
    let (cookie, line) = sign_in(&app).await;
    let (name, value) = cookie.split_once('=').unwrap();
    assert_eq!(name, "oversold_admin");
    assert!(
        !value.contains(TOKEN) && value.len() >= 32,
        "the cookie carries {value:?}"
    );
    assert!(
        line.contains("Max-Age="),
        "a session that never expires: {line}"
    );
    assert!(
        line.contains("HttpOnly") && line.contains("SameSite=Strict"),
        "{line}"
    );

    // A second sign-in is a different session.
    let (other, _) = sign_in(&app).await;
    assert_ne!(other, cookie);

    assert_eq!(reset_with_cookie(&app, &cookie).await, 200);
    // The token itself is no session.
    assert_eq!(
        reset_with_cookie(&app, &format!("oversold_admin={TOKEN}")).await,
        403
    );

    let logout = no_redirects()
        .post(format!("{}/ui/logout", app.address))
        .header("cookie", &cookie)
        .header("content-type", FORM)
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status().as_u16(), 303);
    let cleared = logout.headers()["set-cookie"].to_str().unwrap();
    assert!(
        cleared.starts_with("oversold_admin=;") && cleared.contains("Max-Age=0"),
        "{cleared}"
    );
    assert_eq!(
        reset_with_cookie(&app, &cookie).await,
        403,
        "the revoked session still works"
    );
    assert_eq!(
        reset_with_cookie(&app, &other).await,
        200,
        "logout revoked another session"
    );

    // Scripts keep using the bearer header.
    let bearer = no_redirects()
        .post(format!("{}/reset/1", app.address))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(bearer.status().as_u16(), 200);
}

on_every_database! {
    async fn strangers_may_not_stretch_the_race_window_or_the_ttl(backend: Backend) {
        let app = off_loopback(backend).await;
        let client = no_redirects();
        let reset = client
            .post(format!("{}/reset/1", app.address))
            .bearer_auth(TOKEN)
            .json(&json!({"capacity": 100}))
            .send()
            .await
            .unwrap();
        assert_eq!(reset.status().as_u16(), 200);
        let book = |query: &str| client.post(format!("{}/book/atomic/1?{query}", app.address));
        for query in ["race_window_ms=1001", "race_window_ms=30000", "ttl_ms=30001", "ttl_ms=50"] {
            let response = book(query).send().await.unwrap();
            assert_eq!(response.status().as_u16(), 403, "{query}");
            let error: Value = response.json().await.unwrap();
            let message = error["message"].as_str().unwrap();
            assert!(message.contains("admin token") && message.contains("1000"), "{query}: {message}");
        }
        // What stays open: the lesson's own knobs, within the small caps.
        for query in ["race_window_ms=1000", "race_window_ms=0&ttl_ms=100", "ttl_ms=30000"] {
            assert_eq!(book(query).send().await.unwrap().status().as_u16(), 201, "{query}");
        }
        // The admin may ask for more.
        let admin = book("race_window_ms=1200&ttl_ms=60000").bearer_auth(TOKEN).send().await.unwrap();
        assert_eq!(admin.status().as_u16(), 201);
        assert_eq!(app.audit(1).await.booked, 4, "exactly the allowed bookings were written");

        // An experiment the admin starts carries the token to its own bookings.
        let run = client
            .post(format!("{}/experiments", app.address))
            .bearer_auth(TOKEN)
            .json(&json!({"strategy": "atomic", "requests": 2, "event_id": 2, "capacity": 2,
                          "race_window_ms": 1500}))
            .send()
            .await
            .unwrap();
        assert_eq!(run.status().as_u16(), 201);
        let run: Value = run.json().await.unwrap();
        let statuses: Vec<_> = run["answers"].as_array().unwrap().iter().map(|a| a["status"].clone()).collect();
        assert_eq!(statuses, vec![json!(201), json!(201)], "{run}");
        // The run booked an event of its own (event 2 only lent its name).
        assert_eq!(app.audit(run["event_id"].as_i64().unwrap()).await.booked, 2);
    }
}

on_every_database! {
    async fn optimistic_stops_retrying_within_the_lock_wait_under_endless_contention(backend: Backend) {
        let app = spawn_app(backend).await;
        app.reset(1, 1_000_000).await;
        // One writer that books without a pause, over and over: every read the victim makes is
        // stale by the time its race window ends, so each of its attempts loses.
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let writer = {
            let (client, url, stop) = (app.client.clone(), format!("{}/book/optimistic/1?race_window_ms=0", app.address), stop.clone());
            tokio::spawn(async move {
                let mut booked: i64 = 0;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    if client.post(&url).send().await.unwrap().status().as_u16() == 201 {
                        booked += 1;
                    }
                }
                booked
            })
        };
        tokio::time::sleep(Duration::from_millis(300)).await;
        let started = std::time::Instant::now();
        let victim = app
            .client
            .post(format!("{}/book/optimistic/1?race_window_ms=1000", app.address))
            .json(&json!({"customer": "the victim"}))
            .timeout(Duration::from_secs(25))
            .send()
            .await
            .expect("an answer within the lock wait (15 s), not attempts x race window (50 s)");
        let took = started.elapsed();
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let booked = writer.await.unwrap();

        assert_eq!(victim.status().as_u16(), 503);
        let error: Value = victim.json().await.unwrap();
        assert_eq!(error["error"], "contention", "{error}");
        assert!(error["message"].as_str().unwrap().contains("LOCK_WAIT_MS"), "{error}");
        assert!(took < Duration::from_secs(19), "took {took:?}");
        let audit = app.audit(1).await;
        assert_eq!(audit.booked, booked, "every booking the writer was told about, and no other");
        assert_eq!((audit.oversold, audit.lost_updates), (0, false));
    }
}

/// A client with its own cookie jar that joined the room: a participant's phone.
async fn participant(app: &TestApp, name: &str) -> reqwest::Client {
    let (phone, joined) = app.join_room(name).await;
    assert_eq!(joined.status().as_u16(), 303);
    let cookie = joined.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(
        cookie.starts_with("oversold_room=") && cookie.contains("HttpOnly"),
        "{cookie}"
    );
    phone
}

on_every_database! {
    async fn off_loopback_a_participant_joins_and_taps_but_cannot_reset_start_rounds_or_read_the_token(backend: Backend) {
        let app = off_loopback(backend).await;
        // Joining and the room's pages need no token.
        let phone = participant(&app, "mallory").await;
        let before = snapshot(&app).await;
        for (path, content_type, body) in admin_requests() {
            let response = phone
                .post(format!("{}{path}", app.address))
                .header("content-type", content_type)
                .body(body)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status().as_u16(), 401, "a participant's POST {path}");
        }
        assert_eq!(snapshot(&app).await, before, "a participant changed the database");
        let rounds: Value = phone
            .get(format!("{}/room/state", app.address))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(rounds["round"].is_null(), "no round was started: {rounds}");

        // Nothing a participant can read holds the token, and the projector has no round form
        // for them.
        for path in ["/join", "/room", "/room/board", "/room/state", "/", "/present"] {
            let page = phone.get(format!("{}{path}", app.address)).send().await.unwrap();
            assert_eq!(page.status().as_u16(), 200, "GET {path}");
            let text = page.text().await.unwrap();
            assert!(!text.contains(TOKEN), "GET {path} shows the admin token");
            if path == "/room" {
                assert!(!text.contains("start-round"), "a participant sees the round form");
            }
        }

        // The admin starts a round; the participant's tap is a booking, and only one.
        let round = no_redirects()
            .post(format!("{}/room/rounds", app.address))
            .bearer_auth(TOKEN)
            .json(&json!({"strategy": "atomic", "race_window_ms": 500}))
            .send()
            .await
            .unwrap();
        assert_eq!(round.status().as_u16(), 201);
        let round: Value = round.json().await.unwrap();
        let tap = || {
            phone
                .post(format!("{}/join/tap", app.address))
                .header("content-type", FORM)
                .header("accept", "application/json")
                .send()
        };
        let first: Value = tap().await.unwrap().json().await.unwrap();
        assert_eq!(first["got_ticket"], true, "{first}");
        assert_eq!(tap().await.unwrap().status().as_u16(), 409);
        assert_eq!(app.audit(round["event_id"].as_i64().unwrap()).await.booked, 1);

        // A tap from another site is refused before it books anything.
        let forged = phone
            .post(format!("{}/join/tap", app.address))
            .header("content-type", FORM)
            .header("origin", "http://evil.example")
            .send()
            .await
            .unwrap();
        assert_eq!(forged.status().as_u16(), 403);
    }
}
