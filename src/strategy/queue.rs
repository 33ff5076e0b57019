//! `queue`: the naive booking inside a fair lock that serves waiters in arrival order.

use super::leased::{Acquire, Lease, Nodes};

pub const DESCRIPTION: &str = "A fair FIFO lock on the first Redis node: each request takes a \
    ticket, waits its turn asleep, and is woken when the holder hands the lock on, instead of \
    every waiter polling with backoff. Nobody starves and nobody burns round trips while waiting. \
    It is still a lease: a holder paused past the TTL is skipped, the next in line is woken, and \
    the two write together, unless the storage checks fencing tokens.";

/// Where and how it takes its lease; the booking under it is the naive one
/// ([`naive_under_lease`](super::leased::naive_under_lease)).
pub(super) const LEASE: Lease = Lease {
    nodes: Nodes::First,
    how: Acquire::Fair,
};
