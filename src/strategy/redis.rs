//! `redis` (also `/book-with-lock`): the naive booking inside a single-node Redis lock.

use super::leased::{Acquire, Lease, Nodes};

pub const DESCRIPTION: &str = "A lock on one Redis node: SET lock:event:{id} <random value> NX PX \
    ttl, released by a script that deletes the key only if it still holds our value. Requests for \
    the same event take turns, across every app instance that shares the node, so the last ticket \
    is sold once. It breaks when a holder is paused longer than the lock's TTL: the key expires, a \
    second request takes the lock, and both write. And the one node is a single point of failure.";

/// Where and how it takes its lease; the booking under it is the naive one
/// ([`naive_under_lease`](super::leased::naive_under_lease)).
pub(super) const LEASE: Lease = Lease {
    nodes: Nodes::First,
    how: Acquire::Plain,
};
