//! A run directory like the one `./start.sh` fills, for tests of what acts on a lab from outside:
//! `test_concurrent chaos` (which finds its victims by pidfile) and signals to the real binary.
//!
//! Redis nodes are daemonized `redis-server`s started with the same flags as `start.sh`, their
//! pids in `<dir>/redis-<port>.pid`; apps are the real `oversold` binary with `<dir>/app-<port>.pid`
//! and `<dir>/app-<port>.log`. When the directory drops, every process its pidfiles name at that
//! moment is killed (those a tool under test restarted too, after checking that the pid still
//! belongs to a redis-server, an etcd or an oversold), and the directory is removed. An etcd
//! cluster joins the directory through `EtcdCluster::write_pidfiles`.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

use crate::redis_server::{answers_ping, free_port};

pub struct RunDir {
    pub path: PathBuf,
}

/// An app process this test started (a tool under test may have replaced it since).
pub struct AppProcess {
    pub port: u16,
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    child: Child,
}

impl RunDir {
    pub fn new() -> RunDir {
        let unique = uuid::Uuid::new_v4().simple().to_string();
        let path = std::env::temp_dir().join(format!("oversold-run-{unique}"));
        std::fs::create_dir_all(&path).expect("create a run directory");
        RunDir { path }
    }

    /// Starts a redis-server the way `start.sh` does and waits for its PONG; returns its port.
    pub fn start_redis(&self) -> u16 {
        let port = free_port();
        let status = lab_redis::daemonized("redis-server", port, &self.path)
            .status()
            .unwrap_or_else(|e| {
                panic!(
                    "could not start redis-server ({e}); run ./test.sh, which installs it, or \
                     `apt-get install redis-server`"
                )
            });
        assert!(
            status.success(),
            "redis-server --daemonize failed on port {port}"
        );
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if answers_ping(port, Duration::from_millis(100))
                && self.pid(&format!("redis-{port}")).is_some()
            {
                return port;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("redis-server on port {port} did not answer PING within 10s");
    }

    /// Starts `binary` (the oversold server) on a free loopback port with `env` added, records
    /// its pid, and waits until its `/health` answers 200.
    pub async fn start_app(&self, binary: &Path, env: &[(&str, &str)]) -> AppProcess {
        let port = free_port();
        let log = self.path.join(format!("app-{port}.log"));
        let out = std::fs::File::create(&log).expect("create the app log");
        let child = Command::new(binary)
            .env("BIND", format!("127.0.0.1:{port}"))
            .env("INSTANCE_NAME", format!("app-{port}"))
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .unwrap_or_else(|e| panic!("could not start {}: {e}", binary.display()));
        std::fs::write(
            self.path.join(format!("app-{port}.pid")),
            child.id().to_string(),
        )
        .expect("write the app pidfile");
        let mut app = AppProcess {
            port,
            url: format!("http://127.0.0.1:{port}"),
            child,
        };
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = app.child.try_wait() {
                panic!(
                    "{} exited during startup ({status}):\n{}",
                    binary.display(),
                    std::fs::read_to_string(&log).unwrap_or_default()
                );
            }
            let health = client
                .get(format!("{}/health", app.url))
                .timeout(Duration::from_secs(2))
                .send()
                .await;
            if health.is_ok_and(|r| r.status().is_success()) {
                return app;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "the app on port {port} did not answer /health within 60s:\n{}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
    }

    /// The live pid recorded in `<dir>/<name>.pid` (e.g. `redis-7001`, `app-8080`).
    pub fn pid(&self, name: &str) -> Option<i32> {
        let text = std::fs::read_to_string(self.path.join(format!("{name}.pid"))).ok()?;
        let pid: i32 = text.trim().parse().ok()?;
        // No signal: only asks whether the process exists.
        kill(Pid::from_raw(pid), None).is_ok().then_some(pid)
    }

    /// The app's log so far, for assertion messages.
    pub fn log(&self, app_port: u16) -> String {
        std::fs::read_to_string(self.path.join(format!("app-{app_port}.log"))).unwrap_or_default()
    }
}

impl Default for RunDir {
    fn default() -> Self {
        RunDir::new()
    }
}

impl AppProcess {
    pub fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    /// SIGTERM, as `stop.sh`, systemd or a container runtime sends it.
    pub fn terminate(&self) {
        // Our own child, which has not been reaped (we hold its handle).
        let _ = kill(Pid::from_raw(self.pid()), Signal::SIGTERM);
    }

    /// Waits up to `within` for the process to exit; `None` if it still runs.
    pub async fn wait_exit(&mut self, within: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + within;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for AppProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for RunDir {
    fn drop(&mut self) {
        let Ok(entries) = std::fs::read_dir(&self.path) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().to_string();
            let Some(name) = name.strip_suffix(".pid") else {
                continue;
            };
            let Some(pid) = self.pid(name) else { continue };
            let command = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            let command = String::from_utf8_lossy(&command);
            if command.contains("redis-server")
                || command.contains("oversold")
                || command.contains("etcd")
            {
                // A pid our pidfiles name and whose command line is ours.
                let pid = Pid::from_raw(pid);
                let _ = kill(pid, Signal::SIGCONT);
                let _ = kill(pid, Signal::SIGKILL);
            }
        }
        let _ = std::fs::remove_dir_all(&self.path);
    }
}
