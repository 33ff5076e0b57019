//! `test_concurrent chaos`: load over every instance while Redis nodes fail (to be built, issue 5).

use clap::Args;

#[derive(Args, Debug)]
pub struct ChaosArgs {}

pub async fn run(_args: ChaosArgs) -> anyhow::Result<bool> {
    anyhow::bail!("test_concurrent chaos is not built yet")
}
