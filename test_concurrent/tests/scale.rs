//! 10,000 requests in one fight, at a size CI can afford: 500 in flight at a time over two
//! instances, 100 tickets. Correctness only (the timing lives in `test_concurrent bench`): every
//! request is answered, and the database holds exactly the 100 bookings, judged by the audit.
//! A lock strategy's waiter may answer 503 (its retries ran out while the queue was long): that
//! is an answer, and the one that says to try again.

use serde_json::Value;
use testkit::{on_every_database, run_binary, spawn_app, stdout_json, Backend};

const REQUESTS: u64 = 10_000;
const TICKETS: i64 = 100;

on_every_database! {
    async fn ten_thousand_requests_at_a_hundred_tickets_are_all_answered_and_book_exactly_a_hundred(backend: Backend) {
        let app = spawn_app(backend).await;
        let twin = app.spawn_twin("app-2").await;
        let targets = format!("{},{}", app.address, twin.address);
        let args: Vec<String> = [
            "--target", &targets, "--strategy", "redis", "--event", "3",
            "--requests", &REQUESTS.to_string(), "--in-flight", "500",
            "--capacity", &TICKETS.to_string(), "--race-window-ms", "0", "--json",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let output = run_binary(env!("CARGO_BIN_EXE_test_concurrent"), &args).await;
        assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));

        let report = stdout_json(&output);
        let round: &Value = &report["endpoints"][0]["rounds"][0];
        let status = &round["status"];
        let count = |k: &str| status[k].as_u64().unwrap_or_else(|| panic!("status.{k} in {round}"));
        assert_eq!(count("created"), TICKETS as u64, "{round}");
        // Every request got the server's answer: a booking, "sold out", or a lock wait that ran
        // past its retries (503, Retry-After); none timed out or lost its connection.
        assert_eq!(count("other"), 0, "every request answered: {round}");
        assert_eq!(count("stale_fence"), 0, "{round}");
        assert_eq!(count("created") + count("sold_out") + count("unavailable"), REQUESTS, "{round}");
        assert!(round["instances"]["app-1"].is_u64() && round["instances"]["app-2"].is_u64(), "both instances answered: {round}");

        let audit = app.audit(3).await;
        assert_eq!((audit.booked, audit.available), (TICKETS, 0), "{audit:?}");
        assert!(audit.clean, "{audit:?}");
    }
}
