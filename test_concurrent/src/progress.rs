//! A one-line progress bar on stderr, so stdout stays clean for `--json` and pipes.
//!
//! On a terminal the bar redraws in place and is wiped when the run ends; elsewhere (a log, a
//! test capturing stderr) each step is one line, e.g. `[###...] 2/4 no-lock`.

use std::io::{IsTerminal, Write};

pub struct Progress {
    total: usize,
    done: usize,
    shown: bool,
    terminal: bool,
}

const WIDTH: usize = 30;

impl Progress {
    /// A bar over `total` rounds; `shown` false makes every call a no-op.
    pub fn new(total: usize, shown: bool) -> Progress {
        Progress {
            total: total.max(1),
            done: 0,
            shown,
            terminal: std::io::stderr().is_terminal(),
        }
    }

    /// One more round of `label` is done.
    pub fn tick(&mut self, label: &str) {
        self.done += 1;
        if !self.shown {
            return;
        }
        let line = bar(self.done, self.total, label);
        let mut err = std::io::stderr().lock();
        if self.terminal {
            let _ = write!(err, "\r{line:<70}");
        } else {
            let _ = writeln!(err, "{line}");
        }
        let _ = err.flush();
    }

    /// Wipes the bar on a terminal so the tables that follow start on a clean line.
    pub fn finish(&self) {
        if self.shown && self.terminal {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r{:<70}\r", "");
            let _ = err.flush();
        }
    }
}

fn bar(done: usize, total: usize, label: &str) -> String {
    let filled = WIDTH * done.min(total) / total;
    format!(
        "[{}{}] {done}/{total} {label}",
        "#".repeat(filled),
        ".".repeat(WIDTH - filled)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bar_fills_with_the_rounds_done() {
        assert_eq!(bar(0, 4, "x"), format!("[{}] 0/4 x", ".".repeat(30)));
        assert_eq!(
            bar(2, 4, "no-lock"),
            format!("[{}{}] 2/4 no-lock", "#".repeat(15), ".".repeat(15))
        );
        assert_eq!(bar(4, 4, "x"), format!("[{}] 4/4 x", "#".repeat(30)));
    }
}
