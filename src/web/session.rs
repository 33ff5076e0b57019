//! Dashboard sign-in sessions: a random id in the browser's cookie, never the admin token.
//!
//! Signing in at `/ui/login` with the token creates a session that expires after
//! [`ADMIN_SESSION`](crate::config::ADMIN_SESSION) and is revoked by signing out (or by restarting
//! the server). Sessions live in this instance's memory only: two instances of the lab each need
//! their own sign-in, which a workshop never notices (the dashboard talks to one instance) and
//! which keeps a database or Redis out of the admin check. The store keeps SHA-256 digests of the
//! ids, so a dump of the process memory does not hand out live cookies, and holds at most
//! [`MAX_SESSIONS`]: the oldest sign-in makes room for a new one.

use std::collections::HashMap;
use std::fmt::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::Rng;
use sha2::{Digest, Sha256};

/// More sign-ins than a room of instructors makes in a day; a bound on memory all the same.
pub const MAX_SESSIONS: usize = 1_000;

type Digest256 = [u8; 32];

/// The live sessions of this instance. Cloning shares them.
#[derive(Clone)]
pub struct Sessions {
    ttl: Duration,
    live: Arc<Mutex<Live>>,
}

/// Each session's expiry and its sign-in number (which breaks ties between equal instants).
#[derive(Default)]
struct Live {
    next: u64,
    sessions: HashMap<Digest256, (Instant, u64)>,
}

impl std::fmt::Debug for Sessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The digests are not secret, but a count is all a log needs.
        f.debug_struct("Sessions")
            .field("ttl", &self.ttl)
            .field("live", &self.lock().sessions.len())
            .finish()
    }
}

impl Sessions {
    pub fn new(ttl: Duration) -> Sessions {
        Sessions {
            ttl,
            live: Default::default(),
        }
    }

    /// How long a session lasts, for the cookie's `Max-Age`.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// A new session: 256 bits from the thread's CSPRNG, as hex for the cookie.
    pub fn create(&self) -> String {
        let bytes: [u8; 32] = rand::rng().random();
        let id = bytes.iter().fold(String::with_capacity(64), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        });
        let now = Instant::now();
        let mut live = self.lock();
        live.sessions.retain(|_, (expires, _)| *expires > now);
        if live.sessions.len() >= MAX_SESSIONS {
            let oldest = live
                .sessions
                .iter()
                .min_by_key(|(_, e)| **e)
                .map(|(d, _)| *d);
            if let Some(oldest) = oldest {
                live.sessions.remove(&oldest);
            }
        }
        live.next += 1;
        let number = live.next;
        live.sessions.insert(digest(&id), (now + self.ttl, number));
        id
    }

    /// Whether `id` is a session that was created here, has not expired and was not revoked.
    pub fn is_valid(&self, id: &str) -> bool {
        let key = digest(id);
        let mut live = self.lock();
        match live.sessions.get(&key) {
            Some((expires, _)) if *expires > Instant::now() => true,
            Some(_) => {
                live.sessions.remove(&key);
                false
            }
            None => false,
        }
    }

    /// Ends the session (signing out); unknown ids are ignored.
    pub fn revoke(&self, id: &str) {
        self.lock().sessions.remove(&digest(id));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Live> {
        // A panic while holding this lock cannot leave the map half-updated in a way that
        // matters (every operation is one insert or remove), so keep serving.
        self.live.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Lookups go through the digest, so the map never holds a usable id and a lookup's timing
/// depends on the digest, not on how many leading characters of a guess were right.
fn digest(id: &str) -> Digest256 {
    Sha256::digest(id.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_is_valid_until_revoked() {
        let sessions = Sessions::new(Duration::from_secs(60));
        let id = sessions.create();
        assert_eq!(id.len(), 64);
        assert!(sessions.is_valid(&id));
        assert!(!sessions.is_valid(&id[..63]));
        assert_ne!(sessions.create(), id, "every sign-in gets its own id");
        sessions.revoke(&id);
        assert!(!sessions.is_valid(&id));
    }

    #[test]
    fn a_session_expires_after_its_ttl() {
        let sessions = Sessions::new(Duration::from_millis(30));
        let id = sessions.create();
        assert!(sessions.is_valid(&id));
        std::thread::sleep(Duration::from_millis(60));
        assert!(!sessions.is_valid(&id));
    }

    #[test]
    fn the_store_holds_at_most_max_sessions_dropping_the_oldest() {
        let sessions = Sessions::new(Duration::from_secs(60));
        let first = sessions.create();
        let rest: Vec<_> = (1..=MAX_SESSIONS).map(|_| sessions.create()).collect();
        assert!(!sessions.is_valid(&first));
        assert!(rest.iter().all(|id| sessions.is_valid(id)));
        assert_eq!(sessions.lock().sessions.len(), MAX_SESSIONS);
    }
}
