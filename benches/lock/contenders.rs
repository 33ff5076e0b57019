//! The four things measured on the same nodes: the raw Redis commands, our lock, and rslock.
//!
//! Each task works on its own key, so nobody waits for anybody: what is measured is the cost of
//! a cycle, not contention. Every contender has its own key prefix so that a key left by one
//! (a raw SET is never released) cannot refuse another.

use std::fmt;
use std::time::Duration;

use oversold::lock::{LockManager, LockValue, Release, RetryPolicy};

/// The lease every cycle asks for: far longer than a cycle, so validity never runs out.
pub const TTL: Duration = Duration::from_secs(10);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Contender {
    /// One plain `SET` per node, in parallel: the physical limit (a cycle needs two of these).
    RawSet,
    /// A `SET` and a run of the release script per node: a lock cycle with no lock logic.
    RawCycle,
    /// `LockManager::acquire` + `release` (one attempt, no waiting).
    Oversold,
    /// `rslock::LockManager::lock` + `unlock`.
    Rslock,
}

impl Contender {
    pub const ALL: [Contender; 4] = [
        Contender::RawSet,
        Contender::RawCycle,
        Contender::Oversold,
        Contender::Rslock,
    ];

    fn prefix(self) -> &'static str {
        match self {
            Contender::RawSet => "bench:raw-set",
            Contender::RawCycle => "bench:raw-cycle",
            Contender::Oversold => "bench:oversold",
            Contender::Rslock => "bench:rslock",
        }
    }

    pub fn key(self, task: usize) -> String {
        format!("{}:{task}", self.prefix())
    }
}

impl fmt::Display for Contender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Contender::RawSet => "raw SET",
            Contender::RawCycle => "raw SET + release EVAL",
            Contender::Oversold => "oversold lock",
            Contender::Rslock => "rslock",
        })
    }
}

/// The clients of one configuration (1 or 5 nodes), shared by every task.
#[derive(Clone)]
pub struct Clients {
    pub nodes: usize,
    pub ours: LockManager,
    pub rslock: rslock::LockManager,
}

impl Clients {
    pub fn new(urls: &[String]) -> Clients {
        Clients {
            nodes: urls.len(),
            ours: LockManager::from_urls(urls).expect("the node URLs are valid"),
            rslock: rslock::LockManager::new(urls.to_vec()),
        }
    }

    /// One cycle of `contender` on `key`.
    pub async fn cycle(&self, contender: Contender, key: &str) -> Result<(), String> {
        match contender {
            Contender::RawSet => {
                let ok = self
                    .ours
                    .baseline_set(key, &LockValue::random(), TTL.as_millis() as u64)
                    .await;
                self.all_nodes(ok, "SET")
            }
            Contender::RawCycle => {
                let value = LockValue::random();
                let ok = self
                    .ours
                    .baseline_set(key, &value, TTL.as_millis() as u64)
                    .await;
                self.all_nodes(ok, "SET")?;
                let deleted = self
                    .ours
                    .baseline_release(key, &value)
                    .await
                    .map_err(|e| e.to_string())?;
                self.all_nodes(deleted, "release")
            }
            Contender::Oversold => {
                let keys = [key.to_string()];
                let lock = self
                    .ours
                    .acquire(&keys, TTL, &RetryPolicy::no_wait())
                    .await
                    .map_err(|e| e.to_string())?;
                match self.ours.release(&lock).await {
                    Ok(Release::Released) => Ok(()),
                    Ok(Release::AlreadyExpired) => Err("the lease expired".into()),
                    Err(e) => Err(e.to_string()),
                }
            }
            Contender::Rslock => {
                let lock = self
                    .rslock
                    .lock(key.as_bytes(), TTL)
                    .await
                    .map_err(|e| format!("rslock: {e}"))?;
                self.rslock.unlock(&lock).await;
                Ok(())
            }
        }
    }

    fn all_nodes(&self, answered: usize, what: &str) -> Result<(), String> {
        if answered == self.nodes {
            Ok(())
        } else {
            Err(format!(
                "{what} succeeded on {answered} of {} nodes",
                self.nodes
            ))
        }
    }
}
