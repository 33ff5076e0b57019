//! One shared, multiplexed connection per node, opened on first use and again when it breaks.
//!
//! A lock call is one round trip to each node, and the connection it travels on decides what
//! that round trip costs. A pool (deadpool-redis) checks every connection it hands out with a
//! PING, a second round trip per call, which halved the lock's rate. A multiplexed connection
//! carries the commands of every concurrent caller at once, pipelined: fifty lock calls in
//! flight cost Redis fifty commands but only a few reads and writes of the socket. Commands on
//! one connection also run in the order they were sent, so a release sent after an acquisition
//! that timed out still deletes what that acquisition may have set.
//!
//! The price is that a blocking command (BLPOP) would hold everyone up, so the fair lock's
//! waits borrow pooled connections of their own (`node.rs`). When a command fails because the connection
//! broke (the node restarted, the socket was reset), the connection is dropped and the call is
//! tried once more on a fresh one, as a pool's health check would have done; a node that is
//! down then fails at once, refusing the new connection.

use std::future::Future;
use std::sync::Mutex;
use std::time::Duration;

use futures_util::future::try_join_all;
use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, Client, RedisError, RedisResult};

use super::scripts;

/// Commands that may wait at once to be written to one node's socket (redis's default is 50).
const PIPELINE_BUFFER: usize = 4096;

pub(crate) struct Shared {
    client: Client,
    connect_timeout: Duration,
    /// The connection in use and its generation, so a caller that saw it break drops only that
    /// one and not a fresh connection another caller has opened since.
    current: Mutex<Option<(u64, MultiplexedConnection)>>,
    /// Held while connecting, so that a burst of callers opens one connection, not fifty.
    connecting: tokio::sync::Mutex<u64>,
}

impl Shared {
    pub(crate) fn new(client: Client, connect_timeout: Duration) -> Shared {
        Shared {
            client,
            connect_timeout,
            current: Mutex::new(None),
            connecting: tokio::sync::Mutex::new(0),
        }
    }

    /// Runs `command` on the shared connection, once more on a new one if the first broke.
    pub(crate) async fn call<T, F, Fut>(&self, command: F) -> Result<T, String>
    where
        F: Fn(MultiplexedConnection) -> Fut,
        Fut: Future<Output = RedisResult<T>>,
    {
        let mut retried = false;
        loop {
            let (generation, connection) = self.connection().await?;
            match command(connection).await {
                Ok(value) => return Ok(value),
                Err(e) if broken(&e) => {
                    self.forget(generation);
                    if retried {
                        return Err(e.to_string());
                    }
                    retried = true;
                }
                Err(e) => return Err(e.to_string()),
            }
        }
    }

    fn current(&self) -> Option<(u64, MultiplexedConnection)> {
        self.current
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    async fn connection(&self) -> Result<(u64, MultiplexedConnection), String> {
        if let Some(current) = self.current() {
            return Ok(current);
        }
        let mut generation = self.connecting.lock().await;
        if let Some(current) = self.current() {
            return Ok(current);
        }
        // No response timeout on the connection itself: every caller bounds its own call.
        // And room for every caller's command at once: a command waiting for room in the
        // pipeline is not on the wire yet, and `asking.rs` relies on handing commands over at once.
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(self.connect_timeout))
            .set_response_timeout(None)
            .set_pipeline_buffer_size(PIPELINE_BUFFER);
        let connection = self
            .client
            .get_multiplexed_async_connection_with_config(&config)
            .await
            .map_err(|e| e.to_string())?;
        // Every script known to the node before the first caller runs one (`scripts.rs`); the
        // loads travel pipelined, in one round trip.
        let loads = scripts::all().map(|script| {
            let mut connection = connection.clone();
            async move { script.load_async(&mut connection).await }
        });
        try_join_all(loads).await.map_err(|e| e.to_string())?;
        *generation += 1;
        *self.current.lock().unwrap_or_else(|p| p.into_inner()) =
            Some((*generation, connection.clone()));
        Ok((*generation, connection))
    }

    fn forget(&self, generation: u64) {
        let mut current = self.current.lock().unwrap_or_else(|p| p.into_inner());
        if matches!(&*current, Some((g, _)) if *g == generation) {
            *current = None;
        }
    }
}

/// The connection itself failed (as opposed to Redis answering with an error).
fn broken(e: &RedisError) -> bool {
    e.is_io_error() || e.is_connection_dropped() || e.is_unrecoverable_error()
}
