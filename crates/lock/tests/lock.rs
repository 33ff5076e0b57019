//! The lock library against real `redis-server` processes: ownership, leases, exclusion, quorum.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use oversold_lock::{Lock, LockError, LockManager, LockValue, Release, RetryPolicy};
use testkit::{free_port, RedisServer};

fn key(name: &str) -> Vec<String> {
    vec![format!("lock:test:{name}")]
}

fn manager(nodes: &[&RedisServer]) -> LockManager {
    let urls: Vec<String> = nodes.iter().map(|n| n.url()).collect();
    LockManager::from_urls(&urls).unwrap()
}

fn budget(ms: u64) -> RetryPolicy {
    RetryPolicy {
        budget: Duration::from_millis(ms),
        ..RetryPolicy::default()
    }
}

const TTL: Duration = Duration::from_secs(10);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_different_value_cannot_release_the_lock() {
    let redis = RedisServer::start();
    let locks = manager(&[&redis]);
    let lock = locks
        .acquire(&key("a"), TTL, &RetryPolicy::no_wait())
        .await
        .unwrap();

    let impostor = Lock {
        value: LockValue::random(),
        ..lock.clone()
    };
    assert_eq!(
        locks.release(&impostor).await.unwrap(),
        Release::AlreadyExpired
    );
    assert_eq!(
        redis.command(&["GET", "lock:test:a"]),
        format!("${}\r\n{}", 32, lock.value)
    );
    let second = locks.acquire(&key("a"), TTL, &RetryPolicy::no_wait()).await;
    assert!(
        matches!(second, Err(LockError::Locked { .. })),
        "{second:?}"
    );

    assert_eq!(locks.release(&lock).await.unwrap(), Release::Released);
    assert_eq!(redis.command(&["EXISTS", "lock:test:a"]), ":0");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_holder_that_never_releases_frees_the_resource_after_its_ttl() {
    let redis = RedisServer::start();
    let locks = manager(&[&redis]);
    let ttl = Duration::from_millis(300);
    let abandoned = locks
        .acquire(&key("b"), ttl, &RetryPolicy::no_wait())
        .await
        .unwrap();
    assert!(abandoned.valid_until <= abandoned.acquired_at + ttl);

    let started = Instant::now();
    let next = locks.acquire(&key("b"), TTL, &budget(5_000)).await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(200),
        "acquired while the first lease ran"
    );
    assert!(next.attempts > 1);
    assert_eq!(
        locks.release(&abandoned).await.unwrap(),
        Release::AlreadyExpired
    );
    assert_eq!(locks.release(&next).await.unwrap(), Release::Released);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_contenders_never_hold_the_lock_at_once() {
    let redis = RedisServer::start();
    let locks = manager(&[&redis]);
    let inside = Arc::new(AtomicUsize::new(0));
    let most_inside = Arc::new(AtomicUsize::new(0));
    let entries = Arc::new(AtomicUsize::new(0));
    let contenders: Vec<_> = (0..2)
        .map(|_| {
            let (locks, inside, most_inside, entries) = (
                locks.clone(),
                inside.clone(),
                most_inside.clone(),
                entries.clone(),
            );
            tokio::spawn(async move {
                for _ in 0..15 {
                    let lock = locks
                        .acquire(&key("c"), TTL, &budget(10_000))
                        .await
                        .unwrap();
                    let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                    most_inside.fetch_max(now, Ordering::SeqCst);
                    entries.fetch_add(1, Ordering::SeqCst);
                    // A wide window: were the lock not exclusive, the other contender would be
                    // inside during it every time.
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    inside.fetch_sub(1, Ordering::SeqCst);
                    assert_eq!(locks.release(&lock).await.unwrap(), Release::Released);
                }
            })
        })
        .collect();
    for contender in contenders {
        contender.await.unwrap();
    }
    assert_eq!(entries.load(Ordering::SeqCst), 30);
    assert_eq!(most_inside.load(Ordering::SeqCst), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_set_by_another_client_blocks_the_lock_until_it_expires() {
    let redis = RedisServer::start();
    let locks = manager(&[&redis]);
    assert_eq!(
        redis.command(&["SET", "lock:test:d", "x", "NX", "PX", "400"]),
        "+OK"
    );

    let refused = locks.acquire(&key("d"), TTL, &RetryPolicy::no_wait()).await;
    assert!(
        matches!(refused, Err(LockError::Locked { attempts: 1, .. })),
        "{refused:?}"
    );
    let lock = locks.acquire(&key("d"), TTL, &budget(5_000)).await.unwrap();
    assert_eq!(locks.release(&lock).await.unwrap(), Release::Released);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_resources_are_taken_all_or_nothing() {
    let redis = RedisServer::start();
    let locks = manager(&[&redis]);
    let one = locks
        .acquire(&key("e2"), TTL, &RetryPolicy::no_wait())
        .await
        .unwrap();

    let both = ["lock:test:e1".to_string(), "lock:test:e2".to_string()];
    let refused = locks.acquire(&both, TTL, &RetryPolicy::no_wait()).await;
    assert!(
        matches!(refused, Err(LockError::Locked { .. })),
        "{refused:?}"
    );
    assert_eq!(
        redis.command(&["EXISTS", "lock:test:e1"]),
        ":0",
        "took half the lock"
    );

    locks.release(&one).await.unwrap();
    let lock = locks
        .acquire(&both, TTL, &RetryPolicy::no_wait())
        .await
        .unwrap();
    assert_eq!(lock.resources, both);
    assert_eq!(
        redis.command(&["EXISTS", "lock:test:e1", "lock:test:e2"]),
        ":2"
    );
    assert_eq!(locks.release(&lock).await.unwrap(), Release::Released);
    assert_eq!(
        redis.command(&["EXISTS", "lock:test:e1", "lock:test:e2"]),
        ":0"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_node_fails_fast_with_a_message_naming_redis() {
    let port = free_port();
    let locks = LockManager::from_urls(&[format!("redis://127.0.0.1:{port}")]).unwrap();
    let started = Instant::now();
    let error = locks
        .acquire(&key("f"), TTL, &budget(10_000))
        .await
        .unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "waited out the budget"
    );
    assert!(matches!(error, LockError::Redis { .. }), "{error:?}");
    let message = error.to_string();
    assert!(
        message.contains("Redis") && message.contains(&format!("127.0.0.1:{port}")),
        "{message}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn releasing_after_the_ttl_reports_already_expired() {
    let redis = RedisServer::start();
    let locks = manager(&[&redis]);
    let lock = locks
        .acquire(
            &key("g"),
            Duration::from_millis(100),
            &RetryPolicy::no_wait(),
        )
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(250)).await;
    assert_eq!(lock.remaining_validity(), Duration::ZERO);
    assert_eq!(locks.release(&lock).await.unwrap(), Release::AlreadyExpired);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redlock_holds_with_a_minority_of_nodes_down_and_refuses_without_a_quorum() {
    let nodes: Vec<RedisServer> = (0..5).map(|_| RedisServer::start()).collect();
    let locks = manager(&nodes.iter().collect::<Vec<_>>());
    assert_eq!(locks.quorum(), 3);

    nodes[0].stop();
    nodes[1].stop();
    let lock = locks
        .acquire(&key("h"), TTL, &RetryPolicy::no_wait())
        .await
        .unwrap();
    let rival = locks.acquire(&key("h"), TTL, &RetryPolicy::no_wait()).await;
    assert!(matches!(rival, Err(LockError::Locked { .. })), "{rival:?}");
    assert_eq!(locks.release(&lock).await.unwrap(), Release::Released);

    nodes[2].stop();
    let error = locks
        .acquire(&key("h"), TTL, &budget(10_000))
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            LockError::QuorumNotReached {
                votes: 2,
                quorum: 3,
                unreachable: 3,
                ..
            }
        ),
        "{error:?}"
    );
    for node in &nodes[3..] {
        assert_eq!(
            node.command(&["EXISTS", "lock:test:h"]),
            ":0",
            "a partial grant was left"
        );
    }

    nodes[0].restart();
    let lock = locks
        .acquire(&key("h"), TTL, &RetryPolicy::no_wait())
        .await
        .unwrap();
    assert_eq!(locks.release(&lock).await.unwrap(), Release::Released);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_node_costs_a_vote_not_a_hang() {
    let nodes: Vec<RedisServer> = (0..3).map(|_| RedisServer::start()).collect();
    let locks = manager(&nodes.iter().collect::<Vec<_>>());
    // Warm the pools so the paused node has an open connection that will not answer.
    locks
        .release(
            &locks
                .acquire(&key("i"), TTL, &RetryPolicy::no_wait())
                .await
                .unwrap(),
        )
        .await
        .unwrap();

    nodes[1].pause();
    let started = Instant::now();
    let lock = locks
        .acquire(&key("i"), TTL, &RetryPolicy::no_wait())
        .await
        .unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(locks.release(&lock).await.unwrap(), Release::Released);
    let health = locks.health().await;
    assert_eq!(
        health.iter().map(|n| n.up).collect::<Vec<_>>(),
        [true, false, true]
    );
    nodes[1].resume();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_paused_node_of_five_does_not_slow_acquire_and_release() {
    let nodes: Vec<RedisServer> = (0..5).map(|_| RedisServer::start()).collect();
    let locks = manager(&nodes.iter().collect::<Vec<_>>());
    let ttl = Duration::from_secs(60);
    // Connections open first, so the paused node holds an open socket that will not answer.
    let warm = locks
        .acquire(&key("j"), ttl, &RetryPolicy::no_wait())
        .await
        .unwrap();
    locks.release(&warm).await.unwrap();

    nodes[4].pause();
    let started = Instant::now();
    let lock = locks
        .acquire(&key("j"), ttl, &RetryPolicy::no_wait())
        .await
        .unwrap();
    assert_eq!(locks.release(&lock).await.unwrap(), Release::Released);
    let took = started.elapsed();
    // Decided by the four nodes that answer: the silent one's deadline never comes into it.
    assert!(
        took < locks.node_timeout(ttl),
        "acquire+release took {took:?}, the node timeout is {:?}",
        locks.node_timeout(ttl)
    );

    nodes[4].resume();
    let mut left = String::new();
    for _ in 0..100 {
        left = nodes[4].command(&["EXISTS", "lock:test:j"]);
        if left == ":0" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(left, ":0", "the straggler's grant was not released");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_lease_that_one_late_node_still_holds_is_reported_as_expired() {
    let nodes: Vec<RedisServer> = (0..3).map(|_| RedisServer::start()).collect();
    let locks = manager(&nodes.iter().collect::<Vec<_>>());
    let warm = locks.acquire(&key("k"), TTL, &budget(2000)).await.unwrap();
    locks.release(&warm).await.unwrap();
    let lock = locks
        .acquire(&key("k"), Duration::from_millis(300), &budget(2000))
        .await
        .unwrap();
    // The acquisition is decided by the first two answers, and the warm lock's release may still
    // be finishing in the background on the third node: pick a node that is known to hold ours.
    let ours = format!("${}\r\n{}", 32, lock.value);
    let late = nodes
        .iter()
        .find(|node| node.command(&["GET", "lock:test:k"]) == ours)
        .expect("a quorum of nodes holds the value the acquisition returned");
    // That node keeps the key far longer than the others (a slow clock, a late expiry).
    assert_eq!(late.command(&["PEXPIRE", "lock:test:k", "60000"]), ":1");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(lock.remaining_validity(), Duration::ZERO);

    assert_eq!(locks.release(&lock).await.unwrap(), Release::AlreadyExpired);
    // The release is decided by the first answers (two nodes no longer hold it); the late node's
    // delete may still be on its way, in the background, when `release` returns.
    let mut left = String::new();
    for _ in 0..100 {
        left = late.command(&["EXISTS", "lock:test:k"]);
        if left == ":0" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(left, ":0", "our value is still deleted where it remained");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_that_lost_its_scripts_still_releases_and_takes_several_keys() {
    let redis = RedisServer::start();
    let locks = manager(&[&redis]);
    let lock = locks
        .acquire(&key("flushed"), TTL, &RetryPolicy::no_wait())
        .await
        .unwrap();
    // The scripts were loaded when the connection opened; the node forgets them.
    assert_eq!(redis.command(&["SCRIPT", "FLUSH"]), "+OK");
    assert_eq!(locks.release(&lock).await.unwrap(), Release::Released);
    assert_eq!(redis.command(&["EXISTS", "lock:test:flushed"]), ":0");

    assert_eq!(redis.command(&["SCRIPT", "FLUSH"]), "+OK");
    let both = vec![
        "lock:test:flushed:1".to_string(),
        "lock:test:flushed:2".to_string(),
    ];
    let lock = locks
        .acquire(&both, TTL, &RetryPolicy::no_wait())
        .await
        .unwrap();
    assert_eq!(redis.command(&["EXISTS", &both[0], &both[1]]), ":2");
    assert_eq!(locks.release(&lock).await.unwrap(), Release::Released);
}

/// How many times the node ran `command` (INFO commandstats).
fn calls(redis: &RedisServer, command: &str) -> u64 {
    let stats = redis.command(&["INFO", "commandstats"]);
    let prefix = format!("cmdstat_{command}:calls=");
    stats
        .lines()
        .find_map(|line| line.strip_prefix(&prefix))
        .and_then(|rest| rest.split(',').next())
        .map_or(0, |n| n.parse().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_attempt_sends_no_release_to_the_nodes_that_refused() {
    let redis = RedisServer::start();
    let locks = manager(&[&redis]);
    let held = locks
        .acquire(&key("refused"), TTL, &RetryPolicy::no_wait())
        .await
        .unwrap();
    let (sets, scripts) = (calls(&redis, "set"), calls(&redis, "evalsha"));
    let refused = locks
        .acquire(&key("refused"), TTL, &RetryPolicy::no_wait())
        .await;
    assert!(
        matches!(refused, Err(LockError::Locked { .. })),
        "{refused:?}"
    );
    assert_eq!(calls(&redis, "set"), sets + 1, "one attempt, one SET");
    assert_eq!(
        calls(&redis, "evalsha"),
        scripts,
        "the node refused: there was nothing to undo"
    );
    assert_eq!(locks.release(&held).await.unwrap(), Release::Released);
    assert_eq!(calls(&redis, "evalsha"), scripts + 1);
}
