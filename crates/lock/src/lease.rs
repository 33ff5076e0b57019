//! What a caller holds after acquiring: the random value that proves ownership and the lease's end.
//!
//! A distributed lock is a lease, not a mutex: it ends at `valid_until` whether or not the holder
//! is finished. The value is what lets release tell "my key" from "a key someone else set after
//! mine expired", so it must be unguessable and unique per acquisition, never a process or
//! instance name that two requests could share.

use std::fmt;
use std::time::{Duration, Instant};

use rand::Rng;

use super::FencingToken;

/// 128 unpredictable random bits, shown as 32 lowercase hex characters.
///
/// They come from the thread's cryptographically secure generator (ChaCha, seeded and reseeded
/// from the operating system) rather than from a `getrandom` system call per acquisition: just
/// as unguessable, and one system call less on the lock's hot path. The value is kept as the
/// text every command sends, written once when it is drawn.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct LockValue([u8; 32]);

impl LockValue {
    /// A fresh value no other holder can have: 2^128 possibilities.
    pub fn random() -> LockValue {
        LockValue::from_bits(rand::rng().random())
    }

    fn from_bits(bits: u128) -> LockValue {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut text = [0; 32];
        for (i, digit) in text.iter_mut().enumerate() {
            *digit = HEX[(bits >> (124 - 4 * i) & 0xf) as usize];
        }
        LockValue(text)
    }

    /// The 32 hex characters stored in the lock's keys.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("hex digits are ASCII")
    }
}

impl fmt::Display for LockValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for LockValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "LockValue({self})")
    }
}

/// A lock we hold, until `valid_until` at the latest.
#[derive(Clone, Debug)]
pub struct Lock {
    /// The Redis keys held, sorted and without duplicates.
    pub resources: Vec<String>,
    /// Stored in every key; only a release carrying it deletes them.
    pub value: LockValue,
    /// When the successful attempt began: the nodes' TTLs started no earlier than this, so the
    /// lease is counted from here.
    pub acquired_at: Instant,
    /// `acquired_at + ttl − drift`: past this, another holder may have the lock.
    pub valid_until: Instant,
    /// Attempts made, the successful one included.
    pub attempts: u32,
    /// Time spent in `acquire`, waiting for other holders included.
    pub waited: Duration,
    /// Minted by [`acquire_fenced`](super::LockManager::acquire_fenced): larger than any earlier
    /// holder's token for these resources. Hand it to the storage with every write.
    pub token: Option<FencingToken>,
    /// Taken by [`acquire_fair`](super::LockManager::acquire_fair): release hands it to the next
    /// waiter in line.
    pub fair: bool,
}

impl Lock {
    /// How much of the lease is left; zero once it is over. Check it before a write that cannot
    /// be undone, though a pause right after the check can still outlast it (see the module docs).
    pub fn remaining_validity(&self) -> Duration {
        self.valid_until.saturating_duration_since(Instant::now())
    }
}

/// What release found on the nodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Release {
    /// A quorum of nodes still held our value and deleted it: the lock was ours until now.
    Released,
    /// Fewer than a quorum still held our value (a node that kept the key longer than the others
    /// does not count): the lease had run out, and someone else may have held the lock in the
    /// meantime. Whatever was done under it may have overlapped with another holder.
    AlreadyExpired,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lock_value_is_32_lowercase_hex_characters() {
        let text = LockValue::random().to_string();
        assert_eq!(text.len(), 32);
        assert!(text
            .chars()
            .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c)));
    }

    #[test]
    fn two_lock_values_differ() {
        assert_ne!(LockValue::random(), LockValue::random());
    }

    #[test]
    fn small_values_keep_their_leading_zeros() {
        assert_eq!(
            LockValue::from_bits(255).to_string(),
            format!("{}ff", "0".repeat(30))
        );
        assert_eq!(
            LockValue::from_bits(0x0123_4567_89ab_cdef << 64).as_str(),
            format!("0123456789abcdef{}", "0".repeat(16))
        );
    }
}
