//! `test_concurrent chaos` end to end: the real `oversold` binary twice over three real
//! redis-server nodes and a three-member etcd cluster, found by pidfile in a run directory as
//! `start.sh` leaves them, while the command pauses and kills the nodes and the members and kills
//! and restarts an app instance. The verdicts it
//! prints are checked against the database's audit and the nodes' keys.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::SystemTime;

use testkit::{
    on_every_database, redis_query, run_binary, spawn_app, stdout_json, Backend, RunDir,
    TestDatabase,
};

async fn test_concurrent(args: Vec<String>) -> Output {
    run_binary(env!("CARGO_BIN_EXE_test_concurrent"), &args).await
}

fn newest_change(dir: &Path) -> SystemTime {
    let mut newest = SystemTime::UNIX_EPOCH;
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        let changed = if path.is_dir() {
            newest_change(&path)
        } else {
            entry
                .metadata()
                .and_then(|m| m.modified())
                .unwrap_or(SystemTime::UNIX_EPOCH)
        };
        newest = newest.max(changed);
    }
    newest
}

/// The server binary cargo built next to this package's binary (`cargo test --workspace` and
/// `./test.sh` build both). Only the oversold package's own tests get its path from cargo, so
/// this one checks that the binary is there and not older than the server's sources.
fn oversold_binary() -> PathBuf {
    let binary = Path::new(env!("CARGO_BIN_EXE_test_concurrent")).with_file_name("oversold");
    let built = std::fs::metadata(&binary)
        .and_then(|m| m.modified())
        .unwrap_or_else(|_| {
            panic!(
                "{} is missing: build the server first with `cargo build -p oversold` \
                 (`cargo test --workspace` and ./test.sh do)",
                binary.display()
            )
        });
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let sources = ["src", "migrations", "templates", "static"]
        .iter()
        .map(|d| newest_change(&root.join(d)))
        .max()
        .unwrap();
    assert!(
        built >= sources,
        "{} is older than the server's sources: rebuild it with `cargo build -p oversold`",
        binary.display()
    );
    binary
}

on_every_database! {
    async fn a_short_chaos_run_finds_no_violation_in_any_safe_strategy(backend: Backend) {
        let database = TestDatabase::create(backend).await;
        let run = RunDir::new();
        let nodes: Vec<u16> = (0..3).map(|_| run.start_redis()).collect();
        let redis_urls: Vec<String> =
            nodes.iter().map(|p| format!("redis://127.0.0.1:{p}")).collect();
        let redis_urls = redis_urls.join(",");
        // The etcd strategy is one of the safe ones chaos loads: it books against a real cluster.
        let etcd = testkit::EtcdCluster::start();
        // Its members are faulted too, found by pidfile like the nodes.
        etcd.write_pidfiles(&run.path);
        let etcd_endpoints = etcd.endpoints().join(",");
        let env = [
            ("DATABASE_URL", database.url.as_str()),
            ("REDIS_URLS", redis_urls.as_str()),
            ("ETCD_ENDPOINTS", etcd_endpoints.as_str()),
            ("RUST_LOG", "warn"),
        ];
        let binary = oversold_binary();
        let first = run.start_app(&binary, &env).await;
        let second = run.start_app(&binary, &env).await;

        // A TTL far above a booking's hold time: a holder starved past its lease by a busy
        // machine is the "paused past TTL" lesson of redis and redlock, not a fault chaos injects.
        let output = test_concurrent(
            [
                "chaos", "--target", &first.url, "--target", &second.url,
                "--run-dir", &run.path.display().to_string(),
                "--duration", "12s", "--fault-every", "1",
                "--faults", "redis-pause,redis-kill,app-kill,etcd-pause,etcd-kill",
                "--ttl-ms", "3000", "--race-window-ms", "20", "--capacity", "3",
                "--concurrency", "3", "--seed", "7", "--progress-every", "2", "--json",
            ]
            .map(String::from)
            .to_vec(),
        )
        .await;

        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(0), "{stderr}\n{}", String::from_utf8_lossy(&output.stdout));
        let report = stdout_json(&output);
        assert_eq!(report["ok"], true, "{report}");
        for kind in ["redis-pause", "redis-kill", "app-kill", "etcd-pause", "etcd-kill"] {
            assert!(report["faults_by_kind"][kind].as_u64() >= Some(1), "{kind}: {report}");
        }
        assert!(report["faults"].as_array().unwrap().iter().all(|f| f["lasted_s"].is_number()), "every fault was healed: {report}");
        let strategies = report["strategies"].as_object().unwrap();
        let names: Vec<&str> = strategies.keys().map(String::as_str).collect();
        let mut expected = vec!["atomic", "batched", "etcd", "fenced", "for-update", "optimistic", "queue", "redis", "redlock"];
        if backend == Backend::Postgres {
            expected.push("pg-advisory");
            expected.sort();
        }
        assert_eq!(names, expected, "every safe strategy the database supports is loaded");
        for (name, s) in strategies {
            assert_eq!(s["violations"], 0, "{name}: {s}");
            assert_eq!(s["unaudited"], 0, "{name}: {s}");
            assert!(s["rounds"].as_u64() >= Some(1) && s["booked"].as_i64() >= Some(1), "{name}: {s}");
        }
        assert!(report["requests_answered"].as_u64() > Some(0));
        assert_eq!(report["locks_held_past_ttl"], serde_json::json!([]));
        assert!(stderr.contains("paused (SIGSTOP)") && stderr.contains("is back"), "{stderr}");
        assert!(stderr.contains("of 12s | requests"), "progress is shown: {stderr}");

        // The report's verdicts are the database's and the nodes'.
        let store = oversold::store::Store::connect(&database.url).await.unwrap();
        let events = store.list_events().await.unwrap();
        let chaos: Vec<_> = events.iter().filter(|e| e.name.starts_with("chaos: ")).collect();
        assert_eq!(chaos.len(), expected.len());
        for event in chaos {
            assert!(event.audit().clean, "{}: {:?}", event.name, event.audit());
        }
        for node in nodes {
            assert_eq!(redis_query::<Vec<String>>(node, &["KEYS", "lock:*"]), Vec::<String>::new(), "node {node}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_violation_makes_the_exit_status_1() {
    // local-mutex protects one process only: over two instances the chaos audit catches it.
    let app = spawn_app(Backend::Sqlite).await;
    let twin = app.spawn_twin("app-2").await;
    let output = test_concurrent(
        [
            "chaos",
            "--target",
            &format!("{},{}", app.address, twin.address),
            "--run-dir",
            &std::env::temp_dir().display().to_string(),
            "--faults",
            "none",
            "--strategy",
            "local-mutex",
            "--duration",
            "2s",
            "--capacity",
            "1",
            "--race-window-ms",
            "300",
            "--ttl-ms",
            "100",
            "--json",
        ]
        .map(String::from)
        .to_vec(),
    )
    .await;

    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report = stdout_json(&output);
    assert_eq!(report["ok"], false);
    let local = &report["strategies"]["local-mutex"];
    assert!(local["violations"].as_u64() >= Some(1), "{local}");
    let id = report_event_id(&app, "chaos: local-mutex").await;
    assert!(
        local["first_violation"]
            .as_str()
            .unwrap()
            .starts_with(&format!("event {id}:")),
        "{local}"
    );
}

async fn report_event_id(app: &testkit::TestApp, name: &str) -> i64 {
    let events = app.store.list_events().await.unwrap();
    events.iter().find(|e| e.name == name).expect(name).id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_pidfiles_of_start_sh_chaos_exits_2_and_says_how_to_start_the_lab() {
    let app = spawn_app(Backend::Sqlite).await;
    let empty = RunDir::new();
    let output = test_concurrent(
        [
            "chaos",
            "--target",
            &app.address,
            "--run-dir",
            &empty.path.display().to_string(),
            "--duration",
            "2s",
        ]
        .map(String::from)
        .to_vec(),
    )
    .await;

    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("no pidfile") && stderr.contains("./start.sh"),
        "{stderr}"
    );
    assert!(output.stdout.is_empty());
    assert_eq!(app.audit(1).await.booked, 0, "nothing was booked");
}
