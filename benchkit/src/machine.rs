//! What machine a benchmark ran on, read from /proc and /etc/os-release, for the report.
//!
//! Figures only mean something next to the machine that produced them, and on a shared machine
//! next to how busy it already was, so the load average at the start is part of the description.

use std::fmt;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Machine {
    pub cpu: String,
    pub cores: usize,
    pub memory_gib: Option<f64>,
    pub os: String,
    pub kernel: String,
    /// The 1-minute load average when the benchmark started.
    pub load: Option<f64>,
}

impl Machine {
    /// This machine, now. Whatever cannot be read is "unknown", never an error.
    pub fn describe() -> Machine {
        let read = |path: &str| std::fs::read_to_string(path).unwrap_or_default();
        Machine {
            cpu: cpu_model(&read("/proc/cpuinfo")).unwrap_or_else(|| "unknown CPU".into()),
            cores: std::thread::available_parallelism().map_or(1, usize::from),
            memory_gib: memory_gib(&read("/proc/meminfo")),
            os: os_name(&read("/etc/os-release")).unwrap_or_else(|| std::env::consts::OS.into()),
            kernel: read("/proc/sys/kernel/osrelease").trim().to_string(),
            load: read("/proc/loadavg")
                .split_whitespace()
                .next()
                .and_then(|l| l.parse().ok()),
        }
    }
}

impl fmt::Display for Machine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}, {} cores", self.cpu, self.cores)?;
        if let Some(gib) = self.memory_gib {
            write!(f, ", {gib:.0} GiB RAM")?;
        }
        write!(f, ", {}", self.os)?;
        if !self.kernel.is_empty() {
            write!(f, " (Linux {})", self.kernel)?;
        }
        if let Some(load) = self.load {
            write!(f, "; load average {load:.2} at the start")?;
        }
        Ok(())
    }
}

fn cpu_model(cpuinfo: &str) -> Option<String> {
    cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, model)| model.split_whitespace().collect::<Vec<_>>().join(" "))
}

fn memory_gib(meminfo: &str) -> Option<f64> {
    let line = meminfo.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0 / 1024.0)
}

fn os_name(os_release: &str) -> Option<String> {
    let line = os_release.lines().find(|l| l.starts_with("PRETTY_NAME="))?;
    Some(line["PRETTY_NAME=".len()..].trim_matches('"').to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_proc_files_are_read_as_people_name_things() {
        let cpuinfo =
            "processor\t: 0\nmodel name\t: AMD EPYC   7B13 64-Core Processor\nflags\t: x\n";
        assert_eq!(
            cpu_model(cpuinfo).as_deref(),
            Some("AMD EPYC 7B13 64-Core Processor")
        );
        assert_eq!(memory_gib("MemTotal:       25165824 kB\n"), Some(24.0));
        let os = "NAME=\"Debian GNU/Linux\"\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n";
        assert_eq!(
            os_name(os).as_deref(),
            Some("Debian GNU/Linux 12 (bookworm)")
        );
        assert_eq!(cpu_model(""), None);
    }

    #[test]
    fn the_description_is_one_line_with_everything_known() {
        let machine = Machine {
            cpu: "EPYC".into(),
            cores: 2,
            memory_gib: Some(24.0),
            os: "Debian 12".into(),
            kernel: "6.1.0".into(),
            load: Some(1.5),
        };
        assert_eq!(
            machine.to_string(),
            "EPYC, 2 cores, 24 GiB RAM, Debian 12 (Linux 6.1.0); load average 1.50 at the start"
        );
    }

    #[test]
    fn this_machine_has_at_least_one_core() {
        assert!(Machine::describe().cores >= 1);
    }
}
