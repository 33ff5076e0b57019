//! The Redis leases this instance holds right now, so that a stopping server can let them go.
//!
//! A booking normally releases its lease itself. Two things can stop it: the shutdown timeout
//! cuts the request off (the server drops the handler future mid-work), or the server is stopped
//! without waiting. A lease left behind blocks every instance's bookings of that event until its
//! TTL runs out, seconds at best. So every lease taken by a strategy is entered here while it is
//! held ([`HeldLeases::hold`]); a [`HeldLease`] dropped before its release tries to release it at
//! once, and [`HeldLeases::release_all`] releases whatever is still entered once the server has
//! stopped. Releasing twice is harmless: release only deletes a key that still holds our value.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::lock::{Lock, LockManager, Release};

/// The registry; cheap to clone, every clone sees the same leases.
#[derive(Clone, Default)]
pub struct HeldLeases {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    next_id: AtomicU64,
    held: Mutex<HashMap<u64, (LockManager, Lock)>>,
}

/// One entered lease; call [`released`](HeldLease::released) after releasing it.
pub struct HeldLease {
    leases: HeldLeases,
    id: u64,
    done: bool,
}

impl HeldLeases {
    /// Enters a lease just taken from `locks`.
    pub fn hold(&self, locks: &LockManager, lock: &Lock) -> HeldLease {
        let id = self.inner.next_id.fetch_add(1, Ordering::Relaxed);
        self.map().insert(id, (locks.clone(), lock.clone()));
        HeldLease {
            leases: self.clone(),
            id,
            done: false,
        }
    }

    /// How many leases are entered now.
    pub fn len(&self) -> usize {
        self.map().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Releases every lease still entered and empties the registry; returns how many were
    /// still held on Redis (the others had expired or were released meanwhile).
    pub async fn release_all(&self) -> usize {
        let leases: Vec<(LockManager, Lock)> = self.map().drain().map(|(_, l)| l).collect();
        let mut released = 0;
        for (locks, lock) in leases {
            match locks.release(&lock).await {
                Ok(Release::Released) => {
                    released += 1;
                    tracing::warn!(
                        key = %lock.resources.join(","),
                        "released a lock left behind by a request the shutdown cut off"
                    );
                }
                Ok(Release::AlreadyExpired) => {}
                Err(e) => tracing::warn!(
                    key = %lock.resources.join(","),
                    error = %e,
                    "could not release a lock at shutdown; it expires with its TTL"
                ),
            }
        }
        released
    }

    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<u64, (LockManager, Lock)>> {
        // A poisoned map only means a panic elsewhere while it was held; the entries are intact.
        self.inner.held.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl HeldLease {
    /// The holder released the lease itself: nothing is left to do for it.
    pub fn released(mut self) {
        self.done = true;
        self.leases.map().remove(&self.id);
    }
}

impl Drop for HeldLease {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        // Dropped while held: the request was cut off. Release now if a runtime still runs;
        // otherwise (a worker shutting down) the entry stays for `release_all`.
        let Some(entry) = self.leases.map().get(&self.id).cloned() else {
            return;
        };
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let (leases, id) = (self.leases.clone(), self.id);
            runtime.spawn(async move {
                let (locks, lock) = entry;
                if locks.release(&lock).await.is_ok() {
                    leases.map().remove(&id);
                }
            });
        }
    }
}
