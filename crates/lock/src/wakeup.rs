//! Waking this process's waiters of a lock when it is released, instead of letting them sleep
//! out their backoff.
//!
//! A contender that found the lock taken sleeps a random backoff before asking again. On a hot
//! lock the holder is usually done long before that: every millisecond between a release and
//! the next acquisition is lost throughput (the lock's *handoff efficiency*, measured by
//! `test_concurrent bench`). So waiters also listen here, per key, and a release by this process
//! wakes one waiter of each released key, which asks Redis at once. Only one: waking them all
//! would send them all to Redis for a lock only one of them can get.
//!
//! Nothing depends on a wake-up arriving. A release by another process, or a lease that simply
//! expired, wakes nobody here, and the waiter asks again when its backoff ends, as it always
//! did; the backoff stays the upper bound of every wait. A wake-up only ever cuts a wait short.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use futures_util::future::select_all;
use tokio::sync::futures::OwnedNotified;
use tokio::sync::Notify;

/// The waiters of this process, by Redis key.
#[derive(Default)]
pub(crate) struct Waiters {
    by_key: Mutex<HashMap<String, Arc<Notify>>>,
}

/// One waiter's interest in the keys it wants, registered before it asks Redis so that a
/// release landing between the refusal and the sleep is not missed.
pub(crate) struct Listener {
    waiters: Arc<Waiters>,
    keys: Vec<String>,
    notified: Vec<Pin<Box<OwnedNotified>>>,
}

impl Waiters {
    /// Starts listening for releases of any of `keys`.
    pub(crate) fn listen(self: &Arc<Self>, keys: &[String]) -> Listener {
        let mut by_key = self.by_key.lock().unwrap_or_else(|p| p.into_inner());
        let notified = keys
            .iter()
            .map(|key| {
                let notify = by_key.entry(key.clone()).or_default().clone();
                let mut notified = Box::pin(notify.notified_owned());
                // Registered now, not when first polled: a release from here on reaches it.
                notified.as_mut().enable();
                notified
            })
            .collect();
        Listener {
            waiters: self.clone(),
            keys: keys.to_vec(),
            notified,
        }
    }

    /// Wakes one waiter of each key, if this process has any.
    pub(crate) fn released(&self, keys: &[String]) {
        let by_key = self.by_key.lock().unwrap_or_else(|p| p.into_inner());
        for key in keys {
            if let Some(notify) = by_key.get(key) {
                notify.notify_one();
            }
        }
    }

    #[cfg(test)]
    fn keys_listened_to(&self) -> usize {
        self.by_key.lock().unwrap().len()
    }
}

impl Listener {
    /// Resolves when one of the keys was released by this process.
    pub(crate) async fn released(&mut self) {
        if self.notified.is_empty() {
            return std::future::pending().await;
        }
        select_all(self.notified.iter_mut().map(|n| n.as_mut())).await;
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        // A wake-up this listener received but did not use passes on to the next waiter (tokio
        // forwards it when the notified future is dropped); then forget keys nobody waits for.
        self.notified.clear();
        let mut by_key = self
            .waiters
            .by_key
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        for key in &self.keys {
            if by_key.get(key).is_some_and(|n| Arc::strong_count(n) == 1) {
                by_key.remove(key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn keys(names: &[&str]) -> Vec<String> {
        names.iter().map(|n| n.to_string()).collect()
    }

    async fn woken(listener: &mut Listener) -> bool {
        tokio::time::timeout(Duration::from_millis(50), listener.released())
            .await
            .is_ok()
    }

    #[tokio::test]
    async fn a_release_wakes_one_waiter_of_that_key_only() {
        let waiters = Arc::new(Waiters::default());
        let mut first = waiters.listen(&keys(&["lock:a"]));
        let mut second = waiters.listen(&keys(&["lock:a"]));
        let mut other = waiters.listen(&keys(&["lock:b"]));
        waiters.released(&keys(&["lock:a"]));
        assert!(woken(&mut first).await);
        assert!(
            !woken(&mut second).await,
            "only one waiter is woken per release"
        );
        assert!(!woken(&mut other).await);
    }

    #[tokio::test]
    async fn a_release_before_the_waiter_sleeps_is_not_missed() {
        let waiters = Arc::new(Waiters::default());
        let mut listener = waiters.listen(&keys(&["lock:a"]));
        // The release lands while the waiter is still busy with its refused attempt.
        waiters.released(&keys(&["lock:a"]));
        assert!(woken(&mut listener).await);
    }

    #[tokio::test]
    async fn a_wake_up_left_unused_passes_to_the_next_waiter() {
        let waiters = Arc::new(Waiters::default());
        let lucky = waiters.listen(&keys(&["lock:a"]));
        let mut next = waiters.listen(&keys(&["lock:a"]));
        waiters.released(&keys(&["lock:a"]));
        // The woken waiter got the lock on its own attempt and stops listening.
        drop(lucky);
        assert!(woken(&mut next).await);
    }

    #[tokio::test]
    async fn a_waiter_of_several_keys_wakes_when_any_is_released_and_keys_are_forgotten() {
        let waiters = Arc::new(Waiters::default());
        let mut listener = waiters.listen(&keys(&["lock:a", "lock:b"]));
        assert_eq!(waiters.keys_listened_to(), 2);
        waiters.released(&keys(&["lock:b"]));
        assert!(woken(&mut listener).await);
        drop(listener);
        assert_eq!(waiters.keys_listened_to(), 0);
        // Nobody listens: a release is a no-op, not a stored wake-up for a future waiter.
        waiters.released(&keys(&["lock:a"]));
        let mut late = waiters.listen(&keys(&["lock:a"]));
        assert!(!woken(&mut late).await);
    }
}
