//! Which 503s a fault explains: the answer to "does `queue` fail on healthy nodes?".
//!
//! A 503 while the Redis node a strategy takes its lock on is paused is the lock doing its job
//! (it cannot be had, so nothing is booked). A 503 while every part the strategy relies on was up
//! is a defect: a timeout too short for the wait, a waiter left in the line. Each 503's life, from
//! the request sent to the answer, is set against the fault log: when no fault on a part the
//! strategy relies on overlapped it, the 503 counts as one on healthy nodes.

use oversold_api::StrategyName;

use super::faults::Fault;

/// A request's life, in seconds since the run started.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Span {
    pub sent_s: f64,
    pub answered_s: f64,
}

/// Whether `strategy` relies on the faulted `target` (`redis:7001`, `app:8080`, `etcd:7201`).
/// `first_node` is the Redis node the single-node locks (`redis`, `queue`) take.
///
/// Every strategy relies on the app instances: one killed while it held a lease leaves that
/// lease to run out, and its waiters on the other instance may give up first.
pub fn relies_on(strategy: StrategyName, target: &str, first_node: u16) -> bool {
    let Some((part, port)) = target.split_once(':') else {
        return true;
    };
    match part {
        "app" => true,
        "redis" => match strategy {
            StrategyName::Redis | StrategyName::Queue => port.parse() == Ok(first_node),
            StrategyName::Redlock | StrategyName::Fenced => true,
            _ => false,
        },
        "etcd" => strategy == StrategyName::Etcd,
        _ => true,
    }
}

/// How many of `spans` no fault in `faults` that `relevant` accepts overlapped. A fault not yet
/// healed lasts to the end of the run.
pub fn on_healthy_nodes(spans: &[Span], faults: &[Fault], relevant: impl Fn(&str) -> bool) -> u64 {
    let windows: Vec<(f64, f64)> = faults
        .iter()
        .filter(|f| relevant(&f.target))
        .map(|f| (f.at_s, f.lasted_s.map_or(f64::INFINITY, |l| f.at_s + l)))
        .collect();
    spans
        .iter()
        .filter(|span| {
            !windows
                .iter()
                .any(|&(from, to)| span.sent_s <= to && from <= span.answered_s)
        })
        .count() as u64
}

#[cfg(test)]
mod tests {
    use super::super::faults::FaultKind;
    use super::*;

    fn fault(target: &str, at_s: f64, lasted_s: Option<f64>) -> Fault {
        Fault {
            at_s,
            kind: FaultKind::RedisPause,
            target: target.to_string(),
            lasted_s,
        }
    }

    fn span(sent_s: f64, answered_s: f64) -> Span {
        Span { sent_s, answered_s }
    }

    #[test]
    fn a_503_during_a_pause_of_the_queues_node_is_explained_by_it() {
        let faults = [fault("redis:7001", 10.0, Some(2.0))];
        let relevant = |t: &str| relies_on(StrategyName::Queue, t, 7001);
        assert_eq!(on_healthy_nodes(&[span(9.0, 10.5)], &faults, relevant), 0);
        assert_eq!(on_healthy_nodes(&[span(11.9, 14.0)], &faults, relevant), 0);
    }

    #[test]
    fn a_503_before_or_after_every_fault_is_one_on_healthy_nodes() {
        let faults = [fault("redis:7001", 10.0, Some(2.0))];
        let relevant = |t: &str| relies_on(StrategyName::Queue, t, 7001);
        let spans = [span(5.0, 9.9), span(12.1, 13.0)];
        assert_eq!(on_healthy_nodes(&spans, &faults, relevant), 2);
    }

    #[test]
    fn a_pause_of_another_node_does_not_explain_a_single_node_locks_503() {
        let faults = [fault("redis:7003", 10.0, Some(2.0))];
        let queue = |t: &str| relies_on(StrategyName::Queue, t, 7001);
        let redlock = |t: &str| relies_on(StrategyName::Redlock, t, 7001);
        assert_eq!(on_healthy_nodes(&[span(10.5, 11.0)], &faults, queue), 1);
        assert_eq!(on_healthy_nodes(&[span(10.5, 11.0)], &faults, redlock), 0);
    }

    #[test]
    fn a_fault_not_yet_healed_explains_everything_after_it() {
        let faults = [fault("app:8080", 10.0, None)];
        let relevant = |t: &str| relies_on(StrategyName::Atomic, t, 7001);
        assert_eq!(
            on_healthy_nodes(&[span(100.0, 101.0)], &faults, relevant),
            0
        );
        assert_eq!(on_healthy_nodes(&[span(1.0, 2.0)], &faults, relevant), 1);
    }

    #[test]
    fn redis_faults_never_explain_a_database_strategys_503_but_etcd_faults_explain_etcds() {
        assert!(!relies_on(StrategyName::ForUpdate, "redis:7001", 7001));
        assert!(!relies_on(StrategyName::Etcd, "redis:7001", 7001));
        assert!(relies_on(StrategyName::Etcd, "etcd:7201", 7001));
        assert!(!relies_on(StrategyName::Redlock, "etcd:7201", 7001));
    }
}
