//! `test_concurrent bench`: what each strategy costs (to be built, issue 6).

use clap::Args;

#[derive(Args, Debug)]
pub struct BenchArgs {}

pub async fn run(_args: BenchArgs) -> anyhow::Result<bool> {
    anyhow::bail!("test_concurrent bench is not built yet")
}
