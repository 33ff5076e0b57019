//! `extend` and `with_lock` against real redis-server processes: a watchdog keeps a short lease
//! alive through long work, and tells the work when the lease is lost.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use oversold_lock::{Lock, LockError, LockManager, LockValue, Release, RetryPolicy};
use testkit::RedisServer;

const TTL: Duration = Duration::from_millis(300);

fn key() -> Vec<String> {
    vec!["lock:test:watchdog".to_string()]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn work_lasting_five_ttls_keeps_the_lock_and_nobody_else_enters() {
    let nodes: Vec<RedisServer> = (0..3).map(|_| RedisServer::start()).collect();
    let urls: Vec<String> = nodes.iter().map(RedisServer::url).collect();
    let locks = LockManager::from_urls(&urls).unwrap();
    let intrusions = Arc::new(AtomicUsize::new(0));
    let tries = Arc::new(AtomicUsize::new(0));

    let result = locks
        .with_lock(&key(), TTL, &RetryPolicy::no_wait(), |lease| {
            let (locks, intrusions, tries) = (locks.clone(), intrusions.clone(), tries.clone());
            async move {
                for _ in 0..30 {
                    tokio::time::sleep(TTL * 5 / 30).await;
                    tries.fetch_add(1, Ordering::SeqCst);
                    if let Ok(rival) = locks.acquire(&key(), TTL, &RetryPolicy::no_wait()).await {
                        intrusions.fetch_add(1, Ordering::SeqCst);
                        locks.release(&rival).await.unwrap();
                    }
                }
                lease.lost.is_cancelled()
            }
        })
        .await;

    assert!(!result.unwrap(), "the lease was never lost");
    assert_eq!(tries.load(Ordering::SeqCst), 30);
    assert_eq!(intrusions.load(Ordering::SeqCst), 0);
    let after = locks.acquire(&key(), TTL, &RetryPolicy::no_wait()).await;
    assert!(after.is_ok(), "with_lock released at the end: {after:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_the_nodes_die_the_work_is_told_it_lost_the_lease() {
    let nodes: Vec<RedisServer> = (0..3).map(|_| RedisServer::start()).collect();
    let urls: Vec<String> = nodes.iter().map(RedisServer::url).collect();
    let locks = LockManager::from_urls(&urls).unwrap();

    let result = locks
        .with_lock(&key(), TTL, &RetryPolicy::no_wait(), |lease| {
            let nodes = &nodes;
            async move {
                tokio::time::sleep(TTL / 2).await;
                nodes[0].stop();
                nodes[1].stop();
                // Long enough for several extensions; the watchdog must cut it short.
                tokio::select! {
                    _ = lease.lost.cancelled() => "told",
                    _ = tokio::time::sleep(TTL * 10) => "never told",
                }
            }
        })
        .await;

    assert!(
        matches!(result, Err(LockError::LeaseLost { .. })),
        "{result:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_lock_cannot_be_extended_and_nobody_extends_anothers() {
    let redis = RedisServer::start();
    let locks = LockManager::from_urls(&[redis.url()]).unwrap();

    let short = locks
        .acquire(&key(), Duration::from_millis(100), &RetryPolicy::no_wait())
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(250)).await;
    let late = locks.extend(&short, TTL).await;
    assert!(matches!(late, Err(LockError::Expired { .. })), "{late:?}");

    let held = locks
        .acquire(&key(), Duration::from_secs(30), &RetryPolicy::no_wait())
        .await
        .unwrap();
    let impostor = Lock {
        value: LockValue::random(),
        ..held.clone()
    };
    let stolen = locks.extend(&impostor, Duration::from_secs(600)).await;
    assert!(
        matches!(stolen, Err(LockError::Expired { .. })),
        "{stolen:?}"
    );
    let pttl: i64 = redis.command(&["PTTL", "lock:test:watchdog"])[1..]
        .parse()
        .unwrap();
    assert!(pttl <= 30_000, "the impostor changed the TTL: {pttl}");

    let extended = locks.extend(&held, Duration::from_secs(60)).await.unwrap();
    assert!(extended.valid_until > held.valid_until);
    let pttl: i64 = redis.command(&["PTTL", "lock:test:watchdog"])[1..]
        .parse()
        .unwrap();
    assert!(pttl > 30_000, "{pttl}");
    assert_eq!(locks.release(&extended).await.unwrap(), Release::Released);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_extension_that_fails_while_the_lease_is_valid_is_retried() {
    let redis = RedisServer::start();
    let locks = LockManager::from_urls(&[redis.url()]).unwrap();
    let ttl = Duration::from_secs(1);

    let result = locks
        .with_lock(&key(), ttl, &RetryPolicy::no_wait(), |lease| {
            let (redis, locks) = (&redis, locks.clone());
            async move {
                // The node is silent over the first extension (at a third of the TTL) and
                // back well before the lease would run out.
                tokio::time::sleep(ttl / 5).await;
                redis.pause();
                tokio::time::sleep(ttl * 7 / 20).await;
                redis.resume();
                tokio::time::sleep(ttl * 2).await;
                let rival = locks.acquire(&key(), ttl, &RetryPolicy::no_wait()).await;
                assert!(matches!(rival, Err(LockError::Locked { .. })), "{rival:?}");
                lease.lost.is_cancelled()
            }
        })
        .await;

    assert!(
        !result.unwrap(),
        "the holder was told it lost a lease it kept"
    );
}
