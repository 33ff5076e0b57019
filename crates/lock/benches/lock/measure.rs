//! The measuring loop: `tasks` tasks repeat one cycle as fast as they can for a fixed time.
//!
//! Every task is started before the clock starts (a barrier), each cycle's latency is kept, and
//! the rate is cycles over the time until the last task finished its last cycle, so a slow
//! straggler counts against the rate instead of being cut off.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use benchkit::stats::{per_second, summarize, Summary};

/// What one contender did in one configuration and round.
#[derive(Clone, Debug)]
pub struct Measurement {
    pub cycles: usize,
    pub errors: usize,
    pub elapsed: Duration,
    pub latency: Summary,
    /// The first error, to say what went wrong when a contender failed.
    pub first_error: Option<String>,
}

impl Measurement {
    pub fn per_second(&self) -> f64 {
        per_second(self.cycles, self.elapsed)
    }
}

/// Runs `cycle(task)` in `tasks` tasks for `duration`.
pub async fn run<F, Fut>(tasks: usize, duration: Duration, cycle: F) -> Measurement
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), String>> + Send,
{
    let cycle = Arc::new(cycle);
    let barrier = Arc::new(tokio::sync::Barrier::new(tasks + 1));
    let handles: Vec<_> = (0..tasks)
        .map(|task| {
            let cycle = cycle.clone();
            let barrier = barrier.clone();
            tokio::spawn(async move {
                let mut latencies = Vec::with_capacity(4096);
                let mut errors = 0;
                let mut first_error = None;
                barrier.wait().await;
                let deadline = Instant::now() + duration;
                while Instant::now() < deadline {
                    let started = Instant::now();
                    match cycle(task).await {
                        Ok(()) => latencies.push(started.elapsed().as_secs_f64() * 1000.0),
                        Err(e) => {
                            errors += 1;
                            first_error.get_or_insert(e);
                        }
                    }
                }
                (latencies, errors, first_error, Instant::now())
            })
        })
        .collect();
    barrier.wait().await;
    let started = Instant::now();
    let mut latencies = Vec::new();
    let mut errors = 0;
    let mut first_error = None;
    let mut finished = started;
    for handle in handles {
        let (mut l, e, f, at) = handle.await.expect("a benchmark task panicked");
        latencies.append(&mut l);
        errors += e;
        first_error = first_error.or(f);
        finished = finished.max(at);
    }
    Measurement {
        cycles: latencies.len(),
        errors,
        elapsed: finished - started,
        latency: summarize(&latencies),
        first_error,
    }
}
