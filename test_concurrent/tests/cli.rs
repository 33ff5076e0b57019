//! `test_concurrent` end to end: the built binary against the real app (port 0, real Redis, real
//! database), its JSON and exit status checked against the audit read from the database.

use std::process::Output;

use serde_json::Value;
use testkit::{free_port, on_every_database, run_binary, spawn_app, stdout_json, Backend};

async fn test_concurrent(args: &[String]) -> Output {
    run_binary(env!("CARGO_BIN_EXE_test_concurrent"), args).await
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|a| a.to_string()).collect()
}

/// Every request lands in exactly one status count.
fn assert_counts_add_up(round: &Value, requests: u64) {
    let status = &round["status"];
    let sum: u64 = ["created", "sold_out", "stale_fence", "unavailable", "other"]
        .iter()
        .map(|k| {
            status[k]
                .as_u64()
                .unwrap_or_else(|| panic!("status.{k} in {round}"))
        })
        .sum();
    assert_eq!(sum, requests, "{round}");
}

on_every_database! {
    async fn the_default_run_shows_no_lock_oversold_and_with_lock_exactly_one(backend: Backend) {
        let app = spawn_app(backend).await;
        // No knobs: the server's default race window makes the no-lock race certain.
        let output = test_concurrent(&strings(&["--target", &app.address, "--json"])).await;

        assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
        let report = stdout_json(&output);
        assert_eq!(report["ok"], true);
        assert_eq!(report["targets"], serde_json::json!([app.address]));
        assert_eq!((report["event"].as_i64(), report["requests"].as_i64(), report["capacity"].as_i64()), (Some(1), Some(10), Some(1)));
        let no_lock = &report["endpoints"][0];
        let with_lock = &report["endpoints"][1];
        assert_eq!((no_lock["endpoint"].as_str(), with_lock["endpoint"].as_str()), (Some("no-lock"), Some("with-lock")));
        assert_eq!((no_lock["protected"].as_bool(), with_lock["protected"].as_bool()), (Some(false), Some(true)));
        assert_eq!(no_lock["path"], "/book-no-lock/{id}");
        let round = &no_lock["rounds"][0];
        assert!(round["oversold"].as_i64().unwrap() >= 1, "{no_lock}");
        assert!(round["verdict"].as_str().unwrap().starts_with("OVERSOLD by"), "{round}");
        assert_eq!(no_lock["oversold_rounds"], 1);
        assert_counts_add_up(round, 10);

        let round = &with_lock["rounds"][0];
        assert_eq!(round["booked"], 1, "{round}");
        assert_eq!(round["clean"], true);
        assert_eq!(round["status"]["created"], 1);
        assert_eq!(round["status"]["sold_out"], 9);
        assert_eq!(round["instances"]["app-1"], 1);
        assert_eq!(round["verdict"], "exactly one booking");
        assert_eq!(with_lock["correct_rounds"], 1);
        assert_counts_add_up(round, 10);
        // with-lock ran last: the database holds exactly what the JSON says.
        let audit = app.audit(1).await;
        assert_eq!(round["capacity"], audit.capacity);
        assert_eq!(round["booked"], audit.booked);
        assert_eq!(round["available"], audit.available);
        assert_eq!(round["oversold"], audit.oversold);
        assert_eq!(round["lost_updates"], audit.lost_updates);
        assert_eq!(round["clean"], audit.clean);
    }
}

on_every_database! {
    async fn requests_are_spread_over_two_targets_and_repeat_counts_every_round(backend: Backend) {
        let app = spawn_app(backend).await;
        let twin = app.spawn_twin("app-2").await;
        let output = test_concurrent(&strings(&[
            "--target", &app.address, "--target", &twin.address,
            "--endpoint", "no-lock,with-lock", "--repeat", "2", "--json", "--race-window-ms", "300",
        ]))
        .await;

        assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
        let report = stdout_json(&output);
        assert_eq!(report["targets"].as_array().unwrap().len(), 2);
        let no_lock = &report["endpoints"][0];
        assert_eq!(no_lock["rounds"].as_array().unwrap().len(), 2);
        assert_eq!(no_lock["oversold_rounds"], 2);
        // Round-robin: every no-lock request books, five through each instance.
        let served = no_lock["rounds"][0]["instances"].as_object().unwrap();
        assert_eq!((served["app-1"].as_i64(), served["app-2"].as_i64()), (Some(5), Some(5)), "{served:?}");
        let with_lock = &report["endpoints"][1];
        assert_eq!(with_lock["correct_rounds"], 2);
        let audit = app.audit(1).await;
        assert_eq!((audit.booked, audit.clean), (1, true));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("2/4"), "progress is shown on stderr: {stderr}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_protected_strategy_that_oversells_makes_the_exit_status_1() {
    let app = spawn_app(Backend::Sqlite).await;
    let twin = app.spawn_twin("app-2").await;
    // local-mutex claims protection but lives in one process: over two instances it oversells.
    let targets = format!("{},{}", app.address, twin.address);
    let output = test_concurrent(&strings(&[
        "--target",
        &targets,
        "--strategy",
        "local-mutex",
        "--race-window-ms",
        "300",
    ]))
    .await;

    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("OVERSOLD by 1"), "{stdout}");
    assert!(stdout.contains("FAILED"), "{stdout}");
    assert_eq!(app.audit(1).await.oversold, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_target_exits_2_and_says_to_run_start_sh() {
    let nowhere = format!("http://127.0.0.1:{}", free_port());
    let output = test_concurrent(&strings(&["--target", &nowhere])).await;

    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        stderr.trim_end(),
        format!(
            "error: cannot reach {nowhere} (connection refused). \
             Is the lab running? Start it with ./start.sh"
        )
    );
    assert!(output.stdout.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_target_is_checked_before_anything_is_reset() {
    let app = spawn_app(Backend::Sqlite).await;
    app.post("/book-no-lock/1?race_window_ms=0", None).await;
    let nowhere = format!("http://127.0.0.1:{}", free_port());
    let output = test_concurrent(&strings(&[
        "--target",
        &format!("{},{nowhere}", app.address),
    ]))
    .await;

    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!("cannot reach {nowhere}")) && stderr.contains("./start.sh"),
        "{stderr}"
    );
    assert_eq!(app.audit(1).await.booked, 1, "the event was not reset");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_flags_and_unknown_names_exit_2_and_change_nothing() {
    let app = spawn_app(Backend::Sqlite).await;
    app.post("/book-no-lock/1?race_window_ms=0", None).await;
    for (args, says) in [
        (vec!["--requests", "0"], "--requests"),
        (vec!["--requests", "10001"], "--requests"),
        (vec!["--endpoint", "maybe-lock"], "--endpoint"),
        (vec!["--strategy", "no-such-strategy"], "unknown strategy"),
        (vec!["--event", "999"], "event 999 does not exist"),
        (
            vec!["--target", "localhost:8080"],
            "must start with http://",
        ),
    ] {
        let mut full = strings(&["--target", &app.address]);
        full.extend(strings(&args));
        let output = test_concurrent(&full).await;
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(says), "{args:?} says why: {stderr}");
        assert!(output.stdout.is_empty(), "{args:?}");
    }
    // Nothing was reset: the booking made before is still there.
    assert_eq!(app.audit(1).await.booked, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_matrix_measures_each_strategy_against_its_expected_row() {
    let app = spawn_app(Backend::Sqlite).await;
    let twin = app.spawn_twin("app-2").await;
    let targets = format!("{},{}", app.address, twin.address);
    let output = test_concurrent(&strings(&[
        "matrix",
        "--target",
        &targets,
        "--strategy",
        "local-mutex,fenced",
        "--race-window-ms",
        "300",
        "--json",
    ]))
    .await;

    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report = stdout_json(&output);
    let cell = |row: usize, column: &str| report["matrix"][row][column].clone();
    assert_eq!(cell(0, "one_instance")["kind"], "safe");
    assert_eq!(cell(0, "two_instances")["kind"], "oversells");
    assert_eq!(cell(0, "two_instances")["expected"], "oversells");
    assert_eq!(cell(0, "paused_past_ttl")["kind"], "safe");
    assert_eq!(cell(1, "paused_past_ttl")["kind"], "stale_rejected");
    assert!(
        cell(1, "paused_past_ttl")["status"]["stale_fence"]
            .as_u64()
            .unwrap()
            >= 1
    );
    assert_eq!(report["ok"], true);
    // The last cell's numbers are the database's.
    let audit = app.audit(1).await;
    assert_eq!(cell(1, "paused_past_ttl")["booked"], audit.booked);
}
