//! Reaching the lab before anything is sent: every target answers, and every strategy asked for
//! is one the server offers.
//!
//! Both failures end the run with exit status 2 and a message that says what to do, before a
//! single event is reset.

use std::time::Duration;

use oversold_api::{Client, StrategyInfo, StrategyName};

/// A client over `targets` that has checked each one answers `GET /health`.
pub async fn connect(
    targets: Vec<String>,
    timeout: Duration,
    admin_token: Option<String>,
) -> anyhow::Result<Client> {
    let client = Client::new(targets, timeout)?.with_admin_token(admin_token);
    client.check_reachable().await?;
    Ok(client)
}

/// The server's strategies, in its order, after checking it offers every one in `asked`.
pub async fn offered(client: &Client, asked: &[StrategyName]) -> anyhow::Result<Vec<StrategyInfo>> {
    let offered = client.strategies().await?;
    if let Some(missing) = asked.iter().find(|a| offered.iter().all(|s| s.name != **a)) {
        let names: Vec<&str> = offered.iter().map(|s| s.name.as_str()).collect();
        anyhow::bail!(
            "unknown strategy \"{missing}\" on this server; it offers: {}",
            names.join(", ")
        );
    }
    Ok(offered)
}
