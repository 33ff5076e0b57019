//! The lab's processes as `start.sh` left them: found by pidfile, signalled, started again, for
//! `chaos` and for the matrix's fault columns.
//!
//! A pid is only ever signalled after checking that it still belongs to what its pidfile says (a
//! redis-server on that port, an etcd serving that port, an oversold), so a stale pidfile whose
//! pid was reused by another program is refused, never killed. A killed Redis node is started
//! again with the flags `start.sh` uses (from `lab-redis`); a killed app instance or etcd member
//! with the command line, environment and working directory it had, read from `/proc` before the
//! kill (Linux only).

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

/// The lab's processes a run may fault, by port, and where their pidfiles are.
pub struct Processes {
    run_dir: PathBuf,
    redis_server: String,
    redis_ports: Vec<u16>,
    app_ports: Vec<u16>,
    etcd_ports: Vec<u16>,
}

/// What the lab's processes to fault are: which of their pidfiles must be live up front.
pub struct Wanted<'a> {
    pub redis: &'a [String],
    pub redis_pidfiles: bool,
    pub apps: &'a [String],
    pub app_pidfiles: bool,
    pub etcd: &'a [String],
    pub etcd_pidfiles: bool,
}

/// How to start a process again: what it was started with.
pub struct Relaunch {
    program: PathBuf,
    args: Vec<OsString>,
    env: Vec<(OsString, OsString)>,
    cwd: PathBuf,
}

impl Processes {
    /// Opens the run directory and checks that every process asked for has a live pidfile.
    pub fn find(
        run_dir: &Path,
        redis_server: &str,
        wanted: Wanted<'_>,
    ) -> anyhow::Result<Processes> {
        let run_dir = std::fs::canonicalize(run_dir).with_context(|| {
            format!(
                "no run directory {}: start the lab with ./start.sh (it writes its pidfiles \
                 to .run/), or point --run-dir at the directory that holds them",
                run_dir.display()
            )
        })?;
        let mut lab = Processes {
            run_dir,
            redis_server: redis_server.to_string(),
            redis_ports: Vec::new(),
            app_ports: Vec::new(),
            etcd_ports: Vec::new(),
        };
        if (wanted.app_pidfiles || wanted.etcd_pidfiles)
            && !Path::new("/proc/self/cmdline").exists()
        {
            bail!("restarting an app instance or an etcd member reads how it was started from /proc, which only Linux has");
        }
        for url in wanted.redis {
            let port = local_port(url).with_context(|| {
                format!("the lab uses the Redis node {url}; only nodes on 127.0.0.1 are faulted")
            })?;
            if wanted.redis_pidfiles {
                lab.redis_pid(port)?;
            }
            lab.redis_ports.push(port);
        }
        for target in wanted.apps {
            let port = local_port(target).with_context(|| {
                format!("only app instances on 127.0.0.1 are faulted, not {target}")
            })?;
            if wanted.app_pidfiles {
                lab.app_pid(port)?;
            }
            lab.app_ports.push(port);
        }
        for url in wanted.etcd {
            let port = local_port(url).with_context(|| {
                format!("the lab uses the etcd member {url}; only members on 127.0.0.1 are faulted")
            })?;
            if wanted.etcd_pidfiles {
                lab.etcd_pid(port)?;
            }
            lab.etcd_ports.push(port);
        }
        Ok(lab)
    }

    pub fn redis_ports(&self) -> Vec<u16> {
        self.redis_ports.clone()
    }

    pub fn app_ports(&self) -> Vec<u16> {
        self.app_ports.clone()
    }

    pub fn etcd_ports(&self) -> Vec<u16> {
        self.etcd_ports.clone()
    }

    /// The live pid of the Redis node on `port`, checked to be a redis-server on that port.
    pub fn redis_pid(&self, port: u16) -> anyhow::Result<i32> {
        self.checked_pid(&format!("redis-{port}"), |args| {
            args.contains("redis") && args.contains(&port.to_string())
        })
    }

    /// The live pid of the etcd member whose clients use `port`, checked to be that etcd.
    pub fn etcd_pid(&self, port: u16) -> anyhow::Result<i32> {
        self.checked_pid(&format!("etcd-{port}"), |args| {
            args.contains("etcd") && args.contains(&format!("127.0.0.1:{port}"))
        })
    }

    /// The live pid of the app instance on `port`, checked to be an oversold.
    pub fn app_pid(&self, port: u16) -> anyhow::Result<i32> {
        self.checked_pid(&format!("app-{port}"), |args| args.contains("oversold"))
    }

    fn checked_pid(&self, name: &str, is_ours: impl Fn(&str) -> bool) -> anyhow::Result<i32> {
        let file = self.run_dir.join(format!("{name}.pid"));
        let text = std::fs::read_to_string(&file).with_context(|| {
            format!(
                "no pidfile {}: was this lab started with ./start.sh from here? Give --run-dir \
                 the directory start.sh wrote its pidfiles to",
                file.display()
            )
        })?;
        let pid: i32 = text
            .trim()
            .parse()
            .with_context(|| format!("{} holds no pid", file.display()))?;
        let args = command_line(pid)
            .with_context(|| format!("{name}: pid {pid} from {} is not running", file.display()))?;
        if !is_ours(&args) {
            bail!(
                "{name}: pid {pid} from {} is now {args:?}, not what start.sh started; \
                 not touching it (run ./start.sh again to refresh the pidfiles)",
                file.display()
            );
        }
        Ok(pid)
    }

    pub fn pause_redis(&self, port: u16) -> anyhow::Result<()> {
        signal(self.redis_pid(port)?, Signal::SIGSTOP)
    }

    pub fn resume_redis(&self, port: u16) -> anyhow::Result<()> {
        signal(self.redis_pid(port)?, Signal::SIGCONT)
    }

    /// SIGKILL: the node and every key it held are gone.
    pub async fn kill_redis(&self, port: u16) -> anyhow::Result<()> {
        let pid = self.redis_pid(port)?;
        signal(pid, Signal::SIGCONT)?;
        signal(pid, Signal::SIGKILL)?;
        wait_until(Duration::from_secs(5), || !port_open(port))
            .await
            .with_context(|| format!("the Redis node on {port} still listens after SIGKILL"))
    }

    /// Starts the node again, empty, with `start.sh`'s flags, and waits until it answers.
    pub async fn restart_redis(&self, port: u16) -> anyhow::Result<()> {
        let status = lab_redis::daemonized(&self.redis_server, port, &self.run_dir)
            .stdin(Stdio::null())
            .status()
            .with_context(|| {
                format!("could not run {} to restart port {port}", self.redis_server)
            })?;
        if !status.success() {
            bail!(
                "{} exited with {status} restarting port {port}; see {}",
                self.redis_server,
                lab_redis::logfile(&self.run_dir, port).display()
            );
        }
        wait_until(Duration::from_secs(10), || {
            port_open(port) && self.redis_pid(port).is_ok()
        })
        .await
        .with_context(|| format!("the restarted Redis node on {port} does not answer"))
    }

    /// Reads how the app on `port` was started, then SIGKILLs it.
    pub async fn kill_app(&self, port: u16) -> anyhow::Result<Relaunch> {
        let pid = self.app_pid(port)?;
        kill_for_relaunch(pid, port, "app").await
    }

    /// Starts the app again as it was, records its pid, and waits until it answers HTTP.
    pub async fn restart_app(&self, port: u16, command: &Relaunch) -> anyhow::Result<()> {
        self.relaunch("app", port, command)?;
        // Any answer will do: /health is 503 while a fault keeps the first node down.
        self.wait_for_http(port, "app", |_| true).await
    }

    pub fn pause_etcd(&self, port: u16) -> anyhow::Result<()> {
        signal(self.etcd_pid(port)?, Signal::SIGSTOP)
    }

    pub fn resume_etcd(&self, port: u16) -> anyhow::Result<()> {
        signal(self.etcd_pid(port)?, Signal::SIGCONT)
    }

    /// Reads how the etcd member on `port` was started, then SIGKILLs it: a crash, which leaves
    /// its data directory (and the log it fsynced) as it was.
    pub async fn kill_etcd(&self, port: u16) -> anyhow::Result<Relaunch> {
        let pid = self.etcd_pid(port)?;
        signal(pid, Signal::SIGCONT)?;
        kill_for_relaunch(pid, port, "etcd member").await
    }

    /// Starts the etcd member again on its data, records its pid, and waits until it answers
    /// `/health`; with `healthy`, until it says it has a leader (it rejoined a majority).
    pub async fn restart_etcd(
        &self,
        port: u16,
        command: &Relaunch,
        healthy: bool,
    ) -> anyhow::Result<()> {
        self.relaunch("etcd", port, command)?;
        self.wait_for_http(port, "etcd member", |body| {
            !healthy || body.contains("\"health\":\"true\"")
        })
        .await
    }

    /// Starts `command` again in its own process group, its output appended to
    /// `<run dir>/<name>-<port>.log` and its pid written to `<name>-<port>.pid`.
    fn relaunch(&self, name: &str, port: u16, command: &Relaunch) -> anyhow::Result<()> {
        let log_path = self.run_dir.join(format!("{name}-{port}.log"));
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .with_context(|| format!("could not open {}", log_path.display()))?;
        let mut child = Command::new(&command.program)
            .args(&command.args)
            .env_clear()
            .envs(command.env.iter().map(|(k, v)| (k, v)))
            .current_dir(&command.cwd)
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            // Its own process group, like start.sh's setsid: Ctrl-C on chaos leaves it running.
            .process_group(0)
            .spawn()
            .with_context(|| format!("could not start {} again", command.program.display()))?;
        std::fs::write(
            self.run_dir.join(format!("{name}-{port}.pid")),
            child.id().to_string(),
        )?;
        // Reap it whenever it ends, so no zombie outlives this run.
        std::thread::spawn(move || child.wait());
        Ok(())
    }

    /// Waits up to a minute for `GET /health` on `port` to answer with a body `ready` accepts.
    async fn wait_for_http(
        &self,
        port: u16,
        what: &str,
        ready: impl Fn(&str) -> bool,
    ) -> anyhow::Result<()> {
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            let answer = client
                .get(format!("http://127.0.0.1:{port}/health"))
                .timeout(Duration::from_secs(2))
                .send()
                .await;
            if let Ok(answer) = answer {
                if ready(&answer.text().await.unwrap_or_default()) {
                    return Ok(());
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        bail!(
            "the restarted {what} on port {port} was not ready within 60s; see its log in {}",
            self.run_dir.display()
        )
    }
}

/// Reads how `pid` was started, SIGKILLs it and waits until `port` is closed.
async fn kill_for_relaunch(pid: i32, port: u16, what: &str) -> anyhow::Result<Relaunch> {
    let command = Relaunch::of(pid)?;
    signal(pid, Signal::SIGKILL)?;
    wait_until(Duration::from_secs(5), || !port_open(port))
        .await
        .with_context(|| format!("the {what} on {port} still listens after SIGKILL"))?;
    Ok(command)
}

impl Relaunch {
    fn of(pid: i32) -> anyhow::Result<Relaunch> {
        let proc = PathBuf::from(format!("/proc/{pid}"));
        let read = |name: &str| {
            std::fs::read(proc.join(name))
                .with_context(|| format!("could not read /proc/{pid}/{name} (is it our process?)"))
        };
        let mut args: Vec<OsString> = split_nul(read("cmdline")?);
        if args.is_empty() {
            bail!("/proc/{pid}/cmdline is empty");
        }
        let env = split_nul(read("environ")?)
            .into_iter()
            .filter_map(|pair| {
                let pair = pair.into_vec();
                let at = pair.iter().position(|b| *b == b'=')?;
                Some((
                    OsString::from_vec(pair[..at].to_vec()),
                    OsString::from_vec(pair[at + 1..].to_vec()),
                ))
            })
            .collect();
        let cwd = std::fs::read_link(proc.join("cwd"))?;
        let first = PathBuf::from(args.remove(0));
        // A bare name (`etcd`) was found on PATH: the binary the kernel ran is the one to run.
        let program = if first.components().count() > 1 {
            cwd.join(first)
        } else {
            std::fs::read_link(proc.join("exe")).unwrap_or(first)
        };
        Ok(Relaunch {
            program,
            args,
            env,
            cwd,
        })
    }
}

fn split_nul(bytes: Vec<u8>) -> Vec<OsString> {
    bytes
        .split(|b| *b == 0)
        .filter(|part| !part.is_empty())
        .map(|part| OsString::from_vec(part.to_vec()))
        .collect()
}

/// The port of `scheme://127.0.0.1:port[/...]` (or localhost); `None` off this machine.
pub fn local_port(url: &str) -> Option<u16> {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?']).next()?;
    let authority = authority.rsplit('@').next()?;
    let (host, port) = authority.rsplit_once(':')?;
    let local = host == "localhost" || host.starts_with("127.");
    local.then(|| port.parse().ok()).flatten()
}

/// The command line `ps` shows for `pid`; `None` when no such process runs.
fn command_line(pid: i32) -> Option<String> {
    let output = Command::new("ps")
        .args(["-p", &pid.to_string(), "-o", "args="])
        .output()
        .ok()?;
    let args = String::from_utf8_lossy(&output.stdout).trim().to_string();
    (output.status.success() && !args.is_empty()).then_some(args)
}

fn signal(pid: i32, signal: Signal) -> anyhow::Result<()> {
    // Only ever a pid just checked against its pidfile and command line.
    kill(Pid::from_raw(pid), signal).with_context(|| format!("could not signal pid {pid}"))
}

fn port_open(port: u16) -> bool {
    std::net::TcpStream::connect_timeout(
        &std::net::SocketAddr::from(([127, 0, 0, 1], port)),
        Duration::from_millis(300),
    )
    .is_ok()
}

async fn wait_until(within: Duration, done: impl Fn() -> bool) -> anyhow::Result<()> {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if done() {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    bail!("gave up after {}s", within.as_secs())
}

#[cfg(test)]
mod tests {
    use super::local_port;

    #[test]
    fn only_ports_on_this_machine_are_found() {
        assert_eq!(local_port("redis://127.0.0.1:7201"), Some(7201));
        assert_eq!(local_port("redis://user:pw@127.0.0.1:7201/0"), Some(7201));
        assert_eq!(local_port("http://localhost:8080"), Some(8080));
        assert_eq!(local_port("http://10.0.0.5:8080"), None);
        assert_eq!(local_port("http://127.0.0.1"), None);
    }
}
