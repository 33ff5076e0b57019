//! The test harness shared by every test in the workspace.
//!
//! Tests in this project talk to real things: `redis-server` processes that the harness starts on
//! free ports (so a test may stop, pause or restart one), throwaway SQLite files and Postgres
//! databases, the real app bound to port 0, and a real headless Chromium to look at it. Nothing
//! here is a mock; it only starts, stops and cleans up the real parts.

mod app;
mod browser;
mod command;
mod database;
mod etcd_cluster;
mod redis_server;
mod run_dir;

pub use app::{
    count, count_errors, fire_together, spawn_app, spawn_app_with, Answer, AppOptions, TestApp,
};
pub use browser::Browser;
pub use command::{run_binary, stdout_json};
pub use database::{Backend, TestDatabase};
pub use etcd_cluster::{EtcdCluster, EtcdMember};
/// The WebDriver client the browser tests drive [`Browser`] with.
pub use fantoccini;
pub use redis_server::{free_port, redis_command, redis_query, RedisServer};
pub use run_dir::{AppProcess, RunDir};

/// Generates one `#[tokio::test]` per database backend from an `async fn(Backend)`, so the
/// same scenario is checked on SQLite and on Postgres: `name::on_sqlite`, `name::on_postgres`.
#[macro_export]
macro_rules! on_every_database {
    ($(#[$meta:meta])* async fn $name:ident($backend:ident: $backend_type:ty) $body:block) => {
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            async fn scenario($backend: $backend_type) $body

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn on_sqlite() {
                scenario($crate::Backend::Sqlite).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn on_postgres() {
                scenario($crate::Backend::Postgres).await
            }
        }
    };
}
