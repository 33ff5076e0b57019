//! A real `redis-server` process on a free loopback port, owned by one test.
//!
//! The process is killed when the handle drops, so a failing test leaves nothing behind. Tests
//! use `stop`, `pause` (SIGSTOP) and `restart` to inject the faults the lab teaches about.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct RedisServer {
    port: u16,
    // Behind a mutex so a server shared by several app instances (`Arc<RedisServer>`) can still
    // be stopped and restarted by the test.
    child: Mutex<Option<Child>>,
}

impl RedisServer {
    /// Starts a fresh, empty `redis-server` that keeps nothing on disk.
    pub fn start() -> RedisServer {
        let server = RedisServer {
            port: free_port(),
            child: Mutex::new(None),
        };
        server.spawn();
        server
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Kills the process (SIGKILL): the node and everything it held are gone.
    pub fn stop(&self) {
        if let Some(mut child) = self.child.lock().unwrap().take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the node again on the same port, empty.
    pub fn restart(&self) {
        self.stop();
        self.spawn();
    }

    /// SIGSTOP: the node keeps its sockets but answers nothing, like a node in a long GC pause.
    pub fn pause(&self) {
        self.signal(libc::SIGSTOP);
    }

    /// SIGCONT: a paused node answers again.
    pub fn resume(&self) {
        self.signal(libc::SIGCONT);
    }

    /// Runs one command with `redis-cli`-like simplicity over a plain TCP connection.
    pub fn command(&self, args: &[&str]) -> String {
        redis_command(self.port, args)
    }

    fn signal(&self, signal: i32) {
        if let Some(child) = self.child.lock().unwrap().as_ref() {
            // SAFETY: kill(2) on the pid of a child this handle owns and has not reaped.
            unsafe { libc::kill(child.id() as i32, signal) };
        }
    }

    fn spawn(&self) {
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string()])
            .args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "could not start redis-server ({e}); the tests need it on PATH: \
                     run ./test.sh, which installs it, or `apt-get install redis-server`"
                )
            });
        *self.child.lock().unwrap() = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok()
                && self.command(&["PING"]) == "+PONG"
            {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        panic!(
            "redis-server on port {} did not answer PING within 10s",
            self.port
        );
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.resume();
        self.stop();
    }
}

/// Sends one command to the redis-server on 127.0.0.1:`port` and returns its raw RESP answer,
/// trimmed (e.g. `+PONG`, `:1`, `$5\r\nvalue`, `*0`).
pub fn redis_command(port: u16, args: &[&str]) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port))
        .expect("connect to the test redis-server");
    stream
        .set_read_timeout(Some(Duration::from_secs(2)))
        .unwrap();
    let mut request = format!("*{}\r\n", args.len());
    for arg in args {
        request.push_str(&format!("${}\r\n{}\r\n", arg.len(), arg));
    }
    stream.write_all(request.as_bytes()).unwrap();
    let mut buf = [0u8; 4096];
    let n = stream.read(&mut buf).unwrap_or(0);
    String::from_utf8_lossy(&buf[..n]).trim_end().to_string()
}

/// A port nobody listens on right now. The OS hands out ephemeral ports in sequence, so the
/// window in which another process could take it before redis-server binds is small.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("find a free port")
}
