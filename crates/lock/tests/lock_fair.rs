//! The fair lock against a real redis-server: arrival order, hand-over at expiry, waiters that
//! give up, and exclusion with the plain lock on the same key.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use oversold_lock::{LockError, LockManager, Release, RetryPolicy};
use testkit::RedisServer;

const KEY: &str = "lock:test:fair";
const WAITERS_ZSET: &str = "queue:lock:test:fair:waiters";
const TTL: Duration = Duration::from_secs(10);

fn key() -> Vec<String> {
    vec![KEY.to_string()]
}

fn budget(ms: u64) -> RetryPolicy {
    RetryPolicy {
        budget: Duration::from_millis(ms),
        ..RetryPolicy::default()
    }
}

async fn wait_for_queue_length(redis: &RedisServer, length: usize) {
    let expected = format!(":{length}");
    for _ in 0..500 {
        if redis.command(&["ZCARD", WAITERS_ZSET]) == expected {
            return;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    panic!("the queue never reached {length} waiters");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_waiters_acquire_in_arrival_order() {
    let redis = RedisServer::start();
    let locks = LockManager::from_urls(&[redis.url()]).unwrap();
    let holder = locks
        .acquire_fair(&key(), TTL, &budget(1000))
        .await
        .unwrap();

    let order = Arc::new(Mutex::new(Vec::new()));
    let mut waiters = Vec::new();
    for arrival in 0..20 {
        let (locks, order) = (locks.clone(), order.clone());
        waiters.push(tokio::spawn(async move {
            let lock = locks
                .acquire_fair(&key(), TTL, &budget(30_000))
                .await
                .unwrap();
            order.lock().unwrap().push(arrival);
            tokio::time::sleep(Duration::from_millis(5)).await;
            assert_eq!(locks.release(&lock).await.unwrap(), Release::Released);
        }));
        wait_for_queue_length(&redis, arrival + 1).await;
    }
    assert_eq!(locks.release(&holder).await.unwrap(), Release::Released);
    for waiter in waiters {
        waiter.await.unwrap();
    }
    assert_eq!(*order.lock().unwrap(), (0..20).collect::<Vec<_>>());
    assert_eq!(redis.command(&["ZCARD", WAITERS_ZSET]), ":0");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_waiter_that_gives_up_does_not_block_the_next_one() {
    let redis = RedisServer::start();
    let locks = LockManager::from_urls(&[redis.url()]).unwrap();
    let holder = locks
        .acquire_fair(&key(), TTL, &budget(1000))
        .await
        .unwrap();

    let impatient = tokio::spawn({
        let locks = locks.clone();
        async move { locks.acquire_fair(&key(), TTL, &budget(200)).await }
    });
    wait_for_queue_length(&redis, 1).await;
    let patient = tokio::spawn({
        let locks = locks.clone();
        async move { locks.acquire_fair(&key(), TTL, &budget(20_000)).await }
    });
    wait_for_queue_length(&redis, 2).await;

    let gave_up = impatient.await.unwrap();
    assert!(
        matches!(gave_up, Err(LockError::Locked { .. })),
        "{gave_up:?}"
    );
    assert_eq!(
        redis.command(&["ZCARD", WAITERS_ZSET]),
        ":1",
        "the impatient one left the line"
    );
    locks.release(&holder).await.unwrap();
    let lock = patient.await.unwrap().unwrap();
    assert!(
        lock.waited < Duration::from_secs(10),
        "woken by the release, not a timeout"
    );
    locks.release(&lock).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_holder_that_never_releases_hands_over_when_its_lease_runs_out() {
    let redis = RedisServer::start();
    let locks = LockManager::from_urls(&[redis.url()]).unwrap();
    let abandoned = locks
        .acquire_fair(&key(), Duration::from_millis(300), &budget(1000))
        .await
        .unwrap();
    let started = Instant::now();
    let next = locks
        .acquire_fair(&key(), TTL, &budget(5000))
        .await
        .unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(200),
        "took the lock while it was held"
    );
    assert_eq!(
        locks.release(&abandoned).await.unwrap(),
        Release::AlreadyExpired
    );
    assert_eq!(locks.release(&next).await.unwrap(), Release::Released);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fair_and_plain_locks_on_one_key_exclude_each_other() {
    let redis = RedisServer::start();
    let locks = LockManager::from_urls(&[redis.url()]).unwrap();
    let fair = locks
        .acquire_fair(&key(), TTL, &budget(1000))
        .await
        .unwrap();
    let plain = locks.acquire(&key(), TTL, &RetryPolicy::no_wait()).await;
    assert!(matches!(plain, Err(LockError::Locked { .. })), "{plain:?}");
    locks.release(&fair).await.unwrap();

    let plain = locks
        .acquire(&key(), TTL, &RetryPolicy::no_wait())
        .await
        .unwrap();
    let fair = locks.acquire_fair(&key(), TTL, &budget(200)).await;
    assert!(matches!(fair, Err(LockError::Locked { .. })), "{fair:?}");
    locks.release(&plain).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fair_waiter_waits_its_whole_budget_for_a_long_holder() {
    let redis = RedisServer::start();
    let locks = LockManager::from_urls(&[redis.url()]).unwrap();
    let holder = locks
        .acquire_fair(&key(), TTL, &budget(1000))
        .await
        .unwrap();
    let waiter = tokio::spawn({
        let locks = locks.clone();
        async move { locks.acquire_fair(&key(), TTL, &budget(10_000)).await }
    });
    wait_for_queue_length(&redis, 1).await;
    // Far longer than any client-side response timeout a connection might carry by default.
    let hold = Duration::from_secs(3);
    tokio::time::sleep(hold).await;
    assert_eq!(locks.release(&holder).await.unwrap(), Release::Released);

    let lock = waiter.await.unwrap().expect("the waiter kept waiting");
    assert!(lock.waited >= hold, "granted while held: {:?}", lock.waited);
    assert_eq!(locks.release(&lock).await.unwrap(), Release::Released);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waiters_that_time_out_on_a_paused_node_leave_no_ghosts_in_line() {
    let redis = RedisServer::start();
    let locks = LockManager::from_urls(&[redis.url()]).unwrap();
    // Connections open before the pause, so the waiters' commands reach a node that is silent.
    let warm = locks
        .acquire_fair(&key(), TTL, &budget(1000))
        .await
        .unwrap();
    locks.release(&warm).await.unwrap();

    redis.pause();
    let impatient: Vec<_> = (0..5)
        .map(|_| {
            let locks = locks.clone();
            tokio::spawn(async move { locks.acquire_fair(&key(), TTL, &budget(300)).await })
        })
        .collect();
    for waiter in impatient {
        let outcome = waiter.await.unwrap();
        assert!(outcome.is_err(), "{outcome:?}");
    }
    redis.resume();

    let lock = locks
        .acquire_fair(&key(), TTL, &budget(30_000))
        .await
        .unwrap();
    // The old ghosts stayed in line for their budget plus a whole lease.
    assert!(
        lock.waited < TTL / 2,
        "waited {:?} behind waiters that had given up",
        lock.waited
    );
    assert_eq!(locks.release(&lock).await.unwrap(), Release::Released);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_waiter_that_vanishes_without_leaving_drops_out_of_line_by_itself() {
    let redis = RedisServer::start();
    let locks = LockManager::from_urls(&[redis.url()]).unwrap();
    let holder = locks
        .acquire_fair(&key(), TTL, &budget(1000))
        .await
        .unwrap();

    // A waiter in another "process" (its own runtime) that dies in line: its tasks and
    // connections are dropped at once, so it never runs its leave.
    let ghost_budget = Duration::from_secs(10);
    let (die, dying) = std::sync::mpsc::channel::<()>();
    let url = redis.url();
    let ghost = std::thread::spawn(move || {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        runtime.spawn(async move {
            let locks = LockManager::from_urls(&[url]).unwrap();
            let _ = locks
                .acquire_fair(
                    &key(),
                    TTL,
                    &RetryPolicy {
                        budget: ghost_budget,
                        ..RetryPolicy::default()
                    },
                )
                .await;
        });
        dying.recv().unwrap();
        runtime.shutdown_background();
    });
    wait_for_queue_length(&redis, 1).await;
    die.send(()).unwrap();
    ghost.join().unwrap();
    assert_eq!(locks.release(&holder).await.unwrap(), Release::Released);

    let lock = locks
        .acquire_fair(&key(), TTL, &budget(30_000))
        .await
        .unwrap();
    assert!(
        lock.waited < ghost_budget / 2,
        "waited {:?}: the dead waiter headed the line for its whole budget",
        lock.waited
    );
    assert_eq!(locks.release(&lock).await.unwrap(), Release::Released);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_waiter_leaves_the_line() {
    let redis = RedisServer::start();
    let locks = LockManager::from_urls(&[redis.url()]).unwrap();
    let holder = locks
        .acquire_fair(&key(), TTL, &budget(1000))
        .await
        .unwrap();
    let cancelled = tokio::spawn({
        let locks = locks.clone();
        async move { locks.acquire_fair(&key(), TTL, &budget(20_000)).await }
    });
    wait_for_queue_length(&redis, 1).await;
    cancelled.abort();
    assert!(cancelled.await.unwrap_err().is_cancelled());

    // Well before a place in line that nobody refreshes would lapse (about a second).
    let mut length = String::new();
    for _ in 0..30 {
        length = redis.command(&["ZCARD", WAITERS_ZSET]);
        if length == ":0" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(length, ":0", "the cancelled waiter is still in line");
    locks.release(&holder).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fair_lease_too_short_to_outlast_the_drift_allowance_is_refused() {
    let redis = RedisServer::start();
    let locks = LockManager::from_urls(&[redis.url()]).unwrap();
    // 2ms is less than the clock-drift allowance alone: no validity can be left.
    let outcome = locks
        .acquire_fair(&key(), Duration::from_millis(2), &RetryPolicy::no_wait())
        .await;
    assert!(
        matches!(outcome, Err(LockError::Expired { .. })),
        "{outcome:?}"
    );
    let plain = locks
        .acquire(&key(), Duration::from_millis(2), &RetryPolicy::no_wait())
        .await;
    assert!(matches!(plain, Err(LockError::Expired { .. })), "{plain:?}");
}
