//! `redlock`: the naive booking inside a lock granted by a majority of independent Redis nodes.

use super::leased::{Acquire, Lease, Nodes};

pub const DESCRIPTION: &str = "The same SET NX PX lock on N independent Redis nodes, asked in \
    parallel: it is held when a majority (N/2+1) granted it and the time left, TTL minus the time \
    the asking took minus clock drift, is still positive. It keeps working while a minority of \
    nodes is dead or paused, and refuses (503 quorum_unavailable) rather than guess when a \
    majority is gone. It is still a lease: a holder paused past the TTL writes alongside the next \
    holder, exactly like the single-node lock.";

/// Where and how it takes its lease; the booking under it is the naive one
/// ([`naive_under_lease`](super::leased::naive_under_lease)).
pub(super) const LEASE: Lease = Lease {
    nodes: Nodes::All,
    how: Acquire::Plain,
};
