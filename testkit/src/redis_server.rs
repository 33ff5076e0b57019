//! A real `redis-server` process on a free loopback port, owned by one test, and commands to it.
//!
//! The process is killed when the handle drops, so a failing test leaves nothing behind. Tests
//! use `stop`, `pause` (SIGSTOP) and `restart` to inject the faults the lab teaches about, and
//! [`RedisServer::query`] to look at what a lock left behind, typed by the redis crate
//! (`Option<String>` for a GET, `i64` for EXISTS or PTTL) so no raw reply reaches an assertion.

use std::net::TcpListener;
use std::process::{Child, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use redis::FromRedisValue;

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
        self.signal(Signal::SIGSTOP);
    }

    /// SIGCONT: a paused node answers again.
    pub fn resume(&self) {
        self.signal(Signal::SIGCONT);
    }

    /// Runs one command and reads its reply as `T`, e.g. `query::<Option<String>>(&["GET", k])`.
    pub fn query<T: FromRedisValue>(&self, args: &[&str]) -> T {
        redis_query(self.port, args)
    }

    /// Runs one command and returns its reply in the wire's own notation (`+PONG`, `:1`,
    /// `$5\r\nvalue`, `*0`), for the tests written against that form; prefer [`Self::query`].
    pub fn command(&self, args: &[&str]) -> String {
        redis_command(self.port, args)
    }

    fn signal(&self, signal: Signal) {
        if let Some(child) = self.child.lock().unwrap().as_ref() {
            // The pid of a child this handle owns and has not reaped, so it cannot be reused.
            let _ = kill(Pid::from_raw(child.id() as i32), signal);
        }
    }

    fn spawn(&self) {
        let child = lab_redis::foreground("redis-server", self.port)
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
        if !answers_ping(self.port, Duration::from_secs(10)) {
            panic!(
                "redis-server on port {} did not answer PING within 10s",
                self.port
            );
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.resume();
        self.stop();
    }
}

/// A blocking connection to the redis-server on 127.0.0.1:`port`, with a short read timeout so a
/// paused node fails the test instead of hanging it.
fn connect(port: u16) -> redis::RedisResult<redis::Connection> {
    let client = redis::Client::open(format!("redis://127.0.0.1:{port}"))?;
    let connection = client.get_connection_with_timeout(Duration::from_secs(2))?;
    connection.set_read_timeout(Some(Duration::from_secs(2)))?;
    Ok(connection)
}

fn run(port: u16, args: &[&str]) -> redis::RedisResult<redis::Value> {
    let (name, rest) = args.split_first().expect("a command has a name");
    redis::cmd(name).arg(rest).query(&mut connect(port)?)
}

/// Sends one command to the redis-server on 127.0.0.1:`port` and reads its reply as `T`.
pub fn redis_query<T: FromRedisValue>(port: u16, args: &[&str]) -> T {
    let (name, rest) = args.split_first().expect("a command has a name");
    let mut connection =
        connect(port).unwrap_or_else(|e| panic!("connect to the test redis-server on {port}: {e}"));
    redis::cmd(name)
        .arg(rest)
        .query(&mut connection)
        .unwrap_or_else(|e| panic!("{args:?} on redis {port}: {e}"))
}

/// Sends one command to the redis-server on 127.0.0.1:`port` and returns its reply in the wire's
/// notation, as a test that compares replies as text expects them (e.g. `+PONG`, `:1`,
/// `$5\r\nvalue`, `$-1` for none, `*0`); an error reply reads `-message`.
pub fn redis_command(port: u16, args: &[&str]) -> String {
    match run(port, args) {
        Ok(value) => notation(&value),
        Err(e) => format!("-{e}"),
    }
}

/// A reply written as RESP writes it, without the final line end.
fn notation(value: &redis::Value) -> String {
    use redis::Value;
    match value {
        Value::Nil => "$-1".to_string(),
        Value::Int(n) => format!(":{n}"),
        Value::Okay => "+OK".to_string(),
        Value::SimpleString(s) => format!("+{s}"),
        Value::BulkString(bytes) => {
            format!("${}\r\n{}", bytes.len(), String::from_utf8_lossy(bytes))
        }
        Value::Array(items) | Value::Set(items) => {
            let mut text = format!("*{}", items.len());
            for item in items {
                text.push_str("\r\n");
                text.push_str(&notation(item));
            }
            text
        }
        other => format!("{other:?}"),
    }
}

/// Waits up to `within` for the node on `port` to answer PING.
pub(crate) fn answers_ping(port: u16, within: Duration) -> bool {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if run(port, &["PING"]).is_ok_and(|pong| pong == redis::Value::SimpleString("PONG".into()))
        {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    false
}

/// A port nobody listens on right now. The OS hands out ephemeral ports in sequence, so the
/// window in which another process could take it before redis-server binds is small.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("find a free port")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_read_typed_and_in_the_wires_notation() {
        let redis = RedisServer::start();
        assert_eq!(
            redis.command(&["SET", "k", "other-client", "NX", "PX", "5000"]),
            "+OK"
        );
        assert_eq!(
            redis.query::<Option<String>>(&["GET", "k"]).as_deref(),
            Some("other-client")
        );
        assert_eq!(redis.command(&["GET", "k"]), "$12\r\nother-client");
        assert_eq!(redis.query::<i64>(&["EXISTS", "k", "gone"]), 1);
        assert_eq!(redis.command(&["EXISTS", "gone"]), ":0");
        assert_eq!(redis.command(&["GET", "gone"]), "$-1");
        assert_eq!(redis.command(&["KEYS", "nothing:*"]), "*0");
        assert_eq!(redis.command(&["KEYS", "k"]), "*1\r\n$1\r\nk");
        assert!(redis.command(&["NOSUCHCOMMAND"]).starts_with('-'));
    }
}
