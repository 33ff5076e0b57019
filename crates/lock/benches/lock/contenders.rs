//! The three things measured on the same nodes: the raw Redis commands of a cycle, our lock, and
//! rslock.
//!
//! Each task works on its own key, so nobody waits for anybody: what is measured is the cost of
//! a cycle, not contention. Every contender has its own key prefix so that a key left by one
//! cannot refuse another.

use std::fmt;
use std::time::Duration;

use futures_util::future::join_all;
use oversold_lock::{LockManager, LockValue, Release, RetryPolicy};
use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, Script};

/// The lease every cycle asks for: far longer than a cycle, so validity never runs out.
pub const TTL: Duration = Duration::from_secs(10);

/// The owner-checked delete of redis.io's single-instance lock, run with EVALSHA.
const RELEASE: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Contender {
    /// `SET key value NX PX ttl` and then the release script by EVALSHA, on every node in
    /// parallel, over one multiplexed connection per node: a lock cycle with no lock logic.
    RawCycle,
    /// `LockManager::acquire` + `release` (one attempt, no waiting).
    Oversold,
    /// `rslock::LockManager::lock` + `unlock`.
    Rslock,
}

impl Contender {
    pub const ALL: [Contender; 3] = [Contender::RawCycle, Contender::Oversold, Contender::Rslock];

    fn prefix(self) -> &'static str {
        match self {
            Contender::RawCycle => "bench:raw-cycle",
            Contender::Oversold => "bench:oversold",
            Contender::Rslock => "bench:rslock",
        }
    }

    pub fn key(self, task: usize) -> String {
        format!("{}:{task}", self.prefix())
    }
}

impl fmt::Display for Contender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Contender::RawCycle => "raw SET NX PX + EVALSHA release",
            Contender::Oversold => "oversold lock",
            Contender::Rslock => "rslock",
        })
    }
}

/// The clients of one configuration (1 or 5 nodes), shared by every task.
pub struct Clients {
    /// One multiplexed connection per node, opened as the lock opens its own: no response
    /// timeout on the connection, every caller's commands pipelined on it.
    raw: Vec<MultiplexedConnection>,
    release: Script,
    pub ours: LockManager,
    pub rslock: rslock::LockManager,
}

impl Clients {
    pub async fn new(urls: &[String]) -> Clients {
        let config = AsyncConnectionConfig::new().set_response_timeout(None);
        let mut raw = Vec::new();
        for url in urls {
            let client = redis::Client::open(url.as_str()).expect("the node URLs are valid");
            raw.push(
                client
                    .get_multiplexed_async_connection_with_config(&config)
                    .await
                    .unwrap_or_else(|e| panic!("could not connect to {url}: {e}")),
            );
        }
        Clients {
            raw,
            release: Script::new(RELEASE),
            ours: LockManager::from_urls(urls).expect("the node URLs are valid"),
            rslock: rslock::LockManager::new(urls.to_vec()),
        }
    }

    /// One cycle of `contender` on `key`.
    pub async fn cycle(&self, contender: Contender, key: &str) -> Result<(), String> {
        match contender {
            Contender::RawCycle => self.raw_cycle(key).await,
            Contender::Oversold => {
                let keys = [key.to_string()];
                let lock = self
                    .ours
                    .acquire(&keys, TTL, &RetryPolicy::no_wait())
                    .await
                    .map_err(|e| e.to_string())?;
                match self.ours.release(&lock).await {
                    Ok(Release::Released) => Ok(()),
                    Ok(Release::AlreadyExpired) => Err("the lease expired".into()),
                    Err(e) => Err(e.to_string()),
                }
            }
            Contender::Rslock => {
                let lock = self
                    .rslock
                    .lock(key.as_bytes(), TTL)
                    .await
                    .map_err(|e| format!("rslock: {e}"))?;
                self.rslock.unlock(&lock).await;
                Ok(())
            }
        }
    }

    async fn raw_cycle(&self, key: &str) -> Result<(), String> {
        let value = LockValue::random().to_string();
        let ttl_ms = TTL.as_millis() as u64;
        let sets = join_all(self.raw.iter().map(|conn| {
            let (mut conn, value) = (conn.clone(), &value);
            async move {
                redis::cmd("SET")
                    .arg(key)
                    .arg(value)
                    .arg("NX")
                    .arg("PX")
                    .arg(ttl_ms)
                    .query_async::<Option<String>>(&mut conn)
                    .await
            }
        }))
        .await;
        let set = sets.iter().filter(|s| matches!(s, Ok(Some(_)))).count();
        self.all_nodes(set, "SET NX PX")?;
        let releases = join_all(self.raw.iter().map(|conn| {
            let (mut conn, value) = (conn.clone(), &value);
            let release = &self.release;
            async move {
                release
                    .key(key)
                    .arg(value)
                    .invoke_async::<i64>(&mut conn)
                    .await
            }
        }))
        .await;
        let deleted = releases.iter().filter(|d| matches!(d, Ok(1))).count();
        self.all_nodes(deleted, "release")
    }

    fn all_nodes(&self, answered: usize, what: &str) -> Result<(), String> {
        if answered == self.raw.len() {
            Ok(())
        } else {
            Err(format!(
                "{what} succeeded on {answered} of {} nodes",
                self.raw.len()
            ))
        }
    }
}
