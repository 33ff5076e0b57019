//! A fair lock: waiters are served in arrival order and woken at hand-over, not polling.
//!
//! The backoff loop of [`LockManager::acquire`] is simple and robust, but whoever happens to retry
//! first after a release wins, so an unlucky waiter can starve, and every waiter spends round
//! trips asking. Here each waiter takes a ticket (INCR), joins a sorted set in ticket order, and
//! sleeps in `BLPOP` on a list of its own. Releasing deletes the lock and pushes to the list of
//! the waiter at the head, which wakes and takes the lock; nobody else stirs.
//!
//! Two things can go wrong with a queue, and both are bounded by time rather than trust:
//! - a holder that dies never releases, so waiters sleep at most until the lock's TTL runs out
//!   (their BLPOP never outlasts the lock's remaining PTTL) and the head then takes it;
//! - a waiter that dies, gives up or is cancelled would block everyone behind it. One that can
//!   leaves the line (also when its future is dropped: the leave then runs in the background);
//!   for one that cannot (its process died, the node was paused when it left), every place in
//!   line is a short lease, [`LINE_LEASE`], that its waiter renews each time it looks at the lock
//!   while it waits. A head whose place was not renewed is dropped by whoever looks next, and
//!   the new head is woken, so a ghost costs the line about a second, not a budget.
//!
//! Every wait has its own deadline: a BLPOP slice of at most a third of [`LINE_LEASE`] with a
//! response deadline of the slice plus an allowance (`node.rs`), so a waiter waits its whole
//! budget however long the holder takes, and a paused node still cannot hang it.
//!
//! The queue lives on the first node only: a fair queue spread over a Redlock quorum would need
//! the nodes to agree on the order, which Redlock does not give. The lock key itself is the same
//! plain key as [`LockManager::acquire`] uses, so fair and plain acquirers exclude each other
//! (a plain acquirer can, however, cut in line). It is still a lease: a holder paused past its
//! TTL is skipped and the next in line is woken while the first still runs.

use std::sync::{Arc, LazyLock};
use std::time::{Duration, Instant};

use redis::Script;

use super::node::Node;
use super::{node_timeout, Lock, LockError, LockManager, LockValue, Release, RetryPolicy};

/// How long a place in line lasts unless its waiter renews it; waiters renew it every third.
pub(crate) const LINE_LEASE: Duration = Duration::from_secs(1);

/// The longest a waiter sleeps between two looks at the lock (each renews its place in line).
const RENEW_EVERY: Duration = Duration::from_millis(LINE_LEASE.as_millis() as u64 / 3);

/// One look at the lock: joins the line (or renews our place in it), drops heads whose place
/// lapsed, and takes the lock if it is free and we are at the head.
/// KEYS: lock, queue, deadlines, ticket counter. ARGV: value, ttl ms, line lease ms, wake-list
/// prefix. Deadlines are ms by the node's own clock (TIME), so no two clocks are compared.
/// Returns -1 when taken, else the ms to sleep before looking again: the lock's PTTL when it is
/// held, 0 when it is free but someone else is at the head (who is woken, should we have just
/// dropped the ghost ahead of them).
pub(crate) static LOOK: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
if not redis.call('ZSCORE', KEYS[2], ARGV[1]) then
  redis.call('ZADD', KEYS[2], redis.call('INCR', KEYS[4]), ARGV[1])
end
redis.call('HSET', KEYS[3], ARGV[1], string.format('%.0f', now + tonumber(ARGV[3])))
local dropped = false
while true do
  local head = redis.call('ZRANGE', KEYS[2], 0, 0)[1]
  if not head then break end
  local deadline = tonumber(redis.call('HGET', KEYS[3], head) or '0')
  if deadline >= now then break end
  redis.call('ZREM', KEYS[2], head)
  redis.call('HDEL', KEYS[3], head)
  redis.call('DEL', ARGV[4] .. head)
  dropped = true
end
local pttl = redis.call('PTTL', KEYS[1])
if pttl == -1 then
  return 1000
end
if pttl ~= -2 then
  return math.max(pttl, 1)
end
local head = redis.call('ZRANGE', KEYS[2], 0, 0)[1]
if head ~= ARGV[1] then
  if dropped then
    redis.call('RPUSH', ARGV[4] .. head, 'go')
    redis.call('PEXPIRE', ARGV[4] .. head, ARGV[3])
  end
  return 0
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[1])
redis.call('DEL', ARGV[4] .. ARGV[1])
return -1
",
    )
});

/// Leaves the queue (or releases the lock, if we hold it) and wakes whoever is at the head now.
/// KEYS: lock, queue, deadlines. ARGV: value, wake-list prefix, ttl ms for the wake-up entry.
/// Returns 1 when it deleted our lock.
pub(crate) static LEAVE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local deleted = 0
if redis.call('GET', KEYS[1]) == ARGV[1] then
  deleted = redis.call('DEL', KEYS[1])
end
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[1])
redis.call('DEL', ARGV[2] .. ARGV[1])
if redis.call('EXISTS', KEYS[1]) == 0 then
  local head = redis.call('ZRANGE', KEYS[2], 0, 0)[1]
  if head then
    redis.call('RPUSH', ARGV[2] .. head, 'go')
    redis.call('PEXPIRE', ARGV[2] .. head, ARGV[3])
  end
end
return deleted
",
    )
});

/// The queue's keys for one lock key.
struct Queue {
    lock: String,
    tickets: String,
    waiters: String,
    deadlines: String,
    wake_prefix: String,
}

impl Queue {
    fn for_key(lock: &str) -> Queue {
        Queue {
            lock: lock.to_string(),
            tickets: format!("queue:{lock}:tickets"),
            waiters: format!("queue:{lock}:waiters"),
            deadlines: format!("queue:{lock}:deadlines"),
            wake_prefix: format!("queue:{lock}:wake:"),
        }
    }

    fn keys(&self) -> [String; 3] {
        [
            self.lock.clone(),
            self.waiters.clone(),
            self.deadlines.clone(),
        ]
    }

    async fn look(
        &self,
        node: &Node,
        value: &str,
        ttl: Duration,
        timeout: Duration,
    ) -> Result<i64, LockError> {
        let keys = [
            self.lock.clone(),
            self.waiters.clone(),
            self.deadlines.clone(),
            self.tickets.clone(),
        ];
        let args = [
            value,
            &ttl.as_millis().to_string(),
            &LINE_LEASE.as_millis().to_string(),
            &self.wake_prefix,
        ];
        node.run(&LOOK, &keys, &args, timeout).await
    }

    async fn leave(
        &self,
        node: &Node,
        value: &str,
        ttl: Duration,
        timeout: Duration,
    ) -> Result<bool, LockError> {
        let wake_ttl = ttl.as_millis().max(1).to_string();
        let args = [value, &self.wake_prefix, &wake_ttl];
        let deleted: i64 = node.run(&LEAVE, &self.keys(), &args, timeout).await?;
        Ok(deleted == 1)
    }
}

/// A waiter's place in line while `acquire_fair` runs. Dropped while still armed (the future
/// was cancelled), it leaves the line in the background; should even that fail, the place
/// lapses within [`LINE_LEASE`].
struct InLine {
    node: Arc<Node>,
    queue: Arc<Queue>,
    value: String,
    ttl: Duration,
    timeout: Duration,
    armed: bool,
}

impl InLine {
    /// Leaves now and waits for it (bounded by the node timeout), for the paths that return.
    async fn leave(mut self) {
        self.armed = false;
        let _ = self
            .queue
            .leave(&self.node, &self.value, self.ttl, self.timeout)
            .await;
    }

    /// We hold the lock: nothing to leave any more.
    fn disarm(mut self) {
        self.armed = false;
    }
}

impl Drop for InLine {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        let (node, queue) = (self.node.clone(), self.queue.clone());
        let (value, ttl, timeout) = (std::mem::take(&mut self.value), self.ttl, self.timeout);
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                let _ = queue.leave(&node, &value, ttl, timeout).await;
            });
        }
    }
}

impl LockManager {
    /// Takes the lock on `resources[0]` in arrival order, on the first node (see the module docs).
    /// Waits asleep until handed the lock or the budget of `retry` runs out ([`LockError::Locked`]);
    /// a grant that came too late to leave any validity is given back and counts as a failure
    /// ([`LockError::Expired`] if the budget runs out on one). Whatever ends the wait (success
    /// aside) takes the waiter out of the line, a dropped future included.
    pub async fn acquire_fair(
        &self,
        resources: &[String],
        ttl: Duration,
        retry: &RetryPolicy,
    ) -> Result<Lock, LockError> {
        let node = &self.nodes[0];
        let key = resources.first().cloned().unwrap_or_default();
        let queue = Arc::new(Queue::for_key(&key));
        let value = LockValue::random();
        let shown = value.to_string();
        let started = Instant::now();
        let timeout = node_timeout(ttl);
        let wake_list = format!("{}{shown}", queue.wake_prefix);
        // Armed before the first look: if that look is cut short, it may still land on the node.
        let in_line = InLine {
            node: node.clone(),
            queue: queue.clone(),
            value: shown.clone(),
            ttl,
            timeout,
            armed: true,
        };
        let mut attempts = 0;
        let mut too_late;
        loop {
            attempts += 1;
            let attempt_started = Instant::now();
            let sleep_ms = match queue.look(node, &shown, ttl, timeout).await {
                Ok(-1) => {
                    let drift = ttl / 100 + Duration::from_millis(2);
                    let validity = ttl
                        .checked_sub(attempt_started.elapsed() + drift)
                        .filter(|v| !v.is_zero());
                    if let Some(validity) = validity {
                        in_line.disarm();
                        return Ok(Lock {
                            resources: vec![key],
                            value,
                            acquired_at: attempt_started,
                            valid_until: attempt_started + validity,
                            attempts,
                            waited: started.elapsed(),
                            token: None,
                            fair: true,
                        });
                    }
                    // Granted, but with nothing left to rely on: hand it to the next in line
                    // (the next look, if the budget allows one, joins again at the back).
                    let _ = queue.leave(node, &shown, ttl, timeout).await;
                    too_late = true;
                    0
                }
                Ok(ms) => {
                    too_late = false;
                    ms.max(0) as u64
                }
                Err(e) => {
                    in_line.leave().await;
                    return Err(e);
                }
            };
            let remaining = retry.budget.saturating_sub(started.elapsed());
            if remaining.is_zero() {
                // Leaving wakes the next in line if the lock is free, so giving up costs them nothing.
                in_line.leave().await;
                return Err(if too_late {
                    LockError::Expired {
                        resources: vec![key],
                    }
                } else {
                    LockError::Locked {
                        resources: vec![key],
                        attempts,
                        waited: started.elapsed(),
                    }
                });
            }
            // Held: sleep until handed over or the lease runs out. Free but not our turn: the
            // head is about to take it and will hand over. Either way no longer than a third of
            // a place in line, which the next look renews.
            let nap = match sleep_ms {
                0 => RENEW_EVERY,
                ms => Duration::from_millis(ms).min(RENEW_EVERY),
            }
            .min(remaining);
            if too_late {
                continue;
            }
            if let Err(e) = node.wait_for_push(&wake_list, nap).await {
                in_line.leave().await;
                return Err(e);
            }
        }
    }

    /// Releases a fair lock and wakes the next in line.
    pub(crate) async fn release_fair(&self, lock: &Lock) -> Result<Release, LockError> {
        let queue = Queue::for_key(&lock.resources[0]);
        let ttl = lock
            .valid_until
            .saturating_duration_since(lock.acquired_at)
            .max(Duration::from_secs(1));
        let value = lock.value.to_string();
        match queue
            .leave(&self.nodes[0], &value, ttl, node_timeout(ttl))
            .await?
        {
            true => Ok(Release::Released),
            false => Ok(Release::AlreadyExpired),
        }
    }
}
