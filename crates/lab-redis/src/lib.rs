//! How the lab runs a `redis-server`: the one home of its flags, for the test harness and for
//! `test_concurrent chaos` (which restarts the nodes `start.sh` started).
//!
//! A lab node listens on loopback only and keeps nothing on disk (no RDB snapshot, no AOF), so a
//! node that is killed and started again comes back *empty*: the "restarted node forgot the
//! lock" fault the lab teaches depends on it. A daemonized node also writes its pid and log where
//! `start.sh` writes them (`<dir>/redis-<port>.pid`, `<dir>/redis-<port>.log`), which is how chaos
//! and `stop.sh` find it again.
//!
//! It is a crate of its own, with no dependencies, because both users need it and neither may
//! depend on the other: testkit is the server's test harness and test_concurrent is a shipped
//! binary whose tests use testkit. `start.sh` is bash and keeps its own copy of the flags; a test
//! here checks that the copy says the same.
//!
//! ```
//! let command = lab_redis::foreground("redis-server", 7001);
//! let args: Vec<_> = command.get_args().map(|a| a.to_string_lossy().into_owned()).collect();
//! assert_eq!(args[..2], ["--port", "7001"]);
//! assert!(args.windows(2).any(|w| w == ["--appendonly", "no"]));
//! ```

use std::path::{Path, PathBuf};
use std::process::Command;

/// Loopback only, nothing on disk: what every lab node runs with, after `--port`.
pub const FLAGS: &[&str] = &["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"];

/// A node on `port` that stays in the foreground, as a child of the caller (tests own theirs).
pub fn foreground(program: &str, port: u16) -> Command {
    let mut command = Command::new(program);
    command.args(["--port", &port.to_string()]).args(FLAGS);
    command
}

/// A node on `port` that daemonizes as `start.sh` starts one, its pidfile, log and working
/// directory in `dir`.
pub fn daemonized(program: &str, port: u16, dir: &Path) -> Command {
    let mut command = foreground(program, port);
    command
        .args(["--daemonize", "yes"])
        .arg("--pidfile")
        .arg(pidfile(dir, port))
        .arg("--logfile")
        .arg(logfile(dir, port))
        .arg("--dir")
        .arg(dir);
    command
}

/// `<dir>/redis-<port>.pid`, where `start.sh` keeps the node's pid.
pub fn pidfile(dir: &Path, port: u16) -> PathBuf {
    dir.join(format!("redis-{port}.pid"))
}

/// `<dir>/redis-<port>.log`.
pub fn logfile(dir: &Path, port: u16) -> PathBuf {
    dir.join(format!("redis-{port}.log"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(command: &Command) -> Vec<String> {
        command
            .get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn a_daemonized_node_writes_its_pid_and_log_where_start_sh_does() {
        let dir = Path::new("run");
        let all = args(&daemonized("redis-server", 7001, dir));
        let pair = |flag: &str| {
            let at = all.iter().position(|a| a == flag).unwrap();
            all[at + 1].clone()
        };
        assert_eq!(pair("--port"), "7001");
        assert_eq!(pair("--daemonize"), "yes");
        assert_eq!(pair("--pidfile"), "run/redis-7001.pid");
        assert_eq!(pair("--logfile"), "run/redis-7001.log");
        assert_eq!(pair("--dir"), "run");
        assert_eq!(pair("--save"), "");
    }

    #[test]
    fn start_sh_starts_its_nodes_with_the_same_flags() {
        let script =
            std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../start.sh"))
                .expect("start.sh at the top of the repository");
        // start.sh's spelling of FLAGS: the empty value is quoted in bash.
        let in_bash = FLAGS
            .iter()
            .map(|f| if f.is_empty() { "\"\"" } else { f })
            .collect::<Vec<_>>()
            .join(" ");
        assert!(
            script.contains(&in_bash),
            "start.sh must start redis-server with {in_bash}"
        );
        for flag in ["--daemonize yes", "/redis-$port.pid", "/redis-$port.log"] {
            assert!(script.contains(flag), "start.sh must use {flag}");
        }
    }
}
