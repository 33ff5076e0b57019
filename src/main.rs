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
