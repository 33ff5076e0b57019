//! Strategy names, the databases that run them, and each one's expected row, as
//! `GET /strategies` lists them.
//!
//! A name is an enum so a typo is a compile error and an unknown name a parse error that lists
//! the real ones; its wire form is the kebab-case name the routes use (`/book/local-mutex/1`).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::UnknownName;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StrategyName {
    NoLock,
    LocalMutex,
    Redis,
    Redlock,
    Fenced,
    PgAdvisory,
    ForUpdate,
    Optimistic,
    Atomic,
    Queue,
    Batched,
    Etcd,
}

impl StrategyName {
    /// Every strategy, in the order `GET /strategies` lists them.
    pub const ALL: &'static [StrategyName] = &[
        StrategyName::NoLock,
        StrategyName::LocalMutex,
        StrategyName::Redis,
        StrategyName::Redlock,
        StrategyName::Fenced,
        StrategyName::PgAdvisory,
        StrategyName::ForUpdate,
        StrategyName::Optimistic,
        StrategyName::Atomic,
        StrategyName::Queue,
        StrategyName::Batched,
        StrategyName::Etcd,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            StrategyName::NoLock => "no-lock",
            StrategyName::LocalMutex => "local-mutex",
            StrategyName::Redis => "redis",
            StrategyName::Redlock => "redlock",
            StrategyName::Fenced => "fenced",
            StrategyName::PgAdvisory => "pg-advisory",
            StrategyName::ForUpdate => "for-update",
            StrategyName::Optimistic => "optimistic",
            StrategyName::Atomic => "atomic",
            StrategyName::Queue => "queue",
            StrategyName::Batched => "batched",
            StrategyName::Etcd => "etcd",
        }
    }

    /// Claims to sell each ticket once (on one instance, at least); only `no-lock` does not.
    pub fn protects(self) -> bool {
        self != StrategyName::NoLock
    }
}

impl fmt::Display for StrategyName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for StrategyName {
    type Err = UnknownName;

    fn from_str(name: &str) -> Result<StrategyName, UnknownName> {
        StrategyName::ALL
            .iter()
            .copied()
            .find(|s| s.as_str() == name)
            .ok_or_else(|| {
                UnknownName::new(
                    "strategy",
                    name,
                    StrategyName::ALL.iter().map(|s| s.as_str()),
                )
            })
    }
}

/// A database the server can run on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Database {
    Sqlite,
    Postgres,
}

impl Database {
    /// The wire name: `sqlite`, `postgres`.
    pub fn as_str(self) -> &'static str {
        match self {
            Database::Sqlite => "sqlite",
            Database::Postgres => "postgres",
        }
    }
}

/// What a fight of ten requests at one ticket should end in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Exactly one booking.
    Safe,
    /// More bookings than tickets.
    Oversells,
    /// One booking, and late lock holders refused by the fencing check.
    StaleRejected,
}

impl Outcome {
    /// The wire name: `safe`, `oversells`, `stale_rejected`.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Safe => "safe",
            Outcome::Oversells => "oversells",
            Outcome::StaleRejected => "stale_rejected",
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A strategy's row of the design's table: one instance, two instances, holder paused past TTL,
/// and, for the locks the Redlock debate is about, the two faults that settle it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Expected {
    pub one_instance: Outcome,
    pub two_instances: Outcome,
    pub paused_past_ttl: Outcome,
    /// A lock node restarts without its data while the holder relies on it; `None` for a
    /// strategy that rests on no set of lock nodes (the fault says nothing about it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restart_empty: Option<Outcome>,
    /// A node's clock jumps forward, played as an early expiry of the holder's lock on that node
    /// (the lab cannot move a real node's clock); `None` as for `restart_empty`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clock_jump: Option<Outcome>,
}

/// What `GET /strategies` says about one strategy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StrategyInfo {
    pub name: StrategyName,
    pub description: String,
    pub databases: Vec<Database>,
    pub expected: Expected,
}

impl StrategyInfo {
    /// The server can run it on `database`.
    pub fn runs_on(&self, database: Database) -> bool {
        self.databases.contains(&database)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_read_and_print_as_the_routes_spell_them() {
        for name in StrategyName::ALL {
            assert_eq!(name.as_str().parse::<StrategyName>().unwrap(), *name);
            let wire = serde_json::to_string(name).unwrap();
            assert_eq!(wire, format!("\"{}\"", name.as_str()));
        }
        assert_eq!(StrategyName::PgAdvisory.to_string(), "pg-advisory");
    }

    #[test]
    fn an_unknown_name_lists_the_real_ones() {
        let err = "mutex".parse::<StrategyName>().unwrap_err().to_string();
        assert!(err.starts_with("unknown strategy \"mutex\""), "{err}");
        assert!(err.contains("no-lock, local-mutex, redis"), "{err}");
    }

    #[test]
    fn a_strategy_as_get_strategies_lists_it_reads_back_the_same() {
        let sent = r#"{"name":"local-mutex","description":"A tokio Mutex per event.",
                       "databases":["sqlite","postgres"],
                       "expected":{"one_instance":"safe","two_instances":"oversells",
                                   "paused_past_ttl":"safe"}}"#;
        let info: StrategyInfo = serde_json::from_str(sent).unwrap();
        assert_eq!(info.name, StrategyName::LocalMutex);
        assert_eq!(info.expected.two_instances, Outcome::Oversells);
        assert!(info.runs_on(Database::Postgres));
        let again = serde_json::to_value(&info).unwrap();
        assert_eq!(
            again,
            serde_json::from_str::<serde_json::Value>(sent).unwrap()
        );
    }

    #[test]
    fn the_fenced_row_names_stale_rejected_as_the_server_does() {
        let row: Expected = serde_json::from_str(
            r#"{"one_instance":"safe","two_instances":"safe","paused_past_ttl":"stale_rejected"}"#,
        )
        .unwrap();
        assert_eq!(row.paused_past_ttl, Outcome::StaleRejected);
        assert_eq!((row.restart_empty, row.clock_jump), (None, None));
        assert!(serde_json::from_str::<Outcome>(r#""two holders""#).is_err());
    }

    #[test]
    fn the_fault_cells_are_sent_only_for_the_strategies_that_have_them() {
        let sent = r#"{"one_instance":"safe","two_instances":"safe","paused_past_ttl":"oversells",
                       "restart_empty":"oversells","clock_jump":"oversells"}"#;
        let row: Expected = serde_json::from_str(sent).unwrap();
        assert_eq!(row.restart_empty, Some(Outcome::Oversells));
        let without = Expected {
            restart_empty: None,
            clock_jump: None,
            ..row
        };
        let wire = serde_json::to_string(&without).unwrap();
        assert!(
            !wire.contains("restart_empty") && !wire.contains("clock_jump"),
            "{wire}"
        );
    }
}
