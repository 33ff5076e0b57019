//! The fault injector: one fault at a time, in turn over the kinds asked for, healed on a clock.
//!
//! Kinds are taken in turn rather than at random so that even a short run sees each of them
//! (a kind waits for its turn while too much is down already);
//! which node or instance, and for how long, is random (from `--seed`). At most
//! `--max-nodes-down` nodes are down or paused at once, and at most one app instance, and never
//! the last one serving. A killed node stays down at least one lock TTL before it restarts empty:
//! Redlock's "delayed restart", without which a node that forgot a lock could grant it again.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::ValueEnum;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;
use tokio::task::JoinSet;

use super::report::stamp;
use super::ChaosArgs;
use crate::processes::{Processes, Relaunch};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, ValueEnum, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FaultKind {
    RedisPause,
    RedisKill,
    AppKill,
    EtcdPause,
    EtcdKill,
    None,
}

/// One injected fault, as the report lists it.
#[derive(Clone, Debug, Serialize)]
pub struct Fault {
    /// Seconds since the run started.
    pub at_s: f64,
    pub kind: FaultKind,
    /// `redis:7001`, `etcd:7201` or `app:8080`.
    pub target: String,
    /// How long it lasted, once healed.
    pub lasted_s: Option<f64>,
}

pub type FaultLog = Arc<Mutex<Vec<Fault>>>;

impl FaultKind {
    /// The name the command line and the report use.
    pub fn name(self) -> &'static str {
        match self {
            FaultKind::RedisPause => "redis-pause",
            FaultKind::RedisKill => "redis-kill",
            FaultKind::AppKill => "app-kill",
            FaultKind::EtcdPause => "etcd-pause",
            FaultKind::EtcdKill => "etcd-kill",
            FaultKind::None => "none",
        }
    }
}

pub fn describe_kinds(kinds: &[FaultKind]) -> String {
    let names: Vec<&str> = kinds
        .iter()
        .filter(|k| **k != FaultKind::None)
        .map(|k| k.name())
        .collect();
    if names.is_empty() {
        "none".to_string()
    } else {
        names.join(", ")
    }
}

pub struct Injector {
    lab: Arc<Processes>,
    kinds: Vec<FaultKind>,
    every: f64,
    max_down: usize,
    ttl: Duration,
    rng: StdRng,
    log: FaultLog,
    started: Instant,
}

/// What is faulted right now, shared with the tasks that heal.
#[derive(Clone, Default)]
struct Down {
    nodes: Arc<Mutex<HashSet<u16>>>,
    apps: Arc<Mutex<HashSet<u16>>>,
    members: Arc<Mutex<HashSet<u16>>>,
}

impl Injector {
    pub fn new(lab: Processes, args: &ChaosArgs, max_down: usize) -> Injector {
        let seed = args.seed.unwrap_or_else(rand::random);
        Injector {
            lab: Arc::new(lab),
            kinds: args
                .faults
                .iter()
                .copied()
                .filter(|k| *k != FaultKind::None)
                .collect(),
            every: args.fault_every,
            max_down,
            ttl: Duration::from_millis(args.ttl_ms),
            rng: StdRng::seed_from_u64(seed),
            log: FaultLog::default(),
            started: Instant::now(),
        }
    }

    /// The instant the faults' `at_s` are measured from.
    pub fn started(&self) -> Instant {
        self.started
    }

    pub fn log(&self) -> FaultLog {
        self.log.clone()
    }

    /// Injects faults until `stop`, then waits for every fault to be healed and hands the lab back.
    pub async fn run(mut self, stop: Arc<AtomicBool>) -> anyhow::Result<Processes> {
        let down = Down::default();
        let mut healing = JoinSet::new();
        let mut turn = 0;
        while !self.kinds.is_empty() {
            let pause = self.rng.random_range(self.every * 0.5..=self.every * 1.5);
            if sleep_unless_stopped(Duration::from_secs_f64(pause), &stop).await {
                break;
            }
            // A kind that cannot be injected now (too many nodes down) keeps its turn, so the
            // kinds alternate however long each fault lasts.
            let kind = self.kinds[turn % self.kinds.len()];
            if let Some(heal) = self.inject(kind, &down).await? {
                healing.spawn(heal);
                turn += 1;
            }
            // Surface a failed heal now rather than at the end.
            while let Some(done) = healing.try_join_next() {
                done??;
            }
        }
        while let Some(done) = healing.join_next().await {
            done??;
        }
        Ok(Arc::try_unwrap(self.lab).unwrap_or_else(|_| unreachable!("every healer has finished")))
    }

    /// Starts one fault of `kind` and returns the task that heals it, or `None` when nothing
    /// may be faulted right now.
    async fn inject(
        &mut self,
        kind: FaultKind,
        down: &Down,
    ) -> anyhow::Result<Option<impl std::future::Future<Output = anyhow::Result<()>>>> {
        let (ports, busy, limit) = match kind {
            FaultKind::RedisPause | FaultKind::RedisKill => {
                (self.lab.redis_ports(), down.nodes.clone(), self.max_down)
            }
            // One instance down at most, and never the last one serving.
            FaultKind::AppKill => (self.lab.app_ports(), down.apps.clone(), 1),
            // A minority of the cluster: with three members, one.
            FaultKind::EtcdPause | FaultKind::EtcdKill => {
                let members = self.lab.etcd_ports();
                let minority = (members.len().saturating_sub(1) / 2).max(1);
                (members, down.members.clone(), minority)
            }
            FaultKind::None => return Ok(None),
        };
        let candidates: Vec<u16> = {
            let busy = busy.lock().unwrap();
            if busy.len() >= limit {
                return Ok(None);
            }
            ports.into_iter().filter(|p| !busy.contains(p)).collect()
        };
        if candidates.is_empty() {
            return Ok(None);
        }
        let port = candidates[self.rng.random_range(0..candidates.len())];
        busy.lock().unwrap().insert(port);
        let lasting = match kind {
            FaultKind::RedisPause | FaultKind::EtcdPause => {
                Duration::from_secs_f64(self.rng.random_range(0.5..3.0))
            }
            FaultKind::EtcdKill => Duration::from_secs_f64(self.rng.random_range(1.0..4.0)),
            FaultKind::RedisKill => {
                self.ttl
                    .max(Duration::from_secs_f64(self.rng.random_range(1.0..4.0)))
                    + Duration::from_millis(500)
            }
            _ => Duration::from_secs(1),
        };
        let at = self.started.elapsed();
        let (target, what) = match kind {
            FaultKind::RedisPause => (format!("redis:{port}"), "paused (SIGSTOP)"),
            FaultKind::RedisKill => (format!("redis:{port}"), "killed (SIGKILL)"),
            FaultKind::EtcdPause => (format!("etcd:{port}"), "paused (SIGSTOP)"),
            FaultKind::EtcdKill => (format!("etcd:{port}"), "killed (SIGKILL)"),
            _ => (format!("app:{port}"), "killed (SIGKILL)"),
        };
        eprintln!(
            "{} {target} {what} for {:.1}s",
            stamp(at),
            lasting.as_secs_f64()
        );
        let index = {
            let mut log = self.log.lock().unwrap();
            log.push(Fault {
                at_s: at.as_secs_f64(),
                kind,
                target: target.clone(),
                lasted_s: None,
            });
            log.len() - 1
        };
        // What a killed app or etcd member was started with, to start it again.
        let relaunch: Option<Relaunch> = match kind {
            FaultKind::RedisPause => {
                self.lab.pause_redis(port)?;
                None
            }
            FaultKind::RedisKill => {
                self.lab.kill_redis(port).await?;
                None
            }
            FaultKind::EtcdPause => {
                self.lab.pause_etcd(port)?;
                None
            }
            FaultKind::EtcdKill => Some(self.lab.kill_etcd(port).await?),
            _ => Some(self.lab.kill_app(port).await?),
        };
        let (lab, log, started) = (self.lab.clone(), self.log.clone(), self.started);
        Ok(Some(async move {
            tokio::time::sleep(lasting).await;
            match (kind, relaunch) {
                (FaultKind::RedisPause, _) => lab.resume_redis(port)?,
                (FaultKind::RedisKill, _) => lab.restart_redis(port).await?,
                (FaultKind::EtcdPause, _) => lab.resume_etcd(port)?,
                (FaultKind::EtcdKill, Some(command)) => {
                    lab.restart_etcd(port, &command, true).await?
                }
                (_, Some(command)) => lab.restart_app(port, &command).await?,
                _ => {}
            }
            let healed = started.elapsed();
            log.lock().unwrap()[index].lasted_s = Some((healed - at).as_secs_f64());
            eprintln!("{} {target} is back", stamp(healed));
            busy.lock().unwrap().remove(&port);
            Ok(())
        }))
    }
}

/// Sleeps `wait`, waking early when `stop` is set; true when it was.
async fn sleep_unless_stopped(wait: Duration, stop: &AtomicBool) -> bool {
    let deadline = Instant::now() + wait;
    while Instant::now() < deadline {
        if stop.load(Ordering::SeqCst) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50).min(deadline - Instant::now())).await;
    }
    stop.load(Ordering::SeqCst)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_etcd_faults_parse_by_the_names_help_and_the_report_use() {
        for kind in [
            FaultKind::EtcdPause,
            FaultKind::EtcdKill,
            FaultKind::RedisKill,
        ] {
            assert_eq!(FaultKind::from_str(kind.name(), false), Ok(kind));
            let wire = serde_json::to_string(&kind).unwrap();
            assert_eq!(wire, format!("\"{}\"", kind.name()));
        }
        assert!(FaultKind::from_str("etcd-stop", false).is_err());
        assert_eq!(
            describe_kinds(&[FaultKind::EtcdKill, FaultKind::None, FaultKind::EtcdPause]),
            "etcd-kill, etcd-pause"
        );
    }
}
