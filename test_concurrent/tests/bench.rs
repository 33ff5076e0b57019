//! `test_concurrent bench` end to end: a short run against the real app (port 0, real Redis,
//! SQLite), its JSON checked for shape and against the audit read from the database. No timing
//! is asserted: only that the figures are well-formed and agree with what the database holds.

use testkit::{run_binary, spawn_app, stdout_json, Backend};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_short_bench_reports_every_cell_consistently_with_the_database_and_writes_the_report() {
    let app = spawn_app(Backend::Sqlite).await;
    let dir = std::env::temp_dir().join(format!("oversold-bench-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let report = dir.join("BENCHMARKS.md");
    let charts = dir.join("charts");
    let args: Vec<String> = [
        "bench",
        "--target",
        &app.address,
        "--strategy",
        "no-lock,redis,pg-advisory",
        "--concurrency",
        "1,4",
        "--seconds",
        "0.3",
        // The extras have a test of their own.
        "--hot-concurrency",
        "0",
        "--wave-requests",
        "0",
        "--race-rounds",
        "0",
        "--json",
        "--report",
        report.to_str().unwrap(),
        "--charts",
        charts.to_str().unwrap(),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let output = run_binary(env!("CARGO_BIN_EXE_test_concurrent"), &args).await;

    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("8/8"),
        "progress is shown on stderr: {stderr}"
    );
    let run = stdout_json(&output);
    assert_eq!(run["ok"], true);
    assert_eq!(run["race_window_ms"], 0);
    assert_eq!(
        run["skipped"][0]["strategy"], "pg-advisory",
        "pg-advisory cannot run on SQLite: {}",
        run["skipped"]
    );

    let cells = run["cells"].as_array().unwrap();
    assert_eq!(
        cells.len(),
        2 * 2 * 2,
        "2 strategies × 2 scenarios × 2 concurrencies"
    );
    for cell in cells {
        let n = |k: &str| cell[k].as_f64().unwrap_or_else(|| panic!("{k} in {cell}"));
        let status = &cell["answers"]["status"];
        let answered: u64 = ["created", "sold_out", "stale_fence", "unavailable", "other"]
            .iter()
            .map(|k| status[k].as_u64().unwrap())
            .sum();
        assert_eq!(answered as f64, n("requests"), "{cell}");
        assert_eq!(status["created"].as_f64(), Some(n("booked")), "{cell}");
        assert_eq!(
            n("booked"),
            n("db_booked"),
            "the database holds the 201s: {cell}"
        );
        assert!(n("booked") >= 1.0 && n("throughput") > 0.0, "{cell}");
        assert!(n("p50_ms") > 0.0 && n("p50_ms") <= n("p99_ms"), "{cell}");
        let locked = cell["strategy"] == "redis";
        assert_eq!(
            cell["mean_hold_ms"].is_number(),
            locked,
            "hold times come from redis's traces: {cell}"
        );
        let hot = cell["scenario"] == "hot";
        assert_eq!(
            cell["handoff_efficiency"].is_number(),
            locked && hot,
            "{cell}"
        );
        if locked && hot {
            let e = n("handoff_efficiency");
            // The share of time a lock is held cannot exceed 1 (allowing for clock rounding).
            assert!(e > 0.0 && e <= 1.05, "{cell}");
        }
    }

    // The last cells on the hot event and on the per-client events were redis's: the database
    // still holds exactly what they reported.
    let last = |scenario: &str| {
        cells
            .iter()
            .rev()
            .find(|c| c["scenario"] == scenario)
            .unwrap()
            .clone()
    };
    for scenario in ["hot", "no-contention"] {
        let cell = last(scenario);
        assert_eq!(cell["strategy"], "redis");
        let mut booked = 0;
        for event in cell["events"].as_array().unwrap() {
            let audit = app.audit(event.as_i64().unwrap()).await;
            assert!(audit.clean, "{audit:?}");
            booked += audit.booked;
        }
        assert_eq!(Some(booked), cell["booked"].as_i64(), "{cell}");
    }

    let text = std::fs::read_to_string(&report).unwrap();
    assert!(
        text.contains("<!-- begin strategies -->") && text.contains("### One hot event"),
        "{text}"
    );
    assert!(
        text.contains("Reproduce: `cargo run --release -p test_concurrent -- bench"),
        "{text}"
    );
    for chart in ["strategies-hot.svg", "strategies-no-contention.svg"] {
        let svg = std::fs::read_to_string(charts.join(chart)).unwrap();
        assert!(svg.starts_with("<svg") && svg.contains("redis"), "{chart}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_limits_the_waves_and_the_race_are_measured_in_the_same_run_and_agree_with_the_audit() {
    let app = spawn_app(Backend::Sqlite).await;
    let args: Vec<String> = [
        "bench",
        "--target",
        &app.address,
        "--strategy",
        "atomic,batched,redis",
        "--scenario",
        "hot",
        "--concurrency",
        "1,4",
        "--hot-concurrency",
        "16",
        "--seconds",
        "0.3",
        "--database-url",
        &app.database.url,
        "--wave-requests",
        "300",
        "--wave-in-flight",
        "60",
        "--wave-tickets",
        "7",
        "--race-rounds",
        "3",
        "--many-events",
        "3000",
        "--json",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let output = run_binary(env!("CARGO_BIN_EXE_test_concurrent"), &args).await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let run = stdout_json(&output);
    assert_eq!(run["ok"], true);
    assert_eq!(
        run["cells"].as_array().unwrap().len(),
        3 * 3,
        "{}",
        run["cells"]
    );

    // The database's own limit: the audit counted every committed transaction, and the loop
    // left its event as it found it.
    let database = run["database"].as_array().unwrap();
    assert_eq!(database.len(), 2, "1 and 4 tasks: {database:?}");
    for cell in database {
        assert!(cell["booked"].as_u64().unwrap() > 0, "{cell}");
        assert_eq!(
            cell["booked"].as_i64(),
            cell["db_booked"].as_i64(),
            "{cell}"
        );
    }
    let ceiling = run["ceiling"].as_array().unwrap();
    let measured: Vec<u64> = ceiling
        .iter()
        .map(|c| c["concurrency"].as_u64().unwrap())
        .collect();
    assert_eq!(measured, [1, 4, 16]);
    assert!(ceiling
        .iter()
        .all(|c| c["failed"] == 0 && c["per_second"].as_f64().unwrap() > 0.0));

    // The waves: exactly the tickets booked, everybody answered, nothing more once sold out.
    let waves = &run["waves"];
    let selling = &waves["selling"];
    assert_eq!(selling["all_answered"], true);
    assert_eq!(selling["answers"]["status"]["created"], 7, "{selling}");
    assert_eq!(
        selling["answers"]["status"]["sold_out"],
        300 - 7,
        "{selling}"
    );
    assert_eq!(selling["audit"]["booked"], 7);
    assert_eq!(waves["sold_out"]["answers"]["status"]["sold_out"], 300);
    assert_eq!(waves["reads"]["all_answered"], true);
    let wave_event = selling["audit"]["event_id"].as_i64().unwrap();
    let audit = app.audit(wave_event).await;
    assert!(audit.clean && audit.booked == 7, "{audit:?}");

    // The many events were in the lab while the routes were timed, and are gone again.
    let many = &run["many_events"];
    assert_eq!(many["inserted"], 3000, "{many}");
    assert!(many["events"].as_i64().unwrap() >= 3000, "{many}");
    let routes: Vec<&str> = many["routes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["route"].as_str().unwrap())
        .collect();
    assert_eq!(routes, ["/", "/events", "/metrics"]);
    let total = app.get("/events").await.headers()["x-total-count"]
        .to_str()
        .unwrap()
        .parse::<i64>()
        .unwrap();
    assert!(
        total < 3000,
        "the bench deleted the events it inserted: {total} left"
    );

    assert_eq!(run["race"]["rounds"], 3);
    assert!(run["race"]["oversold_rounds"].as_u64().unwrap() <= 3);
    let targets = run["issue_targets"].as_array().unwrap();
    let whats: Vec<&str> = targets
        .iter()
        .map(|t| t["what"].as_str().unwrap())
        .collect();
    for part in [
        "database's own rate",
        "redis / atomic",
        "batched / atomic, hot event, 16 clients",
        "sold-out wave",
        "300 requests, 60 in flight, 7 tickets",
        "no-lock",
        "GET /metrics",
    ] {
        assert!(
            whats.iter().any(|w| w.contains(part)),
            "{part} in {whats:?}"
        );
    }
    assert!(
        targets.iter().all(|t| t["measured"].is_string()),
        "every target measured: {targets:?}"
    );
}
