//! A real three-member etcd cluster on free loopback ports, owned by one test.
//!
//! Each member is an `etcd` process with its own data directory in a temporary folder, so a test
//! can kill a member (SIGKILL), start it again on the same data (as a crash leaves it), pause it
//! (SIGSTOP) or resume it. Elections are tuned faster than etcd's defaults (heartbeat 50 ms,
//! election 500 ms) so that a killed leader is replaced within a second; that also makes the
//! shortest lease etcd grants one second. Every process is killed and the folder removed when the
//! cluster drops, so a failing test leaves nothing behind.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use serde_json::{json, Value};

pub struct EtcdCluster {
    members: Vec<EtcdMember>,
    folder: PathBuf,
    http: reqwest::Client,
}

pub struct EtcdMember {
    name: String,
    client_port: u16,
    /// Where the member writes its log (warnings and up), shown when it fails to start.
    log: PathBuf,
    args: Vec<String>,
    child: Mutex<Option<Child>>,
}

/// How long a member may take to start and answer `/health`.
const START_TIMEOUT: Duration = Duration::from_secs(30);

impl EtcdCluster {
    /// Starts three members that form one new cluster, and waits until it has a leader.
    pub fn start() -> EtcdCluster {
        EtcdCluster::start_members(3)
    }

    /// Starts `count` members that form one new cluster. A member that finds its port taken
    /// in the moment between choosing and binding it costs a fresh start on other ports.
    pub fn start_members(count: usize) -> EtcdCluster {
        let mut failure = String::new();
        for _ in 0..3 {
            match EtcdCluster::try_start(count) {
                Ok(cluster) => return cluster,
                Err(e) if e.contains("address already in use") => failure = e,
                Err(e) => panic!("{e}"),
            }
        }
        panic!("the etcd cluster did not start in three tries: {failure}");
    }

    fn try_start(count: usize) -> Result<EtcdCluster, String> {
        let unique = uuid::Uuid::new_v4().simple().to_string();
        let folder = std::env::temp_dir().join(format!("oversold-etcd-{unique}"));
        std::fs::create_dir_all(&folder).expect("create the etcd folder");
        let mut chosen = Vec::new();
        let ports: Vec<(u16, u16)> = (0..count)
            .map(|_| (quiet_port(&mut chosen), quiet_port(&mut chosen)))
            .collect();
        let initial_cluster = ports
            .iter()
            .enumerate()
            .map(|(i, (_, peer))| format!("m{i}=http://127.0.0.1:{peer}"))
            .collect::<Vec<_>>()
            .join(",");
        let members = ports
            .iter()
            .enumerate()
            .map(|(i, &(client, peer))| {
                let name = format!("m{i}");
                let data = folder.join(&name);
                let args = vec![
                    format!("--name={name}"),
                    format!("--data-dir={}", data.display()),
                    format!("--listen-client-urls=http://127.0.0.1:{client}"),
                    format!("--advertise-client-urls=http://127.0.0.1:{client}"),
                    format!("--listen-peer-urls=http://127.0.0.1:{peer}"),
                    format!("--initial-advertise-peer-urls=http://127.0.0.1:{peer}"),
                    format!("--initial-cluster={initial_cluster}"),
                    format!("--initial-cluster-token=oversold-{unique}"),
                    "--initial-cluster-state=new".to_string(),
                    "--heartbeat-interval=50".to_string(),
                    "--election-timeout=500".to_string(),
                    "--log-level=warn".to_string(),
                ];
                EtcdMember {
                    log: folder.join(format!("{name}.log")),
                    name,
                    client_port: client,
                    args,
                    child: Mutex::new(None),
                }
            })
            .collect();
        let cluster = EtcdCluster {
            members,
            folder,
            http: reqwest::Client::builder().no_proxy().build().unwrap(),
        };
        // All at once: a new cluster forms only when a majority of its members is up.
        for member in &cluster.members {
            member.spawn();
        }
        for member in &cluster.members {
            member.wait_healthy()?;
        }
        Ok(cluster)
    }

    /// The members' client URLs, as `--etcd-endpoints` takes them.
    pub fn endpoints(&self) -> Vec<String> {
        self.members.iter().map(EtcdMember::url).collect()
    }

    pub fn member(&self, index: usize) -> &EtcdMember {
        &self.members[index]
    }

    pub fn members(&self) -> &[EtcdMember] {
        &self.members
    }

    /// Writes `<dir>/etcd-<client port>.pid` for every running member, as `start.sh` does, so a
    /// tool that finds the lab's members by pidfile (chaos, the matrix's fault columns) finds
    /// these. A member such a tool kills and starts again is no longer this cluster's child: the
    /// [`crate::RunDir`] of `dir` kills it by its pidfile when it drops.
    pub fn write_pidfiles(&self, dir: &std::path::Path) {
        for member in &self.members {
            if let Some(pid) = member.child().as_ref().map(Child::id) {
                std::fs::write(
                    dir.join(format!("etcd-{}.pid", member.client_port)),
                    pid.to_string(),
                )
                .expect("write an etcd pidfile");
            }
        }
    }

    /// One call to the JSON gateway of the first member that answers it.
    pub async fn call(&self, path: &str, body: Value) -> Option<Value> {
        for member in &self.members {
            let answer = self
                .http
                .post(format!("{}{path}", member.url()))
                .json(&body)
                .timeout(Duration::from_secs(2))
                .send()
                .await;
            if let Ok(answer) = answer {
                if answer.status().is_success() {
                    return answer.json().await.ok();
                }
            }
        }
        None
    }

    /// The key's create revision, when it exists (a linearizable read: the cluster's answer).
    pub async fn create_revision(&self, key: &str) -> Option<i64> {
        let answer = self
            .call("/v3/kv/range", json!({ "key": base64(key) }))
            .await?;
        answer["kvs"][0]["create_revision"]
            .as_str()
            .and_then(|r| r.parse().ok())
    }

    /// The lease bound to `key`, when it exists.
    pub async fn lease_of(&self, key: &str) -> Option<String> {
        let answer = self
            .call("/v3/kv/range", json!({ "key": base64(key) }))
            .await?;
        answer["kvs"][0]["lease"].as_str().map(str::to_string)
    }

    /// Revokes a lease now, as its expiry would: every key bound to it is deleted.
    pub async fn revoke(&self, lease: &str) -> bool {
        self.call("/v3/lease/revoke", json!({ "ID": lease }))
            .await
            .is_some()
    }

    /// Waits until the members still running have a leader: a linearizable read goes through.
    /// Killing a member may take the leader with it, and a lock asked for before the others
    /// elect a new one would wait out the election instead of showing what the test is about.
    pub async fn wait_for_leader(&self, within: Duration) {
        let deadline = Instant::now() + within;
        while self
            .call("/v3/kv/range", json!({ "key": base64("leader-probe") }))
            .await
            .is_none()
        {
            assert!(
                Instant::now() < deadline,
                "the running etcd members elected no leader within {within:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until `key` exists, e.g. until a request under test holds its lock.
    pub async fn wait_for_key(&self, key: &str, within: Duration) -> i64 {
        let deadline = Instant::now() + within;
        loop {
            if let Some(revision) = self.create_revision(key).await {
                return revision;
            }
            assert!(
                Instant::now() < deadline,
                "{key} did not appear in etcd within {within:?}"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

impl EtcdMember {
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.client_port)
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// SIGKILL: the member is gone; its data directory stays, as a crash leaves it.
    pub fn kill(&self) {
        if let Some(mut child) = self.child().take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts a killed member again on its data directory and waits for it to answer `/health`
    /// (which needs a majority of the cluster up, itself included).
    pub fn start(&self) {
        self.spawn();
        self.wait_healthy().unwrap_or_else(|e| panic!("{e}"));
    }

    /// Starts a killed member again without waiting: its cluster may still lack a majority.
    pub fn start_no_wait(&self) {
        self.spawn();
    }

    /// SIGSTOP: the member keeps its sockets but answers nothing.
    pub fn pause(&self) {
        self.signal(Signal::SIGSTOP);
    }

    /// SIGCONT: a paused member answers again.
    pub fn resume(&self) {
        self.signal(Signal::SIGCONT);
    }

    /// The process slot; a test that panicked while holding it left plain data behind.
    fn child(&self) -> std::sync::MutexGuard<'_, Option<Child>> {
        self.child.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn signal(&self, signal: Signal) {
        if let Some(child) = self.child().as_ref() {
            // The pid of a child this handle owns and has not reaped, so it is still ours.
            let _ = kill(Pid::from_raw(child.id() as i32), signal);
        }
    }

    fn spawn(&self) {
        let mut slot = self.child();
        assert!(slot.is_none(), "etcd member {} already runs", self.name);
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("open the etcd member's log");
        let child = Command::new("etcd")
            .args(&self.args)
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "could not start etcd ({e}); the tests need it on PATH: run ./test.sh, which \
                     installs it, or `apt-get install etcd-server`"
                )
            });
        *slot = Some(child);
    }

    /// Waits until the member says it is healthy: it answers and its cluster has a leader.
    fn wait_healthy(&self) -> Result<(), String> {
        let deadline = Instant::now() + START_TIMEOUT;
        while Instant::now() < deadline {
            if self.healthy() {
                return Ok(());
            }
            let exited = self
                .child()
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten());
            if let Some(status) = exited {
                return Err(format!(
                    "etcd member {} exited during start-up: {status}\n{}",
                    self.name,
                    self.log_tail()
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Err(format!(
            "etcd member {} on port {} was not healthy within {START_TIMEOUT:?}\n{}",
            self.name,
            self.client_port,
            self.log_tail()
        ))
    }

    /// The last lines of the member's log, for a failing test's message.
    fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }

    /// `GET /health` over a plain socket (this runs outside any async runtime, like the Redis
    /// harness): `{"health":"true"}` once the member has a leader.
    fn healthy(&self) -> bool {
        use std::io::{Read, Write};
        let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", self.client_port)) else {
            return false;
        };
        let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
        let request = format!(
            "GET /health HTTP/1.0\r\nHost: 127.0.0.1:{}\r\n\r\n",
            self.client_port
        );
        if stream.write_all(request.as_bytes()).is_err() {
            return false;
        }
        let mut answer = String::new();
        let _ = stream.read_to_string(&mut answer);
        answer.contains("\"health\":\"true\"")
    }
}

impl Drop for EtcdCluster {
    fn drop(&mut self) {
        for member in &self.members {
            member.resume();
            member.kill();
        }
        let _ = std::fs::remove_dir_all(&self.folder);
    }
}

/// A free port below the kernel's ephemeral range. The members connect to each other from
/// ephemeral ports while they start, so a listening port chosen there (as `free_port` does)
/// could be taken by a peer connection before its member binds it.
fn quiet_port(chosen: &mut Vec<u16>) -> u16 {
    use rand::Rng;
    let below = ephemeral_start().clamp(12_000, 40_000);
    loop {
        let port = rand::rng().random_range(10_000..below);
        if !chosen.contains(&port) && std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            chosen.push(port);
            return port;
        }
    }
}

/// The first port of the kernel's ephemeral range (Linux), else the IANA one.
fn ephemeral_start() -> u16 {
    std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|range| range.split_whitespace().next()?.parse().ok())
        .unwrap_or(49_152)
}

fn base64(text: &str) -> String {
    use base64::prelude::{Engine, BASE64_STANDARD};
    BASE64_STANDARD.encode(text)
}
