//! Keeping a lease alive while work runs: `extend`, and `with_lock` with its watchdog.
//!
//! A TTL has to be chosen before anyone knows how long the work will take. Too short and the
//! lock expires under a slow holder; too long and a crashed holder blocks everyone for ages. The
//! watchdog resolves it: take a short TTL and extend it every third of a TTL for as long as the
//! work runs. A crashed process stops extending, so its lock frees within one TTL.
//!
//! An extension can fail. When the nodes merely did not answer (a paused node, a dropped
//! connection), the lease is still ours until `valid_until`, so the watchdog tries again, every
//! tenth of a TTL, for as long as the lease is valid, as node-redlock does. The holder is told
//! only when the lease is really gone: validity ran out with no extension, or a quorum of nodes
//! answered that they no longer hold our value. Then the work learns it through [`Lease::lost`],
//! a cancellation token it should watch before anything irreversible, and `with_lock` reports
//! [`LockError::LeaseLost`] even if the work finished: what it did may have overlapped with
//! another holder. Only fencing tokens let the storage refuse such a late write; the watchdog
//! only makes it rare and visible.

use std::future::Future;
use std::sync::LazyLock;
use std::time::{Duration, Instant};

use redis::Script;
use tokio_util::sync::CancellationToken;

use super::asking;
use super::command::Command;
use super::{node_timeout, Lock, LockError, LockManager, RetryPolicy};

/// PEXPIREs every key that still holds our value; 1 when all of them did. KEYS: the lock's
/// keys. ARGV: value, ttl ms.
pub(crate) static EXTEND: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
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
    )
});

/// What the work in [`LockManager::with_lock`] gets.
pub struct Lease {
    /// The lock as first acquired (its token, if any, stays the same across extensions).
    pub lock: Lock,
    /// Cancelled when the lease was lost (see the module docs): stop, and write nothing that
    /// another holder could be writing too.
    pub lost: CancellationToken,
}

impl LockManager {
    /// Makes the lease `ttl` long again, counted from the start of this call, on a quorum of the
    /// nodes that hold it. [`LockError::Expired`] when a quorum of nodes answered that they no
    /// longer hold our value (the lease is gone for good), [`LockError::QuorumNotReached`] (or
    /// [`LockError::Redis`] for one node) when too few answered to tell.
    pub async fn extend(&self, lock: &Lock, ttl: Duration) -> Result<Lock, LockError> {
        // A fair lock lives on the first node only (see `fair.rs`).
        let nodes = if lock.fair {
            &self.nodes[..1]
        } else {
            &self.nodes[..]
        };
        let (n, quorum) = (nodes.len(), nodes.len() / 2 + 1);
        let started = Instant::now();
        let args = [lock.value.to_string(), ttl.as_millis().to_string()];
        let timeout = node_timeout(ttl);
        let command = &Command::script(&EXTEND, &lock.resources, &[&args[0], &args[1]]);
        let no_answer = |i: usize| nodes[i].no_answer(timeout);
        let mut asking = asking::ask(nodes.len(), timeout, no_answer, |i| async move {
            nodes[i].send::<i64>(command).await
        });
        asking
            .until(|a| {
                a.count(|&x| x == 1) >= quorum || a.count(|&x| x != 1) + a.failed() > n - quorum
            })
            .await;
        let answers = asking.answers();
        let votes = answers.count(|&x| x == 1);
        let drift = ttl / 100 + Duration::from_millis(2);
        let validity = ttl.checked_sub(started.elapsed() + drift);
        if let Some(validity) = validity.filter(|v| votes >= quorum && !v.is_zero()) {
            return Ok(Lock {
                valid_until: started + validity,
                ..lock.clone()
            });
        }
        if answers.count(|&x| x != 1) > n - quorum {
            return Err(LockError::Expired {
                resources: lock.resources.clone(),
            });
        }
        let unreachable = answers.failed();
        let error = match answers.errors().next() {
            Some(error) if n == 1 => error.clone(),
            _ => LockError::QuorumNotReached {
                votes,
                quorum,
                unreachable,
                attempts: 1,
            },
        };
        Err(error)
    }

    /// Acquires `resources`, runs `work` while a watchdog extends the lease every `ttl / 3`, then
    /// releases. `Err(LeaseLost)` when the lease was lost while the work ran (the work was told
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

/// Extends `lock` every third of a TTL until `done`. A failed extension is tried again every
/// tenth of a TTL while the lease is valid; `lost` is cancelled when validity runs out first or
/// the nodes say the lease is gone. Returns the latest lock, for the release.
async fn watch(
    locks: LockManager,
    mut lock: Lock,
    ttl: Duration,
    lost: CancellationToken,
    done: CancellationToken,
) -> Lock {
    let retry_every = (ttl / 10).max(Duration::from_millis(5));
    let mut next = Instant::now() + ttl / 3;
    loop {
        tokio::select! {
            _ = done.cancelled() => return lock,
            _ = tokio::time::sleep_until(next.into()) => {}
        }
        let valid_until = tokio::time::Instant::from_std(lock.valid_until);
        let outcome = tokio::time::timeout_at(valid_until, locks.extend(&lock, ttl)).await;
        match outcome {
            Ok(Ok(extended)) => {
                lock = extended;
                next = Instant::now() + ttl / 3;
            }
            // The nodes answered: our value is gone from a quorum, and no retry brings it back.
            Ok(Err(LockError::Expired { .. })) => break,
            // No answer in time: still ours until `valid_until`, so try again while it lasts.
            Ok(Err(_)) => next = Instant::now() + retry_every,
            Err(_) => break,
        }
        if Instant::now() + Duration::from_millis(1) >= lock.valid_until {
            break;
        }
        // A retry is never scheduled past the lease's end: that moment is the last chance.
        next = next.min(lock.valid_until);
    }
    lost.cancel();
    lock
}
