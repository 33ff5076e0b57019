//! The fair lock against a real redis-server: arrival order, hand-over at expiry, waiters that
//! give up, and exclusion with the plain lock on the same key.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use oversold::lock::{LockError, LockManager, Release, RetryPolicy};
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
