//! `GET /health`: can this instance book with its default strategy right now?
//!
//! 200 when the database answers and the first Redis node (the with-lock strategy's) is up; 503
//! otherwise, so `start.sh` and load balancers wait for a usable instance. The body names every
//! Redis node and whether a Redlock quorum is up, and every etcd member with the cluster's leader
//! and quorum, which is what a workshop checks after killing one. etcd does not decide the status:
//! without it every strategy but `etcd` still books.

use std::time::{Duration, Instant};

use actix_web::{web, HttpResponse};
use serde_json::json;

use crate::lock::NodeHealth;
use crate::web::AppState;

const DATABASE_DEADLINE: Duration = Duration::from_secs(2);

/// Asks the database and every Redis node together, each on a clock, so a hung database or a
/// paused node costs about a second rather than hanging the caller (`/health`, `/metrics`).
/// The etcd members are asked by [`health`] alone, at the same time.
/// The database's answer is its own round trip, or why there was none.
pub(super) async fn probe(state: &AppState) -> (Result<Duration, String>, Vec<NodeHealth>) {
    let database = async {
        let started = Instant::now();
        match tokio::time::timeout(DATABASE_DEADLINE, state.store().ping()).await {
            Ok(Ok(())) => Ok(started.elapsed()),
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err(format!("no answer within {}s", DATABASE_DEADLINE.as_secs())),
        }
    };
    tokio::join!(database, state.booking.redlock.health())
}

pub async fn health(state: web::Data<AppState>) -> HttpResponse {
    let ((database, nodes), etcd) = tokio::join!(probe(&state), state.booking.etcd.health());

    let up = nodes.iter().filter(|n| n.up).count();
    let quorum = state.booking.redlock.quorum();
    let first_up = nodes.first().is_some_and(|n| n.up);
    let healthy = database.is_ok() && first_up;
    let body = json!({
        "status": if healthy { "ok" } else { "unavailable" },
        "instance": state.instance(),
        "default_strategy": "redis",
        "database": {
            "backend": state.store().backend(),
            "up": database.is_ok(),
            "latency_ms": database.as_ref().ok().map(|d| d.as_secs_f64() * 1000.0),
            "error": database.as_ref().err(),
        },
        "redis": {
            "nodes": nodes.iter().map(|n| json!({
                "url": n.url,
                "up": n.up,
                "latency_ms": n.latency_ms,
                "error": n.error,
            })).collect::<Vec<_>>(),
            "up": up,
            "quorum": quorum,
            "quorum_up": up >= quorum,
        },
        "etcd": etcd,
    });
    if healthy {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}
