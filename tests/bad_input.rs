//! A sweep of bad input over every route: wrong methods, malformed, mistyped and oversized
//! bodies, negative, zero and huge numbers, unknown strategies and ids, odd unicode. Every one
//! must get a 4xx with the JSON error body, and the database must be exactly as it was. The
//! same goes for requests from another site and bodies of the wrong media type; and HEAD is
//! answered on every GET route like the GET, without a body.

use reqwest::Method;
use serde_json::{json, Value};
use testkit::{on_every_database, spawn_app, Backend, TestApp};

/// Every route and the methods it answers.
const ROUTES: &[(&str, &[&str])] = &[
    ("/", &["GET"]),
    ("/static/style.css", &["GET"]),
    ("/static/dashboard.js", &["GET"]),
    ("/ui/login", &["GET", "POST"]),
    ("/ui/logout", &["POST"]),
    ("/ui/reset", &["POST"]),
    ("/ui/reset/1", &["POST"]),
    ("/health", &["GET"]),
    ("/metrics", &["GET"]),
    ("/events", &["GET", "POST"]),
    ("/events/1", &["GET"]),
    ("/reset", &["POST"]),
    ("/reset/1", &["POST"]),
    ("/strategies", &["GET"]),
    ("/book-no-lock/1", &["POST"]),
    ("/book-with-lock/1", &["POST"]),
    ("/book/redis/1", &["POST"]),
    ("/experiments", &["GET", "POST"]),
    ("/experiments/1", &["GET"]),
    ("/ui/experiments", &["POST"]),
];

/// The routes that take a JSON body.
const JSON_ROUTES: &[&str] = &[
    "/events",
    "/reset",
    "/reset/2",
    "/book-no-lock/2",
    "/book-with-lock/2",
    "/book/atomic/2",
    "/experiments",
];

/// The routes that take a form body.
const FORM_ROUTES: &[&str] = &[
    "/ui/reset",
    "/ui/reset/2",
    "/ui/login",
    "/ui/logout",
    "/ui/experiments",
];

const FORM: &str = "application/x-www-form-urlencoded";

/// What the database holds: every event's columns and audit, and the stored experiments.
async fn snapshot(app: &TestApp) -> Value {
    let events = app.store.list_events().await.unwrap();
    let audits: Vec<_> = events.iter().map(|e| e.audit()).collect();
    let experiments = oversold::experiment::storage::list(&app.store, 1000)
        .await
        .unwrap();
    json!({ "events": events, "audits": audits, "experiments": experiments.len() })
}

struct Sweep<'a> {
    app: &'a TestApp,
    checked: usize,
}

impl Sweep<'_> {
    /// Sends one request and checks it was refused with `status` (any 4xx when `None`) and a
    /// JSON error body.
    async fn refused(
        &mut self,
        method: &str,
        path: &str,
        body: Option<(&str, Vec<u8>)>,
        status: Option<u16>,
    ) {
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = self
            .app
            .client
            .request(method.clone(), format!("{}{path}", self.app.address));
        if let Some((content_type, bytes)) = body {
            request = request.header("content-type", content_type).body(bytes);
        }
        let response = request.send().await.expect("an answer");
        let got = response.status().as_u16();
        let what = format!("{method} {path}");
        match status {
            Some(expected) => assert_eq!(got, expected, "{what}"),
            None => assert!((400..500).contains(&got), "{what} answered {got}"),
        }
        let body: Value = response
            .json()
            .await
            .unwrap_or_else(|e| panic!("{what}: the error body is not JSON ({e})"));
        assert!(
            body["error"].as_str().is_some_and(|c| !c.is_empty())
                && body["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{what}: {body}"
        );
        self.checked += 1;
    }

    /// Like [`Sweep::refused`] for a POST with extra request headers (an `Origin`, say).
    async fn refused_with(
        &mut self,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<(&str, &str)>,
        status: u16,
    ) {
        let mut request = self.app.client.post(format!("{}{path}", self.app.address));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some((content_type, bytes)) = body {
            request = request
                .header("content-type", content_type)
                .body(bytes.to_string());
        }
        let response = request.send().await.expect("an answer");
        let what = format!("POST {path} with {headers:?} {body:?}");
        assert_eq!(response.status().as_u16(), status, "{what}");
        let body: Value = response
            .json()
            .await
            .unwrap_or_else(|e| panic!("{what}: the error body is not JSON ({e})"));
        assert!(
            body["error"].is_string() && body["message"].is_string(),
            "{what}: {body}"
        );
        self.checked += 1;
    }

    async fn json(&mut self, path: &str, body: &str, status: Option<u16>) {
        let body = Some(("application/json", body.as_bytes().to_vec()));
        self.refused("POST", path, body, status).await;
    }

    async fn form(&mut self, path: &str, body: &str, status: Option<u16>) {
        let body = Some((
            "application/x-www-form-urlencoded",
            body.as_bytes().to_vec(),
        ));
        self.refused("POST", path, body, status).await;
    }
}

on_every_database! {
    async fn every_route_refuses_bad_input_with_a_json_4xx_and_changes_nothing(backend: Backend) {
        let app = spawn_app(backend).await;
        app.post("/book-no-lock/1?race_window_ms=0", None).await;
        let before = snapshot(&app).await;
        let mut sweep = Sweep { app: &app, checked: 0 };

        // Wrong methods, on every route.
        for (path, allowed) in ROUTES {
            for method in ["GET", "POST", "PUT", "DELETE", "PATCH"] {
                if !allowed.contains(&method) {
                    sweep.refused(method, path, None, Some(405)).await;
                }
            }
        }

        // Malformed and mistyped JSON bodies.
        let nested = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
        let malformed = [
            "{not json", "[]", "null", "\"capacity\"", "42", "{\"customer\": 7}",
            "{\"customer\": {\"name\": \"x\"}}", "{\"capacity\": \"ten\"}",
            "{\"capacity\": 1.5}", "{\"capacity\": true}", "{\"name\": 5, \"capacity\": 1}",
            "{\"unknown\": 1}", "{\"capacity\": 1,}", &nested,
        ];
        for path in JSON_ROUTES {
            for body in malformed {
                sweep.json(path, body, Some(400)).await;
            }
            let not_utf8 = Some(("application/json", vec![b'{', 0xff, 0xfe, b'}']));
            sweep.refused("POST", path, not_utf8, Some(400)).await;
        }

        // Oversized bodies (16 KiB is the limit), JSON and form alike.
        let big_json = format!(r#"{{"customer": "{}"}}"#, "x".repeat(17 * 1024));
        for path in JSON_ROUTES {
            sweep.json(path, &big_json, Some(413)).await;
        }
        let big_form = format!("capacity={}", "1".repeat(17 * 1024));
        for path in FORM_ROUTES {
            sweep.form(path, &big_form, Some(413)).await;
        }

        // Forms: unknown fields, wrong content type, wrong values.
        sweep.form("/ui/reset", "capacity=3", Some(400)).await;
        sweep.form("/ui/reset/2", "capacity=-1", Some(400)).await;
        sweep.form("/ui/reset/2", "capacity=ten", Some(400)).await;
        sweep.form("/ui/reset/2", "capacity=99999999999999999999", Some(400)).await;
        sweep.form("/ui/reset/2", "capacity=1&evil=1", Some(400)).await;
        sweep.form("/ui/reset/999999", "capacity=", Some(404)).await;
        sweep.json("/ui/reset/2", "{\"capacity\": 1}", Some(415)).await;
        sweep.form("/ui/login", "password=x", Some(400)).await;

        // Numbers: negative, zero, huge, beyond i64, for capacities, ids and knobs.
        for capacity in ["-1", "1000001", "9223372036854775807", "-9223372036854775808", "1e400"] {
            sweep.json("/reset/2", &format!("{{\"capacity\": {capacity}}}"), Some(400)).await;
            sweep.json("/events", &format!("{{\"name\": \"x\", \"capacity\": {capacity}}}"), Some(400)).await;
        }
        for id in ["0", "-1", "9223372036854775807"] {
            sweep.refused("GET", &format!("/events/{id}"), None, Some(404)).await;
            sweep.refused("POST", &format!("/reset/{id}"), None, Some(404)).await;
            sweep.refused("POST", &format!("/book-with-lock/{id}?race_window_ms=0"), None, Some(404)).await;
            sweep.refused("POST", &format!("/book/atomic/{id}"), None, Some(404)).await;
            sweep.refused("POST", &format!("/book/atomic/{id}?race_window_ms=0"), None, Some(404)).await;
        }
        for id in ["99999999999999999999", "1.5", "1e3", "%00", "%EF%BC%91", "abc"] {
            sweep.refused("GET", &format!("/events/{id}"), None, Some(400)).await;
            sweep.refused("POST", &format!("/book-no-lock/{id}"), None, Some(400)).await;
            sweep.refused("POST", &format!("/book/redis/{id}"), None, Some(400)).await;
        }
        for query in [
            "race_window_ms=-1", "race_window_ms=30001", "race_window_ms=18446744073709551616",
            "ttl_ms=0", "ttl_ms=9", "ttl_ms=300001", "race_window_ms=abc", "race_window=5",
            "race_window_ms=1&race_window_ms=2", "ttl_ms=%F0%9F%92%A5",
        ] {
            sweep.refused("POST", &format!("/book-no-lock/2?{query}"), None, Some(400)).await;
            sweep.refused("POST", &format!("/book/redis/2?{query}"), None, Some(400)).await;
        }

        // Unknown strategies, names and routes, odd unicode included.
        for strategy in ["no-such", "REDIS", "redis ", "r%C3%A9dis", "%F0%9F%92%A5", "%00", "..%2F..%2Fetc"] {
            sweep.refused("POST", &format!("/book/{strategy}/2"), None, Some(404)).await;
        }
        sweep.refused("GET", "/no/such/route", None, Some(404)).await;
        sweep.refused("POST", &format!("/{}", "a".repeat(4000)), None, Some(404)).await;
        for customer in ["", "   ", "a\u{0}b", "line\nbreak", "\u{202e}evil", "zero\u{200b}width", "\u{feff}bom"] {
            sweep.json("/book-no-lock/2", &json!({ "customer": customer }).to_string(), Some(400)).await;
            sweep.json("/events", &json!({ "name": customer, "capacity": 1 }).to_string(), Some(400)).await;
        }
        let long = "é".repeat(101);
        sweep.json("/book-no-lock/2", &json!({ "customer": long }).to_string(), Some(400)).await;
        sweep.json("/events", &json!({ "name": long, "capacity": 1 }).to_string(), Some(400)).await;
        sweep.json("/events", "{\"capacity\": 1}", Some(400)).await;
        sweep.json("/events", "", Some(400)).await;

        // Experiments: sizes, knobs, strategies, targets and events out of bounds.
        for body in [
            json!({}), json!({"strategy": "no-such"}), json!({"strategy": "redis", "requests": 0}),
            json!({"strategy": "redis", "requests": 201}), json!({"strategy": "redis", "requests": -1}),
            json!({"strategy": "redis", "requests": 18446744073709551615u64}),
            json!({"strategy": "redis", "capacity": -1}), json!({"strategy": "redis", "capacity": 1000001}),
            json!({"strategy": "redis", "race_window_ms": 30001}), json!({"strategy": "redis", "ttl_ms": 9}),
            json!({"strategy": "redis", "target": "elsewhere"}), json!({"strategy": "\u{202e}redis"}),
            json!({"strategy": "pg-advisory", "requests": 1e9}),
        ] {
            sweep.json("/experiments", &body.to_string(), Some(400)).await;
        }
        sweep.json("/experiments", &json!({"strategy": "redis", "event_id": 999999}).to_string(), Some(404)).await;
        sweep.form("/ui/experiments", "strategy=redis&requests=0", Some(400)).await;
        sweep.form("/ui/experiments", "strategy=redis&requests=ten", Some(400)).await;
        sweep.form("/ui/experiments", "strategy=no-such", Some(400)).await;
        sweep.form("/ui/experiments", "strategy=redis&evil=1", Some(400)).await;
        for id in ["0", "-1", "9223372036854775807"] {
            sweep.refused("GET", &format!("/experiments/{id}"), None, Some(404)).await;
        }
        sweep.refused("GET", "/experiments/abc", None, Some(400)).await;

        // Requests from another site, and bodies of another media type, on every POST route.
        let own_origin = format!("http://127.0.0.1:{}", app.port);
        for (path, allowed) in ROUTES {
            if !allowed.contains(&"POST") {
                continue;
            }
            for headers in [
                [("sec-fetch-site", "cross-site"), ("origin", own_origin.as_str())],
                [("sec-fetch-site", "same-site"), ("origin", "http://evil.example")],
                [("origin", "http://127.0.0.1.evil.example"), ("x-nothing", "")],
                [("origin", "null"), ("x-nothing", "")],
            ] {
                sweep.refused_with(path, &headers, None, 403).await;
            }
        }
        let duplicate = r#"{"strategy":"=","strategy":"atomic"}"#;
        for path in JSON_ROUTES {
            for content_type in ["text/plain", FORM, "multipart/form-data; boundary=x", "application/jsonx"] {
                sweep.refused_with(path, &[], Some((content_type, duplicate)), 415).await;
            }
        }
        sweep.refused_with("/reset/2", &[], Some((FORM, "")), 415).await;
        sweep.json("/experiments", duplicate, Some(400)).await;
        sweep.json("/book/atomic/2", r#"{"customer":"a","customer":"b"}"#, Some(400)).await;
        for path in FORM_ROUTES {
            for content_type in ["text/plain", "application/json", "multipart/form-data; boundary=x"] {
                sweep.refused_with(path, &[], Some((content_type, "capacity=1")), 415).await;
            }
        }

        assert!(sweep.checked >= 250, "only {} requests checked", sweep.checked);
        assert_eq!(snapshot(&app).await, before, "bad input changed the database");

        // The sweep refused what it should, not everything: good input still works.
        let ok = app.post("/book/atomic/2", Some(json!({"customer": "Zoë 🎟"}))).await;
        assert_eq!(ok.status().as_u16(), 201);
    }
}

on_every_database! {
    async fn head_answers_every_get_route_like_get_without_a_body(backend: Backend) {
        let app = spawn_app(backend).await;
        let before = snapshot(&app).await;
        let mut gets: Vec<String> = ROUTES
            .iter()
            .filter(|(_, allowed)| allowed.contains(&"GET"))
            .map(|(path, _)| path.to_string())
            .collect();
        gets.extend(["/events/999999".to_string(), "/no/such/route".to_string()]);
        for path in &gets {
            let url = format!("{}{path}", app.address);
            let get = app.client.get(&url).send().await.unwrap();
            let head = app.client.head(&url).send().await.unwrap();
            assert_eq!(head.status(), get.status(), "HEAD {path}");
            for name in ["content-type", "x-frame-options", "content-security-policy"] {
                assert_eq!(head.headers().get(name), get.headers().get(name), "HEAD {path}: {name}");
            }
            assert!(head.bytes().await.unwrap().is_empty(), "HEAD {path} sent a body");
        }
        let static_js = format!("{}/static/dashboard.js", app.address);
        let get = app.client.get(&static_js).send().await.unwrap();
        let head = app.client.head(&static_js).send().await.unwrap();
        assert_eq!(head.status().as_u16(), 200);
        assert_eq!(head.headers().get("content-length"), get.headers().get("content-length"));

        // On the routes that answer only POST, HEAD is a wrong method like any other.
        for (path, allowed) in ROUTES {
            if !allowed.contains(&"GET") {
                let head = app.client.head(format!("{}{path}", app.address)).send().await.unwrap();
                assert_eq!(head.status().as_u16(), 405, "HEAD {path}");
            }
        }
        assert_eq!(snapshot(&app).await, before, "a HEAD changed the database");
    }
}
