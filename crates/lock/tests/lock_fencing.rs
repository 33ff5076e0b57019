//! Fencing tokens from the lock library against real redis-server processes: strictly increasing
//! for successive holders, also while Redlock nodes are stopped and restarted empty.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use oversold_lock::{FencingToken, LockError, LockManager, RetryPolicy};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use testkit::RedisServer;

const TTL: Duration = Duration::from_secs(5);

fn resource() -> Vec<String> {
    vec!["lock:test:fenced".to_string()]
}

fn manager(nodes: &[RedisServer]) -> LockManager {
    let urls: Vec<String> = nodes.iter().map(RedisServer::url).collect();
    LockManager::from_urls(&urls).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_holders_get_increasing_tokens_while_nodes_restart_empty() {
    let nodes: Vec<RedisServer> = (0..5).map(|_| RedisServer::start()).collect();
    let locks = manager(&nodes);
    let mut rng = StdRng::seed_from_u64(7);
    let mut down: Vec<usize> = Vec::new();
    let (mut tokens, mut restarts, mut refused) = (Vec::<FencingToken>::new(), 0, 0);
    while tokens.len() < 1000 {
        if rng.random_ratio(1, 15) {
            let node = rng.random_range(0..nodes.len());
            if let Some(at) = down.iter().position(|&n| n == node) {
                nodes[node].restart();
                down.remove(at);
                restarts += 1;
            } else if down.len() < 2 {
                nodes[node].stop();
                down.push(node);
            }
        }
        match locks
            .acquire_fenced(&resource(), TTL, &RetryPolicy::no_wait())
            .await
        {
            Ok(lock) => {
                tokens.push(lock.token.expect("a fenced lock carries a token"));
                locks.release(&lock).await.unwrap();
            }
            // A pooled connection to a node that just died fails once: a lost vote, not a bug.
            Err(LockError::QuorumNotReached { .. }) => refused += 1,
            Err(e) => panic!("unexpected {e:?}"),
        }
        assert!(refused < 200, "too many refusals: {refused}");
    }
    assert!(restarts >= 10, "only {restarts} restarts");
    for pair in tokens.windows(2) {
        assert!(pair[0] < pair[1], "token {} then {}", pair[0], pair[1]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_restarted_empty_still_mints_a_larger_token() {
    let nodes = vec![RedisServer::start()];
    let locks = manager(&nodes);
    let first = locks
        .acquire_fenced(&resource(), TTL, &RetryPolicy::no_wait())
        .await
        .unwrap();
    locks.release(&first).await.unwrap();
    nodes[0].restart();
    assert_eq!(
        nodes[0].command(&["EXISTS", "fence:lock:test:fenced"]),
        ":0",
        "the node came back empty"
    );

    let second = loop {
        // The pool's old connection to the killed process fails once.
        if let Ok(lock) = locks
            .acquire_fenced(&resource(), TTL, &RetryPolicy::no_wait())
            .await
        {
            break lock;
        }
    };
    assert!(
        second.token > first.token,
        "{:?} then {:?}",
        first.token,
        second.token
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contenders_enter_in_token_order() {
    let nodes: Vec<RedisServer> = (0..3).map(|_| RedisServer::start()).collect();
    let locks = manager(&nodes);
    let entered = Arc::new(Mutex::new(Vec::new()));
    let retry = RetryPolicy {
        budget: Duration::from_secs(20),
        ..RetryPolicy::default()
    };
    let tasks: Vec<_> = (0..4)
        .map(|_| {
            let (locks, entered, retry) = (locks.clone(), entered.clone(), retry.clone());
            tokio::spawn(async move {
                for _ in 0..10 {
                    let lock = locks
                        .acquire_fenced(&resource(), TTL, &retry)
                        .await
                        .unwrap();
                    entered.lock().unwrap().push(lock.token.unwrap());
                    tokio::time::sleep(Duration::from_millis(2)).await;
                    locks.release(&lock).await.unwrap();
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let entered = entered.lock().unwrap();
    assert_eq!(entered.len(), 40);
    assert!(entered.windows(2).all(|p| p[0] < p[1]), "{entered:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plain_lock_has_no_token_and_a_fenced_one_excludes_it() {
    let nodes = vec![RedisServer::start()];
    let locks = manager(&nodes);
    let fenced = locks
        .acquire_fenced(&resource(), TTL, &RetryPolicy::no_wait())
        .await
        .unwrap();
    let plain = locks
        .acquire(&resource(), TTL, &RetryPolicy::no_wait())
        .await;
    assert!(matches!(plain, Err(LockError::Locked { .. })), "{plain:?}");
    locks.release(&fenced).await.unwrap();
    let plain = locks
        .acquire(&resource(), TTL, &RetryPolicy::no_wait())
        .await
        .unwrap();
    assert_eq!(plain.token, None);
}
