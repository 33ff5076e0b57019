//! `GET /health`: the database, every Redis node and whether a Redlock quorum is up. The body is
//! the same on 200 and 503, so a client reads it either way.

use serde::{Deserialize, Serialize};

use crate::strategy::{Database, StrategyName};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HealthStatus {
    /// The database answers and the first Redis node (the with-lock strategy's) is up.
    Ok,
    Unavailable,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Health {
    pub status: HealthStatus,
    pub instance: String,
    pub default_strategy: StrategyName,
    pub database: DatabaseHealth,
    pub redis: RedisHealth,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DatabaseHealth {
    pub backend: Database,
    pub up: bool,
    pub latency_ms: Option<f64>,
    pub error: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RedisHealth {
    pub nodes: Vec<NodeHealth>,
    /// How many nodes answered.
    pub up: usize,
    /// How many a Redlock needs: ⌊N/2⌋+1.
    pub quorum: usize,
    pub quorum_up: bool,
}

/// How one Redis node answered a PING.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NodeHealth {
    /// The node's URL without credentials.
    pub url: String,
    pub up: bool,
    pub latency_ms: Option<f64>,
    pub error: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_health_answer_with_a_node_down_reads_back_the_same() {
        let sent = r#"{"status":"unavailable","instance":"app-1","default_strategy":"redis",
            "database":{"backend":"sqlite","up":true,"latency_ms":0.3,"error":null},
            "redis":{"nodes":[
                {"url":"redis://127.0.0.1:7001","up":false,"latency_ms":null,"error":"connection refused"},
                {"url":"redis://127.0.0.1:7002","up":true,"latency_ms":0.2,"error":null}],
             "up":1,"quorum":2,"quorum_up":false}}"#;
        let health: Health = serde_json::from_str(sent).unwrap();
        assert_eq!(health.status, HealthStatus::Unavailable);
        assert_eq!(health.database.backend, Database::Sqlite);
        assert!(!health.redis.nodes[0].up);
        let again = serde_json::to_value(&health).unwrap();
        assert_eq!(
            again,
            serde_json::from_str::<serde_json::Value>(sent).unwrap()
        );
    }
}
