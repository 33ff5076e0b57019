//! What happened inside one booking, and when: the marks the timeline, the metrics and the
//! benchmarks are drawn from.
//!
//! A [`Trace`] starts when the server takes the request. The strategy marks the moments that
//! matter — lock taken, availability read, write started and done, lock released — and whether
//! the lease ran out before the release. Every booking answer carries the trace as `"trace"`, the
//! 201 and the errors alike, because the requests that lost (sold out, stale fence) held the lock
//! too and belong on the timeline. Times are milliseconds since the server took the request.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::lock::Lock;

/// Marks of one booking, shared by the handler and the strategy (cheap to clone).
#[derive(Clone, Debug)]
pub struct Trace {
    started: Instant,
    marks: Arc<Mutex<Marks>>,
}

/// The trace as the API shows it: the wire contract's type.
pub use oversold_api::Marks;

impl Trace {
    pub fn start(instance: &str) -> Trace {
        Trace {
            started: Instant::now(),
            marks: Arc::new(Mutex::new(Marks {
                instance: instance.to_string(),
                started_at: Some(chrono::Utc::now()),
                ..Marks::default()
            })),
        }
    }

    fn ms(&self, at: Instant) -> f64 {
        at.saturating_duration_since(self.started).as_secs_f64() * 1000.0
    }

    fn now_ms(&self) -> f64 {
        self.ms(Instant::now())
    }

    fn mark(&self, f: impl FnOnce(&mut Marks)) {
        // A poisoned mutex only means another mark panicked; the marks themselves are plain data.
        f(&mut self.marks.lock().unwrap_or_else(|p| p.into_inner()));
    }

    /// A Redis lease was granted.
    pub fn lease_taken(&self, lock: &Lock) {
        self.lease_granted(
            lock.attempts,
            lock.valid_until,
            lock.token.map(|t| t.0 as i64),
        );
    }

    /// A lease lock was granted after `attempts`, valid until `valid_until` unless renewed, with
    /// `token` as its fencing token (an etcd lease and its key's revision, or a Redis lease).
    pub fn lease_granted(&self, attempts: u32, valid_until: Instant, token: Option<i64>) {
        let acquired = self.now_ms();
        let ends = self.ms(valid_until);
        self.mark(|m| {
            m.lock_acquired_ms = Some(acquired);
            m.lock_attempts = Some(attempts);
            m.lease_ends_ms = Some(ends);
            m.fence_token = token;
        });
    }

    /// A lock without a lease (mutex, row lock, advisory lock) is ours.
    pub fn lock_taken(&self) {
        let now = self.now_ms();
        self.mark(|m| m.lock_acquired_ms = Some(now));
    }

    pub fn released(&self, lease_expired: bool) {
        let now = self.now_ms();
        self.mark(|m| {
            m.released_ms = Some(now);
            m.lease_expired = Some(lease_expired);
        });
    }

    /// A lock without a lease is let go (a transaction ended), if one was taken.
    pub fn unlocked(&self) {
        let now = self.now_ms();
        self.mark(|m| {
            if m.lock_acquired_ms.is_some() {
                m.released_ms = Some(now);
            }
        });
    }

    pub fn read(&self) {
        let now = self.now_ms();
        self.mark(|m| m.read_ms = Some(now));
    }

    pub fn write_started(&self) {
        let now = self.now_ms();
        self.mark(|m| m.write_started_ms = Some(now));
    }

    pub fn write_done(&self) {
        let now = self.now_ms();
        self.mark(|m| m.write_done_ms = Some(now));
    }

    /// Time since the request was taken.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// The marks so far, with `total_ms` set to now.
    pub fn finish(&self) -> Marks {
        let total = self.now_ms();
        let mut marks = self.marks.lock().unwrap_or_else(|p| p.into_inner()).clone();
        marks.total_ms = total;
        marks
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_are_in_the_order_they_were_made() {
        let trace = Trace::start("app-1");
        trace.lock_taken();
        trace.read();
        std::thread::sleep(Duration::from_millis(5));
        trace.write_started();
        trace.write_done();
        trace.released(false);
        let m = trace.finish();
        let order = [
            m.lock_acquired_ms.unwrap(),
            m.read_ms.unwrap(),
            m.write_started_ms.unwrap(),
            m.write_done_ms.unwrap(),
            m.released_ms.unwrap(),
            m.total_ms,
        ];
        assert!(order.windows(2).all(|w| w[0] <= w[1]), "{order:?}");
        assert!(m.hold_ms().unwrap() >= 5.0, "{m:?}");
        assert_eq!(m.instance, "app-1");
    }

    #[test]
    fn a_strategy_without_a_lock_has_no_hold_time() {
        let trace = Trace::start("app-1");
        trace.read();
        let m = trace.finish();
        assert_eq!(m.hold_ms(), None);
        let json = serde_json::to_value(&m).unwrap();
        assert!(json.get("lock_acquired_ms").is_none(), "{json}");
        assert!(json["read_ms"].is_number());
    }
}
