//! oversold: a ticket-booking service that oversells on demand, then stops it with locks.
//!
//! The crate is the server and the library it is built from. [`run`] wires a [`Config`] to a
//! listener and returns the [`Application`]: `main.rs` runs it on the configured address until
//! SIGTERM, tests run it on port 0. [`lock`] is the distributed-lock library, free of HTTP and
//! SQL, and [`etcd`] the consensus lock beside it; [`store`] holds events and bookings and the `audit` every verdict comes from;
//! [`strategy`] is the catalogue of ways to protect a booking; [`experiment`] runs the
//! dashboard's fights; [`web`] is the API and the dashboard; [`metrics`] and [`leases`] are what
//! the instance counts and what it still holds.

pub mod config;
pub mod etcd;
pub mod experiment;
pub mod i18n;
pub mod leases;
pub use oversold_lock as lock;
pub mod metrics;
pub mod room;
pub mod store;
pub mod strategy;
pub mod trace;
pub mod web;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener};
use std::time::Duration;

use actix_web::dev::{Server, ServerHandle};
use actix_web::{web as actix, App, HttpServer};
use anyhow::Context;
use tracing_actix_web::TracingLogger;

pub use config::Config;

use crate::experiment::Runner;
use crate::leases::HeldLeases;
use crate::lock::{LockManager, RetryPolicy};
use crate::store::Store;
use crate::strategy::{BookingContext, Defaults};
use crate::web::{AdminPolicy, AppState};

/// Connections waiting to be accepted. The kernel caps it at `net.core.somaxconn` (4096 on
/// current Linux), so 10,000 clients connecting at once queue instead of being dropped.
pub const BACKLOG: i32 = 8192;

/// Open connections one worker serves before it stops accepting (actix's default is 25,000).
/// Workers are actix's default, one per physical core; 10,000 connections in flight over two
/// workers is 5,000 each. Each connection is a file descriptor: the process needs an open-file
/// limit above the connections it serves (`ulimit -n`).
pub const MAX_CONNECTIONS_PER_WORKER: usize = 25_000;

/// The server, built and listening, and what it must clean up after it stops.
pub struct Application {
    server: Server,
    address: SocketAddr,
    leases: HeldLeases,
}

/// Connects to the database and Redis and starts serving on `listener`. The returned
/// [`Application`] serves until stopped: SIGTERM stops it gracefully (no new connections,
/// in-flight requests finish within `--shutdown-timeout-secs`), SIGINT at once, and in both
/// cases [`Application::run_until_stopped`] then releases the locks requests left behind.
pub async fn run(config: Config, listener: TcpListener) -> anyhow::Result<Application> {
    config.validate().map_err(anyhow::Error::msg)?;
    let address = listener
        .local_addr()
        .context("the listener has no address")?;
    let admin = AdminPolicy::for_address(address, config.admin_token.clone())
        .map_err(anyhow::Error::msg)?;
    let store = Store::connect(&config.database_url).await?;
    let redlock = LockManager::from_urls(&config.redis_urls)
        .context("could not set up the Redis nodes from --redis-urls")?;
    let leases = HeldLeases::default();
    let booking = BookingContext {
        store,
        single_node: redlock.first_node(),
        redlock,
        etcd: etcd::EtcdCluster::new(&config.etcd_endpoints),
        local_locks: Default::default(),
        instance: config
            .instance_name
            .clone()
            .unwrap_or_else(|| address.to_string()),
        retry: RetryPolicy {
            budget: config.lock_wait(),
            ..RetryPolicy::default()
        },
        leases: leases.clone(),
        batches: Default::default(),
        deadline: config.booking_deadline(),
    };
    let state = actix::Data::new(AppState {
        booking,
        defaults: Defaults::from_config(&config),
        metrics: Default::default(),
        admin,
        room: crate::room::Room::new(&config.peers, config.admin_token.clone()),
        experiments: Runner::new(
            reachable_url(address),
            &config.peers,
            config.admin_token.clone(),
        ),
        config,
    });
    tracing::info!(
        %address,
        instance = %state.instance(),
        database = %state.store().backend(),
        redis_nodes = state.booking.redlock.node_count(),
        etcd_members = state.booking.etcd.member_count(),
        admin_token_required = state.admin.required(),
        "oversold is listening"
    );
    let shutdown_timeout = state.config.shutdown_timeout_secs;
    // A listener bound by std has a small accept queue (128): a burst of thousands of connects
    // would overflow it and the kernel would drop SYNs, which clients retry a second later.
    // Listening again on a listening socket only changes the queue's length.
    socket2::SockRef::from(&listener)
        .listen(BACKLOG)
        .context("could not set the listener's backlog")?;
    let server = HttpServer::new(move || {
        App::new()
            .wrap(TracingLogger::default())
            .app_data(state.clone())
            .configure(web::configure)
    })
    .backlog(BACKLOG as u32)
    .max_connections(MAX_CONNECTIONS_PER_WORKER)
    .shutdown_timeout(shutdown_timeout)
    .listen(listener)?
    .run();
    Ok(Application {
        server,
        address,
        leases,
    })
}

impl Application {
    /// The address the server listens on (port 0 resolved).
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Stops the server from another task: `graceful` lets in-flight requests finish.
    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Serves until the server is stopped, then releases every lock a cut-off request still held.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let served = self.server.await;
        let left = self.leases.len();
        if left > 0 {
            tracing::warn!(
                leases = left,
                "releasing the locks of requests the shutdown cut off"
            );
            // A paused node answers nothing; do not let it hold the exit for long.
            let released =
                tokio::time::timeout(Duration::from_secs(5), self.leases.release_all()).await;
            tracing::info!(released = ?released.ok(), "locks released");
        }
        tracing::info!("oversold stopped");
        served
    }
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
