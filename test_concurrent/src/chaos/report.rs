//! What a chaos run prints: a progress line while it runs (stderr), the report at the end
//! (stdout, text or `--json`), and the rule that decides the exit status.

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::faults::{Fault, FaultLog};
use super::load::{Stats, StrategyStats};
use super::locks::StuckLock;
use super::ChaosArgs;

/// `[  12.3s]`, the prefix of every line printed while the run goes on.
pub fn stamp(at: Duration) -> String {
    format!("[{:>7.1}s]", at.as_secs_f64())
}

/// `90s`, `5m`, `2.5s`.
pub fn seconds(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s >= 60.0 && s % 60.0 == 0.0 {
        format!("{}m", s as u64 / 60)
    } else if s.fract() == 0.0 {
        format!("{}s", s as u64)
    } else {
        format!("{s:.1}s")
    }
}

/// One line every `every` until `stop`.
pub async fn progress(
    stats: Stats,
    faults: FaultLog,
    started: Instant,
    duration: Duration,
    every: Duration,
    stop: Arc<AtomicBool>,
) {
    loop {
        tokio::time::sleep(every).await;
        if stop.load(Ordering::SeqCst) {
            return;
        }
        let all = stats.snapshot();
        let sum = |f: fn(&StrategyStats) -> u64| all.values().map(f).sum::<u64>();
        let (faulted, now_down) = {
            let log = faults.lock().unwrap();
            let down: Vec<String> = log
                .iter()
                .filter(|f| f.lasted_s.is_none())
                .map(|f| f.target.clone())
                .collect();
            (log.len(), down)
        };
        eprintln!(
            "{} of {} | requests {} sent, {} answered | 201 {} | 503 {} | rounds {} | faults {}{} | violations {}",
            stamp(started.elapsed()),
            seconds(duration),
            sum(|s| s.sent),
            sum(|s| s.answered),
            sum(|s| s.created),
            sum(|s| s.unavailable),
            sum(|s| s.rounds),
            faulted,
            if now_down.is_empty() { String::new() } else { format!(" (now: {})", now_down.join(", ")) },
            sum(|s| s.violations),
        );
    }
}

#[derive(Serialize)]
pub struct Report {
    pub duration_s: f64,
    pub targets: Vec<String>,
    pub database: String,
    pub redis_nodes: usize,
    pub race_window_ms: u64,
    pub ttl_ms: u64,
    pub capacity: i64,
    pub concurrency: u32,
    pub requests_sent: u64,
    pub requests_answered: u64,
    pub faults_injected: usize,
    pub faults_by_kind: BTreeMap<String, usize>,
    pub faults: Vec<Fault>,
    pub strategies: BTreeMap<String, StrategyStats>,
    /// `lock:*` keys found this long after the last request.
    pub lock_scan_after_ms: u64,
    pub locks_held_past_ttl: Vec<StuckLock>,
    pub violations: u64,
    pub ok: bool,
}

impl Report {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        args: &ChaosArgs,
        targets: &[String],
        database: &str,
        redis_nodes: usize,
        elapsed: Duration,
        stats: &Stats,
        faults: &FaultLog,
        stuck: Vec<StuckLock>,
        scanned_after: Duration,
    ) -> Report {
        let strategies = stats.snapshot();
        let faults = faults.lock().unwrap().clone();
        let mut by_kind = BTreeMap::new();
        for fault in &faults {
            *by_kind.entry(fault.kind.name().to_string()).or_insert(0) += 1;
        }
        let violations = strategies.values().map(|s| s.violations).sum();
        let unaudited: u64 = strategies.values().map(|s| s.unaudited).sum();
        Report {
            duration_s: elapsed.as_secs_f64(),
            targets: targets.to_vec(),
            database: database.to_string(),
            redis_nodes,
            race_window_ms: args.race_window_ms,
            ttl_ms: args.ttl_ms,
            capacity: args.capacity,
            concurrency: args.concurrency,
            requests_sent: strategies.values().map(|s| s.sent).sum(),
            requests_answered: strategies.values().map(|s| s.answered).sum(),
            faults_injected: faults.len(),
            faults_by_kind: by_kind,
            faults,
            lock_scan_after_ms: scanned_after.as_millis() as u64,
            ok: violations == 0 && unaudited == 0 && stuck.is_empty(),
            locks_held_past_ttl: stuck,
            strategies,
            violations,
        }
    }

    /// No violation for any strategy under test, every round judged, no lock left held.
    pub fn passed(&self) -> bool {
        self.ok
    }

    pub fn print(&self, json: bool) -> anyhow::Result<()> {
        let mut out = std::io::stdout().lock();
        if json {
            writeln!(out, "{}", serde_json::to_string_pretty(self)?)?;
            return Ok(());
        }
        let kinds: Vec<String> = self
            .faults_by_kind
            .iter()
            .map(|(k, n)| format!("{n} {k}"))
            .collect();
        writeln!(
            out,
            "chaos run of {:.0}s over {} ({}, {} Redis nodes); race window {} ms, TTL {} ms, {} ticket(s) per round, {} in flight per strategy",
            self.duration_s,
            self.targets.join(", "),
            self.database,
            self.redis_nodes,
            self.race_window_ms,
            self.ttl_ms,
            self.capacity,
            self.concurrency
        )?;
        writeln!(
            out,
            "requests   {} sent, {} answered, {} without an answer",
            self.requests_sent,
            self.requests_answered,
            self.requests_sent - self.requests_answered
        )?;
        writeln!(
            out,
            "faults     {} injected{}",
            self.faults_injected,
            if kinds.is_empty() {
                String::new()
            } else {
                format!(": {}", kinds.join(", "))
            }
        )?;
        writeln!(out)?;
        writeln!(
            out,
            "{:<12} {:>7} {:>7} {:>6} {:>8} {:>6} {:>6} {:>11} {:>6} {:>6} {:>9} {:>10}",
            "strategy",
            "sent",
            "rounds",
            "booked",
            "sold out",
            "stale",
            "503",
            "503 healthy",
            "other",
            "no ans",
            "unjudged",
            "violations"
        )?;
        for (name, s) in &self.strategies {
            writeln!(
                out,
                "{name:<12} {:>7} {:>7} {:>6} {:>8} {:>6} {:>6} {:>11} {:>6} {:>6} {:>9} {:>10}",
                s.sent,
                s.rounds,
                s.booked,
                s.sold_out,
                s.stale_fence,
                s.unavailable,
                s.unavailable_on_healthy_nodes,
                s.other,
                s.no_answer,
                s.unaudited,
                s.violations
            )?;
            if let Some(first) = &s.first_violation {
                writeln!(out, "             first violation: {first}")?;
            }
        }
        writeln!(
            out,
            "             (503 healthy: 503s while every part the strategy relies on was up: its Redis\n              \
             node(s), etcd, both app instances; the others came while one of those was faulted)"
        )?;
        writeln!(out)?;
        writeln!(
            out,
            "locks      {} lock:* key(s) still held {:.1}s after the last request (TTL {} ms)",
            self.locks_held_past_ttl.len(),
            self.lock_scan_after_ms as f64 / 1000.0,
            self.ttl_ms
        )?;
        for lock in &self.locks_held_past_ttl {
            writeln!(
                out,
                "           {} {} (PTTL {} ms)",
                lock.node, lock.key, lock.pttl_ms
            )?;
        }
        if self.ok {
            writeln!(
                out,
                "verdict    PASSED: no invariant violation in any strategy's audit, no lock held past its TTL"
            )?;
        } else {
            writeln!(
                out,
                "verdict    FAILED: {} violation(s), {} lock(s) held past their TTL, {} round(s) not judged",
                self.violations,
                self.locks_held_past_ttl.len(),
                self.strategies.values().map(|s| s.unaudited).sum::<u64>()
            )?;
        }
        Ok(())
    }
}
