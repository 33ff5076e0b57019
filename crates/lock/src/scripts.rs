//! The Lua scripts that make multi-key acquisition and owner-checked release atomic on a node.
//!
//! Redis runs a script without interleaving other clients' commands, which is what turns "check,
//! then act" into one step. Checking ownership with a GET and then sending a DEL as two commands
//! would let the key expire and pass to someone else in between, and we would delete *their*
//! lock. The keys stay plain strings holding the random value, so a client in another language
//! that uses the same key (redis-py's `Lock`, node-redlock) excludes us and we exclude it.
//!
//! Scripts are [`redis::Script`]s, sent with EVALSHA (only the 40-character digest travels).
//! Every script is loaded on each new connection before the connection is used (`connection.rs`),
//! so a script call is one command on the wire, never EVALSHA-NOSCRIPT-LOAD-EVALSHA: commands
//! to one node then run in the order they were sent, which is what lets a release sent after an
//! unanswered acquisition delete what it sets (`asking.rs`). Should a node lose its cache anyway
//! (SCRIPT FLUSH), the call loads the script and asks once more (`node.rs`), and still succeeds.

use std::sync::LazyLock;

use redis::Script;

/// Every script of the crate, for loading on a new connection.
pub(crate) fn all() -> [&'static Script; 7] {
    [
        &ACQUIRE_ALL,
        &RELEASE,
        &RELEASE_ONE,
        &super::fencing::ACQUIRE_FENCED,
        &super::watchdog::EXTEND,
        &super::fair::LOOK,
        &super::fair::LEAVE,
    ]
}

/// Sets every key to our value only if none of them exists: all or nothing on this node.
/// ARGV[1] is the value, ARGV[2] the TTL in milliseconds. Returns 1 when taken, 0 when not.
pub(crate) static ACQUIRE_ALL: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
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
    )
});

/// Deletes each key only while it still holds our value (ARGV[1]); returns how many it deleted.
pub(crate) static RELEASE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local deleted = 0
for _, key in ipairs(KEYS) do
  if redis.call('GET', key) == ARGV[1] then
    deleted = deleted + redis.call('DEL', key)
  end
end
return deleted
",
    )
});

/// [`RELEASE`] for one key, as redis.io gives it: the same answer without the loop, which
/// costs the node a little less for every release of the common one-key lock.
pub(crate) static RELEASE_ONE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
",
    )
});
