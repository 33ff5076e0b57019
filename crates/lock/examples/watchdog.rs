//! A long job under a short lease: `with_lock` and its watchdog.
//!
//! A nightly report is written in parts by whichever instance gets the lock. Nobody knows how
//! long the job takes, so instead of a TTL longer than the worst case (which would block the
//! others for that long after a crash) it takes a 2 s lease and lets the watchdog extend it
//! while the job runs. Before each part, the irreversible step, it checks whether the lease was
//! lost; a lost lease also turns the result into `LockError::LeaseLost`, so the caller knows the
//! parts may have overlapped with another instance's.
//!
//! Run it against one Redis, or several (Redlock), comma-separated:
//! `REDIS_URLS=redis://127.0.0.1:6379 cargo run -p oversold-lock --example watchdog`.
//! Pause the node meanwhile (`kill -STOP`) for less than a second and the job carries on: the
//! watchdog retries while the lease is still valid. Pause it for longer and the job stops at
//! its next part.

use std::time::Duration;

use oversold_lock::{LockError, LockManager, RetryPolicy};

const PARTS: u32 = 10;

#[tokio::main]
async fn main() -> Result<(), LockError> {
    let urls: Vec<String> = std::env::var("REDIS_URLS")
        .unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
        .split(',')
        .map(str::to_string)
        .collect();
    let locks = LockManager::from_urls(&urls)?;
    let ttl = Duration::from_secs(2);
    let resources = ["lock:nightly-report".to_string()];

    let outcome = locks
        .with_lock(
            &resources,
            ttl,
            &RetryPolicy::default(),
            |lease| async move {
                let mut written = 0;
                for part in 1..=PARTS {
                    // The slow part (a query, a render): ten of them outlast the TTL several times.
                    tokio::time::sleep(ttl / 2).await;
                    if lease.lost.is_cancelled() {
                        eprintln!("lease lost before part {part}: stopping");
                        break;
                    }
                    println!("part {part} of {PARTS} written");
                    written += 1;
                }
                written
            },
        )
        .await;

    match outcome {
        Ok(written) => println!("report done: {written} parts under one lease"),
        Err(LockError::LeaseLost { .. }) => {
            eprintln!("the lease was lost midway: another instance may have written parts too")
        }
        Err(e) => return Err(e),
    }
    Ok(())
}
