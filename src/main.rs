//! The `oversold` server: parse the configuration, bind, run. Everything else lives in the library.

use std::net::TcpListener;

use anyhow::Context;
use clap::Parser;
use tracing_subscriber::EnvFilter;

use oversold::Config;

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    let config = Config::parse();
    raise_open_file_limit();
    let listener = TcpListener::bind(&config.bind).with_context(|| {
        format!(
            "could not listen on {}: is another server using it?",
            config.bind
        )
    })?;
    oversold::run(config, listener)
        .await?
        .run_until_stopped()
        .await?;
    Ok(())
}

/// Every connection is a file descriptor, and a distribution's default soft limit (often 1,024)
/// is below the 10,000 connections in flight the lab is built to answer: lift the soft limit to
/// the hard one, which needs no privilege.
fn raise_open_file_limit() {
    use nix::sys::resource::{getrlimit, setrlimit, Resource};
    match getrlimit(Resource::RLIMIT_NOFILE) {
        Ok((soft, hard)) if soft < hard => {
            if let Err(e) = setrlimit(Resource::RLIMIT_NOFILE, hard, hard) {
                tracing::warn!(soft, hard, error = %e, "could not raise the open-file limit");
            }
        }
        _ => {}
    }
}
