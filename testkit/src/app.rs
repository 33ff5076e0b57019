//! The real app on port 0, with its own Redis and database, and a client that speaks its API.
//!
//! `spawn_app` gives each test a private world; `TestApp::spawn_twin` starts a second instance
//! over the same database and Redis, for the lessons that need two. Verdicts come from
//! [`TestApp::audit`], which reads the database directly, never from counting responses.

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::ServerHandle;
use oversold::store::{Audit, Pool, Store};
use oversold::Config;
use oversold_api::{Client, ErrorCode, FanOut};
use reqwest::StatusCode;
use serde_json::Value;

use crate::{Backend, EtcdCluster, RedisServer, TestDatabase};

pub struct TestApp {
    /// Base URL, e.g. `http://127.0.0.1:41234`.
    pub address: String,
    pub port: u16,
    pub instance: String,
    pub client: reqwest::Client,
    pub store: Store,
    pub database: Arc<TestDatabase>,
    /// The Redis nodes this instance uses (the first is the single-node lock's).
    pub redis: Vec<Arc<RedisServer>>,
    /// The etcd cluster of the `etcd` strategy, when the test started one.
    pub etcd: Option<Arc<EtcdCluster>>,
    server: ServerHandle,
}

/// What to start; the defaults are a private database and one private Redis node.
pub struct AppOptions {
    pub backend: Backend,
    pub database: Option<Arc<TestDatabase>>,
    pub redis: Option<Vec<Arc<RedisServer>>>,
    /// Used instead of `redis` when set: e.g. a URL where nothing listens.
    pub redis_urls: Option<Vec<String>>,
    pub instance_name: String,
    pub race_window_ms: u64,
    /// How many private Redis nodes to start when `redis` and `redis_urls` are unset.
    pub redis_nodes: usize,
    /// The address to listen on; off loopback (e.g. `0.0.0.0:0`) needs `admin_token`. The test
    /// talks to it on 127.0.0.1 either way.
    pub bind: String,
    pub admin_token: Option<String>,
    /// Other instances' base URLs (`--peers`), where the experiments' "all instances" go.
    pub peers: Vec<String>,
    /// `--booking-deadline-ms`: the longest one booking may take.
    pub booking_deadline_ms: u64,
    /// The etcd cluster for `--etcd-endpoints`; none by default (the `etcd` strategy then
    /// answers 503), since three etcd processes are a cost only the etcd tests should pay.
    pub etcd: Option<Arc<EtcdCluster>>,
    /// `--public-url`: room mode, where phones join (the dashboard and the presenter's first
    /// step then show the join link and its QR code).
    pub public_url: Option<String>,
}

impl AppOptions {
    pub fn new(backend: Backend) -> AppOptions {
        AppOptions {
            backend,
            database: None,
            redis: None,
            redis_urls: None,
            instance_name: "app-1".to_string(),
            race_window_ms: 200,
            redis_nodes: 1,
            bind: "127.0.0.1:0".to_string(),
            admin_token: None,
            peers: Vec::new(),
            booking_deadline_ms: 45_000,
            etcd: None,
            public_url: None,
        }
    }
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(AppOptions::new(backend)).await
}

pub async fn spawn_app_with(options: AppOptions) -> TestApp {
    let database = match options.database {
        Some(database) => database,
        None => Arc::new(TestDatabase::create(options.backend).await),
    };
    let redis = match (&options.redis_urls, options.redis) {
        (Some(_), _) => Vec::new(),
        (None, Some(redis)) => redis,
        (None, None) => (0..options.redis_nodes.max(1))
            .map(|_| Arc::new(RedisServer::start()))
            .collect(),
    };
    let redis_urls = options
        .redis_urls
        .unwrap_or_else(|| redis.iter().map(|r| r.url()).collect());
    let etcd = options.etcd;
    let config = Config {
        bind: options.bind.clone(),
        database_url: database.url.clone(),
        redis_urls,
        instance_name: Some(options.instance_name.clone()),
        peers: options.peers,
        public_url: options.public_url,
        race_window_ms: options.race_window_ms,
        lock_ttl_ms: 10_000,
        lock_wait_ms: 15_000,
        booking_deadline_ms: options.booking_deadline_ms,
        admin_token: options.admin_token,
        shutdown_timeout_secs: 30,
        etcd_endpoints: etcd.iter().flat_map(|c| c.endpoints()).collect(),
    };
    let listener = TcpListener::bind(&options.bind).expect("bind the test app's address");
    let port = listener.local_addr().unwrap().port();
    let app = oversold::run(config, listener)
        .await
        .expect("the app starts");
    let handle = app.handle();
    tokio::spawn(app.run_until_stopped());
    let store = Store::connect(&database.url)
        .await
        .expect("the test reads the same database");
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        port,
        instance: options.instance_name,
        client: reqwest::Client::new(),
        store,
        database,
        redis,
        etcd,
        server: handle,
    }
}

impl TestApp {
    /// A second instance of the app over the same database and Redis nodes, which knows this
    /// one as its peer (its experiments can fan out over both).
    pub async fn spawn_twin(&self, instance_name: &str) -> TestApp {
        spawn_app_with(AppOptions {
            backend: self.database.backend,
            database: Some(self.database.clone()),
            redis: Some(self.redis.clone()),
            redis_urls: None,
            instance_name: instance_name.to_string(),
            race_window_ms: 200,
            redis_nodes: self.redis.len(),
            peers: vec![self.address.clone()],
            etcd: self.etcd.clone(),
            ..AppOptions::new(self.database.backend)
        })
        .await
    }

    /// The event's audit, read from the database.
    pub async fn audit(&self, event_id: i64) -> Audit {
        self.store
            .audit(event_id)
            .await
            .expect("the audit query runs")
            .expect("the event exists")
    }

    /// Every booking row of an event as (instance, strategy), read from the database.
    pub async fn bookings_by_instance(&self, event_id: i64) -> Vec<String> {
        let sql = "SELECT instance FROM bookings WHERE event_id = $1 ORDER BY instance";
        match self.store.pool() {
            Pool::Sqlite(pool) => sqlx::query_scalar(sql).bind(event_id).fetch_all(pool).await,
            Pool::Postgres(pool) => sqlx::query_scalar(sql).bind(event_id).fetch_all(pool).await,
        }
        .expect("the bookings query runs")
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.address))
            .send()
            .await
            .expect("the request is sent")
    }

    pub async fn post(&self, path: &str, body: Option<Value>) -> reqwest::Response {
        let mut request = self.client.post(format!("{}{path}", self.address));
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send().await.expect("the request is sent")
    }

    /// A POST with a raw body and content type, for malformed and oversized input.
    pub async fn post_raw(&self, path: &str, body: impl Into<reqwest::Body>) -> reqwest::Response {
        self.client
            .post(format!("{}{path}", self.address))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .expect("the request is sent")
    }

    /// Joins the room as `name` from a phone of its own: a client with its own cookie jar that
    /// follows no redirect, and the answer to its `POST /join`.
    pub async fn join_room(&self, name: &str) -> (reqwest::Client, reqwest::Response) {
        let phone = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("a client with a cookie jar");
        let joined = phone
            .post(format!("{}/join", self.address))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("name={name}"))
            .send()
            .await
            .expect("POST /join answers");
        (phone, joined)
    }

    pub async fn get_event(&self, event_id: i64) -> Value {
        self.get(&format!("/events/{event_id}"))
            .await
            .json()
            .await
            .expect("an event as JSON")
    }

    /// Resets the event to `capacity` tickets and no bookings.
    pub async fn reset(&self, event_id: i64, capacity: i64) {
        let response = self
            .post(
                &format!("/reset/{event_id}"),
                Some(serde_json::json!({ "capacity": capacity })),
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK, "reset event {event_id}");
    }

    pub async fn stop(&self) {
        self.server.stop(false).await;
    }
}

/// One answer of a fight, typed by the wire contract: a booking, a refusal with its error code,
/// or no answer at all.
pub use oversold_api::BookingAnswer as Answer;

/// Sends `n` POSTs to `path_and_query`, spread round-robin over `apps`, all released at once
/// (the api crate's one fan-out), and returns their answers in request order.
pub async fn fire_together(apps: &[&TestApp], n: usize, path_and_query: &str) -> Vec<Answer> {
    let targets: Vec<String> = apps.iter().map(|app| app.address.clone()).collect();
    let client = Client::with_http(apps[0].client.clone(), targets.clone());
    let sent = client
        .fire_together(FanOut {
            targets: &targets,
            path: path_and_query,
            requests: n,
            customer: None,
            timeout: None,
            in_flight: None,
        })
        .await;
    assert_eq!(sent.len(), n, "every request task finishes");
    sent.into_iter().map(|s| s.answer).collect()
}

/// How many answers had this status.
pub fn count(answers: &[Answer], status: u16) -> usize {
    answers
        .iter()
        .filter(|a| a.status() == Some(status))
        .count()
}

/// How many answers carried this error code (one of [`ErrorCode`]'s wire names; a name that is
/// none of them fails the test rather than counting zero).
pub fn count_errors(answers: &[Answer], code: &str) -> usize {
    let code: ErrorCode = code.parse().unwrap_or_else(|e| panic!("count_errors: {e}"));
    answers
        .iter()
        .filter(|a| a.error_code() == Some(code))
        .count()
}
