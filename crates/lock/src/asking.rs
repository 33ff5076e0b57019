//! Asking every node at once, and deciding as soon as the answers so far settle the question.
//!
//! Redlock needs a majority, not everyone: once a quorum has granted a lock (or so many nodes
//! refused or failed that no quorum can), the nodes still silent cannot change the outcome. So a
//! caller never waits for them, and a paused node costs no caller its timeout.
//!
//! What becomes of the calls still open is the subtle part. Every call is handed to its node's
//! connection before [`ask`] returns, and a connection writes commands in the order they were
//! handed over, each lock command being one command on the wire (`scripts.rs`). The redis client
//! does not write a command whose caller has gone, though. So an open acquisition (or extension)
//! is dropped when the question is settled: if it was written, it runs; if not, it never will,
//! so it can never land after the release meant to undo it. An open release is instead finished
//! in the background ([`Asking::finish_in_background`]), up to the question's deadline, so that it
//! is written, right after anything this process sent that node before; a release that arrives
//! late deletes nothing but what it is meant to.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use futures_util::future::poll_fn;
use tokio::task::coop::{unconstrained, Unconstrained};

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

/// One question in flight on every node; dropping it drops the calls still open.
pub(crate) struct Asking<T, F, N> {
    answers: Answers<T>,
    /// The open calls, by node; `None` once answered. A handful of nodes, so each wake-up
    /// simply polls them all, as `join_all` does. Unconstrained by tokio's cooperative budget:
    /// a call must reach its connection when first polled, not be told to yield first.
    calls: Vec<Option<Pin<Box<Unconstrained<F>>>>>,
    /// Every call is asked at once, so one deadline bounds them all, one timer for the
    /// question where a timeout per call would be one per node: a node that has not answered
    /// by then has failed, with `no_answer(node)` as its error.
    deadline: Instant,
    no_answer: N,
}

/// Sends `ask(node index)` to every node at once; a node silent for `within` fails with
/// `no_answer(node index)`.
pub(crate) fn ask<T, F, N>(
    nodes: usize,
    within: Duration,
    no_answer: N,
    ask: impl Fn(usize) -> F,
) -> Asking<T, F, N>
where
    F: Future<Output = Result<T, LockError>>,
    N: Fn(usize) -> LockError,
{
    let mut asking = Asking {
        answers: Answers {
            slots: (0..nodes).map(|_| None).collect(),
        },
        calls: (0..nodes)
            .map(|node| Some(Box::pin(unconstrained(ask(node)))))
            .collect(),
        deadline: Instant::now() + within,
        no_answer,
    };
    // Polled once right now, so that each command is on its node's connection before `ask`
    // returns: whatever this task sends a node next runs after it there. (A call still
    // connecting holds the node's connecting lock, which later calls queue behind.) The real
    // waker is registered by the first poll of `until`.
    asking.poll_calls(&mut Context::from_waker(Waker::noop()));
    asking
}

impl<T, F, N> Asking<T, F, N>
where
    F: Future<Output = Result<T, LockError>>,
    N: Fn(usize) -> LockError,
{
    /// Collects answers until `settled` says the answers so far decide the question, or until
    /// every node has answered or failed (the deadline fails those still silent).
    pub(crate) async fn until(&mut self, mut settled: impl FnMut(&Answers<T>) -> bool) {
        let deadline = self.deadline;
        let collecting = poll_fn(|cx| loop {
            if settled(&self.answers) || self.calls.iter().all(Option::is_none) {
                return Poll::Ready(());
            }
            if !self.poll_calls(cx) {
                return Poll::Pending;
            }
        });
        if tokio::time::timeout_at(deadline.into(), collecting)
            .await
            .is_err()
        {
            self.fail_open_calls();
        }
    }

    pub(crate) fn answers(&self) -> &Answers<T> {
        &self.answers
    }

    /// Keeps the calls still open running in a task of their own until they answer or the
    /// deadline passes.
    pub(crate) fn finish_in_background(mut self)
    where
        F: Send + 'static,
        T: Send + 'static,
        N: Send + 'static,
    {
        if self.calls.iter().all(Option::is_none) {
            return;
        }
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move { self.until(|_| false).await });
        }
    }

    /// Polls every open call once; `true` when at least one of them answered.
    fn poll_calls(&mut self, cx: &mut Context<'_>) -> bool {
        let mut answered = false;
        for (node, slot) in self.calls.iter_mut().enumerate() {
            if let Some(call) = slot {
                if let Poll::Ready(answer) = call.as_mut().poll(cx) {
                    self.answers.slots[node] = Some(answer);
                    *slot = None;
                    answered = true;
                }
            }
        }
        answered
    }

    /// The deadline has passed: every call still open has failed, and is dropped.
    fn fail_open_calls(&mut self) {
        for (node, slot) in self.calls.iter_mut().enumerate() {
            if slot.take().is_some() {
                self.answers.slots[node] = Some(Err((self.no_answer)(node)));
            }
        }
    }
}
