//! `GET /health`: the database, every Redis node and whether a Redlock quorum is up, and the etcd
//! cluster's members. The body is the same on 200 and 503, so a client reads it either way.

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
    /// The etcd cluster of the `etcd` strategy; absent from servers that predate it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etcd: Option<EtcdHealth>,
}

/// The etcd members as the server sees them (the fields a client needs; the server sends more).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EtcdHealth {
    pub members: Vec<EtcdMemberHealth>,
    /// The URL of the member that reports itself leader.
    pub leader: Option<String>,
    /// A majority answers and one of them leads.
    pub quorum_up: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EtcdMemberHealth {
    /// The member's client URL, as `--etcd-endpoints` names it.
    pub url: String,
    pub up: bool,
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

    #[test]
    fn the_etcd_members_are_read_from_the_servers_health() {
        let sent = r#"{"status":"ok","instance":"app-1","default_strategy":"redis",
            "database":{"backend":"sqlite","up":true,"latency_ms":0.3,"error":null},
            "redis":{"nodes":[],"up":0,"quorum":1,"quorum_up":false},
            "etcd":{"members":[{"url":"http://127.0.0.1:7201","up":true,"latency_ms":1.0,
                    "member_id":"8e9e05c52164694d","has_leader":true,"is_leader":true,"error":null}],
                    "up":1,"quorum":1,"leader":"http://127.0.0.1:7201","quorum_up":true}}"#;
        let health: Health = serde_json::from_str(sent).unwrap();
        let etcd = health.etcd.expect("the etcd part");
        assert_eq!(etcd.members[0].url, "http://127.0.0.1:7201");
        assert!(etcd.quorum_up && etcd.members[0].up);
    }
}
