//! The Lua scripts that make multi-key acquisition and owner-checked release atomic on a node.
//!
//! Redis runs a script without interleaving other clients' commands, which is what turns "check,
//! then act" into one step. Checking ownership with a GET and then sending a DEL as two commands
//! would let the key expire and pass to someone else in between, and we would delete *their*
//! lock. The keys stay plain strings holding the random value, so a client in another language
//! that uses the same key (redis-py's `Lock`, node-redlock) excludes us and we exclude it.
//!
//! Scripts are sent with EVALSHA (only the 40-character digest travels) and fall back to EVAL
//! when a node does not know the script yet, e.g. after a restart emptied its script cache.
//! This is what `redis::Script` does; it is written out here because the `script` feature of the
//! `redis` crate is not enabled by the workspace.

use std::sync::OnceLock;

use deadpool_redis::redis::aio::ConnectionLike;
use deadpool_redis::redis::{cmd, Cmd, ErrorKind, FromRedisValue, RedisResult, ServerErrorKind};

/// Sets every key to our value only if none of them exists: all or nothing on this node.
/// ARGV[1] is the value, ARGV[2] the TTL in milliseconds. Returns 1 when taken, 0 when not.
pub(crate) static ACQUIRE_ALL: Script = Script::new(
    r"
for _, key in ipairs(KEYS) do
  if redis.call('EXISTS', key) == 1 then
    return 0
  end
end
for _, key in ipairs(KEYS) do
  redis.call('SET', key, ARGV[1], 'PX', ARGV[2])
end
return 1
",
);

/// Deletes each key only while it still holds our value (ARGV[1]); returns how many it deleted.
pub(crate) static RELEASE: Script = Script::new(
    r"
local deleted = 0
for _, key in ipairs(KEYS) do
  if redis.call('GET', key) == ARGV[1] then
    deleted = deleted + redis.call('DEL', key)
  end
end
return deleted
",
);

pub(crate) struct Script {
    source: &'static str,
    /// Learnt from the first node that loads the script; the digest is the same on every node.
    digest: OnceLock<String>,
}

impl Script {
    pub(crate) const fn new(source: &'static str) -> Script {
        Script {
            source,
            digest: OnceLock::new(),
        }
    }

    pub(crate) async fn run<T: FromRedisValue>(
        &self,
        conn: &mut impl ConnectionLike,
        keys: &[String],
        args: &[String],
    ) -> RedisResult<T> {
        let digest = match self.digest.get() {
            Some(digest) => digest,
            None => {
                let loaded: String = cmd("SCRIPT")
                    .arg("LOAD")
                    .arg(self.source)
                    .query_async(conn)
                    .await?;
                self.digest.get_or_init(|| loaded)
            }
        };
        match eval("EVALSHA", digest, keys, args).query_async(conn).await {
            Err(e) if e.kind() == ErrorKind::Server(ServerErrorKind::NoScript) => {
                // EVAL also caches the script on this node, so the next EVALSHA finds it.
                eval("EVAL", self.source, keys, args)
                    .query_async(conn)
                    .await
            }
            result => result,
        }
    }
}

fn eval(command: &str, script: &str, keys: &[String], args: &[String]) -> Cmd {
    let mut eval = cmd(command);
    eval.arg(script).arg(keys.len()).arg(keys).arg(args);
    eval
}
