//! Why a lock could not be had, in words its caller can act on.
//!
//! Every variant keeps the numbers that explain it (attempts, votes, how long we waited), so a
//! caller can map it to its own answers (a status code, a retry hint, a metric), and every message
//! ends with what to do next. Node names are `host:port`, never a URL, so no password reaches a
//! log line.

use std::time::Duration;

#[derive(thiserror::Error, Debug, Clone, PartialEq, Eq)]
pub enum LockError {
    /// Someone else still held a resource when the retry budget ran out.
    #[error(
        "{} is still locked by another holder after {attempts} attempts in {}ms: \
         try again shortly, or allow a longer wait for the lock",
        list(resources),
        waited.as_millis()
    )]
    Locked {
        resources: Vec<String>,
        attempts: u32,
        waited: Duration,
    },

    /// Too many nodes failed or did not answer for a majority to ever agree.
    #[error(
        "only {votes} Redis nodes granted the lock and {unreachable} could not be reached, \
         but a quorum needs {quorum} (attempt {attempts}): bring the unreachable nodes back, \
         or check that their addresses are right"
    )]
    QuorumNotReached {
        votes: usize,
        quorum: usize,
        unreachable: usize,
        attempts: u32,
    },

    /// The lease ran out before the holder could rely on it (or while it was holding it).
    #[error(
        "the lock on {} expired before it could be relied on: raise the lock TTL so it \
         outlasts the round trips to Redis and the work done under the lock",
        list(resources)
    )]
    Expired { resources: Vec<String> },

    /// The watchdog of `with_lock` could not extend the lease while the work ran.
    #[error(
        "the lease on {} was lost while the work ran (an extension failed or came too late): \
         what the work did may have overlapped with another holder; check the Redis nodes, and \
         let the storage check fencing tokens so a late write is refused",
        list(resources)
    )]
    LeaseLost { resources: Vec<String> },

    /// A single node failed or did not answer in time.
    #[error("Redis at {node} is unreachable ({message}): check that it runs at that address")]
    Redis { node: String, message: String },

    #[error(
        "{url:?} is not a usable Redis URL ({message}): write redis://host:port, \
         comma-separated for several nodes"
    )]
    InvalidUrl { url: String, message: String },
}

fn list(resources: &[String]) -> String {
    resources.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_redis_error_says_which_node_and_what_to_check() {
        let e = LockError::Redis {
            node: "127.0.0.1:7001".into(),
            message: "Connection refused (os error 111)".into(),
        };
        assert_eq!(
            e.to_string(),
            "Redis at 127.0.0.1:7001 is unreachable (Connection refused (os error 111)): \
             check that it runs at that address"
        );
    }

    #[test]
    fn a_busy_lock_names_the_resource_and_a_lost_quorum_gives_the_votes() {
        let busy = LockError::Locked {
            resources: vec!["lock:event:7".into()],
            attempts: 3,
            waited: Duration::from_millis(40),
        };
        let down = LockError::QuorumNotReached {
            votes: 1,
            quorum: 2,
            unreachable: 2,
            attempts: 2,
        };
        assert!(busy.to_string().starts_with("lock:event:7 is still locked"));
        assert!(down.to_string().starts_with("only 1 Redis nodes granted"));
    }
}
