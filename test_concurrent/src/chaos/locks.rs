//! The last check of a chaos run: is any lock still held after its TTL?
//!
//! It runs once the load has stopped, every fault is healed and one lock TTL has passed since
//! the last request, so a `lock:*` key still on a node is a lock nobody released that did not
//! expire either: a key without a TTL (PTTL -1), or one whose TTL was set later than any
//! request of the run could have set it.

use std::time::Duration;

use anyhow::Context;
use redis::Commands;
use serde::Serialize;

#[derive(Clone, Debug, Serialize)]
pub struct StuckLock {
    pub node: String,
    pub key: String,
    /// What PTTL answered: -1 means the key never expires.
    pub pttl_ms: i64,
}

/// Every `lock:*` key on the nodes at 127.0.0.1:`ports`, with its PTTL.
pub async fn scan(ports: &[u16]) -> anyhow::Result<Vec<StuckLock>> {
    let ports = ports.to_vec();
    tokio::task::spawn_blocking(move || {
        let mut stuck = Vec::new();
        for port in ports {
            stuck.extend(scan_node(port)?);
        }
        Ok(stuck)
    })
    .await
    .context("the lock scan panicked")?
}

fn scan_node(port: u16) -> anyhow::Result<Vec<StuckLock>> {
    let node = format!("127.0.0.1:{port}");
    let client = redis::Client::open(format!("redis://{node}"))?;
    let mut connection = client
        .get_connection_with_timeout(Duration::from_secs(3))
        .with_context(|| format!("could not connect to the Redis node {node} to scan its locks"))?;
    connection.set_read_timeout(Some(Duration::from_secs(3)))?;
    let keys: Vec<String> = connection
        .scan_match::<_, String>("lock:*")
        .with_context(|| format!("SCAN failed on {node}"))?
        .collect::<Result<_, _>>()
        .with_context(|| format!("SCAN failed on {node}"))?;
    let mut stuck = Vec::new();
    for key in keys {
        let pttl: i64 = connection.pttl(&key)?;
        // -2: it expired between SCAN and PTTL, as it should.
        if pttl != -2 {
            stuck.push(StuckLock {
                node: node.clone(),
                key,
                pttl_ms: pttl,
            });
        }
    }
    Ok(stuck)
}
