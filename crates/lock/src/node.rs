//! One Redis node: its connections and the questions the lock asks it, each on a clock.
//!
//! A node that is down refuses connections at once, but a node that is paused (SIGSTOP, a long
//! GC, a VM migration) accepts the TCP connection and then says nothing. Without a deadline every
//! caller would hang on it; with one, a silent node is just a failed vote, and Redlock is built
//! to survive a minority of those. Connecting has its own timeout; the caller's deadline bounds the
//! whole call, connecting included. The questions of an acquisition or a release are bounded
//! by one deadline for all the nodes asked (`asking.rs`): one timer per question, not one per
//! node. Lock commands share one multiplexed connection
//! (`connection.rs`); the fair lock's blocking waits borrow pooled connections of their own, each
//! with a response deadline that fits the wait, never the client's default.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use deadpool_redis::{Config, Pool, PoolConfig, PoolError, Runtime, TimeoutType, Timeouts};
use redis::aio::MultiplexedConnection;
use redis::{
    cmd, Client, ErrorKind, FromRedisValue, IntoConnectionInfo, RedisResult, Script,
    ServerErrorKind, Value,
};

use super::command::Command;
use super::connection::Shared;
use super::LockError;

/// Connecting to a healthy node on a LAN takes a millisecond; half a second means it is not there.
const CONNECT_TIMEOUT: Duration = Duration::from_millis(500);

/// How late the answer to a blocking wait may come after the wait itself has run out: the round
/// trip, and a busy machine's scheduling, with room to spare.
const WAIT_ALLOWANCE: Duration = Duration::from_millis(500);

/// Connections for fair-lock waiters blocked in BLPOP at once. A waiter that finds them all in
/// use sleeps its slice without one and looks again, so the size bounds Redis clients, not waiters.
const POOL_SIZE: usize = 64;

pub(crate) struct Node {
    /// `host:port`, for messages: no scheme, user or password.
    pub(crate) name: String,
    /// The URL without its credentials, for health reports.
    pub(crate) url: String,
    /// Every command that does not block.
    shared: Arc<Shared>,
    /// Blocking waits (BLPOP), which would hold up everyone on the shared connection.
    pool: Pool,
}

impl Node {
    /// Parses the URL and sets up the pool; nothing is sent until the first call, so a node that
    /// is down at startup is reported by `health` and `acquire`, not here.
    pub(crate) fn new(url: &str) -> Result<Node, LockError> {
        let invalid = |message: String| LockError::InvalidUrl {
            url: without_credentials(url),
            message,
        };
        let info = url
            .into_connection_info()
            .map_err(|e| invalid(e.to_string()))?;
        let client = Client::open(info.clone()).map_err(|e| invalid(e.to_string()))?;
        let timeouts = Timeouts {
            wait: Some(CONNECT_TIMEOUT),
            create: Some(CONNECT_TIMEOUT),
            recycle: Some(CONNECT_TIMEOUT),
        };
        let config = Config {
            pool: Some(PoolConfig {
                max_size: POOL_SIZE,
                timeouts,
                ..PoolConfig::default()
            }),
            ..Config::from_url(url)
        };
        let pool = config
            .create_pool(Some(Runtime::Tokio1))
            .map_err(|e| invalid(e.to_string()))?;
        Ok(Node {
            name: info.addr().to_string(),
            url: without_credentials(url),
            shared: Arc::new(Shared::new(client, CONNECT_TIMEOUT)),
            pool,
        })
    }

    /// Sends `command` and reads the answer. Not bounded in time here: the caller bounds it,
    /// with one deadline for every node of a question (`asking.rs`) or with [`run`](Self::run).
    pub(crate) async fn send<T: FromRedisValue>(&self, command: &Command) -> Result<T, LockError> {
        self.shared
            .call(|mut conn| async move {
                match command.cmd.query_async(&mut conn).await {
                    Err(e) if e.kind() == ErrorKind::Server(ServerErrorKind::NoScript) => {
                        match command.script {
                            // Rare (the node's script cache was flushed): boxed, so it adds
                            // nothing to the size of every call.
                            Some(script) => {
                                Box::pin(load_and_ask(script, &command.cmd, conn)).await
                            }
                            None => Err(e),
                        }
                    }
                    answer => answer,
                }
            })
            .await
            .map_err(|message| self.failed(message))
    }

    /// Sends an acquisition: `0` when refused, else `1` (`SET` answered `OK`, a script `1`) or
    /// the fencing token the node minted.
    pub(crate) async fn acquire(&self, command: &Command) -> Result<u64, LockError> {
        match self.send(command).await? {
            Value::Nil => Ok(0),
            Value::Okay => Ok(1),
            Value::Int(granted) => Ok(u64::try_from(granted).unwrap_or(0)),
            other => Err(self.failed(format!("unexpected answer to a lock command: {other:?}"))),
        }
    }

    /// Runs one of the lock's scripts on this node within `deadline`.
    pub(crate) async fn run<T: FromRedisValue + Send>(
        &self,
        script: &'static Script,
        keys: &[String],
        args: &[&str],
        deadline: Duration,
    ) -> Result<T, LockError> {
        let command = Command::script(script, keys, args);
        match tokio::time::timeout(deadline, self.send(&command)).await {
            Ok(answer) => answer,
            Err(_) => Err(self.no_answer(deadline)),
        }
    }

    /// The error of a call this node did not answer within `deadline`.
    pub(crate) fn no_answer(&self, deadline: Duration) -> LockError {
        self.failed(format!("no answer within {}ms", deadline.as_millis()))
    }

    fn failed(&self, message: String) -> LockError {
        LockError::Redis {
            node: self.name.clone(),
            message,
        }
    }

    /// Blocks up to `wait` for an element on `list` (BLPOP); `true` when one arrived, `false`
    /// when the wait ran out (or every pooled connection was busy for that long). The answer has
    /// its own deadline, the wait plus an allowance, so a paused node still cannot hang us and a
    /// long wait is never cut short by a default response timeout.
    pub(crate) async fn wait_for_push(
        &self,
        list: &str,
        wait: Duration,
    ) -> Result<bool, LockError> {
        let wait = wait.max(Duration::from_millis(1));
        // BLPOP's timeout is in seconds; zero would mean "forever", hence the 1ms floor above.
        let seconds = format!("{:.3}", wait.as_secs_f64());
        let borrowing = Timeouts {
            wait: Some(wait),
            create: Some(CONNECT_TIMEOUT),
            recycle: Some(CONNECT_TIMEOUT),
        };
        let deadline = wait + CONNECT_TIMEOUT + wait + WAIT_ALLOWANCE;
        self.within(deadline, async {
            let mut borrowed = match self.pool.timeout_get(&borrowing).await {
                Ok(conn) => Borrowed(Some(conn)),
                // Every connection is in use by other waiters: this slice is spent waiting anyway.
                Err(PoolError::Timeout(TimeoutType::Wait)) => return Ok(false),
                Err(e) => return Err(describe_pool(e)),
            };
            let conn = borrowed.connection();
            conn.set_response_timeout(wait + WAIT_ALLOWANCE);
            let popped: Option<(String, String)> = cmd("BLPOP")
                .arg(list)
                .arg(&seconds)
                .query_async(conn)
                .await
                .map_err(|e| e.to_string())?;
            borrowed.give_back();
            Ok(popped.is_some())
        })
        .await
    }

    /// The round trip of a PING.
    pub(crate) async fn ping(&self, deadline: Duration) -> Result<Duration, LockError> {
        let started = Instant::now();
        let ping = &cmd("PING");
        self.within(deadline, async {
            let _: String = self
                .shared
                .call(|mut conn| async move { ping.query_async(&mut conn).await })
                .await?;
            Ok(started.elapsed())
        })
        .await
    }

    async fn within<T>(
        &self,
        deadline: Duration,
        call: impl Future<Output = Result<T, String>>,
    ) -> Result<T, LockError> {
        match tokio::time::timeout(deadline, call).await {
            Ok(outcome) => outcome.map_err(|message| self.failed(message)),
            Err(_) => Err(self.no_answer(deadline)),
        }
    }
}

/// Loads `script` on the connection and sends `cmd` (its `EVALSHA`) once more.
async fn load_and_ask<T: FromRedisValue>(
    script: &Script,
    cmd: &redis::Cmd,
    mut conn: MultiplexedConnection,
) -> RedisResult<T> {
    script.load_async(&mut conn).await?;
    cmd.query_async(&mut conn).await
}

/// A pooled connection lent to one blocking wait. Unless the wait finished, the connection
/// may still have a BLPOP outstanding (the wait failed, timed out or was cancelled), and the
/// next borrower would queue behind it: such a connection is taken out of the pool and closed.
struct Borrowed(Option<deadpool_redis::Connection>);

impl Borrowed {
    fn connection(&mut self) -> &mut deadpool_redis::Connection {
        self.0.as_mut().expect("borrowed until given back")
    }

    fn give_back(mut self) {
        // Dropped into the pool as is: it has nothing outstanding.
        drop(self.0.take());
    }
}

impl Drop for Borrowed {
    fn drop(&mut self) {
        if let Some(conn) = self.0.take() {
            drop(deadpool_redis::Connection::take(conn));
        }
    }
}

fn describe_pool(e: PoolError) -> String {
    match e {
        // The connection error itself, without deadpool's "while creating a new object" prefix.
        PoolError::Backend(e) => e.to_string(),
        PoolError::Timeout(_) => format!("no connection within {}ms", CONNECT_TIMEOUT.as_millis()),
        other => other.to_string(),
    }
}

/// `redis://user:secret@host:6379/0?password=x` → `redis://host:6379/0`: what a health page or a
/// log line may show. Everything that can carry a secret (user info, query) is dropped.
pub(crate) fn without_credentials(url: &str) -> String {
    let url = url.trim();
    let Some((scheme, rest)) = url.split_once("://") else {
        let host = url.rsplit('@').next().unwrap_or_default();
        return host.split('?').next().unwrap_or_default().to_string();
    };
    let rest = rest.split(['?', '#']).next().unwrap_or_default();
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    let host = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    format!("{scheme}://{host}{path}")
}

#[cfg(test)]
mod tests {
    use super::without_credentials;

    #[test]
    fn a_url_shown_to_people_carries_no_password() {
        assert_eq!(
            without_credentials("redis://user:s3cret@10.0.0.5:7001/2?protocol=resp3"),
            "redis://10.0.0.5:7001/2"
        );
        assert_eq!(
            without_credentials("redis://:s3cret@localhost:7001"),
            "redis://localhost:7001"
        );
        assert_eq!(
            without_credentials("redis://127.0.0.1:7001"),
            "redis://127.0.0.1:7001"
        );
        assert_eq!(
            without_credentials("redis+unix:///tmp/redis.sock?pass=s3cret"),
            "redis+unix:///tmp/redis.sock"
        );
    }

    #[test]
    fn a_malformed_url_is_refused_with_its_password_hidden() {
        let err = super::Node::new("redis://user:s3cret@host:notaport")
            .err()
            .unwrap();
        assert!(!err.to_string().contains("s3cret"), "{err}");
        assert!(matches!(err, super::LockError::InvalidUrl { .. }));
    }
}
