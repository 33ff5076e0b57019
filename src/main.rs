//! The `oversold` server: parse the configuration, bind, run. Everything else lives in the library.

use std::io::IsTerminal;
use std::net::TcpListener;

use anyhow::Context;
use clap::Parser;
use tracing_subscriber::EnvFilter;

use oversold::Config;

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    // Every booking logs a line; written in place, each was a write to the log file inside
    // the request (and, for the lock strategies, inside the critical section). A writer thread
    // takes them instead; when its buffer is full a request waits rather than a line being
    // lost. The guard flushes what is left when the server stops.
    let (log, _flush_on_exit) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .lossy(false)
        .finish(std::io::stdout());
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        // Colours only for a terminal: start.sh sends the log to a file.
        .with_ansi(std::io::stdout().is_terminal())
        .with_writer(log)
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
