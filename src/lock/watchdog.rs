//! Keeping a lease alive while work runs: `extend`, and `with_lock` with its watchdog.
//!
//! A TTL has to be chosen before anyone knows how long the work will take. Too short and the
//! lock expires under a slow holder; too long and a crashed holder blocks everyone for ages. The
//! watchdog resolves it: take a short TTL and extend it every third of a TTL for as long as the
//! work runs. A crashed process stops extending, so its lock frees within one TTL.
//!
//! An extension can fail (nodes gone, or the key already expired and was taken by someone
//! else). Then the work is told through [`Lease::lost`], a cancellation token it should watch
//! before anything irreversible, and `with_lock` reports [`LockError::LeaseLost`] even if the
//! work finished: what it did may have overlapped with another holder. Only fencing tokens let
//! the storage refuse such a late write; the watchdog only makes it rare and visible.

use std::future::Future;
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use tokio_util::sync::CancellationToken;

use super::scripts::Script;
use super::{node_timeout, Lock, LockError, LockManager, RetryPolicy};

/// PEXPIREs every key that still holds our value; 1 when all of them did. KEYS: the lock's
/// keys. ARGV: value, ttl ms.
static EXTEND: Script = Script::new(
    r"
local extended = 0
for _, key in ipairs(KEYS) do
  if redis.call('GET', key) == ARGV[1] then
    extended = extended + redis.call('PEXPIRE', key, ARGV[2])
  end
end
if extended == #KEYS then
  return 1
end
return 0
",
);

/// What the work in [`LockManager::with_lock`] gets.
pub struct Lease {
    /// The lock as first acquired (its token, if any, stays the same across extensions).
    pub lock: Lock,
    /// Cancelled when the watchdog could not extend the lease in time: stop, and write nothing
    /// that another holder could be writing too.
    pub lost: CancellationToken,
}

impl LockManager {
    /// Makes the lease `ttl` long again, counted from the start of this call, on a quorum of the
    /// nodes that hold it. [`LockError::Expired`] when the nodes answered but no longer hold our
    /// value, [`LockError::QuorumNotReached`] (or [`LockError::Redis`] for one node) when too few
    /// answered.
    pub async fn extend(&self, lock: &Lock, ttl: Duration) -> Result<Lock, LockError> {
        // A fair lock lives on the first node only (see `fair.rs`).
        let nodes = if lock.fair {
            &self.nodes[..1]
        } else {
            &self.nodes[..]
        };
        let quorum = nodes.len() / 2 + 1;
        let started = Instant::now();
        let args = [lock.value.to_string(), ttl.as_millis().to_string()];
        let answers = join_all(
            nodes
                .iter()
                .map(|node| node.run::<i64>(&EXTEND, &lock.resources, &args, node_timeout(ttl))),
        )
        .await;
        let votes = answers.iter().filter(|a| matches!(a, Ok(1))).count();
        let drift = ttl / 100 + Duration::from_millis(2);
        let validity = ttl.checked_sub(started.elapsed() + drift);
        if let Some(validity) = validity.filter(|v| votes >= quorum && !v.is_zero()) {
            return Ok(Lock {
                valid_until: started + validity,
                ..lock.clone()
            });
        }
        let mut errors = answers.into_iter().filter_map(Result::err).peekable();
        let unreachable = errors.clone().count();
        if nodes.len() - unreachable < quorum {
            return Err(match (nodes.len(), errors.next()) {
                (1, Some(error)) => error,
                _ => LockError::QuorumNotReached {
                    votes,
                    quorum,
                    unreachable,
                    attempts: 1,
                },
            });
        }
        Err(LockError::Expired {
            resources: lock.resources.clone(),
        })
    }

    /// Acquires `resources`, runs `work` while a watchdog extends the lease every `ttl / 3`, then
    /// releases. `Err(LeaseLost)` when an extension failed while the work ran (the work was told
    /// through [`Lease::lost`]); if the work panics, the watchdog stops and the lease simply
    /// expires within one `ttl`.
    pub async fn with_lock<F, Fut, T>(
        &self,
        resources: &[String],
        ttl: Duration,
        retry: &RetryPolicy,
        work: F,
    ) -> Result<T, LockError>
    where
        F: FnOnce(Lease) -> Fut,
        Fut: Future<Output = T>,
    {
        let lock = self.acquire(resources, ttl, retry).await?;
        let lost = CancellationToken::new();
        let done = CancellationToken::new();
        let watchdog = tokio::spawn(watch(
            self.clone(),
            lock.clone(),
            ttl,
            lost.clone(),
            done.clone(),
        ));
        let stop_watchdog = done.drop_guard();
        let output = work(Lease {
            lock: lock.clone(),
            lost: lost.clone(),
        })
        .await;
        drop(stop_watchdog);
        let latest = watchdog.await.unwrap_or(lock);
        if lost.is_cancelled() {
            let _ = self.release(&latest).await;
            return Err(LockError::LeaseLost {
                resources: latest.resources,
            });
        }
        let _ = self.release(&latest).await;
        Ok(output)
    }
}

/// Extends `lock` every third of a TTL until `done`; cancels `lost` and stops at the first
/// extension that fails or does not answer before the lease would have run out. Returns the
/// latest lock, for the release.
async fn watch(
    locks: LockManager,
    mut lock: Lock,
    ttl: Duration,
    lost: CancellationToken,
    done: CancellationToken,
) -> Lock {
    loop {
        tokio::select! {
            _ = done.cancelled() => return lock,
            _ = tokio::time::sleep(ttl / 3) => {}
        }
        let deadline = tokio::time::Instant::from_std(lock.valid_until);
        match tokio::time::timeout_at(deadline, locks.extend(&lock, ttl)).await {
            Ok(Ok(extended)) => lock = extended,
            Ok(Err(e)) => {
                tracing::warn!(resources = ?lock.resources, error = %e, "the lease could not be extended");
                lost.cancel();
                return lock;
            }
            Err(_) => {
                tracing::warn!(resources = ?lock.resources, "the lease ran out before an extension answered");
                lost.cancel();
                return lock;
            }
        }
    }
}
