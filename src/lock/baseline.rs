//! The physical limit the lock is measured against: the same Redis commands without the lock.
//!
//! The lock's micro-benchmark (`cargo bench --bench lock`) compares an acquire+release cycle
//! with what the nodes can do at all over the very connections the lock uses: a plain `SET` and
//! one run of the release script. Whatever the lock costs on top of these is the lock's own
//! overhead (random values, quorum bookkeeping, waiting for a pooled connection); whatever these
//! cost is Redis, the network and the machine.

use futures_util::future::join_all;

use super::scripts::RELEASE;
use super::{LockError, LockManager, LockValue, MAX_NODE_TIMEOUT};

impl LockManager {
    /// `SET key value PX ttl_ms` on every node in parallel; how many nodes answered OK.
    pub async fn baseline_set(&self, key: &str, value: &LockValue, ttl_ms: u64) -> usize {
        let (value, ttl_ms) = (value.to_string(), ttl_ms.to_string());
        let args = ["SET", key, &value, "PX", &ttl_ms];
        let answers = join_all(
            self.nodes
                .iter()
                .map(|node| node.command::<String>(&args, MAX_NODE_TIMEOUT)),
        )
        .await;
        answers.iter().filter(|a| a.is_ok()).count()
    }

    /// One run of the lock's release script for `key` on every node in parallel; how many keys
    /// it deleted in all. The same script and path as [`release`](Self::release), minus the
    /// verdict.
    pub async fn baseline_release(&self, key: &str, value: &LockValue) -> Result<usize, LockError> {
        let keys = [key.to_string()];
        let args = [value.to_string()];
        let answers = join_all(
            self.nodes
                .iter()
                .map(|node| node.run::<usize>(&RELEASE, &keys, &args, MAX_NODE_TIMEOUT)),
        )
        .await;
        answers.into_iter().sum()
    }
}
