//! A distributed lock on Redis: one node, or Redlock over several, free of HTTP and SQL.
//!
//! A lock here is a *lease*: `SET key <128-bit random value> NX PX ttl` on each node, held until
//! the holder releases it with an owner-checked script or until the TTL runs out, whichever comes
//! first. With one node that is the classic single-instance lock; with N independent nodes it is
//! Redlock: the lock is ours when a quorum of ⌊N/2⌋+1 nodes granted it, asked in parallel, and
//! its validity — the TTL minus the time the successful attempt took minus an allowance for clock
//! drift — is still positive. A failed attempt releases whatever it did get before waiting, so a
//! minority of stray keys never blocks the next contender for a whole TTL.
//!
//! What it cannot do is stop a holder that pauses (GC, SIGSTOP, a slow disk) past its lease from
//! acting as if it still held the lock. No lock can: the storage it protects has to reject late
//! writers, which is what fencing tokens are for ([`acquire_fenced`](LockManager::acquire_fenced),
//! `fencing.rs`). Also here: [`extend`](LockManager::extend) and
//! [`with_lock`](LockManager::with_lock) with a watchdog (`watchdog.rs`), and a fair FIFO lock
//! whose waiters are woken at hand-over ([`acquire_fair`](LockManager::acquire_fair), `fair.rs`).
//!
//! ```no_run
//! use std::time::Duration;
//! use oversold::lock::{LockManager, Release, RetryPolicy};
//!
//! # async fn demo() -> Result<(), oversold::lock::LockError> {
//! let nodes = LockManager::from_urls(&["redis://127.0.0.1:7001", "redis://127.0.0.1:7002", "redis://127.0.0.1:7003"])?;
//! let lock = nodes
//!     .acquire(&["lock:event:1".to_string()], Duration::from_secs(10), &RetryPolicy::default())
//!     .await?;
//! // ... the work the lock protects, finished well before lock.valid_until ...
//! if nodes.release(&lock).await? == Release::AlreadyExpired {
//!     eprintln!("the lease ran out first: someone else may have held the lock meanwhile");
//! }
//!
//! // Long work on a short lease: a watchdog extends it and says so if it is lost.
//! let rows = nodes
//!     .with_lock(&["lock:report".to_string()], Duration::from_secs(2), &RetryPolicy::default(), |lease| async move {
//!         // ... before anything irreversible: if lease.lost.is_cancelled() { stop }
//!         lease.lock.resources.len()
//!     })
//!     .await?;
//! # let _ = rows;
//! # Ok(())
//! # }
//! ```

mod baseline;
mod connection;
mod error;
mod fair;
mod fencing;
mod lease;
mod node;
mod retry;
mod scripts;
mod wakeup;
mod watchdog;

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::future::join_all;

pub use error::LockError;
pub use fencing::FencingToken;
pub use lease::{Lock, LockValue, Release};
pub use retry::RetryPolicy;
pub use watchdog::Lease;

use node::Node;
use wakeup::Waiters;

/// The longest a single node may take to answer one lock command. A paused node would otherwise
/// hold every caller for as long as it is paused.
const MAX_NODE_TIMEOUT: Duration = Duration::from_millis(500);
/// The shortest: below this a busy two-core machine turns healthy nodes into "unreachable" ones.
const MIN_NODE_TIMEOUT: Duration = Duration::from_millis(50);

/// The Redis nodes a lock is taken on, and the quorum that must agree. Cheap to clone.
#[derive(Clone)]
pub struct LockManager {
    nodes: Arc<[Node]>,
    /// This process's contenders waiting for a key, woken when we release it (`wakeup.rs`).
    waiters: Arc<Waiters>,
}

/// How one node answered a PING, for `/health` and the dashboard.
#[derive(Clone, Debug, serde::Serialize)]
pub struct NodeHealth {
    /// The node's URL without credentials.
    pub url: String,
    pub up: bool,
    pub latency_ms: Option<f64>,
    pub error: Option<String>,
}

impl LockManager {
    /// One node per URL (`redis://host:port`). Nothing is sent yet: a node that is down is
    /// reported by [`health`](Self::health) and [`acquire`](Self::acquire), not here.
    pub fn from_urls<S: AsRef<str>>(urls: &[S]) -> Result<LockManager, LockError> {
        if urls.is_empty() {
            return Err(LockError::InvalidUrl {
                url: String::new(),
                message: "no Redis node was given".into(),
            });
        }
        let nodes = urls
            .iter()
            .map(|url| Node::new(url.as_ref()))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(LockManager {
            nodes: nodes.into(),
            waiters: Arc::default(),
        })
    }

    /// A manager over the first node alone, sharing its connections: the single-node lock.
    pub fn first_node(&self) -> LockManager {
        LockManager {
            nodes: self.nodes[..1].to_vec().into(),
            waiters: Arc::default(),
        }
    }

    pub fn node_timeout(&self, ttl: Duration) -> Duration {
        node_timeout(ttl)
    }

    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// How many nodes must grant a lock: a strict majority, so two holders cannot both have one.
    pub fn quorum(&self) -> usize {
        self.nodes.len() / 2 + 1
    }

    /// Takes every resource (Redis key) for `ttl`, retrying a busy lock as `retry` allows.
    ///
    /// Returns when a quorum granted all the resources and the lease still has time left, or
    /// fails with [`LockError::Locked`] when the budget ran out, at once with
    /// [`LockError::QuorumNotReached`] (or [`LockError::Redis`] for one node) when too few nodes
    /// answer for a quorum to be possible, and with [`LockError::Expired`] when attempts kept
    /// succeeding too late to leave any validity.
    pub async fn acquire(
        &self,
        resources: &[String],
        ttl: Duration,
        retry: &RetryPolicy,
    ) -> Result<Lock, LockError> {
        self.acquire_as(resources, ttl, retry, false).await
    }

    /// [`acquire`](Self::acquire), and mint a [`FencingToken`] in the same step on every node:
    /// the lock's `token` is larger than any earlier holder's (see [`fencing`](self) docs in
    /// `fencing.rs` for why, and where that would not hold).
    pub async fn acquire_fenced(
        &self,
        resources: &[String],
        ttl: Duration,
        retry: &RetryPolicy,
    ) -> Result<Lock, LockError> {
        self.acquire_as(resources, ttl, retry, true).await
    }

    async fn acquire_as(
        &self,
        resources: &[String],
        ttl: Duration,
        retry: &RetryPolicy,
        fenced: bool,
    ) -> Result<Lock, LockError> {
        let mut keys = resources.to_vec();
        // One fixed order everywhere, so two multi-resource contenders cannot deadlock-by-halves.
        keys.sort();
        keys.dedup();
        let value = LockValue::random();
        let started = Instant::now();
        let timeout = node_timeout(ttl);
        let mut attempts = 0;
        loop {
            attempts += 1;
            // Listening before asking, so a release between our refusal and our sleep wakes us.
            let mut listener = self.waiters.listen(&keys);
            let attempt_started = Instant::now();
            // Each answer is 0 for "refused", else 1 or the token the node minted.
            let answers = join_all(self.nodes.iter().map(|node| async {
                if fenced {
                    let mut all = vec![fencing::counter_key(&keys)];
                    all.extend(keys.iter().cloned());
                    let args = [value.to_string(), ttl.as_millis().to_string()];
                    node.run::<u64>(&fencing::ACQUIRE_FENCED, &all, &args, timeout)
                        .await
                } else {
                    node.try_acquire(&keys, &value, ttl, timeout)
                        .await
                        .map(u64::from)
                }
            }))
            .await;
            let votes = answers
                .iter()
                .filter(|a| matches!(a, Ok(n) if *n > 0))
                .count();
            let token = answers
                .iter()
                .filter_map(|a| a.as_ref().ok())
                .max()
                .copied();
            let drift = ttl / 100 + Duration::from_millis(2);
            let validity = ttl.checked_sub(attempt_started.elapsed() + drift);
            if votes >= self.quorum() {
                if let Some(validity) = validity.filter(|v| !v.is_zero()) {
                    return Ok(Lock {
                        resources: keys,
                        value,
                        acquired_at: attempt_started,
                        valid_until: attempt_started + validity,
                        attempts,
                        waited: started.elapsed(),
                        token: token.filter(|_| fenced).map(FencingToken),
                        fair: false,
                    });
                }
            }
            // Undo the partial grants (and any a timed-out node applied after all) before
            // waiting, so they do not block everyone else until their TTL.
            self.release_keys(&keys, &value).await;

            let unreachable: Vec<&LockError> =
                answers.iter().filter_map(|a| a.as_ref().err()).collect();
            if self.nodes.len() - unreachable.len() < self.quorum() {
                return Err(match (self.nodes.len(), unreachable.first()) {
                    (1, Some(&error)) => error.clone(),
                    _ => LockError::QuorumNotReached {
                        votes,
                        quorum: self.quorum(),
                        unreachable: unreachable.len(),
                        attempts,
                    },
                });
            }
            let Some(wait) = retry.next_wait(attempts, started.elapsed()) else {
                return Err(if votes >= self.quorum() {
                    LockError::Expired { resources: keys }
                } else {
                    LockError::Locked {
                        resources: keys,
                        attempts,
                        waited: started.elapsed(),
                    }
                });
            };
            // The backoff bounds the wait; a release by this process ends it early.
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = listener.released() => {}
            }
        }
    }

    /// Deletes the lock's keys on every node where they still hold its value.
    ///
    /// [`Release::AlreadyExpired`] means no node still held them: the lease ran out before the
    /// release, and another holder may have had the lock in between. An error only when no node
    /// could be asked at all.
    pub async fn release(&self, lock: &Lock) -> Result<Release, LockError> {
        if lock.fair {
            return self.release_fair(lock).await;
        }
        let answers = self.release_keys(&lock.resources, &lock.value).await;
        if answers
            .iter()
            .any(|a| matches!(a, Ok(deleted) if *deleted > 0))
        {
            self.waiters.released(&lock.resources);
            return Ok(Release::Released);
        }
        let failed = answers.iter().filter(|a| a.is_err()).count();
        match answers.into_iter().find_map(Result::err) {
            Some(error) if self.nodes.len() == 1 => Err(error),
            Some(_) if failed == self.nodes.len() => Err(LockError::QuorumNotReached {
                votes: 0,
                quorum: self.quorum(),
                unreachable: failed,
                attempts: 1,
            }),
            _ => Ok(Release::AlreadyExpired),
        }
    }

    /// Pings every node in parallel.
    pub async fn health(&self) -> Vec<NodeHealth> {
        join_all(self.nodes.iter().map(|node| async move {
            match node.ping(MAX_NODE_TIMEOUT).await {
                Ok(latency) => NodeHealth {
                    url: node.url.clone(),
                    up: true,
                    latency_ms: Some(latency.as_secs_f64() * 1000.0),
                    error: None,
                },
                Err(e) => NodeHealth {
                    url: node.url.clone(),
                    up: false,
                    latency_ms: None,
                    error: Some(e.to_string()),
                },
            }
        }))
        .await
    }

    async fn release_keys(
        &self,
        keys: &[String],
        value: &LockValue,
    ) -> Vec<Result<usize, LockError>> {
        join_all(
            self.nodes
                .iter()
                .map(|node| node.release(keys, value, MAX_NODE_TIMEOUT)),
        )
        .await
    }
}

/// Redlock asks for a per-node timeout small next to the TTL, so one silent node costs a
/// fraction of the lease rather than all of it.
fn node_timeout(ttl: Duration) -> Duration {
    (ttl / 10).clamp(MIN_NODE_TIMEOUT, MAX_NODE_TIMEOUT)
}
