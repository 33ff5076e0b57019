//! The matrix's fault columns end to end: `test_concurrent matrix` kills, restarts and expires
//! the lab's own Redis nodes and etcd members, found by pidfile as `start.sh` leaves them, while
//! the real app books redlock, fenced and etcd; every cell is the audit's verdict and must be the
//! strategy's expected one.

use std::sync::Arc;

use serde_json::Value;
use testkit::{run_binary, spawn_app_with, stdout_json, AppOptions, Backend, EtcdCluster, RunDir};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redlock_oversells_fenced_refuses_the_stale_write_and_etcd_books_once_under_both_faults() {
    let etcd = Arc::new(EtcdCluster::start());
    // Declared after the cluster so it drops first, killing any member the command restarted.
    let run = RunDir::new();
    etcd.write_pidfiles(&run.path);
    // Three nodes: A's lock rests on two, one of which then forgets it.
    let nodes: Vec<u16> = (0..3).map(|_| run.start_redis()).collect();
    let app = spawn_app_with(AppOptions {
        redis_urls: Some(
            nodes
                .iter()
                .map(|p| format!("redis://127.0.0.1:{p}"))
                .collect(),
        ),
        etcd: Some(etcd.clone()),
        ..AppOptions::new(Backend::Sqlite)
    })
    .await;

    let args: Vec<String> = [
        "matrix",
        "--target",
        &app.address,
        "--strategy",
        "redlock,fenced,etcd",
        "--run-dir",
        &run.path.display().to_string(),
        "--json",
    ]
    .map(String::from)
    .to_vec();
    let output = run_binary(env!("CARGO_BIN_EXE_test_concurrent"), &args).await;

    let stderr = String::from_utf8_lossy(&output.stderr);
    let report = stdout_json(&output);
    assert_eq!(output.status.code(), Some(0), "{stderr}\n{report:#}");
    assert_eq!(report["ok"], true);
    let row = |strategy: &str| -> Value {
        report["matrix"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["strategy"] == strategy)
            .unwrap_or_else(|| panic!("{strategy} in {report}"))
            .clone()
    };
    for (strategy, restart, jump) in [
        ("redlock", "oversells", "oversells"),
        ("fenced", "stale_rejected", "stale_rejected"),
        ("etcd", "safe", "stale_rejected"),
    ] {
        let row = row(strategy);
        for (column, kind) in [("restart_empty", restart), ("clock_jump", jump)] {
            let cell = &row[column];
            assert_eq!(cell["kind"], kind, "{strategy} {column}: {cell}");
            assert_eq!(cell["expected"], kind, "{strategy} {column}: {cell}");
            // Two bookings were tried, A's and B's, and each was answered.
            assert_eq!(
                cell["status"]["created"].as_u64().unwrap()
                    + cell["status"]["sold_out"].as_u64().unwrap()
                    + cell["status"]["stale_fence"].as_u64().unwrap(),
                2,
                "{cell}"
            );
        }
        assert_eq!(row["paused_past_ttl"]["matches"], true, "{strategy}: {row}");
    }
    // redlock sold the ticket twice; etcd's B waited for A and found it gone.
    assert_eq!(row("redlock")["restart_empty"]["booked"], 2);
    assert_eq!(row("etcd")["restart_empty"]["status"]["sold_out"], 1);
    assert_eq!(row("etcd")["paused_past_ttl"]["kind"], "stale_rejected");
    assert_eq!(report["paused"]["etcd_ttl_ms"], 1000);
    let note = report["faults"]["clock_jump"].as_str().unwrap();
    assert!(note.contains("early expiry standing in"), "{note}");
    // The last cell's numbers are the database's.
    let audit = app.audit(1).await;
    assert_eq!(row("etcd")["clock_jump"]["booked"], audit.booked);
    assert!(audit.clean && audit.booked == 1, "{audit:?}");
    // Every node and member is back: the lab is left as it was found.
    for port in nodes {
        assert_eq!(
            testkit::redis_query::<String>(port, &["PING"]),
            "PONG",
            "node {port}"
        );
    }
    etcd.wait_for_leader(std::time::Duration::from_secs(10))
        .await;
}
