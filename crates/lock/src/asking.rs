//! Asking every node at once, and deciding as soon as the answers so far settle the question.
//!
//! Redlock needs a majority, not everyone: once a quorum has granted a lock (or so many nodes
//! refused or failed that no quorum can), the nodes still silent cannot change the outcome. So a
//! caller never waits for them, and a paused node costs no caller its timeout.
//!
//! What becomes of the calls still open is the subtle part. Every call is handed to its node's
//! connection before [`ask`] returns, and commands on one connection run in the order they were
//! sent, each lock command being one command on the wire (`scripts.rs`). So a release sent after
//! an unanswered acquisition runs after it on that node and deletes whatever it set. An open
//! acquisition is therefore simply dropped ([`Stragglers::Drop`]): sent, it still runs, in order;
//! not sent yet (still connecting, or about to be sent again on a fresh connection after the old
//! one broke), it is never sent, so it can never land after a release. An open release is
//! finished in the background instead ([`Stragglers::Finish`]), each call on its own deadline: a
//! release that arrives late deletes nothing but what it is meant to.

use std::future::Future;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use futures_util::stream::{FuturesUnordered, StreamExt};

use super::node::Node;
use super::LockError;

/// The answers so far, one slot per node in node order.
pub(crate) struct Answers<T> {
    slots: Vec<Option<Result<T, LockError>>>,
}

impl<T> Answers<T> {
    /// Nodes that answered with a value for which `which` holds.
    pub(crate) fn count(&self, which: impl Fn(&T) -> bool) -> usize {
        self.oks().filter(|t| which(t)).count()
    }

    /// Nodes that failed or did not answer within their deadline.
    pub(crate) fn failed(&self) -> usize {
        self.errors().count()
    }

    pub(crate) fn oks(&self) -> impl Iterator<Item = &T> {
        self.slots
            .iter()
            .filter_map(|s| s.as_ref().and_then(|r| r.as_ref().ok()))
    }

    pub(crate) fn errors(&self) -> impl Iterator<Item = &LockError> {
        self.slots
            .iter()
            .filter_map(|s| s.as_ref().and_then(|r| r.as_ref().err()))
    }

    /// The indexes of the nodes that answered with a value for which `which` holds.
    pub(crate) fn nodes_where(&self, which: impl Fn(&T) -> bool) -> Vec<usize> {
        (0..self.slots.len())
            .filter(|&i| matches!(&self.slots[i], Some(Ok(t)) if which(t)))
            .collect()
    }

    pub(crate) fn has_answered(&self, node: usize) -> bool {
        self.slots[node].is_some()
    }
}

/// What becomes of the calls still open when a question is settled (see the module docs).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stragglers {
    /// Questions that take something (acquire, extend): what was sent runs, the rest never is.
    Drop,
    /// Releases: finished in the background, each on its own deadline.
    Finish,
}

/// One question in flight on every node.
pub(crate) struct Asking<T, F>
where
    T: Send + 'static,
    F: Future<Output = (usize, Result<T, LockError>)> + Send + 'static,
{
    answers: Answers<T>,
    pending: FuturesUnordered<F>,
    stragglers: Stragglers,
}

/// Sends `ask` to every node at once.
pub(crate) fn ask<T, Fut>(
    nodes: &[Arc<Node>],
    stragglers: Stragglers,
    ask: impl Fn(Arc<Node>) -> Fut,
) -> Asking<T, impl Future<Output = (usize, Result<T, LockError>)> + Send + 'static>
where
    T: Send + 'static,
    Fut: Future<Output = Result<T, LockError>> + Send + 'static,
{
    let pending = nodes
        .iter()
        .enumerate()
        .map(|(i, node)| {
            let call = ask(node.clone());
            async move { (i, call.await) }
        })
        .collect();
    let mut asking = Asking {
        answers: Answers {
            slots: (0..nodes.len()).map(|_| None).collect(),
        },
        pending,
        stragglers,
    };
    asking.hand_over();
    asking
}

impl<T, F> Asking<T, F>
where
    T: Send + 'static,
    F: Future<Output = (usize, Result<T, LockError>)> + Send + 'static,
{
    /// Collects answers until `settled` says the answers so far decide the question, or until
    /// every node has answered.
    pub(crate) async fn until(&mut self, mut settled: impl FnMut(&Answers<T>) -> bool) {
        if settled(&self.answers) {
            return;
        }
        while let Some((node, answer)) = self.pending.next().await {
            self.answers.slots[node] = Some(answer);
            if settled(&self.answers) {
                return;
            }
        }
    }

    /// Polls every call once, right now, so that each command is on its node's connection
    /// before `ask` returns: whatever this task sends a node next runs after it there. (A call
    /// still connecting holds the node's connecting lock, which later calls queue behind.)
    fn hand_over(&mut self) {
        let mut cx = Context::from_waker(Waker::noop());
        // FuturesUnordered polls each queued call once per round before it yields; an answer
        // that is ready at once is kept like any other.
        while let Poll::Ready(Some((node, answer))) = self.pending.poll_next_unpin(&mut cx) {
            self.answers.slots[node] = Some(answer);
        }
    }

    pub(crate) fn answers(&self) -> &Answers<T> {
        &self.answers
    }
}

impl<T, F> Drop for Asking<T, F>
where
    T: Send + 'static,
    F: Future<Output = (usize, Result<T, LockError>)> + Send + 'static,
{
    fn drop(&mut self) {
        if self.pending.is_empty() || self.stragglers == Stragglers::Drop {
            return;
        }
        let mut stragglers = std::mem::take(&mut self.pending);
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move { while stragglers.next().await.is_some() {} });
        }
    }
}
