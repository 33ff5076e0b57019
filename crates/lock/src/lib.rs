//! `oversold-lock`: a distributed lock on Redis, one node or Redlock over several.
//!
//! A lock here is a *lease*: `SET key <128-bit random value> NX PX ttl` on each node, held until
//! the holder releases it with an owner-checked script or until the TTL runs out, whichever comes
//! first. With one node that is the classic single-instance lock; with N independent nodes it is
//! Redlock: the lock is ours when a quorum of ⌊N/2⌋+1 nodes granted it, asked in parallel, and
//! its validity — the TTL minus the time the successful attempt took minus an allowance for clock
//! drift — is still positive. An attempt is decided as soon as the answers settle it (a quorum
//! granted, or no quorum can), so one silent node costs no caller its timeout (`asking.rs`). A
//! failed attempt releases whatever it did get before waiting, so a minority of stray keys never
//! blocks the next contender for a whole TTL. Release counts the same way: a lease is reported
//! released only when a quorum of nodes still held it.
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
//! use oversold_lock::{LockManager, Release, RetryPolicy};
//!
//! # async fn demo() -> Result<(), oversold_lock::LockError> {
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

mod asking;
mod command;
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

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::future::join_all;

pub use error::LockError;
pub use fencing::FencingToken;
pub use lease::{Lock, LockValue, Release};
pub use retry::RetryPolicy;
pub use watchdog::Lease;

use command::Command;
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
    nodes: Arc<[Arc<Node>]>,
    /// This process's contenders waiting for a key, woken when we release it (`wakeup.rs`).
    waiters: Arc<Waiters>,
}

/// How one node answered a PING, for a health report.
#[derive(Clone, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
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
            .map(|url| Node::new(url.as_ref()).map(Arc::new))
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

    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// How many nodes must grant a lock: a strict majority, so two holders cannot both have one.
    pub fn quorum(&self) -> usize {
        self.nodes.len() / 2 + 1
    }

    /// How long one node may take to answer a lock command for a lease of `ttl`: a fortieth of
    /// the TTL (250 ms for 10 s), between 50 ms and 500 ms. Redlock asks for a timeout small next to the TTL, so a
    /// silent node costs a sliver of the lease; and since an attempt is decided by the nodes that
    /// answer, a silent node in a minority costs nothing at all.
    pub fn node_timeout(&self, ttl: Duration) -> Duration {
        node_timeout(ttl)
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
        let with_counter: Vec<String> = if fenced {
            let mut all = vec![fencing::counter_key(&keys)];
            all.extend(keys.iter().cloned());
            all
        } else {
            Vec::new()
        };
        let ttl_ms = ttl.as_millis() as u64;
        let (n, quorum) = (self.nodes.len(), self.quorum());
        let started = Instant::now();
        let timeout = node_timeout(ttl);
        let mut attempts = 0;
        let mut listener = None;
        loop {
            attempts += 1;
            // Listening before asking, so that a release between our refusal and our sleep wakes
            // us. The first attempt, usually granted, only marks where releases stand instead
            // (`wakeup.rs`), which is one atomic read and no lock.
            let mark = self.waiters.mark(&keys);
            if attempts > 1 {
                listener = Some(self.waiters.listen(&keys));
            }
            // A value of its own per attempt: a late release of an earlier attempt can then
            // never delete what this one is granted.
            let value = LockValue::random();
            let attempt_started = Instant::now();
            // One command for every node (`command.rs`). Each answer is 0 for "refused", else
            // 1 or the token the node minted.
            let command = match (fenced, keys.as_slice()) {
                (true, _) => Command::script(
                    &fencing::ACQUIRE_FENCED,
                    &with_counter,
                    &[value.as_str(), &ttl_ms.to_string()],
                ),
                (false, [key]) => Command::set_if_absent(key, value.as_str(), ttl_ms),
                (false, _) => Command::script(
                    &scripts::ACQUIRE_ALL,
                    &keys,
                    &[value.as_str(), &ttl_ms.to_string()],
                ),
            };
            let (nodes, command) = (&self.nodes, &command);
            let no_answer = |i: usize| nodes[i].no_answer(timeout);
            let mut asking = asking::ask(n, timeout, no_answer, |i| nodes[i].acquire(command));
            asking
                .until(|a| {
                    a.count(|&t| t > 0) >= quorum || a.count(|&t| t == 0) + a.failed() > n - quorum
                })
                .await;
            if asking.answers().failed() > n - quorum {
                // Giving up: hear every node out (each on its deadline) so that the error tells
                // the whole story and every grant is known to the release below.
                asking.until(|_| false).await;
            }
            let answers = asking.answers();
            let votes = answers.count(|&t| t > 0);
            let drift = ttl / 100 + Duration::from_millis(2);
            let validity = ttl.checked_sub(attempt_started.elapsed() + drift);
            if votes >= quorum {
                if let Some(validity) = validity.filter(|v| !v.is_zero()) {
                    let token = answers.oks().max().copied();
                    // The calls still open are dropped here (see `asking.rs`).
                    drop(asking);
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
            // Undo the partial grants before waiting, so they do not block everyone else until
            // their TTL. A node that failed or is yet to answer may still apply its grant late:
            // its release, sent now, runs right after it there; only the grants are waited for.
            // A node that answered "refused" set nothing: when every node did, as on a hot
            // single-node lock, there is nothing to undo and no release to send.
            let granted = answers.nodes_where(|&t| t > 0);
            let refused = answers.count(|&t| t == 0);
            let unreachable = answers.failed();
            let first_error = answers.errors().next().cloned();
            drop(asking);
            if refused < n {
                self.release_keys(&keys, &value, timeout, &granted).await;
            }

            if n - unreachable < quorum {
                return Err(match (n, first_error) {
                    (1, Some(error)) => error,
                    _ => LockError::QuorumNotReached {
                        votes,
                        quorum,
                        unreachable,
                        attempts,
                    },
                });
            }
            let Some(wait) = retry.next_wait(attempts, started.elapsed()) else {
                return Err(if votes >= quorum {
                    LockError::Expired { resources: keys }
                } else {
                    LockError::Locked {
                        resources: keys,
                        attempts,
                        waited: started.elapsed(),
                    }
                });
            };
            let listener = match listener.as_mut() {
                Some(listener) => listener,
                None => {
                    let listener = listener.insert(self.waiters.listen(&keys));
                    if self.waiters.released_since(&keys, mark) {
                        // Released while we were asking: ask again now, not after the backoff.
                        continue;
                    }
                    listener
                }
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
    /// [`Release::Released`] when a quorum of nodes still held the lock: it was ours until now.
    /// [`Release::AlreadyExpired`] when fewer did: the lease ran out before the release (a
    /// node that kept the key longer does not count), and another holder may have had the lock
    /// in between. An error when too few nodes answered to tell. Either way our value is deleted
    /// wherever it remains; nodes that have not answered when the outcome is known get theirs in
    /// the background.
    pub async fn release(&self, lock: &Lock) -> Result<Release, LockError> {
        if lock.fair {
            return self.release_fair(lock).await;
        }
        let (n, quorum) = (self.nodes.len(), self.quorum());
        let all = lock.resources.len();
        let timeout = node_timeout(lock.valid_until.saturating_duration_since(lock.acquired_at));
        let mut asking = self.ask_release(&lock.resources, &lock.value, timeout);
        asking
            .until(|a| {
                a.count(|&deleted| deleted == all) >= quorum
                    || a.count(|&deleted| deleted < all) + a.failed() > n - quorum
            })
            .await;
        let answers = asking.answers();
        if answers.count(|&deleted| deleted > 0) > 0 {
            self.waiters.released(&lock.resources);
        }
        let held = answers.count(|&deleted| deleted == all);
        let failed = answers.failed();
        let outcome = if held >= quorum {
            Ok(Release::Released)
        } else if failed > n - quorum {
            Err(match answers.errors().next() {
                Some(error) if n == 1 => error.clone(),
                _ => LockError::QuorumNotReached {
                    votes: held,
                    quorum,
                    unreachable: failed,
                    attempts: 1,
                },
            })
        } else {
            Ok(Release::AlreadyExpired)
        };
        asking.finish_in_background();
        outcome
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
}

impl LockManager {
    /// Deletes `keys` holding `value` on every node; returns once the nodes in `wait_for` have
    /// answered, the others finishing in the background.
    async fn release_keys(
        &self,
        keys: &[String],
        value: &LockValue,
        timeout: Duration,
        wait_for: &[usize],
    ) {
        let mut asking = self.ask_release(keys, value, timeout);
        asking
            .until(|a| wait_for.iter().all(|&node| a.has_answered(node)))
            .await;
        asking.finish_in_background();
    }

    /// The release script for `keys` holding `value`, sent to every node. The calls share
    /// the one command and own what they use, so that those still open can finish in the
    /// background.
    fn ask_release(
        &self,
        keys: &[String],
        value: &LockValue,
        timeout: Duration,
    ) -> asking::Asking<
        usize,
        impl Future<Output = Result<usize, LockError>> + Send + 'static,
        impl Fn(usize) -> LockError + Send + 'static,
    > {
        let script = match keys {
            [_] => &scripts::RELEASE_ONE,
            _ => &scripts::RELEASE,
        };
        let command = Arc::new(Command::script(script, keys, &[value.as_str()]));
        let nodes = self.nodes.clone();
        let no_answer = move |i: usize| nodes[i].no_answer(timeout);
        asking::ask(self.nodes.len(), timeout, no_answer, |i| {
            let (node, command) = (self.nodes[i].clone(), command.clone());
            async move { node.send(&command).await }
        })
    }
}

/// Redlock asks for a per-node timeout small next to the TTL, so one silent node costs a
/// fraction of the lease rather than all of it. A fortieth, not less: a hundredth (100 ms for
/// 10 s) turned a busy machine's scheduling stalls into "Redis unreachable" answers, seen on two
/// cores shared by builds, tests and five redis-servers; 2.5 % of the lease still leaves almost
/// all of it to the holder.
fn node_timeout(ttl: Duration) -> Duration {
    (ttl / 40).clamp(MIN_NODE_TIMEOUT, MAX_NODE_TIMEOUT)
}
