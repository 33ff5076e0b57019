//! Fencing tokens: a number minted with every acquisition that is larger for every later holder.
//!
//! A lease cannot stop a holder paused past its TTL from writing; the storage can, if every
//! write carries the holder's token and the storage refuses tokens older than the newest it has
//! seen. So the one property that matters is: **successive holders of a resource get strictly
//! increasing tokens**, also while Redlock nodes fail and come back.
//!
//! How it is guaranteed. Each node mints, in the same script that takes the lock (so no holder
//! ever has a lock without a token), `max(last + 1, now_µs)` where `last` is the node's counter
//! for the resource and `now_µs` its own clock (`TIME`), and stores the result back as `last`.
//! The lock's token is the largest a granting node minted. Now take two successive holders A
//! then B:
//! - B's quorum and A's quorum share at least one node (two majorities of N intersect). If that
//!   node kept its counter, its `last` is at least what it minted for A, so it mints more for B;
//!   but A's token may have come from *another* node with a larger value, which is why the
//!   counter alone is not enough.
//! - The clock component covers that and the empty restart: a token is never more than a few
//!   microseconds ahead of the clock that minted it (`last + 1` only exceeds `now_µs` when one node
//!   mints more than one token per microsecond), and B's acquisition starts after A's was granted
//!   (A held the lock, which B had to wait out), so B's node reads a later `TIME` than any token
//!   A got, whether or not that node remembers anything.
//!
//! Where it would not hold: node clocks that disagree by more than the time between two holders,
//! or a clock stepped backwards (NTP step, a VM restored from a snapshot) by more than that gap;
//! a node restarted empty *and* with a clock behind. Run nodes with a monotonic, synchronised
//! clock (slewing NTP, never stepping) and keep TTLs far above the clock error. Tokens are
//! microseconds since 1970, about 2^51 today, so they fit an `i64` column and Lua's doubles.

use std::fmt;
use std::sync::LazyLock;

use redis::Script;

/// A strictly increasing number per resource, handed to the storage with every write.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct FencingToken(pub u64);

impl fmt::Display for FencingToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Where a resource set's counter lives: next to its first (sorted) key, never expiring.
pub(crate) fn counter_key(keys: &[String]) -> String {
    format!("fence:{}", keys.first().map_or("", String::as_str))
}

/// KEYS[1] is the counter, KEYS[2..] the lock keys; ARGV[1] the value, ARGV[2] the TTL in ms.
/// Takes every lock key or none and, when taken, mints and returns the token (0 when not taken).
/// `%.0f` because Lua 5.1 would print a number this large in exponent notation.
pub(crate) static ACQUIRE_FENCED: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
for i = 2, #KEYS do
  if redis.call('EXISTS', KEYS[i]) == 1 then
    return 0
  end
end
for i = 2, #KEYS do
  redis.call('SET', KEYS[i], ARGV[1], 'PX', ARGV[2])
end
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local last = tonumber(redis.call('GET', KEYS[1]) or '0')
local token = math.max(last + 1, now)
redis.call('SET', KEYS[1], string.format('%.0f', token))
return token
",
    )
});
