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
//! Listening costs a lock, a map entry and a few allocations, and most acquisitions are granted
//! at their first attempt. So the first attempt does not listen: it only *marks* where this
//! process's releases of its keys stand (a counter per slot of keys, one atomic read). Refused,
//! it starts listening and then looks at the mark: a release that landed while it was asking has
//! moved it, and it asks again at once instead of sleeping through that release. Later attempts
//! listen before they ask, as a waiter in a queue does.
//!
//! Nothing depends on a wake-up arriving. A release by another process, or a lease that simply
//! expired, wakes nobody here, and the waiter asks again when its backoff ends, as it always
//! did; the backoff stays the upper bound of every wait. A wake-up only ever cuts a wait short.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};

use futures_util::future::select_all;
use tokio::sync::futures::OwnedNotified;
use tokio::sync::Notify;

/// Release counters: keys share a counter by hash. A shared one only ever makes a refused
/// first attempt ask again at once for another key's release, never miss its own.
const SLOTS: usize = 64;

/// The waiters of this process, by Redis key.
pub(crate) struct Waiters {
    by_key: Mutex<HashMap<String, Arc<Notify>>>,
    /// Listeners alive: a release with nobody listening leaves the map alone.
    listening: AtomicUsize,
    /// Releases by this process, per slot of keys.
    releases: [AtomicU64; SLOTS],
}

impl Default for Waiters {
    fn default() -> Waiters {
        Waiters {
            by_key: Mutex::default(),
            listening: AtomicUsize::new(0),
            releases: std::array::from_fn(|_| AtomicU64::new(0)),
        }
    }
}

/// Where the releases of some keys stood before an attempt (see the module docs).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct Mark(u64);

/// One waiter's interest in the keys it wants, registered before it asks Redis so that a
/// release landing between the refusal and the sleep is not missed.
pub(crate) struct Listener {
    waiters: Arc<Waiters>,
    keys: Vec<String>,
    notified: Vec<Pin<Box<OwnedNotified>>>,
}

impl Waiters {
    /// Where the releases of `keys` stand: it moves with every later release of any of them.
    pub(crate) fn mark(&self, keys: &[String]) -> Mark {
        // A sum of counters that only grow: it changes when any of them does.
        Mark(keys.iter().fold(0u64, |sum, key| {
            sum.wrapping_add(self.releases[self.slot(key)].load(SeqCst))
        }))
    }

    /// Whether `keys` were released by this process since `mark` was taken.
    pub(crate) fn released_since(&self, keys: &[String], mark: Mark) -> bool {
        self.mark(keys) != mark
    }

    /// FNV-1a of the key: a few cycles for a short key, where a keyed hash costs tens of
    /// nanoseconds on every acquisition and release; a key chosen to share a slot can only
    /// cause an early retry.
    fn slot(&self, key: &str) -> usize {
        let hash = key.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
        });
        (hash % SLOTS as u64) as usize
    }

    /// Starts listening for releases of any of `keys`.
    pub(crate) fn listen(self: &Arc<Self>, keys: &[String]) -> Listener {
        let mut by_key = self.by_key.lock().unwrap_or_else(|p| p.into_inner());
        // Counted under the map's lock and before the caller looks at its mark: a release either
        // moved the mark already or sees a listener and takes the lock (both sides SeqCst).
        self.listening.fetch_add(1, SeqCst);
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

    /// Moves the keys' marks and wakes one waiter of each key, if this process has any.
    pub(crate) fn released(&self, keys: &[String]) {
        for key in keys {
            self.releases[self.slot(key)].fetch_add(1, SeqCst);
        }
        if self.listening.load(SeqCst) == 0 {
            return;
        }
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
        self.waiters.listening.fetch_sub(1, SeqCst);
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

    #[test]
    fn a_release_moves_the_mark_of_its_keys_and_only_a_release_does() {
        let waiters = Arc::new(Waiters::default());
        let wanted = keys(&["lock:a", "lock:b"]);
        let mark = waiters.mark(&wanted);
        assert!(!waiters.released_since(&wanted, mark));
        let _listener = waiters.listen(&wanted);
        assert!(
            !waiters.released_since(&wanted, mark),
            "listening is not a release"
        );
        waiters.released(&keys(&["lock:b"]));
        assert!(waiters.released_since(&wanted, mark));
        assert!(!waiters.released_since(&wanted, waiters.mark(&wanted)));
    }

    #[test]
    fn a_release_with_nobody_listening_is_counted_but_touches_no_map() {
        let waiters = Arc::new(Waiters::default());
        let mark = waiters.mark(&keys(&["lock:a"]));
        waiters.released(&keys(&["lock:a"]));
        assert!(waiters.released_since(&keys(&["lock:a"]), mark));
        assert_eq!(waiters.keys_listened_to(), 0);
        assert_eq!(waiters.listening.load(SeqCst), 0);
        drop(waiters.listen(&keys(&["lock:a"])));
        assert_eq!(
            waiters.listening.load(SeqCst),
            0,
            "a listener counts itself out"
        );
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
