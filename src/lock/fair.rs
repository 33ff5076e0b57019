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
//!   (their BLPOP timeout is the lock's remaining PTTL) and the head then takes it;
//! - a waiter that dies (or gives up) would block everyone behind it, so each waiter carries a
//!   deadline and the acquire script drops heads whose deadline has passed.
//!
//! The queue lives on the first node only: a fair queue spread over a Redlock quorum would need
//! the nodes to agree on the order, which Redlock does not give. The lock key itself is the same
//! plain key as [`LockManager::acquire`] uses, so fair and plain acquirers exclude each other
//! (a plain acquirer can, however, cut in line). It is still a lease: a holder paused past its
//! TTL is skipped and the next in line is woken while the first still runs.

use std::time::{Duration, Instant};

use super::node::Node;
use super::scripts::Script;
use super::{node_timeout, Lock, LockError, LockManager, LockValue, Release, RetryPolicy};

/// Joins the queue. KEYS: ticket counter, queue, deadlines. ARGV: value, deadline (ms since
/// epoch by the node's clock, computed here from its TIME plus ARGV[2] ms).
static ENQUEUE: Script = Script::new(
    r"
local ticket = redis.call('INCR', KEYS[1])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
redis.call('ZADD', KEYS[2], ticket, ARGV[1])
redis.call('HSET', KEYS[3], ARGV[1], string.format('%.0f', now + tonumber(ARGV[2])))
return ticket
",
);

/// Takes the lock if it is free and we are at the head. KEYS: lock, queue, deadlines.
/// ARGV: value, ttl ms. Returns -1 when taken, else the ms to sleep before looking again: the
/// lock's PTTL when it is held, 0 when it is free but someone else is at the head.
static TRY_TAKE: Script = Script::new(
    r"
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
while true do
  local head = redis.call('ZRANGE', KEYS[2], 0, 0)[1]
  if not head then break end
  local deadline = tonumber(redis.call('HGET', KEYS[3], head) or '0')
  if deadline >= now then break end
  redis.call('ZREM', KEYS[2], head)
  redis.call('HDEL', KEYS[3], head)
end
local pttl = redis.call('PTTL', KEYS[1])
if pttl == -1 then
  return 1000
end
if pttl ~= -2 then
  return math.max(pttl, 1)
end
if redis.call('ZRANGE', KEYS[2], 0, 0)[1] ~= ARGV[1] then
  return 0
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[1])
return -1
",
);

/// Leaves the queue (or releases the lock, if we hold it) and wakes whoever is at the head now.
/// KEYS: lock, queue, deadlines. ARGV: value, wake-list prefix, ttl ms for the wake-up entry.
/// Returns 1 when it deleted our lock.
static LEAVE: Script = Script::new(
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
);

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

    fn keys(&self) -> Vec<String> {
        vec![
            self.lock.clone(),
            self.waiters.clone(),
            self.deadlines.clone(),
        ]
    }

    async fn leave(
        &self,
        node: &Node,
        value: &LockValue,
        ttl: Duration,
    ) -> Result<bool, LockError> {
        let args = [
            value.to_string(),
            self.wake_prefix.clone(),
            ttl.as_millis().max(1).to_string(),
        ];
        let deleted: i64 = node
            .run(&LEAVE, &self.keys(), &args, super::MAX_NODE_TIMEOUT)
            .await?;
        Ok(deleted == 1)
    }
}

impl LockManager {
    /// Takes the lock on `resources[0]` in arrival order, on the first node (see the module docs).
    /// Waits asleep until handed the lock or the budget of `retry` runs out ([`LockError::Locked`]).
    pub async fn acquire_fair(
        &self,
        resources: &[String],
        ttl: Duration,
        retry: &RetryPolicy,
    ) -> Result<Lock, LockError> {
        let node = &self.nodes[0];
        let key = resources.first().cloned().unwrap_or_default();
        let queue = Queue::for_key(&key);
        let value = LockValue::random();
        let started = Instant::now();
        let timeout = node_timeout(ttl);
        // A waiter stays in line for its budget plus one lease; past that it is presumed dead.
        let patience = retry.budget + ttl;
        let enqueue_keys = [
            queue.tickets.clone(),
            queue.waiters.clone(),
            queue.deadlines.clone(),
        ];
        let _ticket: i64 = node
            .run(
                &ENQUEUE,
                &enqueue_keys,
                &[value.to_string(), patience.as_millis().to_string()],
                timeout,
            )
            .await?;
        let wake_list = format!("{}{value}", queue.wake_prefix);
        let mut attempts = 0;
        loop {
            attempts += 1;
            let attempt_started = Instant::now();
            let answer: Result<i64, LockError> = node
                .run(
                    &TRY_TAKE,
                    &queue.keys(),
                    &[value.to_string(), ttl.as_millis().to_string()],
                    timeout,
                )
                .await;
            let sleep_ms = match answer {
                Ok(-1) => {
                    let drift = ttl / 100 + Duration::from_millis(2);
                    let validity = ttl.saturating_sub(attempt_started.elapsed() + drift);
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
                Ok(ms) => ms.max(0) as u64,
                Err(e) => {
                    let _ = queue.leave(node, &value, ttl).await;
                    return Err(e);
                }
            };
            let remaining = retry.budget.saturating_sub(started.elapsed());
            if remaining.is_zero() {
                // Leaving wakes the next in line if the lock is free, so giving up costs them nothing.
                let _ = queue.leave(node, &value, ttl).await;
                return Err(LockError::Locked {
                    resources: vec![key],
                    attempts,
                    waited: started.elapsed(),
                });
            }
            // Held: sleep until handed over or until the lease runs out. Free but not our turn:
            // the head is about to take it; sleep until it hands over, bounded by one lease.
            let nap = if sleep_ms == 0 {
                ttl
            } else {
                Duration::from_millis(sleep_ms)
            };
            if let Err(e) = node.wait_for_push(&wake_list, nap.min(remaining)).await {
                let _ = queue.leave(node, &value, ttl).await;
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
        match queue.leave(&self.nodes[0], &lock.value, ttl).await? {
            true => Ok(Release::Released),
            false => Ok(Release::AlreadyExpired),
        }
    }
}
