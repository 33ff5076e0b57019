//! oversold: a ticket-booking service that oversells on demand, then stops it with locks.
//!
//! The crate is the server and the library it is built from. [`run`] wires a [`Config`] to a
//! listener and returns the running [`Server`]: `main.rs` calls it on the configured address,
//! tests call it on port 0. [`lock`] is the distributed-lock library, free of HTTP and SQL;
//! [`store`] holds events and bookings and the `audit` every verdict comes from; [`strategy`] is
//! the catalogue of ways to protect a booking; [`experiment`] runs the dashboard's fights;
//! [`web`] is the API and the dashboard.

pub mod config;
pub mod error;
pub mod experiment;
pub mod lock;
pub mod state;
pub mod store;
pub mod strategy;
pub mod trace;
pub mod web;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener};

use actix_web::dev::Server;
use actix_web::{web as actix, App, HttpServer};
use anyhow::Context;
use tracing_actix_web::TracingLogger;

pub use config::Config;

use crate::experiment::Runner;
use crate::lock::LockManager;
use crate::state::{AppState, Defaults};
use crate::store::Store;

/// Connects to the database and Redis, then serves the app on `listener` until the returned
/// server is stopped (it also stops gracefully on SIGINT/SIGTERM, finishing in-flight requests).
pub async fn run(config: Config, listener: TcpListener) -> anyhow::Result<Server> {
    config.validate().map_err(anyhow::Error::msg)?;
    let address = listener
        .local_addr()
        .context("the listener has no address")?;
    let store = Store::connect(&config.database_url).await?;
    let redlock = LockManager::from_urls(&config.redis_urls)
        .context("could not set up the Redis nodes from --redis-urls")?;
    let state = actix::Data::new(AppState {
        store,
        redis: redlock.first_node(),
        redlock,
        instance: config
            .instance_name
            .clone()
            .unwrap_or_else(|| address.to_string()),
        local_locks: Default::default(),
        defaults: Defaults::from_config(&config),
        experiments: Runner::new(reachable_url(address), &config.peers),
        config,
    });
    tracing::info!(
        %address,
        instance = %state.instance,
        database = %state.store.backend(),
        redis_nodes = state.redlock.node_count(),
        "oversold is listening"
    );
    let server = HttpServer::new(move || {
        App::new()
            .wrap(TracingLogger::default())
            .app_data(state.clone())
            .configure(web::configure)
    })
    .listen(listener)?
    .run();
    Ok(server)
}

/// The base URL this instance reaches itself at: its own address, with loopback standing in for
/// "every address" (0.0.0.0 or ::), which cannot be connected to.
fn reachable_url(address: SocketAddr) -> String {
    let ip = match address.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    format!("http://{}", SocketAddr::new(ip, address.port()))
}
