//! Running one of the workspace's binaries from a test, as a user would from a shell.
//!
//! Only a package's own integration tests learn a binary's path from cargo
//! (`env!("CARGO_BIN_EXE_<name>")`), so the tests pass it in; what is shared is running it off
//! the async runtime (it is a blocking child process) and reading its JSON with the evidence a
//! failing test needs.

use std::process::{Command, Output};

use serde_json::Value;

/// Runs `binary` with `args` to completion and returns what it printed and its exit status.
pub async fn run_binary(binary: &str, args: &[String]) -> Output {
    let (binary, args) = (binary.to_string(), args.to_vec());
    tokio::task::spawn_blocking(move || {
        Command::new(&binary)
            .args(&args)
            .output()
            .unwrap_or_else(|e| panic!("could not run {binary}: {e}"))
    })
    .await
    .expect("the child process task finishes")
}

/// The JSON document a run printed on stdout; a test fails with stdout and stderr shown when
/// it is not JSON.
pub fn stdout_json(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}
