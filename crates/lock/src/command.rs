//! One lock command, encoded once and sent as it is to every node.
//!
//! Redlock asks every node the same question: the same `SET key value NX PX ttl`, the same
//! release script with the same key and value. So the command is built once per question and
//! each node's call only borrows it (or shares it, for a release that may finish in the
//! background). That keeps a node's call small: a lock call's future is moved into place once
//! per node, and before this it carried its own copy of the command, its own timer and the
//! redis client's whole script-invocation machinery, 2 kB of it, moved for every node on every
//! acquisition.
//!
//! A command's buffers are sized before it is written: grown argument by argument, they were
//! reallocated several times per command, a measurable share of a cycle.
//!
//! Scripts travel as `EVALSHA`: only the 40-character digest. Every script is loaded on a new
//! connection before the connection is used (`connection.rs`); should a node have lost it all
//! the same (`SCRIPT FLUSH`), the node answers `NOSCRIPT`, and the call loads the script and asks
//! once more (`node.rs`).

use redis::{Cmd, Script};

/// Room for a number's digits.
const NUMBER: usize = 20;

pub(crate) struct Command {
    pub(crate) cmd: Cmd,
    /// The script an `EVALSHA` runs, to load it again if a node answers `NOSCRIPT`.
    pub(crate) script: Option<&'static Script>,
}

impl Command {
    /// `SET key value NX PX ttl`: the plain command every Redis lock client uses, so a lock taken
    /// by redis-py or node-redlock on the same key and ours are one and the same.
    pub(crate) fn set_if_absent(key: &str, value: &str, ttl_ms: u64) -> Command {
        let mut cmd = Cmd::with_capacity(6, NUMBER + key.len() + value.len() + 12);
        cmd.arg("SET")
            .arg(key)
            .arg(value)
            .arg("NX")
            .arg("PX")
            .arg(ttl_ms);
        Command { cmd, script: None }
    }

    /// `EVALSHA digest numkeys keys... args...` of one of the crate's scripts.
    pub(crate) fn script(script: &'static Script, keys: &[String], args: &[&str]) -> Command {
        let text: usize = keys.iter().map(String::len).sum::<usize>()
            + args.iter().map(|a| a.len()).sum::<usize>();
        let mut cmd = Cmd::with_capacity(3 + keys.len() + args.len(), 47 + NUMBER + text);
        cmd.arg("EVALSHA")
            .arg(script.get_hash())
            .arg(keys.len())
            .arg(keys)
            .arg(args);
        Command {
            cmd,
            script: Some(script),
        }
    }
}
